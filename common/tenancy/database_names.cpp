#include "common/tenancy/database_names.hpp"

namespace tenant::tenancy {

bool IsValidTenantId(std::string_view id) {
  if (id.empty() || id.size() > 40) return false;
  if (id[0] < 'a' || id[0] > 'z') return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace tenant::tenancy
