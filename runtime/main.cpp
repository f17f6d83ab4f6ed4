// tenant-api entry point: subcommands live in runtime/app/commands.cpp.
#include <string>
#include <vector>

#include "runtime/app/commands.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return tenant::api::app::Main(args);
}
