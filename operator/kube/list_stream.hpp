#pragma once

#include <functional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tenant::kube {

// Parses a List response (`{"kind":"...List","metadata":{...},"items":[...]}`), handing each
// element of `items` to `on_item` as soon as it is parsed and dropping it from the tree, so
// the whole list is never held parsed at once: a nlohmann::json tree is ~10x its text, and
// an informer's first LIST (resourceVersion=0) is answered from the API server's watch
// cache, which ignores `limit` — one "page" holds every object of the resource.
// Returns the List with an empty `items` (metadata.resourceVersion, metadata.continue), or
// a discarded value when `text` is not valid JSON (the items before the error have been
// handed over then: discard them).
nlohmann::json ParseListItems(std::string_view text, const std::function<void(nlohmann::json&&)>& on_item);

}  // namespace tenant::kube
