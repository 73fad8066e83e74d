// The SmartVault dialect of the emulator, without HTTP: authentication with the signed client
// token, the envelope, firm clients, Client Contacts membership as the invitation, folders and
// their group access, the User Activation template.

#include "emulator/smartvault_api.hpp"

#include <gtest/gtest.h>

#include "core/base64.hpp"
#include "portal/smartvault/signing.hpp"
#include "tests/support/manual_clock.hpp"
#include "tests/support/rsa_keys.hpp"

namespace taxsync::emulator {
namespace {

using nlohmann::json;

const taxsync::testing::RsaKeyPair& app_keys() {
    static const taxsync::testing::RsaKeyPair keys = taxsync::testing::generate_rsa_key_pair();
    return keys;
}

constexpr std::string_view kClients = "/nodes/entity/SmartVault.Accounting.Firm/acme/SmartVault.Accounting.FirmClient";

json client_body(const std::string& id, const std::string& alias, json persons = json::array()) {
    json client = {{"type_qualifier", "Individual"}, {"client_id", id}, {"persons", std::move(persons)}};
    if (!alias.empty())
        client["aliases"] = json::array({{{"Domain", "taxsync"}, {"Type", "identifier"}, {"Value", alias}}});
    return {{"entity",
             {{"meta_data", {{"entity_definition", "SmartVault.Accounting.Client"}}},
              {"smart_vault", {{"accounting", {{"client", client}}}}}}}};
}

class SmartvaultApiTest : public ::testing::Test {
protected:
    taxsync::testing::ManualClock clock_;
    sqlite::Database db_ = sqlite::Database::open_in_memory();
    PortalStore mail_{db_, clock_, 1};
    SmartvaultStore store_{db_, clock_, "acme"};
    SmartvaultApi api_{mail_, store_, clock_,
                       SmartvaultCredentials{"taxsync-app", app_keys().public_pem, std::chrono::seconds(3600),
                                             std::chrono::seconds(7200)},
                       PublicKey::from_pem(app_keys().public_pem).value()};

    Reply send(const std::string& method, std::string_view target, const json& body = nullptr,
               std::optional<std::string> authorization = std::nullopt) {
        const Target split = split_target(target);
        auto admitted =
            api_.admit(SmartvaultRequest{method, split_path(split.path), QueryParameters::parse(split.query),
                                         std::move(authorization), body.is_null() ? "" : body.dump()});
        if (auto* reply = std::get_if<Reply>(&admitted)) return *reply;
        return api_.apply(std::get<SmartvaultCall>(admitted));
    }
    static json envelope(const Reply& reply) { return json::parse(reply.body); }

    std::string client_token(const std::string& private_pem) {
        const std::string nonce =
            envelope(send("POST", "/auto/auth/nonce/1", {{"client_id", "taxsync-app"}}))["message"]["code"];
        const auto key = portal::smartvault::PrivateKey::from_pem(private_pem).value();
        const std::string token = portal::smartvault::self_signed_token(key, "taxsync-app", nonce).value();
        const Reply reply = send("POST", "/auto/auth/ctoken/1", {{"client_id", "taxsync-app"}, {"token", token}});
        const json answer = envelope(reply);
        return answer["error"]["success"].get<bool>() ? answer["message"]["token"].get<std::string>() : std::string();
    }

