// Security checks on the real binaries: secrets in readable configs, plain HTTP off loopback, TLS
// certificates that do not verify (a real `openssl s_server` with a self-signed certificate).

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "portal/curl_http_client.hpp"
#include "tests/integration/harness.hpp"

namespace taxsync::testing {
namespace {

void replace_in_file(const std::filesystem::path& file, const std::string& from, const std::string& to) {
    std::string text = read_file(file);
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    std::ofstream(file) << text;
}

std::uint16_t free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

bool accepts_connections(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return connected;
}

/// A TLS server on loopback whose certificate (for 127.0.0.1) nobody trusts.
class SelfSignedServer {
public:
    explicit SelfSignedServer(const std::filesystem::path& dir) : cert_(dir / "cert.pem") {
        const auto key = dir / "key.pem";
        const auto made = run("/usr/bin/openssl",
                              {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                               "-keyout", key.string(), "-out", cert_.string(), "-days", "1", "-subj", "/CN=127.0.0.1",
                               "-addext", "subjectAltName=IP:127.0.0.1"},
                              dir / "logs");
        if (made.exit_code != 0) throw std::runtime_error("openssl req failed: " + made.err);
        port_ = free_loopback_port();
        server_ = std::make_unique<Process>(
            "/usr/bin/openssl",
            std::vector<std::string>{"s_server", "-accept", "127.0.0.1:" + std::to_string(port_), "-cert",
                                     cert_.string(), "-key", key.string(), "-www", "-quiet"},
            dir / "logs");
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!accepts_connections(port_)) {
            if (std::chrono::steady_clock::now() > deadline || !server_->running()) {
                throw std::runtime_error("openssl s_server did not start: " + server_->err());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    [[nodiscard]] std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
    [[nodiscard]] const std::filesystem::path& certificate() const { return cert_; }

private:
    std::filesystem::path cert_;
    std::uint16_t port_ = 0;
    std::unique_ptr<Process> server_;
};

class SecurityTest : public ::testing::Test {
protected:
    TempDir dir;
    Emulator emulator{dir.path() / "emulator"};
    Workspace workspace{emulator};
};

TEST_F(SecurityTest, InlineSecretInAConfigOthersCanReadIsRefused) {
    replace_in_file(workspace.config_file(), "client_secret_file = \"portal-secret\"",
                    "client_secret = \"" + emulator.secret() + "\"");
    std::filesystem::permissions(workspace.config_file(),
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                     std::filesystem::perms::group_read | std::filesystem::perms::others_read);
    const auto refused = workspace.taxsync({"config", "check"});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.err.find("taxsync.toml:"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("client_secret is written inline in a file that others can read"), std::string::npos)
        << refused.err;
    EXPECT_EQ(refused.err.find(emulator.secret()), std::string::npos);
    EXPECT_EQ(workspace.taxsync({"once"}).exit_code, 1);
    EXPECT_TRUE(emulator.requests().empty());

    std::filesystem::permissions(workspace.config_file(),
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    const auto accepted = workspace.taxsync({"config", "check"});
    EXPECT_EQ(accepted.exit_code, 0) << accepted.err;
}

TEST_F(SecurityTest, PlainHttpToAnyNonLoopbackAddressIsRefused) {
    for (const std::string url : {"http://10.20.30.40:8080/firm", "http://127.0.0.1.example.com/firm"}) {
        Workspace space(emulator);
        replace_in_file(space.config_file(), emulator.base_url(), url);
        const auto check = space.taxsync({"config", "check"});
        EXPECT_EQ(check.exit_code, 1) << url;
        EXPECT_NE(check.err.find("only allowed to this machine (loopback)"), std::string::npos) << check.err;
    }
}

TEST_F(SecurityTest, CertificateThatDoesNotVerifyIsRefused) {
    SelfSignedServer server(dir.path() / "tls");
    portal::CurlGlobal curl;
    {
        portal::CurlHttpClient client(portal::CurlOptions{});
        const auto refused = client.send({"GET", server.url() + "/", {}, ""});
        ASSERT_TRUE(refused.has_error());
        EXPECT_EQ(refused.error().failure, portal::TransportFailure::NotSent);
        EXPECT_NE(refused.error().message.find("certificate"), std::string::npos) << refused.error().message;
    }
    {
        // The same server passes once its certificate is the trusted CA: it was the verification.
        portal::CurlOptions trusting;
        trusting.ca_file = server.certificate().string();
        portal::CurlHttpClient client(trusting);
        const auto accepted = client.send({"GET", server.url() + "/", {}, ""});
        ASSERT_TRUE(accepted.has_value()) << accepted.error().message;
        EXPECT_EQ(accepted->status, 200);
    }
    // And the daemon: a cycle against it never signs in.
    workspace.write_lacerte({Exports::lacerte_row("00001S", "Ann", "Secure", "900-51-0001", "ann@example.com")});
    workspace.write_config("max_attempts = 1\n");
    replace_in_file(workspace.config_file(), emulator.base_url(), server.url() + "/firm");
    const auto once = workspace.taxsync({"once"});
    EXPECT_NE(once.exit_code, 0);
    EXPECT_NE((once.out + once.err).find("certificate"), std::string::npos) << once.out << once.err;
}

}  // namespace
}  // namespace taxsync::testing
