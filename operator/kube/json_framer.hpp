#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tenant::kube {

// Splits a watch stream into complete top-level JSON objects by tracking brace depth
// outside of strings. The API server usually writes one object per line, but chunk and
// TCP boundaries fall anywhere and a proxy may join objects, so framing must not depend
// on newlines. Pure; feed bytes as they arrive.
class JsonFramer {
 public:
  // Appends `bytes` and returns every object completed by them (as raw JSON text).
  std::vector<std::string> Feed(std::string_view bytes);
  // Bytes of an object started but not yet complete.
  std::size_t Pending() const { return current_.size(); }
  // Upper bound for one object; a larger one throws std::length_error (protects memory).
  static constexpr std::size_t kMaxObjectBytes = 64u << 20;

 private:
  std::string current_;
  int depth_ = 0;
  bool in_string_ = false;
  bool escape_ = false;
};

}  // namespace tenant::kube
