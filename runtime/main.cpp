#include <cstring>
#include <iostream>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--version") == 0) {
      std::cout << "tenant-api " << TENANT_VERSION << "\n";
      return 0;
    }
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << "Usage: tenant-api [--help] [--version]\n"
                   "Serves one tenant's ERP REST API.\n";
      return 0;
    }
    std::cerr << "tenant-api: unknown argument " << argv[i] << " (see --help)\n";
    return 2;
  }
  std::cerr << "tenant-api: the server is not built yet; see --help\n";
  return 1;
}
