#include "detect/registry.h"

namespace sentinel::detect {

void Registry::add(std::string_view name, DetectorFactory factory) {
    entries_.push_back({name, factory});
}

DetectorFactory Registry::find(std::string_view name) const {
    for (const auto& e : entries_) {
        if (e.name == name) {
            return e.factory;
        }
    }
    return nullptr;
}

const Registry& builtin_registry() {
    static const Registry registry = [] {
        Registry r;
        register_builtin(r);
        return r;
    }();
    return registry;
}

}  // namespace sentinel::detect
