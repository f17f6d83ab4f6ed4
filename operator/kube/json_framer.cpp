#include "operator/kube/json_framer.hpp"

#include <stdexcept>

namespace tenant::kube {

std::vector<std::string> JsonFramer::Feed(std::string_view bytes) {
  std::vector<std::string> out;
  std::size_t start = 0;  // start of the not-yet-copied part of `bytes` inside an object
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const char ch = bytes[i];
    if (depth_ == 0) {
      // Between objects: skip whitespace (newlines) and anything that is not an object start.
      if (ch == '{') {
        depth_ = 1;
        start = i;
      }
      continue;
    }
    if (in_string_) {
      if (escape_) escape_ = false;
      else if (ch == '\\') escape_ = true;
      else if (ch == '"') in_string_ = false;
      continue;
    }
    if (ch == '"') in_string_ = true;
    else if (ch == '{' || ch == '[') ++depth_;
    else if (ch == '}' || ch == ']') {
      if (--depth_ == 0) {
        current_.append(bytes.substr(start, i + 1 - start));
        out.push_back(std::move(current_));
        current_.clear();
      }
    }
  }
  if (depth_ > 0) {
    current_.append(bytes.substr(start));
    if (current_.size() > kMaxObjectBytes) throw std::length_error("watch event larger than 64 MiB");
  }
  return out;
}

}  // namespace tenant::kube
