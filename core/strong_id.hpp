#pragma once
// Strong id types: a ContactId cannot be passed where an EntityId is expected.

#include <fmt/format.h>

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <utility>

namespace taxsync {

template <class Tag, class T = std::string>
class StrongId {
public:
    using value_type = T;

    StrongId() = default;
    explicit StrongId(T value) : value_(std::move(value)) {}

    [[nodiscard]] const T& value() const { return value_; }

    friend bool operator==(const StrongId&, const StrongId&) = default;
    friend auto operator<=>(const StrongId&, const StrongId&) = default;
    friend std::ostream& operator<<(std::ostream& out, const StrongId& id) { return out << id.value_; }

private:
    T value_{};
};

// Portal-side identifiers (opaque strings chosen by the portal).
using EntityId = StrongId<struct EntityIdTag>;
using ContactId = StrongId<struct ContactIdTag>;
using GroupId = StrongId<struct GroupIdTag>;
using FolderId = StrongId<struct FolderIdTag>;
using RoleId = StrongId<struct RoleIdTag>;

// taxsync-side identifiers.
using ClientId = StrongId<struct ClientIdTag>;            // as the tax package writes it: leading zeros matter
using ConnectorName = StrongId<struct ConnectorNameTag>;  // the [[connector]] name in the config
using CycleId = StrongId<struct CycleIdTag, std::int64_t>;
using OperationId = StrongId<struct OperationIdTag, std::int64_t>;

}  // namespace taxsync

template <class Tag, class T>
struct std::hash<taxsync::StrongId<Tag, T>> {
    std::size_t operator()(const taxsync::StrongId<Tag, T>& id) const noexcept { return std::hash<T>{}(id.value()); }
};

template <class Tag, class T>
struct fmt::formatter<taxsync::StrongId<Tag, T>> : fmt::formatter<T> {
    template <class FormatContext>
    auto format(const taxsync::StrongId<Tag, T>& id, FormatContext& context) const {
        return fmt::formatter<T>::format(id.value(), context);
    }
};
