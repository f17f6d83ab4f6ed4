#include "operator/specs/quantity.hpp"

#include <cctype>
#include <string>
#include <string_view>

namespace tenant::specs {
namespace {

using i128 = __int128;

bool MulOverflows(i128 a, i128 b, i128* out) { return __builtin_mul_overflow(a, b, out); }

// Multiplies by 10^exp (exp may be negative: divides, rounding up).
std::optional<i128> ScaleDecimal(i128 value, int exp) {
  for (; exp > 0; --exp) {
    if (MulOverflows(value, 10, &value)) return std::nullopt;
  }
  for (; exp < 0; ++exp) value = value / 10 + (value % 10 != 0 ? 1 : 0);
  return value;
}

// Suffix -> (power of ten, power of two). Mirrors k8s.io/apimachinery's suffixer.
std::optional<std::pair<int, int>> Suffix(std::string_view s) {
  if (s.empty()) return std::pair{0, 0};
  if (s.size() == 2 && s[1] == 'i') {
    switch (s[0]) {
      case 'K': return std::pair{0, 10};
      case 'M': return std::pair{0, 20};
      case 'G': return std::pair{0, 30};
      case 'T': return std::pair{0, 40};
      case 'P': return std::pair{0, 50};
      case 'E': return std::pair{0, 60};
      default: return std::nullopt;
    }
  }
  if (s.size() == 1) {
    switch (s[0]) {
      case 'n': return std::pair{-9, 0};
      case 'u': return std::pair{-6, 0};
      case 'm': return std::pair{-3, 0};
      case 'k': return std::pair{3, 0};
      case 'M': return std::pair{6, 0};
      case 'G': return std::pair{9, 0};
      case 'T': return std::pair{12, 0};
      case 'P': return std::pair{15, 0};
      case 'E': return std::pair{18, 0};
      default: break;
    }
  }
  if (s[0] == 'e' || s[0] == 'E') {
    std::string_view digits = s.substr(1);
    bool negative = false;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
      negative = digits[0] == '-';
      digits.remove_prefix(1);
    }
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    int exp = 0;
    for (char c : digits) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      exp = exp * 10 + (c - '0');
    }
    return std::pair{negative ? -exp : exp, 0};
  }
  return std::nullopt;
}

std::optional<i128> ParseString(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  i128 mantissa = 0;
  int fraction_digits = 0;
  bool seen_digit = false, seen_point = false;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.' && !seen_point) {
      seen_point = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) break;
    seen_digit = true;
    if (MulOverflows(mantissa, 10, &mantissa)) return std::nullopt;
    mantissa += c - '0';
    if (seen_point) ++fraction_digits;
  }
  if (!seen_digit) return std::nullopt;
  auto suffix = Suffix(s.substr(i));
  if (!suffix) return std::nullopt;
  i128 value = mantissa;
  for (int b = 0; b < suffix->second; ++b) {
    if (MulOverflows(value, 2, &value)) return std::nullopt;
  }
  auto nanos = ScaleDecimal(value, suffix->first + 9 - fraction_digits);
  if (!nanos) return std::nullopt;
  return negative ? -*nanos : *nanos;
}

}  // namespace

std::optional<__int128> QuantityNanos(const nlohmann::json& q) {
  if (q.is_number_integer()) return ScaleDecimal(q.get<std::int64_t>(), 9);
  if (q.is_string()) return ParseString(q.get_ref<const std::string&>());
  return std::nullopt;
}

bool SameQuantity(const nlohmann::json& a, const nlohmann::json& b) {
  if (a == b) return true;
  auto x = QuantityNanos(a);
  auto y = QuantityNanos(b);
  return x && y && *x == *y;
}

}  // namespace tenant::specs
