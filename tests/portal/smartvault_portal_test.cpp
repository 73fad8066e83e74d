// Logic of the SmartVault adapter against a scripted HTTP client: the envelope, token renewal,
// adoption through the alias, and the text form of the email template. The real HTTP path is
// proven against the emulator in tests/integration.

#include "portal/smartvault/smartvault_portal.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "core/base64.hpp"
#include "portal/smartvault/email_template.hpp"
#include "tests/support/fake_http.hpp"
#include "tests/support/manual_clock.hpp"
#include "tests/support/rsa_keys.hpp"
#include "tests/support/temp_dir.hpp"

namespace taxsync::portal::smartvault {
namespace {

using nlohmann::json;
using testing::respond;

const taxsync::testing::RsaKeyPair& keys() {
    static const taxsync::testing::RsaKeyPair pair = taxsync::testing::generate_rsa_key_pair();
    return pair;
}

std::string ok_envelope(const json& message) {
    return json{{"error", {{"success", true}}}, {"message", message}}.dump();
}
std::string failure_envelope(const std::string& text) {
    return json{{"error", {{"success", false}, {"error_text", text}}}, {"message", nullptr}}.dump();
}

/// Answers the three sign-in calls; `api` answers the rest.
Expected<HttpResponse, TransportError> sign_in_or(const HttpRequest& request,
                                                  const std::function<HttpResponse(const HttpRequest&)>& api) {
    if (request.url.ends_with("/auto/auth/nonce/1"))
        return respond(200, ok_envelope({{"code", "abcdefghijklmnopqrstuv"}}));
    if (request.url.ends_with("/auto/auth/ctoken/1"))
        return respond(200, ok_envelope({{"token", "ct"}, {"expires_in", 86400}}));
    if (request.url.ends_with("/auto/auth/dtoken/1"))
        return respond(200, ok_envelope({{"token", "dt"}, {"expires_in", 1209600}}));
    return api(request);
}

json listed_client(const std::string& id, const std::string& alias) {
    json client = {{"client_id", id}, {"type_qualifier", "Individual"}, {"persons", json::array()}};
    if (!alias.empty())
        client["aliases"] = json::array({{{"Domain", "taxsync"}, {"Type", "identifier"}, {"Value", alias}}});
    return {{"name", id},
            {"dav_uri", "/nodes/pth/acme/" + id},
            {"entityExProperties", {{"smart_vault", {{"accounting", {{"client", client}}}}}}}};
}

class SmartvaultPortalTest : public ::testing::Test {
protected:
    taxsync::testing::ManualClock clock_;
    Logger log_ = Logger::null();

