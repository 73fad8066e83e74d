// The curl client against the real emulator. libcurl sends a request again, on its own, when a
// reused keep-alive connection dies before any answer: it does so for a plain POST, and a request
// marked never_resend is sent once and reported as possibly applied, while still riding the reused
// connection. The client's own transfer loop: timeouts, size limits, refused connections, and one
// handle carrying requests of every method in turn.

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "portal/curl_http_client.hpp"
#include "tests/integration/harness.hpp"

namespace taxsync::testing {
namespace {

using nlohmann::json;

class TransportTest : public ::testing::Test {
protected:
    TempDir dir;
    Emulator emulator{dir.path() / "emulator"};
    portal::CurlHttpClient http{portal::CurlOptions{}};
    std::string api = emulator.base_url() + "/ms/caseware-cloud/api/v2";

    [[nodiscard]] portal::HttpRequest token_request() const {
        return {"POST",
                api + "/auth/token",
                {{"Content-Type", "application/json"}},
                json{{"ClientId", "taxsync-test"}, {"ClientSecret", emulator.secret()}}.dump()};
    }

    std::string bearer() {
        auto token = http.send(token_request());
        EXPECT_TRUE(token.has_value() && token->status == 200);
        return token.has_value() ? "Bearer " + json::parse(token->body)["Token"].get<std::string>() : "";
    }

