#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tenant::kube {

// Label selector (the string form of apimachinery's labels.Selector):
//   "a=b", "a==b", "a!=b", "a in (x,y)", "a notin (x)", "a", "!a", comma = AND.
// Empty selector matches everything.
class LabelSelector {
 public:
  LabelSelector() = default;
  // Throws std::invalid_argument on a malformed selector.
  static LabelSelector Parse(std::string_view text);
  // Equality requirements only (matchLabels).
  static LabelSelector FromMap(const std::map<std::string, std::string>& match_labels);

  bool Empty() const { return reqs_.empty(); }
  bool Matches(const std::map<std::string, std::string>& labels) const;
  // Reads metadata.labels of an object.
  bool Matches(const nlohmann::json& obj) const;
  std::string String() const;

 private:
  enum class Op { kIn, kNotIn, kExists, kNotExists };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };
  std::vector<Requirement> reqs_;
};

}  // namespace tenant::kube