    /// Basic credentials of the firm admin with a fresh delegation token.
    std::string admin() {
        const std::string client = client_token(app_keys().private_pem);
        const json answer = envelope(send("POST", "/auto/auth/dtoken/1", {{"user_email", "admin@firm.example"}},
                                          "Basic " + base64_encode("taxsync-app:" + client)));
        return "Basic " + base64_encode("admin@firm.example:" + answer["message"]["token"].get<std::string>());
    }
};

TEST_F(SmartvaultApiTest, SignedClientTokenIsAcceptedAndANonceServesOnce) {
    const json nonce = envelope(send("POST", "/auto/auth/nonce/1", {{"client_id", "taxsync-app"}}));
    ASSERT_TRUE(nonce["error"]["success"].get<bool>());
    EXPECT_EQ(nonce["message"]["code"].get<std::string>().size(), 22U);
    const auto key = portal::smartvault::PrivateKey::from_pem(app_keys().private_pem).value();
    const std::string token =
        portal::smartvault::self_signed_token(key, "taxsync-app", nonce["message"]["code"].get<std::string>()).value();
    const Reply first = send("POST", "/auto/auth/ctoken/1", {{"client_id", "taxsync-app"}, {"token", token}});
    EXPECT_EQ(first.status, 200U);
    EXPECT_EQ(envelope(first)["message"]["expires_in"], 3600);
    const Reply replayed = send("POST", "/auto/auth/ctoken/1", {{"client_id", "taxsync-app"}, {"token", token}});
    EXPECT_EQ(replayed.status, 401U);
    EXPECT_NE(envelope(replayed)["error"]["error_text"].get<std::string>().find("nonce"), std::string::npos);
}

TEST_F(SmartvaultApiTest, TokenSignedWithAnotherKeyIsRefused) {
    const auto impostor = taxsync::testing::generate_rsa_key_pair();
    EXPECT_TRUE(client_token(impostor.private_pem).empty());
    const std::string nonce =
        envelope(send("POST", "/auto/auth/nonce/1", {{"client_id", "taxsync-app"}}))["message"]["code"];
    const auto key = portal::smartvault::PrivateKey::from_pem(impostor.private_pem).value();
    const Reply refused = send("POST", "/auto/auth/ctoken/1",
                               {{"client_id", "taxsync-app"},
                                {"token", portal::smartvault::self_signed_token(key, "taxsync-app", nonce).value()}});
    EXPECT_EQ(refused.status, 401U);
    EXPECT_FALSE(envelope(refused)["error"]["success"].get<bool>());
    EXPECT_NE(envelope(refused)["error"]["error_text"].get<std::string>().find("signature does not verify"),
              std::string::npos);
    EXPECT_EQ(send("POST", "/auto/auth/nonce/1", {{"client_id", "someone-else"}}).status, 200U);  // an envelope
    EXPECT_FALSE(envelope(send("POST", "/auto/auth/nonce/1", {{"client_id", "someone-else"}}))["error"]["success"]);
}

TEST_F(SmartvaultApiTest, ExpiredOrUnknownTokenIsHttp400InvalidToken) {
    const std::string credentials = admin();
    EXPECT_EQ(send("GET", std::string(kClients) + "?children=1", nullptr, credentials).status, 200U);
    clock_.advance(std::chrono::hours(3));  // the delegation token lives 2 hours here
    const Reply expired = send("GET", std::string(kClients) + "?children=1", nullptr, credentials);
    EXPECT_EQ(expired.status, 400U);
    EXPECT_EQ(envelope(expired)["error"]["error_text"], "invalid_token");
    EXPECT_EQ(send("GET", kClients, nullptr, "Basic " + base64_encode("admin@firm.example:forged")).status, 400U);
    EXPECT_EQ(send("GET", kClients).status, 400U);
}

TEST_F(SmartvaultApiTest, DuplicateClientIdOrAliasIsAFailureEnvelopeInHttp200) {
    const std::string credentials = admin();
    const Reply made = send("PUT", kClients, client_body("00101I", "lacerte:00101I"), credentials);
    ASSERT_TRUE(envelope(made)["error"]["success"].get<bool>()) << made.body;
    EXPECT_EQ(envelope(made)["message"]["dav_uri"], "/nodes/pth/acme/00101I");

    const Reply same_id = send("PUT", kClients, client_body("00101I", "lacerte:other"), credentials);
    EXPECT_EQ(same_id.status, 200U);
    EXPECT_FALSE(envelope(same_id)["error"]["success"].get<bool>());
    EXPECT_NE(envelope(same_id)["error"]["error_text"].get<std::string>().find("already exists"), std::string::npos);

    const Reply same_alias = send("PUT", kClients, client_body("00102I", "lacerte:00101I"), credentials);
    EXPECT_EQ(same_alias.status, 200U);
    EXPECT_FALSE(envelope(same_alias)["error"]["success"].get<bool>());

    const Reply short_id = send("PUT", kClients, client_body("42", ""), credentials);
    EXPECT_FALSE(envelope(short_id)["error"]["success"].get<bool>());
    EXPECT_EQ(store_.client_count(), 1);

    // The client id is immutable once created.
    const Reply renamed = send("POST", std::string(kClients) + "/00101I", client_body("00999I", ""), credentials);
    EXPECT_FALSE(envelope(renamed)["error"]["success"].get<bool>());
    EXPECT_EQ(send("GET", std::string(kClients) + "/nope", nullptr, credentials).status, 404U);
}

TEST_F(SmartvaultApiTest, ListPagesFromZeroWithTheTotal) {
    const std::string credentials = admin();
    for (int i = 0; i < 5; ++i) send("PUT", kClients, client_body("C000" + std::to_string(i), ""), credentials);
    const json page = envelope(send("GET", std::string(kClients) + "?children=1&eprop=true&page=1&per_page=2", nullptr,
                                    credentials))["message"];
    EXPECT_EQ(page["total_children"], 5);
    ASSERT_EQ(page["children"].size(), 2U);
    EXPECT_EQ(page["children"][0]["name"], "C0002");
    EXPECT_EQ(send("GET", std::string(kClients) + "?children=1&per_page=5000", nullptr, credentials).status, 400U);
}

TEST_F(SmartvaultApiTest, NewClientGetsTheTemplateFoldersWithTheirGroupAccess) {
    const std::string credentials = admin();
    send("PUT", kClients, client_body("00101I", ""), credentials);
    const json children =
        envelope(send("GET", "/nodes/pth/acme/00101I?children=1", nullptr, credentials))["message"]["children"];
    ASSERT_EQ(children.size(), default_client_template().size());
    const json acl =
        envelope(send("GET", "/nodes/pth/acme/00101I/Tax%20Returns?acl=1", nullptr, credentials))["message"]["acl"];
    EXPECT_NE(std::find(acl.begin(), acl.end(), json{{"group", "Client Contacts"}, {"access", "R"}}), acl.end());
    EXPECT_EQ(store_.folder_access("acme/00101I/Firm Working Papers", "Client Contacts"), std::nullopt);

    EXPECT_TRUE(
        envelope(send("PUT", "/nodes/pth/acme/00101I/2025", nullptr, credentials))["error"]["success"].get<bool>());
    EXPECT_EQ(send("PUT", "/nodes/pth/acme/00101I/2026/Inner", nullptr, credentials).status, 404U);  // no parent
    const Reply set = send("PUT", "/nodes/pth/acme/00101I/2025?acl=1",
                           {{"group", "Client Contacts"}, {"access", "RWC"}}, credentials);
    EXPECT_TRUE(envelope(set)["error"]["success"].get<bool>());
    EXPECT_EQ(store_.folder_access("acme/00101I/2025", "Client Contacts"), "RWC");
    const Reply wrong =
        send("PUT", "/nodes/pth/acme/00101I/2025?acl=1", {{"group", "Client Contacts"}, {"access", "X"}}, credentials);
    EXPECT_FALSE(envelope(wrong)["error"]["success"].get<bool>());
}

TEST_F(SmartvaultApiTest, ClientContactsMembershipIsTheInvitationSentOnce) {
    const std::string credentials = admin();
    send("PUT", kClients, client_body("00101I", ""), credentials);
    send("PUT", kClients, client_body("00102C", ""), credentials);
    const std::string member = "/nodes/grp/acme/00101I/groups/Client%20Contacts/Ann%40example.com";
    EXPECT_TRUE(envelope(send("PUT", member, nullptr, credentials))["message"]["added"].get<bool>());
    EXPECT_FALSE(envelope(send("PUT", member, nullptr, credentials))["message"]["added"].get<bool>());  // a no-op
    send("PUT", "/nodes/grp/acme/00102C/groups/Client%20Contacts/ann%40example.com", nullptr, credentials);
    json mail = mail_.mailbox();
    ASSERT_EQ(mail.size(), 2U);
    EXPECT_EQ(mail[0]["kind"], "invitation");
    EXPECT_EQ(mail[0]["to"], "ann@example.com");
    EXPECT_EQ(mail[0]["message"], "admin@firm.example has invited you to the 00101I vault");
    EXPECT_EQ(mail[1]["kind"], "permission_granted");  // a known login is told of the access, not invited again

    const json members = envelope(
        send("GET", "/nodes/grp/acme/00101I/groups/Client%20Contacts", nullptr, credentials))["message"]["members"];
    EXPECT_EQ(members, json::array({{{"email", "ann@example.com"}, {"activated", false}}}));
    EXPECT_TRUE(envelope(send("POST", member + "?resend=1", nullptr, credentials))["error"]["success"].get<bool>());
    EXPECT_EQ(mail_.mailbox().size(), 3U);
    store_.activate_login("ann@example.com");
    EXPECT_FALSE(envelope(send("POST", member + "?resend=1", nullptr, credentials))["error"]["success"].get<bool>());
    EXPECT_EQ(
        send("PUT", "/nodes/grp/acme/00101I/groups/client%20contacts/bob%40example.com", nullptr, credentials).status,
        404U);  // group names are case-sensitive
}

TEST_F(SmartvaultApiTest, UserActivationTemplateIsReadAndUpdatedNeverCreated) {
    const std::string credentials = admin();
    const std::string path = "/nodes/email-template/acme/User%20Activation";
    const json shown = envelope(send("GET", path, nullptr, credentials))["message"];
    EXPECT_NE(shown["subject"].get<std::string>().find("%FROMNAME%"), std::string::npos);
    const json updated =
        envelope(send("POST", path, {{"subject", "Welcome from %FROMNAME%"}, {"body", "Hello"}}, credentials));
    EXPECT_EQ(updated["message"]["subject"], "Welcome from %FROMNAME%");
    EXPECT_FALSE(
        envelope(send("GET", "/nodes/email-template/acme/user%20activation", nullptr, credentials))["error"]["success"]
            .get<bool>());
    EXPECT_EQ(send("PUT", path, {{"subject", "x"}}, credentials).status, 405U);
    EXPECT_FALSE(envelope(send("GET", "/nodes/templates/acme/My%20Templates/SmartVault.accounting.client", nullptr,
                               credentials))["error"]["success"]
                     .get<bool>());
    const json folders = envelope(send("GET", "/nodes/templates/acme/My%20Templates/SmartVault.Accounting.Client",
                                       nullptr, credentials))["message"]["folders"];
    EXPECT_EQ(folders.size(), default_client_template().size());
}

}  // namespace
}  // namespace taxsync::emulator
