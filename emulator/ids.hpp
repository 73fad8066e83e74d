#pragma once
// CWGuid values: GUID-shaped ids (8-4-4-4-12 lowercase hex, version 4 layout). The n-th id is a
// pure function of (seed, n), so a run with a fixed --seed hands out the same ids every time, and a
// restarted emulator on the same database continues its counter instead of repeating ids.

#include <cstdint>
#include <string>
#include <string_view>

namespace taxsync::emulator {

class GuidGenerator {
public:
    explicit GuidGenerator(std::uint64_t seed) : seed_(seed) {}

    [[nodiscard]] std::string guid_for(std::uint64_t counter) const;
    [[nodiscard]] std::uint64_t seed() const { return seed_; }

private:
    std::uint64_t seed_;
};

/// A fixed id for a fixed name (the predefined roles keep their ids across resets and seeds).
std::string guid_from_name(std::string_view name);

/// SplitMix64 finaliser: a cheap, well-mixed 64-bit hash.
std::uint64_t mix64(std::uint64_t value);

}  // namespace taxsync::emulator
