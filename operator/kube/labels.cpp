#include "operator/kube/labels.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace tenant::kube {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits on commas that are not inside parentheses ("a in (x,y),b=c").
std::vector<std::string_view> SplitTop(std::string_view s) {
  std::vector<std::string_view> parts;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '(') ++depth;
    if (s[i] == ')') --depth;
    if (s[i] == ',' && depth == 0) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(s.substr(start));
  return parts;
}

void CheckKey(std::string_view key, std::string_view whole) {
  if (key.empty()) throw std::invalid_argument("label selector: empty key in \"" + std::string(whole) + "\"");
  for (char c : key) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/')) {
      throw std::invalid_argument("label selector: invalid key \"" + std::string(key) + "\"");
    }
  }
}

}  // namespace

LabelSelector LabelSelector::Parse(std::string_view text) {
  LabelSelector sel;
  text = Trim(text);
  if (text.empty()) return sel;
  for (auto raw : SplitTop(text)) {
    auto part = Trim(raw);
    if (part.empty()) throw std::invalid_argument("label selector: empty requirement");
    Requirement r;
    if (part.front() == '!') {
      r.key = std::string(Trim(part.substr(1)));
      r.op = Op::kNotExists;
    } else if (auto p = part.find("!="); p != std::string_view::npos) {
      r.key = std::string(Trim(part.substr(0, p)));
      r.op = Op::kNotIn;
      r.values = {std::string(Trim(part.substr(p + 2)))};
    } else if (auto q = part.find('='); q != std::string_view::npos) {
      r.key = std::string(Trim(part.substr(0, q)));
      std::size_t vstart = q + 1;
      if (vstart < part.size() && part[vstart] == '=') ++vstart;
      r.op = Op::kIn;
      r.values = {std::string(Trim(part.substr(vstart)))};
    } else if (auto open = part.find('('); open != std::string_view::npos) {
      if (part.back() != ')') throw std::invalid_argument("label selector: missing ')'");
      auto head = Trim(part.substr(0, open));
      auto sp = head.find_last_of(" \t");
      if (sp == std::string_view::npos) throw std::invalid_argument("label selector: missing operator");
      auto op = Trim(head.substr(sp + 1));
      r.key = std::string(Trim(head.substr(0, sp)));
      if (op == "in") r.op = Op::kIn;
      else if (op == "notin") r.op = Op::kNotIn;
      else throw std::invalid_argument("label selector: unknown operator \"" + std::string(op) + "\"");
      auto inner = part.substr(open + 1, part.size() - open - 2);
      for (auto v : SplitTop(inner)) r.values.emplace_back(Trim(v));
    } else {
      r.key = std::string(part);
      r.op = Op::kExists;
    }
    CheckKey(r.key, text);
    sel.reqs_.push_back(std::move(r));
  }
  return sel;
}

LabelSelector LabelSelector::FromMap(const std::map<std::string, std::string>& m) {
  LabelSelector sel;
  for (const auto& [k, v] : m) sel.reqs_.push_back({k, Op::kIn, {v}});
  return sel;
}

bool LabelSelector::Matches(const std::map<std::string, std::string>& labels) const {
  for (const auto& r : reqs_) {
    auto it = labels.find(r.key);
    const bool has = it != labels.end();
    bool in = has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    switch (r.op) {
      case Op::kIn: if (!in) return false; break;
      case Op::kNotIn: if (in) return false; break;  // absent key matches notin/!=, as in k8s
      case Op::kExists: if (!has) return false; break;
      case Op::kNotExists: if (has) return false; break;
    }
  }
  return true;
}

bool LabelSelector::Matches(const nlohmann::json& obj) const {
  if (reqs_.empty()) return true;
  std::map<std::string, std::string> labels;
  if (auto m = obj.find("metadata"); m != obj.end() && m->is_object()) {
    if (auto l = m->find("labels"); l != m->end() && l->is_object()) {
      for (auto it = l->begin(); it != l->end(); ++it) {
        if (it.value().is_string()) labels[it.key()] = it.value().get<std::string>();
      }
    }
  }
  return Matches(labels);
}

std::string LabelSelector::String() const {
  std::string out;
  for (const auto& r : reqs_) {
    if (!out.empty()) out += ",";
    switch (r.op) {
      case Op::kExists: out += r.key; break;
      case Op::kNotExists: out += "!" + r.key; break;
      case Op::kIn:
      case Op::kNotIn:
        if (r.values.size() == 1) {
          out += r.key + (r.op == Op::kIn ? "=" : "!=") + r.values[0];
        } else {
          out += r.key + (r.op == Op::kIn ? " in (" : " notin (");
          for (std::size_t i = 0; i < r.values.size(); ++i) out += (i ? "," : "") + r.values[i];
          out += ")";
        }
    }
  }
  return out;
}

}  // namespace tenant::kube
