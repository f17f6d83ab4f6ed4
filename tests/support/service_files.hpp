#pragma once
// Small helpers shared by the service starters: reading what tests/services/*.sh wrote.
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>

namespace tenant::test {

// Parses the `export KEY='value'` lines of a DIR/env file written by tests/services/*.sh.
std::map<std::string, std::string> ReadEnvFile(const std::filesystem::path& file);

// env.at(key), but the error names the key and the file.
std::string EnvValue(const std::map<std::string, std::string>& env, const std::string& key,
                     const std::filesystem::path& file);

// The last `lines` lines of a text file ("" if it does not exist).
std::string TailFile(const std::filesystem::path& file, std::size_t lines);

// Absolute path of a script under tests/services/ in the source tree.
std::filesystem::path ServiceScript(const std::string& name);

}  // namespace tenant::test
