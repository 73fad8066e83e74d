#include "core/digest.hpp"

namespace taxsync {

std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    // Written into place: a digest per row of every export goes through here, and appending a
    // character at a time cost more than the digest's own hex digits needed.
    std::string out(bytes.size() * 2, '\0');
    char* next = out.data();
    for (const unsigned char byte : bytes) {
        *next++ = digits[byte >> 4U];
        *next++ = digits[byte & 0x0FU];
    }
    return out;
}

}  // namespace taxsync
