// libcurl sends a request again, on its own, when a reused keep-alive connection dies before any
// answer. Against the real emulator: it does so for a plain POST, and a request marked
// never_resend is sent once and reported as possibly applied, while still riding the reused
// connection.

#include <gtest/gtest.h>

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

    /// A search, which leaves its connection open, then POST /entities on that connection; the
    /// emulator applies the create and drops the connection without answering.
    Expected<portal::HttpResponse, portal::TransportError> create_after_a_search(bool never_resend) {
        auto token = http.send({"POST",
                                api + "/auth/token",
                                {{"Content-Type", "application/json"}},
                                json{{"ClientId", "taxsync-test"}, {"ClientSecret", emulator.secret()}}.dump()});
        EXPECT_TRUE(token.has_value() && token->status == 200);
        const std::string bearer = "Bearer " + json::parse(token->body)["Token"].get<std::string>();
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

}  // namespace
}  // namespace taxsync::testing
