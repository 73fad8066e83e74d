#include "portal/caseware/caseware_portal.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/fake_http.hpp"
#include "tests/support/manual_clock.hpp"

namespace taxsync::portal::caseware {
namespace {

using nlohmann::json;
using testing::FakeHttp;
using testing::respond;

bool ends_with(const std::string& text, const std::string& tail) {
    return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

class CasewarePortalTest : public ::testing::Test {
protected:
    CasewarePortal make(FakeHttp& http, bool keys = false) {
        Settings settings;
        settings.base_url = "http://127.0.0.1:9/demo/";
        settings.client_id = "taxsync";
        settings.client_secret = "s3cret-value";
        settings.honours_idempotency_keys = keys;
        settings.retry = {4, Millis{10}, Millis{50}, Millis{60'000}};
        return {settings, http, clock, log};
    }

    // Answers the token call; everything else goes to `rest`.
    FakeHttp::Handler with_auth(FakeHttp::Handler rest) {
        return [this, rest](const HttpRequest& request) -> Expected<HttpResponse, TransportError> {
            if (ends_with(request.url, "/auth/token")) {
                ++tokens_issued;
                return respond(200, json{{"Token", "tok-" + std::to_string(tokens_issued)}}.dump());
            }
            return rest(request);
        };
    }

    testing::ManualClock clock;
    Logger log = Logger::null();
    int tokens_issued = 0;
};

TEST_F(CasewarePortalTest, SignsInWithTheDocumentedBodyAndSendsTheBearer) {
    FakeHttp http(with_auth([](const HttpRequest&) { return respond(200, "[]"); }));
    auto portal = make(http);
    ASSERT_TRUE(portal.find_contact("ann@example.com").has_value());
    ASSERT_EQ(http.requests.size(), 2U);
    const json sign_in = json::parse(http.requests[0].body);
    EXPECT_EQ(sign_in["ClientId"], "taxsync");
    EXPECT_EQ(sign_in["ClientSecret"], "s3cret-value");
    EXPECT_EQ(http.requests[0].url, "http://127.0.0.1:9/demo/ms/caseware-cloud/api/v2/auth/token");
    const auto& headers = http.requests[1].headers;
    EXPECT_NE(std::find(headers.begin(), headers.end(), std::pair<std::string, std::string>{"Authorization", "Bearer tok-1"}),
              headers.end());
}

TEST_F(CasewarePortalTest, SearchQuotesAndEscapesValues) {
    EXPECT_EQ(search_equals("Email", "o'neil@x.com"), "Email='o\\'neil@x.com'");
    EXPECT_EQ(search_equals("Name", "a\\b"), "Name='a\\\\b'");
    FakeHttp http(with_auth([](const HttpRequest&) { return respond(200, "[]"); }));
    auto portal = make(http);
    ASSERT_TRUE(portal.find_contact("o'neil@x.com").has_value());
    EXPECT_NE(http.requests[1].url.find("search=Email%3D%27o%5C%27neil%40x.com%27"), std::string::npos);
}

TEST_F(CasewarePortalTest, RenewsTheTokenBeforeItExpires) {
    FakeHttp http(with_auth([](const HttpRequest&) { return respond(200, "[]"); }));
    auto portal = make(http);
    ASSERT_TRUE(portal.find_entity("lacerte:1").has_value());
    clock.advance(std::chrono::minutes(20));
    ASSERT_TRUE(portal.find_entity("lacerte:1").has_value());
    EXPECT_EQ(tokens_issued, 1);
    clock.advance(std::chrono::minutes(6));  // 26 minutes: inside the 5-minute renewal margin
    ASSERT_TRUE(portal.find_entity("lacerte:1").has_value());
    EXPECT_EQ(tokens_issued, 2);
}

TEST_F(CasewarePortalTest, RenewsOnceWhenTheTokenIsRefusedMidway) {
    int calls = 0;
    FakeHttp http(with_auth([&](const HttpRequest& request) {
        ++calls;
        const bool old_token = std::find(request.headers.begin(), request.headers.end(),
                                         std::pair<std::string, std::string>{"Authorization", "Bearer tok-1"}) !=
                               request.headers.end();
        return old_token ? respond(401, R"({"errors":[{"message":"token expired"}]})") : respond(200, "[]");
    }));
    auto portal = make(http);
    ASSERT_TRUE(portal.find_contact("a@b.co").has_value());
    EXPECT_EQ(tokens_issued, 2);
    EXPECT_EQ(calls, 2);
}

TEST_F(CasewarePortalTest, RefusedCredentialsAreUnauthorizedWithAHint) {
    FakeHttp http([](const HttpRequest&) { return respond(401, R"({"errors":[{"message":"bad secret"}]})"); });
    auto portal = make(http);
    const auto status = portal.connect();
    ASSERT_TRUE(status.has_error());
    EXPECT_EQ(status.error().kind, ErrorKind::Unauthorized);
    EXPECT_NE(status.error().message.find("client id 'taxsync'"), std::string::npos);
    EXPECT_EQ(status.error().message.find("s3cret-value"), std::string::npos);
}

TEST_F(CasewarePortalTest, ServerErrorsOnReadsAreRetriedValidationErrorsAreNot) {
    int gets = 0;
    FakeHttp http(with_auth([&](const HttpRequest& request) {
        if (request.method == "GET") return ++gets < 3 ? respond(502, "") : respond(200, "[]");
        return respond(400, R"({"errors":[{"message":"Name is required"}]})");
    }));
    auto portal = make(http);
    ASSERT_TRUE(portal.find_entity("k").has_value());
    EXPECT_EQ(gets, 3);
    EXPECT_EQ(clock.sleeps().size(), 2U);
    const auto renamed = portal.rename_entity(EntityId("e1"), "");
    ASSERT_TRUE(renamed.has_error());
    EXPECT_EQ(renamed.error().kind, ErrorKind::Rejected);
    EXPECT_NE(renamed.error().message.find("Name is required"), std::string::npos);
    EXPECT_EQ(http.count("PATCH", "/entities/e1"), 1U);
}

TEST_F(CasewarePortalTest, RateLimitHonoursRetryAfter) {
    int posts = 0;
    FakeHttp http(with_auth([&](const HttpRequest& request) {
        if (request.method == "POST") {
            return ++posts == 1 ? respond(429, "", {{"retry-after", "3"}}) : respond(200, "{}");
        }
        return respond(200, "[]");
    }));
    auto portal = make(http);
    ASSERT_TRUE(portal.share_entity(EntityId("e"), ContactId("c"), "Reader").has_error());  // no such role
    ASSERT_TRUE(portal.add_to_group(GroupId("g"), ContactId("c")).has_value());
    EXPECT_TRUE(std::find(clock.sleeps().begin(), clock.sleeps().end(), Millis{3000}) == clock.sleeps().end());
    const auto created = portal.create_entity({"lacerte:1", "Lee"}, "key-1");
    // 429 first, then 200 with "{}" (no CWGuid): the retry happened after exactly the advertised pause.
    EXPECT_EQ(posts, 2);
    EXPECT_NE(std::find(clock.sleeps().begin(), clock.sleeps().end(), Millis{3000}), clock.sleeps().end());
    EXPECT_TRUE(created.has_error());
}

TEST_F(CasewarePortalTest, LostAnswerToACreateIsResolvedByLookingNotByResending) {
    bool created = false;
    FakeHttp http(with_auth([&](const HttpRequest& request) -> Expected<HttpResponse, TransportError> {
        if (request.method == "POST") {
            created = true;  // applied, but the answer never arrives
            return unexpected(TransportError{TransportFailure::ConnectionLost, "connection reset"});
        }
        if (!created) return respond(200, "[]");
        return respond(200, json::array({{{"CWGuid", "u-1"}, {"Email", "Ann@Example.com"}, {"CanLogin", true}}}).dump());
    }));
    auto portal = make(http);
    const auto result = portal.create_contact({"ann@example.com", "Ann", "Lee", EntityId("e-1"), true, "Welcome"}, "k-1");
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(result->outcome, CreateOutcome::Recovered);
    EXPECT_EQ(result->object.id, ContactId("u-1"));
    EXPECT_EQ(result->object.email, "ann@example.com");
    EXPECT_EQ(http.count("POST", "/users"), 1U);  // never sent twice
}

TEST_F(CasewarePortalTest, CreateSendsTheInvitationFlagsAndTheIdempotencyKey) {
    FakeHttp http(with_auth([](const HttpRequest& request) {
        if (request.method == "POST") return respond(201, R"({"CWGuid":"u-9"})");
        return respond(200, "[]");
    }));
    auto portal = make(http);
    ASSERT_TRUE(portal.find_contact("ann@example.com").has_value());
    const auto result = portal.create_contact({"ann@example.com", "Ann", "Lee", EntityId("e-1"), true, "Hello"}, "k-7");
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->outcome, CreateOutcome::Created);
    const auto& post = http.requests.back();
    const json body = json::parse(post.body);
    EXPECT_EQ(body["OwnerType"], "Contact");
    EXPECT_EQ(body["EntityId"], "e-1");
    EXPECT_EQ(body["CanLogin"], true);
    EXPECT_EQ(body["SendWelcomeEmail"], true);
    EXPECT_EQ(body["WelcomeMessage"], "Hello");
    EXPECT_NE(std::find(post.headers.begin(), post.headers.end(),
                        std::pair<std::string, std::string>{"Idempotency-Key", "\"k-7\""}),
              post.headers.end());
    // A create must never be sent twice by the transport on its own.
    EXPECT_TRUE(post.never_resend);
    ASSERT_EQ(http.requests[1].method, "GET");
    EXPECT_FALSE(http.requests[1].never_resend);  // a search may be sent again
}

TEST_F(CasewarePortalTest, WithHonouredKeysTheTransportMayResendCreates) {
    FakeHttp http(with_auth([](const HttpRequest& request) {
        if (request.method == "POST") return respond(201, R"({"CWGuid":"e-9"})");
        return respond(200, "[]");
    }));
    auto portal = make(http, true);
    ASSERT_TRUE(portal.create_entity({"lacerte:1", "Lee"}, "k").has_value());
    EXPECT_FALSE(http.requests.back().never_resend);
}

TEST_F(CasewarePortalTest, ConflictWithNothingFoundWaitsForTheSlowFirstAttempt) {
    int posts = 0;
    int searches_after_conflict = 0;
    FakeHttp http(with_auth([&](const HttpRequest& request) -> Expected<HttpResponse, TransportError> {
        if (request.method == "POST") {
            if (++posts == 1) return unexpected(TransportError{TransportFailure::TimedOut, "timeout"});
            return respond(409, R"({"errors":[{"message":"still being processed"}]})");
        }
        // The slow first create lands while taxsync waits between its looks.
        if (posts >= 2 && ++searches_after_conflict >= 2) {
            return respond(200, R"([{"CWGuid":"u-5","Email":"ann@example.com","CanLogin":true}])");
        }
        return respond(200, "[]");
    }));
    auto portal = make(http);
    const auto result = portal.create_contact({"ann@example.com", "Ann", "Lee", EntityId("e"), true, ""}, "k");
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(result->outcome, CreateOutcome::Recovered);  // it was our own create, not someone else's
    EXPECT_EQ(result->object.id, ContactId("u-5"));
    EXPECT_FALSE(clock.sleeps().empty());
}

TEST_F(CasewarePortalTest, ConflictThatNeverResolvesIsAmbiguousNotAFreshCreate) {
    FakeHttp http(with_auth([](const HttpRequest& request) {
        if (request.method == "POST") return respond(409, R"({"errors":[{"message":"still being processed"}]})");
        return respond(200, "[]");
    }));
    auto portal = make(http);
    const auto result = portal.create_entity({"lacerte:1", "Lee"}, "k");
    ASSERT_TRUE(result.has_error());
    EXPECT_EQ(result.error().kind, ErrorKind::Ambiguous);
    EXPECT_EQ(http.count("POST", "/entities"), 4U);  // bounded by max_attempts
}

TEST_F(CasewarePortalTest, ConflictMeansAdoptTheExistingContact) {
    FakeHttp http(with_auth([](const HttpRequest& request) {
        if (request.method == "POST") return respond(409, R"({"errors":[{"message":"email exists"}]})");
        return respond(200, R"([{"CWGuid":"u-2","Email":"ann@example.com","Activated":true}])");
    }));
    auto portal = make(http);
    const auto result = portal.create_contact({"ann@example.com", "Ann", "Lee", EntityId("e"), true, ""}, "k");
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->outcome, CreateOutcome::AlreadyExisted);
    EXPECT_TRUE(result->object.activated);
}

TEST_F(CasewarePortalTest, LostAnswerToAnInvitationIsNeverResentWithoutHonouredKeys) {
    int invitations = 0;
    FakeHttp::Handler handler = [&](const HttpRequest& request) -> Expected<HttpResponse, TransportError> {
        if (request.url.find("/invitations") != std::string::npos) {
            ++invitations;
            return respond(502, "");
        }
        return respond(200, "{}");
    };
    FakeHttp http(with_auth(handler));
    auto portal = make(http);
    const auto status = portal.invite_contact(ContactId("u-1"), "hi", "k-1");
    ASSERT_TRUE(status.has_error());
    EXPECT_EQ(status.error().kind, ErrorKind::Ambiguous);
    EXPECT_EQ(invitations, 1);

    FakeHttp keyed_http(with_auth(handler));
    auto keyed = make(keyed_http, true);
    invitations = 0;
    EXPECT_TRUE(keyed.invite_contact(ContactId("u-1"), "hi", "k-1").has_error());
    EXPECT_EQ(invitations, 4);  // with honoured keys the same key may be resent
}

TEST_F(CasewarePortalTest, EnsureFolderCreatesOnlyMissingSegments) {
    json folders = json::array({{{"CWGuid", "f-2025"}, {"Name", "2025"}, {"ParentId", nullptr}}});
    FakeHttp http(with_auth([&](const HttpRequest& request) {
        if (request.method == "GET") return respond(200, folders.dump());
        const json body = json::parse(request.body);
        const std::string id = "f-" + body["Name"].get<std::string>();
        folders.push_back({{"CWGuid", id}, {"Name", body["Name"]}, {"ParentId", body["ParentId"]}});
        return respond(201, json{{"CWGuid", id}}.dump());
    }));
    auto portal = make(http);
    const auto folder = portal.ensure_folder(EntityId("e-1"), "2025/Tax Returns");
    ASSERT_TRUE(folder.has_value()) << folder.error().message;
    EXPECT_EQ(*folder, FolderId("f-Tax Returns"));
    EXPECT_EQ(http.count("POST", "/folders"), 1U);
    const json posted = json::parse(http.requests.back().body);
    EXPECT_EQ(posted["ParentId"], "f-2025");
    // Second time: everything exists, nothing is created.
    ASSERT_TRUE(portal.ensure_folder(EntityId("e-1"), "2025/Tax Returns").has_value());
    EXPECT_EQ(http.count("POST", "/folders"), 1U);
}

TEST_F(CasewarePortalTest, OverlongWelcomeMessageIsRefusedLocally) {
    FakeHttp http(with_auth([](const HttpRequest&) { return respond(200, "[]"); }));
    auto portal = make(http);
    const auto result =
        portal.create_contact({"a@b.co", "A", "B", EntityId("e"), true, std::string(300, 'x')}, "k");
    ASSERT_TRUE(result.has_error());
    EXPECT_EQ(result.error().kind, ErrorKind::Rejected);
    EXPECT_EQ(http.requests.size(), 0U);
}

}  // namespace
}  // namespace taxsync::portal::caseware
