#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "operator/kube/list_stream.hpp"

using nlohmann::json;
using tenant::kube::ParseListItems;

TEST_CASE("ParseListItems hands over every item in order and returns the List without them", "[kube][list]") {
  const std::string text = R"({"kind":"DeploymentList","apiVersion":"apps/v1",
    "metadata":{"resourceVersion":"42","continue":"abc"},
    "items":[{"metadata":{"name":"a","labels":{"x":"1"}},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"c"}]}}}},
             {"metadata":{"name":"b"},"status":{"conditions":[{"type":"Ready"}]}}]})";
  std::vector<json> items;
  json list = ParseListItems(text, [&](json&& item) { items.push_back(std::move(item)); });

  REQUIRE(items.size() == 2);
  CHECK(items[0] == json::parse(R"({"metadata":{"name":"a","labels":{"x":"1"}},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"c"}]}}}})"));
  CHECK(items[1]["metadata"]["name"] == "b");
  CHECK(items[1]["status"]["conditions"][0]["type"] == "Ready");
  CHECK(list["kind"] == "DeploymentList");
  CHECK(list["metadata"]["resourceVersion"] == "42");
  CHECK(list["metadata"]["continue"] == "abc");
  CHECK(list["items"] == json::array());
}

TEST_CASE("ParseListItems: items after metadata, nested objects of metadata are not items", "[kube][list]") {
  const std::string text = R"({"items":[{"metadata":{"name":"only"}}],"metadata":{"resourceVersion":"7","extra":{"nested":{}}}})";
  int n = 0;
  json list = ParseListItems(text, [&](json&& item) {
    ++n;
    CHECK(item["metadata"]["name"] == "only");
  });
  CHECK(n == 1);
  CHECK(list["metadata"]["resourceVersion"] == "7");
  CHECK(list["metadata"]["extra"]["nested"] == json::object());
}

TEST_CASE("ParseListItems: empty, null and malformed lists", "[kube][list]") {
  int n = 0;
  auto count = [&](json&&) { ++n; };
  CHECK(ParseListItems(R"({"metadata":{"resourceVersion":"1"},"items":[]})", count)["metadata"]["resourceVersion"] == "1");
  CHECK(ParseListItems(R"({"metadata":{},"items":null})", count)["items"].is_null());
  CHECK(ParseListItems(R"({"items":[{"metadata":{"name":"a"}},)", count).is_discarded());
  CHECK(ParseListItems("not json", count).is_discarded());
  CHECK(n == 1);  // the malformed list's first item was complete before the error
}