    /// A search, which leaves its connection open, then POST /entities on that connection; the
    /// emulator applies the create and drops the connection without answering.
    Expected<portal::HttpResponse, portal::TransportError> create_after_a_search(bool never_resend) {
        const std::string bearer = this->bearer();
        auto search =
            http.send({"GET", api + "/entities?search=EntityNo%3D%27x%3A1%27", {{"Authorization", bearer}}, ""});
        EXPECT_TRUE(search.has_value() && search->status == 200);
        emulator.faults(
            {{"rules", json::array({{{"method", "POST"}, {"path", "/entities"}, {"drop", "after"}, {"times", 1}}})}});
        portal::HttpRequest create{"POST",
                                   api + "/entities",
                                   {{"Authorization", bearer}, {"Content-Type", "application/json"}},
                                   json{{"Name", "Lee"}, {"EntityNo", "x:1"}, {"EntityType", "Client"}}.dump()};
        create.never_resend = never_resend;
        return http.send(create);
    }
};

TEST_F(TransportTest, LibcurlResendsAPlainPostWhenItsReusedConnectionDies) {
    // The reason never_resend exists: the portal hears the create twice (the second time it refuses
    // the EntityNo it already has).
    const auto answer = create_after_a_search(false);
    ASSERT_TRUE(answer.has_value()) << answer.error().message;
    EXPECT_EQ(answer->status, 409);
    EXPECT_EQ(emulator.count_requests("POST", "/entities"), 2U);
}

TEST_F(TransportTest, ARequestThatMustNeverBeResentIsSentOnceAndReportedAsPossiblyApplied) {
    const auto answer = create_after_a_search(true);
    ASSERT_TRUE(answer.has_error());
    EXPECT_EQ(answer.error().failure, portal::TransportFailure::ConnectionLost);
    EXPECT_TRUE(answer.error().may_have_been_applied());
    // libcurl tried to send it again and was refused: it had ridden the reused connection.
    EXPECT_NE(answer.error().message.find("closed before any answer"), std::string::npos) << answer.error().message;
    EXPECT_EQ(emulator.count_requests("POST", "/entities"), 1U);
    EXPECT_EQ(emulator.state()["entities"].size(), 1U);  // applied, once
}

TEST_F(TransportTest, OneClientCarriesRequestsOfEveryMethodInTurn) {
    // The handle keeps its options from one request to the next: each request's method and body
    // must still be its own (a GET after a POST sends no body, a PUT is a PUT).
    const std::string auth = bearer();
    const auto created = http.send({"POST",
                                    api + "/entities",
                                    {{"Authorization", auth}, {"Content-Type", "application/json"}},
                                    json{{"Name", "Lee"}, {"EntityNo", "x:1"}, {"EntityType", "Client"}}.dump()});
    ASSERT_TRUE(created.has_value() && created->status == 201)
        << (created.has_value() ? created->body : created.error().message);
    const std::string entity = json::parse(created->body)["CWGuid"];
    const auto listed =
        http.send({"GET", api + "/entities?search=EntityNo%3D%27x%3A1%27", {{"Authorization", auth}}, ""});
    ASSERT_TRUE(listed.has_value() && listed->status == 200);
    EXPECT_EQ(json::parse(listed->body).size(), 1U) << listed->body;
    const auto renamed = http.send({"PATCH",
                                    api + "/entities/" + entity,
                                    {{"Authorization", auth}, {"Content-Type", "application/json"}},
                                    json{{"Name", "Lee Ann"}}.dump()});
    ASSERT_TRUE(renamed.has_value()) << renamed.error().message;
    EXPECT_LT(renamed->status, 300) << renamed->body;
    const auto again = http.send({"GET", api + "/entities/" + entity, {{"Authorization", auth}}, ""});
    ASSERT_TRUE(again.has_value() && again->status == 200);
    EXPECT_EQ(json::parse(again->body)["Name"], "Lee Ann") << again->body;
    EXPECT_EQ(emulator.count_requests("POST", "/entities"), 1U);
    EXPECT_EQ(emulator.count_requests("GET", "/entities"), 2U);
    EXPECT_EQ(emulator.count_requests("PATCH", "/entities"), 1U);
}

TEST_F(TransportTest, AnAnswerSlowerThanTheTotalTimeoutIsReportedAsTimedOut) {
    portal::CurlOptions impatient;
    impatient.total_timeout = std::chrono::seconds(1);
    portal::CurlHttpClient client{impatient};
    emulator.faults({{"rules", json::array({{{"path", "/auth/token"}, {"delay_ms", 4000}, {"times", 1}}})}});
    const auto started = std::chrono::steady_clock::now();
    const auto answer = client.send(token_request());
    const auto waited = std::chrono::steady_clock::now() - started;
    ASSERT_TRUE(answer.has_error());
    EXPECT_EQ(answer.error().failure, portal::TransportFailure::TimedOut) << answer.error().message;
    EXPECT_TRUE(answer.error().may_have_been_applied());
    EXPECT_GE(waited, std::chrono::milliseconds(900));
    EXPECT_LT(waited, std::chrono::milliseconds(3000));  // libcurl's timer ended it, not the delay
}

TEST_F(TransportTest, AnAnswerLargerThanTheLimitIsRefused) {
    portal::CurlOptions small;
    small.max_response_bytes = 16;
    portal::CurlHttpClient client{small};
    const auto answer = client.send(token_request());
    ASSERT_TRUE(answer.has_error());
    EXPECT_EQ(answer.error().failure, portal::TransportFailure::TooLarge) << answer.error().message;
    EXPECT_NE(answer.error().message.find("16 bytes"), std::string::npos) << answer.error().message;
}

TEST_F(TransportTest, AClientWhoseLastRequestFoundNobodyListeningStillWorks) {
    // Port 1 on loopback: nothing listens there (as in the unit tests). The transfer loop must
    // leave the client ready for the next request.
    const auto refused = http.send({"POST", "http://127.0.0.1:1/api/v2/auth/token", {}, "{}"});
    ASSERT_TRUE(refused.has_error());
    EXPECT_EQ(refused.error().failure, portal::TransportFailure::NotSent) << refused.error().message;
    const auto token = http.send(token_request());
    ASSERT_TRUE(token.has_value()) << token.error().message;
    EXPECT_EQ(token->status, 200);
}

}  // namespace
}  // namespace taxsync::testing
