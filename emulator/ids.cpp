#include "emulator/ids.hpp"

#include "core/digest.hpp"

namespace taxsync::emulator {
namespace {

std::string format_guid(std::uint64_t high, std::uint64_t low) {
    // Version 4 and RFC 4122 variant bits, so the value passes GUID validators.
    high = (high & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;
    low = (low & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
    static constexpr char digits[] = "0123456789abcdef";
    std::string text;
    text.reserve(36);
    auto append = [&](std::uint64_t value, int nibbles) {
        for (int shift = (nibbles - 1) * 4; shift >= 0; shift -= 4) text.push_back(digits[(value >> shift) & 0xFU]);
    };
    append(high >> 32U, 8);
    text.push_back('-');
    append((high >> 16U) & 0xFFFFU, 4);
    text.push_back('-');
    append(high & 0xFFFFU, 4);
    text.push_back('-');
    append(low >> 48U, 4);
    text.push_back('-');
    append(low & 0xFFFFFFFFFFFFULL, 12);
    return text;
}

std::uint64_t parse_hex64(std::string_view hex) {
    std::uint64_t value = 0;
    for (const char c : hex) {
        const auto digit = static_cast<std::uint64_t>(c >= 'a' ? c - 'a' + 10 : c - '0');
        value = (value << 4U) | digit;
    }
    return value;
}

}  // namespace

std::uint64_t mix64(std::uint64_t value) {
    value += 0x9E3779B97F4A7C15ULL;
    value = (value ^ (value >> 30U)) * 0xBF58476D1CE4E5B9ULL;
    value = (value ^ (value >> 27U)) * 0x94D049BB133111EBULL;
    return value ^ (value >> 31U);
}

std::string GuidGenerator::guid_for(std::uint64_t counter) const {
    const std::uint64_t high = mix64(seed_ ^ mix64(counter));
    const std::uint64_t low = mix64(high ^ mix64(counter + 0x632BE59BD9B4E019ULL));
    return format_guid(high, low);
}

std::string guid_from_name(std::string_view name) {
    const std::string hex = sha256_hex(name);
    return format_guid(parse_hex64(std::string_view(hex).substr(0, 16)),
                       parse_hex64(std::string_view(hex).substr(16, 16)));
}

}  // namespace taxsync::emulator
