#include <cstring>
#include <iostream>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--version") == 0) {
      std::cout << "tenant-operator " << TENANT_VERSION << "\n";
      return 0;
    }
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << "Usage: tenant-operator [--help] [--version]\n"
                   "Reconciles tenancy.erp.dev Tenant and DatabaseServer resources.\n";
      return 0;
    }
    std::cerr << "tenant-operator: unknown argument " << argv[i] << " (see --help)\n";
    return 2;
  }
  std::cerr << "tenant-operator: the controller is not built yet; see --help\n";
  return 1;
}
