#include "tests/support/service_files.hpp"

#include <deque>
#include <fstream>
#include <stdexcept>

namespace tenant::test {

std::map<std::string, std::string> ReadEnvFile(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::map<std::string, std::string> values;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("export ", 0) == 0) line.erase(0, 7);
    auto eq = line.find('=');
    if (eq == std::string::npos || line.empty() || line[0] == '#') continue;
    std::string value = line.substr(eq + 1);
    // The scripts single-quote values and guarantee there is no quote inside.
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
      value = value.substr(1, value.size() - 2);
    }
    values[line.substr(0, eq)] = value;
  }
  return values;
}

std::string EnvValue(const std::map<std::string, std::string>& env, const std::string& key,
                     const std::filesystem::path& file) {
  auto it = env.find(key);
  if (it == env.end()) throw std::runtime_error(key + " missing in " + file.string());
  return it->second;
}

std::string TailFile(const std::filesystem::path& file, std::size_t lines) {
  std::ifstream in(file);
  std::deque<std::string> tail;
  std::string line;
  while (std::getline(in, line)) {
    tail.push_back(line);
    if (tail.size() > lines) tail.pop_front();
  }
  std::string out;
  for (const auto& l : tail) out += l + "\n";
  return out;
}

std::filesystem::path ServiceScript(const std::string& name) {
  auto path = std::filesystem::path(TENANT_SOURCE_DIR) / "tests" / "services" / name;
  if (!std::filesystem::exists(path)) throw std::runtime_error("missing " + path.string());
  return path;
}

}  // namespace tenant::test
