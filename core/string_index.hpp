#pragma once
// A hash index from short string keys (client ids) to small values, for reads that look up
// hundreds of thousands of keys once each. Entries live in one vector and the open-addressed
// slots in another, so a look-up costs a cache miss or two instead of walking a chain of
// separately allocated nodes (std::unordered_map was a tenth of a 100,000-client cycle).
// Nothing is ever erased: a caller marks an entry unused in its value instead.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taxsync {

template <class Value>
class StringIndex {
public:
    struct Entry {
        std::string key;
        std::size_t hash = 0;
        Value value{};
    };

    /// Room for `count` keys without growing.
    void reserve(std::size_t count) {
        entries_.reserve(count);
        if (slots_.size() < slot_count_for(count)) rebuild(slot_count_for(count));
    }

    /// The value of `key`, inserted value-initialized when missing; `inserted` tells which. The
    /// reference stays valid until the next insertion.
    std::pair<Value&, bool> try_emplace(std::string_view key) {
        const std::size_t hash = std::hash<std::string_view>{}(key);
        if (!slots_.empty()) {
            if (const std::uint32_t entry = slots_[find_slot(key, hash)]; entry != 0) {
                return {entries_[entry - 1].value, false};
            }
        }
        if (slot_count_for(entries_.size() + 1) > slots_.size()) rebuild(slot_count_for(entries_.size() + 1) * 2);
        entries_.push_back(Entry{std::string(key), hash, Value{}});
        slots_[find_slot(key, hash)] = static_cast<std::uint32_t>(entries_.size());
        return {entries_.back().value, true};
    }

    /// The value of `key`, or null.
    [[nodiscard]] const Value* find(std::string_view key) const {
        if (slots_.empty()) return nullptr;
        const std::uint32_t slot = find_slot(key, std::hash<std::string_view>{}(key));
        return slots_[slot] == 0 ? nullptr : &entries_[slots_[slot] - 1].value;
    }

    /// Every entry, in the order of insertion.
    [[nodiscard]] const std::vector<Entry>& entries() const { return entries_; }
    [[nodiscard]] std::vector<Entry>& entries() { return entries_; }
    [[nodiscard]] std::size_t size() const { return entries_.size(); }

private:
    // At most half full: linear probing stays short.
    static std::size_t slot_count_for(std::size_t count) {
        std::size_t slots = 16;
        while (slots < count * 2) slots *= 2;
        return slots;
    }

    /// The slot holding `key`, or the empty slot where it would go. Needs a non-empty slot table.
    [[nodiscard]] std::uint32_t find_slot(std::string_view key, std::size_t hash) const {
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t slot = hash & mask;; slot = (slot + 1) & mask) {
            const std::uint32_t entry = slots_[slot];
            if (entry == 0) return static_cast<std::uint32_t>(slot);
            const Entry& candidate = entries_[entry - 1];
            if (candidate.hash == hash && candidate.key == key) return static_cast<std::uint32_t>(slot);
        }
    }

    void rebuild(std::size_t slot_count) {
        slots_.assign(slot_count, 0);
        const std::size_t mask = slot_count - 1;
        for (std::size_t index = 0; index < entries_.size(); ++index) {
            std::size_t slot = entries_[index].hash & mask;
            while (slots_[slot] != 0) slot = (slot + 1) & mask;
            slots_[slot] = static_cast<std::uint32_t>(index + 1);
        }
    }

    std::vector<Entry> entries_;
    std::vector<std::uint32_t> slots_;  // 0: empty; otherwise the index into entries_ plus one
};

}  // namespace taxsync
