// PooledHttpClient: threads that send at once each get their own client; idle clients are reused.

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>

#include "portal/pooled_http_client.hpp"
#include "tests/support/fake_http.hpp"

namespace taxsync::testing {
namespace {

TEST(PooledHttpClient, ConcurrentSendsUseSeparateClientsAndIdleOnesAreReused) {
    constexpr int kThreads = 4;
    std::barrier all_sending(kThreads);  // every send waits until all four are under way at once
    std::atomic<int> made{0};
    const auto make = [&]() -> Expected<std::unique_ptr<portal::HttpClient>> {
        ++made;
        return std::unique_ptr<portal::HttpClient>(std::make_unique<FakeHttp>([&](const portal::HttpRequest&) {
            all_sending.arrive_and_wait();
            return respond(200, "ok");
        }));
    };
    portal::PooledHttpClient pool(make().value(), make);
    {
        std::vector<std::jthread> threads;
        for (int i = 0; i < kThreads; ++i) {
            threads.emplace_back([&] {
                const auto answer = pool.send({"GET", "http://127.0.0.1:1/x", {}, ""});
                EXPECT_TRUE(answer.has_value());
            });
        }
    }
    EXPECT_EQ(pool.size(), static_cast<std::size_t>(kThreads));
    EXPECT_EQ(made.load(), kThreads);
}

TEST(PooledHttpClient, AClientThatCannotBeMadeIsARequestNotSent) {
    portal::PooledHttpClient pool(
        nullptr, [] { return Expected<std::unique_ptr<portal::HttpClient>>(fail(ErrorKind::Io, "no handles left")); });
    const auto answer = pool.send({"POST", "http://127.0.0.1:1/x", {}, "{}"});
    ASSERT_TRUE(answer.has_error());
    EXPECT_EQ(answer.error().failure, portal::TransportFailure::NotSent);
    EXPECT_NE(answer.error().message.find("no handles left"), std::string::npos);
}

}  // namespace
}  // namespace taxsync::testing
