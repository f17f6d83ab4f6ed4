#include <catch2/catch.hpp>

#include "operator/api/condition.hpp"

using namespace tenant::api;
using namespace std::chrono_literals;

TEST_CASE("SetCondition changes lastTransitionTime only when status changes", "[condition]") {
  std::vector<Condition> conds;
  auto t0 = std::chrono::system_clock::from_time_t(1'800'000'000);
  CHECK(SetCondition(conds, {"Ready", "False", "Provisioning", "creating database", 1, ""}, t0));
  REQUIRE(conds.size() == 1);
  CHECK(conds[0].last_transition_time == "2027-01-15T08:00:00Z");
  // Same status, new reason/message/generation: updated, time kept.
  CHECK(SetCondition(conds, {"Ready", "False", "Migrating", "schema 3/4", 2, ""}, t0 + 60s));
  CHECK(conds[0].last_transition_time == "2027-01-15T08:00:00Z");
  CHECK(conds[0].reason == "Migrating");
  CHECK(conds[0].observed_generation == 2);
  // Identical: no change reported.
  CHECK_FALSE(SetCondition(conds, {"Ready", "False", "Migrating", "schema 3/4", 2, ""}, t0 + 120s));
  // Status flips: time moves.
  CHECK(SetCondition(conds, {"Ready", "True", "Ready", "", 2, ""}, t0 + 180s));
  CHECK(conds[0].last_transition_time == "2027-01-15T08:03:00Z");
  CHECK(IsConditionTrue(conds, "Ready"));
  CHECK_FALSE(IsConditionFalse(conds, "Ready"));
  CHECK(FindCondition(conds, "Stalled") == nullptr);
  CHECK(RemoveCondition(conds, "Ready"));
  CHECK(conds.empty());
}

TEST_CASE("conditions round-trip through JSON status", "[condition]") {
  nlohmann::json status = {{"phase", "x"}};
  auto t = std::chrono::system_clock::from_time_t(1'800'000'000);
  CHECK(SetCondition(status, {"Reconciling", "True", "Progressing", "m", 7, ""}, t));
  auto conds = ConditionsFromJson(status["conditions"]);
  REQUIRE(conds.size() == 1);
  CHECK(conds[0].observed_generation == 7);
  CHECK(status["conditions"][0]["lastTransitionTime"] == "2027-01-15T08:00:00Z");
  CHECK(status["phase"] == "x");
  CHECK_FALSE(SetCondition(status, {"Reconciling", "True", "Progressing", "m", 7, ""}, t + 5s));
  // Empty reason defaults to the status (the API requires a reason).
  SetCondition(status, {"Stalled", "False", "", "", 7, ""}, t);
  CHECK(status["conditions"][1]["reason"] == "False");
  CHECK_THROWS(ConditionFromJson(nlohmann::json{{"type", "Ready"}}));
}
