#pragma once

#include <chrono>
#include <cstdint>

namespace tenant::api::db {

// Exponential backoff with "full jitter" (AWS architecture blog): the n-th retry waits a
// uniformly random time in [0, min(max, initial * 2^n)]. Pure: the random draw is passed
// in as a fraction in [0, 1) so tests can pin it.
std::chrono::milliseconds BackoffDelay(unsigned attempt, std::chrono::milliseconds initial,
                                       std::chrono::milliseconds max, double random_fraction);

// Same with a thread-local random source.
std::chrono::milliseconds BackoffDelay(unsigned attempt, std::chrono::milliseconds initial,
                                       std::chrono::milliseconds max);

}  // namespace tenant::api::db
