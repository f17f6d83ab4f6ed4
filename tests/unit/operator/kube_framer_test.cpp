#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "operator/kube/json_framer.hpp"

using tenant::kube::JsonFramer;

TEST_CASE("an object split across chunks is emitted once complete", "[kube][framer]") {
  JsonFramer f;
  std::string ev = R"({"type":"ADDED","object":{"metadata":{"name":"a"},"data":{"k":"v"}}})";
  for (std::size_t cut = 1; cut < ev.size(); ++cut) {
    JsonFramer g;
    auto first = g.Feed(ev.substr(0, cut));
    REQUIRE(first.empty());
    auto second = g.Feed(ev.substr(cut));
    REQUIRE(second.size() == 1);
    REQUIRE(second[0] == ev);
  }
}

TEST_CASE("several objects in one chunk, with or without newlines", "[kube][framer]") {
  JsonFramer f;
  auto out = f.Feed("{\"a\":1}\n{\"b\":2}{\"c\":{\"d\":[1,{\"e\":3}]}}\n{\"x\"");
  REQUIRE(out.size() == 3);
  CHECK(nlohmann::json::parse(out[2])["c"]["d"][1]["e"] == 3);
  CHECK(f.Pending() > 0);
  out = f.Feed(":true}");
  REQUIRE(out.size() == 1);
  CHECK(out[0] == "{\"x\":true}");
}

TEST_CASE("braces and escaped quotes inside strings do not confuse framing", "[kube][framer]") {
  JsonFramer f;
  std::string ev = R"({"note":"a } tricky \" { string \\","n":1})";
  std::vector<std::string> all;
  for (char c : ev) {  // byte by byte: escapes split from their character
    for (auto& o : f.Feed(std::string(1, c))) all.push_back(o);
  }
  REQUIRE(all.size() == 1);
  CHECK(nlohmann::json::parse(all[0])["n"] == 1);
  CHECK(nlohmann::json::parse(all[0])["note"] == "a } tricky \" { string \\");
}
