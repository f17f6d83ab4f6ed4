// JSON body validation: ParseJsonText + JsonObject on arbitrary bytes. Only HttpError may
// escape, always with a 4xx status, and 422s must list at least one field error.
#include <cstdint>
#include <cstdlib>

#include "runtime/server/json_body.hpp"

using namespace tenant::api::server;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  JsonLimits limits;
  limits.max_depth = 8;
  try {
    auto value = ParseJsonText("application/json", body, limits);
    if (JsonDepth(value) > limits.max_depth) abort();
    JsonObject in(value);
    in.RequiredString("name", {1, 32});
    in.OptionalInt("quantity", {1, 1000});
    in.OptionalBool("active");
    if (const auto* arr = in.RequiredArray("items")) {
      std::size_t i = 0;
      for (const auto& item : *arr) {
        JsonObject sub(item, "items[" + std::to_string(i++) + "].", &in.mutable_errors());
        sub.RequiredInt("id");
        sub.CheckUnknown();
      }
    }
    in.Finish();
  } catch (const HttpError& e) {
    if (e.status() < 400 || e.status() >= 500) abort();
    if (e.status() == 422 && e.errors().empty()) abort();
  }
  return 0;
}
