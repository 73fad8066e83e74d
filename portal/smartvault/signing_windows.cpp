// SmartVault's RSA-SHA256 signing on Windows: not built yet (Debian ships no OpenSSL for mingw; the
// way forward is the system's NCrypt). Every use fails with a message that says so.

#include "portal/smartvault/signing.hpp"

namespace taxsync::portal::smartvault {
namespace {

Error not_yet() {
    return {ErrorKind::Rejected,
            "SmartVault's RSA-signed sign-in is not available in the Windows build of taxsync yet; run taxsync on "
            "Linux for a SmartVault portal"};
}

}  // namespace

void PrivateKey::Free::operator()(evp_pkey_st* /*key*/) const {}

Expected<PrivateKey> PrivateKey::from_pem(std::string_view /*pem*/) { return unexpected(not_yet()); }

Expected<std::string> PrivateKey::sign(std::string_view /*data*/) const { return unexpected(not_yet()); }

Expected<std::string> read_private_key_file(const std::filesystem::path& /*file*/) { return unexpected(not_yet()); }

}  // namespace taxsync::portal::smartvault
