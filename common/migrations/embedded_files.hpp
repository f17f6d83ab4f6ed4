#pragma once

#include <span>
#include <string_view>

namespace tenant::migrations::detail {

// One file of runtime/migrations/ as embedded by cmake/EmbedMigrations.cmake (the
// definition of EmbeddedFiles() is generated at build time into the build directory).
struct EmbeddedFile {
  std::string_view file_name;
  std::string_view contents;
  std::string_view sha256;  // computed by CMake's file(SHA256) at build time
};

std::span<const EmbeddedFile> EmbeddedFiles();

}  // namespace tenant::migrations::detail
