// The self-signed token: the same bytes on every system; only the signature needs a crypto library.

#include "core/base64.hpp"
#include "portal/smartvault/signing.hpp"

namespace taxsync::portal::smartvault {
namespace {

void append_length(std::string& out, std::size_t length) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((length >> shift) & 0xFFU));
}

}  // namespace

std::string self_signed_prefix(std::string_view app_id, std::string_view nonce) {
    std::string out = "SLF00";
    append_length(out, app_id.size());
    out += app_id;
    append_length(out, nonce.size());
    out += nonce;
    return out;
}

Expected<std::string> self_signed_token(const PrivateKey& key, std::string_view app_id, std::string_view nonce) {
    const std::string prefix = self_signed_prefix(app_id, nonce);
    auto signature = key.sign(prefix);
    if (signature.has_error()) return unexpected(std::move(signature).error());
    return base64_encode(prefix + *signature);
}

}  // namespace taxsync::portal::smartvault
