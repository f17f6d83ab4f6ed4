#include "runtime/server/router.hpp"

#include <stdexcept>

namespace tenant::api::server {

std::string_view RateClassName(RateClass c) {
  switch (c) {
    case RateClass::kNone: return "none";
    case RateClass::kRead: return "read";
    case RateClass::kWrite: return "write";
    case RateClass::kAuth: return "auth";
  }
  return "none";
}

// A segment trie: literal children by name, one parameter child; leaves map method -> route.
struct Router::Node {
  std::map<std::string, std::shared_ptr<Node>, std::less<>> literal;
  std::shared_ptr<Node> param;
  std::string param_name;
  std::map<std::string, const Route*, std::less<>> methods;
};

namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  if (!path.empty() && path[0] == '/') i = 1;
  while (i <= path.size()) {
    auto slash = path.find('/', i);
    if (slash == std::string_view::npos) {
      out.push_back(path.substr(i));
      break;
    }
    out.push_back(path.substr(i, slash - i));
    i = slash + 1;
  }
  return out;
}

bool IsParam(std::string_view seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

}  // namespace

void Router::Add(std::string_view method, std::string_view path_template, Handler handler,
                 RouteOptions options) {
  if (path_template.empty() || path_template[0] != '/') {
    throw std::invalid_argument("route template must start with '/': " + std::string(path_template));
  }
  if (!root_) root_ = std::make_shared<Node>();
  Node* node = root_.get();
  for (auto seg : SplitPath(path_template)) {
    if (IsParam(seg)) {
      std::string name(seg.substr(1, seg.size() - 2));
      if (name.find_first_of("{}/") != std::string::npos) {
        throw std::invalid_argument("bad parameter segment in " + std::string(path_template));
      }
      if (!node->param) {
        node->param = std::make_shared<Node>();
        node->param_name = name;
      } else if (node->param_name != name) {
        throw std::invalid_argument("conflicting parameter names {" + node->param_name + "} and {" +
                                    name + "} in " + std::string(path_template));
      }
      node = node->param.get();
    } else {
      if (seg.find_first_of("{}") != std::string_view::npos) {
        throw std::invalid_argument("parameters must be whole segments: " + std::string(path_template));
      }
      auto it = node->literal.find(seg);
      if (it == node->literal.end()) {
        it = node->literal.emplace(std::string(seg), std::make_shared<Node>()).first;
      }
      node = it->second.get();
    }
  }
  std::string m(method);
  if (node->methods.count(m) != 0) {
    throw std::invalid_argument("duplicate route " + m + " " + std::string(path_template));
  }
  if (!options.rate_class) {
    options.rate_class = (m == "GET" || m == "HEAD") ? RateClass::kRead : RateClass::kWrite;
  }
  auto route = std::make_unique<Route>(Route{m, std::string(path_template), std::move(handler),
                                             std::move(options)});
  node->methods[m] = route.get();
  routes_.push_back(std::move(route));
}

namespace {

const Router::Node* Walk(const Router::Node* node, const std::vector<std::string_view>& segs,
                         std::size_t i, std::map<std::string, std::string>& params) {
  if (i == segs.size()) return node->methods.empty() ? nullptr : node;
  auto seg = segs[i];
  auto it = node->literal.find(seg);
  if (it != node->literal.end()) {
    if (auto* found = Walk(it->second.get(), segs, i + 1, params)) return found;
  }
  if (node->param && !seg.empty()) {
    auto [pit, inserted] = params.emplace(node->param_name, std::string(seg));
    if (auto* found = Walk(node->param.get(), segs, i + 1, params)) return found;
    if (inserted) params.erase(pit);
  }
  return nullptr;
}

}  // namespace

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  Match match;
  if (!root_ || path.empty() || path[0] != '/') return match;
  auto segs = SplitPath(path);
  const Node* node = Walk(root_.get(), segs, 0, match.params);
  if (node == nullptr) {
    match.params.clear();
    return match;
  }
  auto it = node->methods.find(method);
  if (it == node->methods.end() && method == "HEAD") it = node->methods.find("GET");
  if (it != node->methods.end()) {
    match.route = it->second;
    return match;
  }
  for (const auto& [m, r] : node->methods) match.allowed_methods.push_back(m);
  return match;
}

}  // namespace tenant::api::server
