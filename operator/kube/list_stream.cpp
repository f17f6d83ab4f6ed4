#include "operator/kube/list_stream.hpp"

#include <string>

namespace tenant::kube {

nlohmann::json ParseListItems(std::string_view text, const std::function<void(nlohmann::json&&)>& on_item) {
  using Event = nlohmann::json::parse_event_t;
  // Depths as nlohmann reports them: the List's own keys are at 1, `items` elements end at 2.
  std::string top_key;
  auto callback = [&](int depth, Event event, nlohmann::json& parsed) {
    if (event == Event::key && depth == 1) {
      top_key = parsed.get<std::string>();
    } else if (event == Event::object_end && depth == 2 && top_key == "items") {
      on_item(std::move(parsed));
      return false;  // discarded: removed from `items` at once
    }
    return true;
  };
  return nlohmann::json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/false);
}

}  // namespace tenant::kube
