#include "operator/kube/objects.hpp"

#include <stdexcept>

namespace tenant::kube {
namespace {

std::string MetaString(const Json& obj, const char* field) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return {};
  auto f = m->find(field);
  return (f != m->end() && f->is_string()) ? f->get<std::string>() : std::string();
}

std::string GroupOf(std::string_view api_version) {
  auto slash = api_version.find('/');
  return slash == std::string_view::npos ? std::string() : std::string(api_version.substr(0, slash));
}

const Json* ControllerRefOf(const Json& obj) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return nullptr;
  auto refs = m->find("ownerReferences");
  if (refs == m->end() || !refs->is_array()) return nullptr;
  for (const auto& r : *refs) {
    if (r.is_object() && r.value("controller", false)) return &r;
  }
  return nullptr;
}

}  // namespace

std::string Namespace(const Json& obj) { return MetaString(obj, "namespace"); }
std::string Name(const Json& obj) { return MetaString(obj, "name"); }
std::string Uid(const Json& obj) { return MetaString(obj, "uid"); }
std::string ResourceVersion(const Json& obj) { return MetaString(obj, "resourceVersion"); }

long long Generation(const Json& obj) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return 0;
  auto g = m->find("generation");
  return (g != m->end() && g->is_number_integer()) ? g->get<long long>() : 0;
}

bool IsBeingDeleted(const Json& obj) { return !MetaString(obj, "deletionTimestamp").empty(); }

Json ControllerReference(const Json& owner) {
  return Json{{"apiVersion", owner.value("apiVersion", "")},
              {"kind", owner.value("kind", "")},
              {"name", Name(owner)},
              {"uid", Uid(owner)},
              {"controller", true},
              {"blockOwnerDeletion", true}};
}

void SetControllerReference(Json& obj, const Json& owner) {
  Json ref = ControllerReference(owner);
  if (const Json* existing = ControllerRefOf(obj); existing && existing->value("uid", "") != ref["uid"]) {
    throw std::logic_error("object " + Name(obj) + " is already controlled by " +
                           existing->value("kind", "") + "/" + existing->value("name", ""));
  }
  Json& refs = obj["metadata"]["ownerReferences"];
  if (!refs.is_array()) refs = Json::array();
  const std::string group = GroupOf(ref["apiVersion"].get<std::string>());
  for (auto& r : refs) {
    // Same owner identity (group, kind, name) is replaced in place, as controller-runtime does.
    if (GroupOf(r.value("apiVersion", "")) == group && r.value("kind", "") == ref["kind"] &&
        r.value("name", "") == ref["name"]) {
      r = ref;
      return;
    }
  }
  refs.push_back(std::move(ref));
}

bool IsControlledBy(const Json& obj, std::string_view owner_uid) {
  const Json* ref = ControllerRefOf(obj);
  return ref && ref->value("uid", "") == owner_uid;
}

bool HasFinalizer(const Json& obj, std::string_view finalizer) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return false;
  auto f = m->find("finalizers");
  if (f == m->end() || !f->is_array()) return false;
  for (const auto& v : *f) {
    if (v.is_string() && v.get<std::string>() == finalizer) return true;
  }
  return false;
}

namespace {
constexpr int kFinalizerAttempts = 5;

// JSON patch guarded by a resourceVersion test: the server rejects it (Invalid / Conflict)
// if the object changed since it was read, so concurrent finalizer edits are never lost.
Json GuardedPatch(const Json& obj, Json ops) {
  Json patch = Json::array();
  patch.push_back({{"op", "test"}, {"path", "/metadata/resourceVersion"}, {"value", ResourceVersion(obj)}});
  for (auto& op : ops) patch.push_back(std::move(op));
  return patch;
}

bool IsPreconditionFailure(const std::exception& e) {
  // A failed JSON patch "test" comes back as 422 Invalid (or 409 on some paths).
  return IsConflict(e) || IsInvalid(e);
}
}  // namespace

Json AddFinalizer(Client& c, const Resource& r, const Json& obj_in, std::string_view finalizer) {
  Json obj = obj_in;
  for (int attempt = 0;; ++attempt) {
    if (HasFinalizer(obj, finalizer)) return obj;
    Json ops = Json::array();
    auto m = obj.find("metadata");
    bool has_list = m != obj.end() && m->contains("finalizers") && (*m)["finalizers"].is_array();
    if (has_list) {
      ops.push_back({{"op", "add"}, {"path", "/metadata/finalizers/-"}, {"value", finalizer}});
    } else {
      ops.push_back({{"op", "add"}, {"path", "/metadata/finalizers"}, {"value", Json::array({finalizer})}});
    }
    try {
      return c.Patch(r, Namespace(obj), Name(obj), PatchType::kJsonPatch, GuardedPatch(obj, std::move(ops)));
    } catch (const ApiError& e) {
      if (!IsPreconditionFailure(e) || attempt + 1 >= kFinalizerAttempts) throw;
      obj = c.Get(r, Namespace(obj), Name(obj));
    }
  }
}

Json RemoveFinalizer(Client& c, const Resource& r, const Json& obj_in, std::string_view finalizer) {
  Json obj = obj_in;
  for (int attempt = 0;; ++attempt) {
    if (!HasFinalizer(obj, finalizer)) return obj;
    const auto& list = obj["metadata"]["finalizers"];
    Json ops = Json::array();
    for (std::size_t i = list.size(); i-- > 0;) {  // from the end so indexes stay valid
      if (list[i].is_string() && list[i].get<std::string>() == finalizer) {
        std::string path = "/metadata/finalizers/" + std::to_string(i);
        ops.push_back({{"op", "test"}, {"path", path}, {"value", finalizer}});
        ops.push_back({{"op", "remove"}, {"path", path}});
      }
    }
    try {
      return c.Patch(r, Namespace(obj), Name(obj), PatchType::kJsonPatch, GuardedPatch(obj, std::move(ops)));
    } catch (const ApiError& e) {
      if (IsNotFound(e)) return Json();
      if (!IsPreconditionFailure(e) || attempt + 1 >= kFinalizerAttempts) throw;
      try {
        obj = c.Get(r, Namespace(obj), Name(obj));
      } catch (const ApiError& g) {
        if (IsNotFound(g)) return Json();
        throw;
      }
    }
  }
}

Json UpdateStatusWithRetry(Client& c, const Resource& r, std::string_view ns, std::string_view name,
                           const std::function<bool(Json&)>& mutate, int attempts) {
  for (int attempt = 0;; ++attempt) {
    Json obj = c.Get(r, ns, name);
    if (!mutate(obj)) return obj;
    try {
      return c.UpdateStatus(r, ns, obj);
    } catch (const ApiError& e) {
      if (!IsConflict(e) || attempt + 1 >= attempts) throw;
    }
  }
}

Json Client::ListEach(const Resource& r, std::string_view ns, const ListOptions& opts,
                      const std::function<void(Json&&)>& on_item) {
  Json page = List(r, ns, opts);
  if (auto items = page.find("items"); items != page.end() && items->is_array()) {
    for (auto& item : *items) on_item(std::move(item));
    *items = Json::array();
  }
  return page;
}

std::optional<Json> Client::GetOrNull(const Resource& r, std::string_view ns, std::string_view name) {
  try {
    return Get(r, ns, name);
  } catch (const NotFoundError&) {
    return std::nullopt;
  }
}

}  // namespace tenant::kube
