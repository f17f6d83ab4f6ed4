// Prints the tail of the Tenant e2e operator's log when a test case has failed, as it was
// at the first failed assertion. (A Catch2 INFO() is evaluated when it is reached, so an
// INFO("operator log" << tail) near the top of a test shows the log from before the
// failure, not what the operator did about it.)
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>

#include <iostream>
#include <string>

#include "tests/e2e/operator/tenant_e2e_env.hpp"

namespace {

class OperatorLogOnFailure : public Catch::TestEventListenerBase {
 public:
  using TestEventListenerBase::TestEventListenerBase;

  void testCaseStarting(const Catch::TestCaseInfo& info) override {
    TestEventListenerBase::testCaseStarting(info);
    tail_.clear();
  }

  bool assertionEnded(const Catch::AssertionStats& stats) override {
    const auto* env = tenant::e2e::TenantEnv::IfStarted();
    if (tail_.empty() && env != nullptr && !stats.assertionResult.isOk()) {
      tail_ = "---- tenant-operator log at the first failure of this test case (last lines of " +
              env->operator_log().string() + "):\n" + env->OperatorLogTail(80) + "----\n";
    }
    return true;
  }

  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    if (!tail_.empty()) Catch::cout() << tail_ << std::flush;
    TestEventListenerBase::testCaseEnded(stats);
  }

 private:
  std::string tail_;
};

}  // namespace

CATCH_REGISTER_LISTENER(OperatorLogOnFailure)
