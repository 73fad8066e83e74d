#include "core/base64.hpp"

#include <array>

namespace taxsync {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr int kNotBase64 = -1;

constexpr std::array<int, 256> decoding_table() {
    std::array<int, 256> table{};
    table.fill(kNotBase64);
    for (std::size_t i = 0; i < kAlphabet.size(); ++i)
        table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
    return table;
}
constexpr std::array<int, 256> kDecoding = decoding_table();

}  // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve(4 * ((bytes.size() + 2) / 3));
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const unsigned group = (static_cast<unsigned char>(bytes[i]) << 16U) |
                               (static_cast<unsigned char>(bytes[i + 1]) << 8U) |
                               static_cast<unsigned char>(bytes[i + 2]);
        for (const unsigned shift : {18U, 12U, 6U, 0U}) out += kAlphabet[(group >> shift) & 0x3FU];
    }
    const std::size_t left = bytes.size() - i;
    if (left > 0) {
        unsigned group = static_cast<unsigned char>(bytes[i]) << 16U;
        if (left == 2) group |= static_cast<unsigned char>(bytes[i + 1]) << 8U;
        out += kAlphabet[(group >> 18U) & 0x3FU];
        out += kAlphabet[(group >> 12U) & 0x3FU];
        out += left == 2 ? kAlphabet[(group >> 6U) & 0x3FU] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(3 * (text.size() / 4));
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        // Padding only at the very end: "xx==" or "xxx=".
        const std::size_t padding = !last ? 0 : text[i + 3] != '=' ? 0 : text[i + 2] == '=' ? 2 : 1;
        unsigned group = 0;
        for (std::size_t j = 0; j < 4 - padding; ++j) {
            const int value = kDecoding[static_cast<unsigned char>(text[i + j])];
            if (value == kNotBase64) return std::nullopt;
            group |= static_cast<unsigned>(value) << (18U - 6U * j);
        }
        out += static_cast<char>((group >> 16U) & 0xFFU);
        if (padding < 2) out += static_cast<char>((group >> 8U) & 0xFFU);
        if (padding < 1) out += static_cast<char>(group & 0xFFU);
    }
    if (base64_encode(out) != text) return std::nullopt;  // only canonical text (no stray bits)
    return out;
}

}  // namespace taxsync
