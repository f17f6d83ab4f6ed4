#pragma once
// tenant-api subcommands. Each returns the process exit code: 0 ok, 1 runtime failure,
// 2 usage or configuration error.
#include <string>
#include <vector>

namespace tenant::api::app {

int Main(const std::vector<std::string>& args);

int RunServe(const std::vector<std::string>& args);
int RunMigrate(const std::vector<std::string>& args);
int RunCheckConfig(const std::vector<std::string>& args);
int RunCreateUser(const std::vector<std::string>& args);

}  // namespace tenant::api::app
