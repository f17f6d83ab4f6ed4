#include "runtime/db/backoff.hpp"

#include <algorithm>
#include <random>

namespace tenant::api::db {

std::chrono::milliseconds BackoffDelay(unsigned attempt, std::chrono::milliseconds initial,
                                       std::chrono::milliseconds max, double random_fraction) {
  // Cap the exponent so the shift never overflows; 2^20 * initial is far beyond any max.
  const unsigned exponent = std::min(attempt, 20u);
  const int64_t ceiling = std::min<int64_t>(max.count(), initial.count() << exponent);
  const double fraction = std::clamp(random_fraction, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(ceiling) * fraction));
}

std::chrono::milliseconds BackoffDelay(unsigned attempt, std::chrono::milliseconds initial,
                                       std::chrono::milliseconds max) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  return BackoffDelay(attempt, initial, max, dist(rng));
}

}  // namespace tenant::api::db
