#include "portal/http.hpp"

#include <gtest/gtest.h>

#include "portal/curl_http_client.hpp"

namespace taxsync::portal {
namespace {

TEST(UrlPolicy, HttpsAnywhereHttpOnlyToLoopback) {
    EXPECT_TRUE(check_url_allowed("https://us.casewarecloud.com/firm").has_value());
    EXPECT_TRUE(check_url_allowed("http://127.0.0.1:8080/demo").has_value());
    EXPECT_TRUE(check_url_allowed("http://localhost:9/x").has_value());
    EXPECT_TRUE(check_url_allowed("http://[::1]:9/x").has_value());
    const auto remote = check_url_allowed("http://portal.example.com/firm");
    ASSERT_TRUE(remote.has_error());
    EXPECT_NE(remote.error().message.find("https://"), std::string::npos);
    EXPECT_TRUE(check_url_allowed("http://127.0.0.1.evil.example/x").has_error());
    EXPECT_TRUE(check_url_allowed("http://10.0.0.5/x").has_error());
    EXPECT_TRUE(check_url_allowed("ftp://127.0.0.1/x").has_error());
    EXPECT_TRUE(check_url_allowed("https://user:pw@host/x").has_error());
    EXPECT_TRUE(check_url_allowed("not a url").has_error());
}

TEST(UrlPolicy, TheOriginIsSchemeAndAuthority) {
    EXPECT_EQ(url_origin("https://us.casewarecloud.com:443/firm/api?x=1"), "https://us.casewarecloud.com:443");
    EXPECT_EQ(url_origin("http://127.0.0.1:8080?x=/y"), "http://127.0.0.1:8080");
    EXPECT_EQ(url_origin("http://[::1]:9#frag"), "http://[::1]:9");
    EXPECT_EQ(url_origin("https://host"), "https://host");
    EXPECT_EQ(url_origin("not a url"), "");
}

TEST(UrlEncode, EncodesEverythingButUnreserved) {
    EXPECT_EQ(url_encode("Email='a+b@x.com'"), "Email%3D%27a%2Bb%40x.com%27");
    EXPECT_EQ(url_encode("a-b_c.d~"), "a-b_c.d~");
}

TEST(CurlHttpClient, RefusesPlainHttpToARemoteHostBeforeSending) {
    CurlGlobal curl;
    CurlHttpClient client(CurlOptions{});
    const auto result = client.send({"GET", "http://portal.example.com/x", {}, ""});
    ASSERT_TRUE(result.has_error());
    EXPECT_EQ(result.error().failure, TransportFailure::NotSent);
    EXPECT_FALSE(result.error().may_have_been_applied());
}

TEST(CurlHttpClient, ChecksEachNewOriginAgain) {
    // The client checks a URL once per origin: an allowed one must not let the next origin through.
    CurlGlobal curl;
    CurlHttpClient client(CurlOptions{});
    const auto local = client.send({"GET", "http://127.0.0.1:1/x", {}, ""});  // allowed; nothing listens
    ASSERT_TRUE(local.has_error());
    EXPECT_EQ(local.error().message.find("only allowed"), std::string::npos) << local.error().message;
    const auto remote = client.send({"GET", "http://127.0.0.1.evil.example:1/x", {}, ""});
    ASSERT_TRUE(remote.has_error());
    EXPECT_EQ(remote.error().failure, TransportFailure::NotSent);
    EXPECT_NE(remote.error().message.find("only allowed to this machine"), std::string::npos) << remote.error().message;
}

TEST(CurlHttpClient, ConnectionRefusedIsNotSent) {
    CurlGlobal curl;
    CurlHttpClient client(CurlOptions{});
    // Port 1 on loopback: nothing listens there.
    const auto result = client.send({"POST", "http://127.0.0.1:1/x", {}, "{}"});
    ASSERT_TRUE(result.has_error());
    EXPECT_EQ(result.error().failure, TransportFailure::NotSent);
}

}  // namespace
}  // namespace taxsync::portal