    std::unique_ptr<SmartvaultPortal> portal(HttpClient& http) {
        Settings settings;
        settings.base_url = "https://rest.smartvault.test";
        settings.account = "acme";
        settings.app_id = "taxsync-app";
        settings.private_key_pem = keys().private_pem;
        settings.admin_email = "admin@firm.example";
        return SmartvaultPortal::create(settings, http, clock_, log_).value();
    }
};

TEST_F(SmartvaultPortalTest, SignsInWithASelfSignedTokenAndActsForTheAdmin) {
    testing::FakeHttp http([](const HttpRequest& request) {
        return sign_in_or(request, [](const HttpRequest&) {
            return respond(200, ok_envelope({{"children", json::array()}}));
        });
    });
    auto sv = portal(http);
    ASSERT_TRUE(sv->connect().has_value());
    const json ctoken = json::parse(http.requests[1].body);
    const auto token = base64_decode(ctoken["token"].get<std::string>());
    ASSERT_TRUE(token.has_value());
    EXPECT_TRUE(token->starts_with(self_signed_prefix("taxsync-app", "abcdefghijklmnopqrstuv")));
    EXPECT_EQ(token->size(), self_signed_prefix("taxsync-app", "abcdefghijklmnopqrstuv").size() + 256);  // RSA-2048
    ASSERT_TRUE(sv->find_entity("lacerte:00101I").has_value());
    bool basic = false;
    for (const auto& [name, value] : http.requests.back().headers) {
        basic = basic || (name == "Authorization" && value == "Basic " + base64_encode("admin@firm.example:dt"));
    }
    EXPECT_TRUE(basic);
}

TEST_F(SmartvaultPortalTest, FailureEnvelopeInHttp200IsAFailureWithItsText) {
    testing::FakeHttp http([](const HttpRequest& request) {
        return sign_in_or(request, [](const HttpRequest& call) {
            if (call.method == "GET") return respond(200, ok_envelope(listed_client("00101I", "lacerte:00101I")));
            return respond(200, failure_envelope("The client is being merged; try later"));
        });
    });
    auto renamed = portal(http)->rename_entity(EntityId("00101I"), "Berg, Thomas");
    ASSERT_TRUE(renamed.has_error());
    EXPECT_EQ(renamed.error().kind, ErrorKind::Rejected);
    EXPECT_NE(renamed.error().message.find("The client is being merged; try later"), std::string::npos);
    EXPECT_EQ(http.count("POST", "FirmClient/00101I"), 1U);  // not retried
}

TEST_F(SmartvaultPortalTest, DuplicateClientIdOnCreateIsAdoptedThroughTheAlias) {
    int lists = 0;
    testing::FakeHttp http([&](const HttpRequest& request) {
        return sign_in_or(request, [&](const HttpRequest& call) {
            if (call.method == "PUT")
                return respond(200, failure_envelope("a client with client ID '00101I' already exists"));
            if (call.url.find("children=1") != std::string::npos) {
                // Someone else created it between our look and our create.
                json children = ++lists == 1 ? json::array() : json::array({listed_client("00101I", "lacerte:00101I")});
                return respond(200, ok_envelope({{"children", children}, {"total_children", children.size()}}));
            }
            return respond(404, failure_envelope("not found"));
        });
    });
    auto sv = portal(http);
    ASSERT_FALSE(sv->find_entity("lacerte:00101I")->has_value());
    auto created = sv->create_entity({"lacerte:00101I", "Berg, Thomas"}, "key");
    ASSERT_TRUE(created.has_value()) << created.error().message;
    EXPECT_EQ(created->outcome, CreateOutcome::AlreadyExisted);
    EXPECT_EQ(created->object.id.value(), "00101I");
    EXPECT_EQ(http.count("PUT", "FirmClient"), 1U);
}

TEST_F(SmartvaultPortalTest, ClientIdHeldByAnotherAliasIsAConflictNotAnAdoption) {
    testing::FakeHttp http([](const HttpRequest& request) {
        return sign_in_or(request, [](const HttpRequest& call) {
            if (call.url.find("children=1") != std::string::npos) {
                return respond(200, ok_envelope({{"children", json::array()}, {"total_children", 0}}));
            }
            return respond(200, ok_envelope(listed_client("00101I", "proseries:00101I")));
        });
    });
    auto found = portal(http)->find_entity("lacerte:00101I");
    ASSERT_TRUE(found.has_error());
    EXPECT_EQ(found.error().kind, ErrorKind::Conflict);
    EXPECT_NE(found.error().message.find("proseries:00101I"), std::string::npos);
    EXPECT_EQ(http.count("POST", "FirmClient"), 0U);
}

TEST_F(SmartvaultPortalTest, InvalidTokenRenewsOnceThenFails) {
    int refusals = 2;
    testing::FakeHttp http([&](const HttpRequest& request) {
        return sign_in_or(request, [&](const HttpRequest&) {
            if (refusals-- > 0) return respond(400, failure_envelope("invalid_token"));
            return respond(200, ok_envelope({{"children", json::array()}, {"total_children", 0}}));
        });
    });
    auto sv = portal(http);
    refusals = 1;
    EXPECT_TRUE(sv->find_contact("ann@example.com").has_value());
    EXPECT_EQ(http.count("POST", "/auto/auth/dtoken/1"), 2U);
    refusals = 2;  // refused again after renewal: not a loop, a failure
    auto again = sv->find_contact("ann@example.com");
    ASSERT_TRUE(again.has_error());
    EXPECT_EQ(http.count("POST", "/auto/auth/dtoken/1"), 3U);
}

TEST_F(SmartvaultPortalTest, ShortClientIdsGetAPrefix) {
    EXPECT_EQ(client_id_for("lacerte:00101I"), "00101I");
    EXPECT_EQ(client_id_for("drake:42"), "TS-42");
}

TEST(SmartvaultEmailTemplate, ParsesSubjectAndBodyAndRefusesUnknownPlaceholders) {
    auto parsed =
        parse_email_template("Subject: %FROMNAME% invites you\r\n\r\nHello,\r\nsee %SUBJECTTEXT%.\r\n", "t.txt");
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_EQ(parsed->subject, "%FROMNAME% invites you");
    EXPECT_EQ(parsed->body, "Hello,\nsee %SUBJECTTEXT%.");
    EXPECT_EQ(parse_email_template(format_email_template(*parsed), "t.txt")->body, parsed->body);

    EXPECT_EQ(parse_email_template("Hello\n\nbody", "t.txt").error().message,
              "t.txt:1: the first line must be \"Subject: <subject>\"");
    EXPECT_EQ(parse_email_template("Subject: x\nbody", "t.txt").error().message,
              "t.txt:2: a blank line must separate the subject from the body");
    EXPECT_NE(parse_email_template("Subject: x\n\nfine\n100% sure, %NAME% here", "t.txt")
                  .error()
                  .message.find("t.txt:4: unknown placeholder %NAME%"),
              std::string::npos);
}

TEST(SmartvaultPrivateKey, FileOthersCanReadIsRefused) {
    taxsync::testing::TempDir dir;
    const auto file = dir.write("app.key", keys().private_pem);
    std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    EXPECT_TRUE(read_private_key_file(file).has_value());
    std::filesystem::permissions(file, std::filesystem::perms::others_read, std::filesystem::perm_options::add);
    auto refused = read_private_key_file(file);
    ASSERT_TRUE(refused.has_error());
    EXPECT_NE(refused.error().message.find("chmod 600"), std::string::npos);
    const auto not_a_key = dir.write("other.key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
    std::filesystem::permissions(not_a_key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    EXPECT_TRUE(read_private_key_file(not_a_key).has_error());
}

}  // namespace
}  // namespace taxsync::portal::smartvault
