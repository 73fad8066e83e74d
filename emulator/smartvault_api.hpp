#pragma once
// The SmartVault REST dialect as fixed in shared/portal-dialects/smartvault.md: the response
// envelope (a data error is an HTTP 200 with error.success == false), autonomous authentication
// (nonce, an RSA-SHA256 self-signed client token verified with the app's public key, delegation
// token), firm clients with persons and unique aliases, Client Contacts membership as the
// invitation, template folders with per-group access, and the User Activation email template.
//
// Like the CaseWare dialect, a request goes through admit() (routing and authentication) and
// apply() (the change), so injected latency can sit between them.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/clock.hpp"
#include "core/expected.hpp"
#include "emulator/http_message.hpp"
#include "emulator/portal_store.hpp"
#include "emulator/smartvault_store.hpp"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace taxsync::emulator {

struct SmartvaultRequest {
    std::string method;
    std::vector<std::string> segments;  // decoded path segments
    QueryParameters query;
    std::optional<std::string> authorization;
    std::string body;
};

struct SmartvaultCredentials {
    std::string app_id;
    std::string public_key_pem;  // the app's RSA public key
    std::chrono::seconds client_token_ttl{86'400};
    std::chrono::seconds delegation_token_ttl{14 * 86'400};
};

/// An app's RSA public key; refuses text that is not a PEM public key.
class PublicKey {
public:
    static Expected<PublicKey> from_pem(std::string_view pem);
    /// RSA-SHA256 (PKCS #1 v1.5) verification of `signature` over `data`.
    [[nodiscard]] bool verifies(std::string_view data, std::string_view signature) const;

private:
    struct Free {
        void operator()(evp_pkey_st* key) const;
    };
    std::shared_ptr<evp_pkey_st> key_;
};

/// A routed, authenticated SmartVault call.
struct SmartvaultCall {
    SmartvaultRequest request;
    std::string user_email;  // whom the delegation token acts for ("" for auth calls)
};

class SmartvaultApi {
public:
    SmartvaultApi(PortalStore& mail, SmartvaultStore& store, const Clock& clock, SmartvaultCredentials credentials,
                  PublicKey key);

    std::variant<Reply, SmartvaultCall> admit(SmartvaultRequest request);
    Reply apply(const SmartvaultCall& call);

private:
    Reply dispatch(const SmartvaultCall& call);
    Reply issue_nonce(const SmartvaultRequest& request);
    Reply issue_client_token(const SmartvaultRequest& request);
    Reply issue_delegation_token(const SmartvaultRequest& request);

    Reply clients(const SmartvaultCall& call);
    Reply client(const SmartvaultCall& call, const std::string& client_id);
    Reply group(const SmartvaultCall& call);
    Reply path(const SmartvaultCall& call);
    Reply client_template(const SmartvaultCall& call);
    Reply email_template(const SmartvaultCall& call);

    std::string new_token();

    PortalStore& mail_;
    SmartvaultStore& store_;
    const Clock& clock_;
    SmartvaultCredentials credentials_;
    PublicKey key_;
    std::uint64_t next_instance_ = 1;
};

/// HTTP Basic credentials "user:password" from an Authorization header value.
std::optional<std::pair<std::string, std::string>> basic_credentials(std::string_view header);

}  // namespace taxsync::emulator
