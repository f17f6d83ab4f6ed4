#include "operator/kube/backoff.hpp"

#include <algorithm>
#include <random>

namespace tenant::kube {

Backoff::Backoff(Params p, std::function<double()> rand01) : p_(p), rand01_(std::move(rand01)), base_(p.initial) {
  if (!rand01_) {
    rand01_ = [gen = std::mt19937_64(std::random_device{}())]() mutable {
      return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
    };
  }
}

std::chrono::milliseconds Backoff::Next(Clock::time_point now) {
  if (has_last_ && now - last_failure_ >= p_.reset_after) base_ = p_.initial;
  const auto base = base_;
  has_last_ = true;
  last_failure_ = now;
  auto grown = std::chrono::milliseconds(static_cast<long long>(static_cast<double>(base_.count()) * p_.factor));
  base_ = std::min(grown, p_.max);
  auto jitter = std::chrono::milliseconds(static_cast<long long>(rand01_() * p_.jitter * static_cast<double>(base.count())));
  return base + jitter;
}

}  // namespace tenant::kube
