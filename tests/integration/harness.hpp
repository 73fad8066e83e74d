#pragma once
// Integration harness: a real taxsync-portal-emulator process on loopback, and a workspace that
// writes exports and a configuration and runs the real taxsync binary against it.

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "portal/curl_http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace taxsync::testing {

/// The portal dialect the emulator speaks and taxsync is configured for.
enum class Dialect { Caseware, Smartvault };
std::string dialect_name(Dialect dialect);

/// An RSA key pair for the SmartVault app, generated at test time: `dir`/app.key (mode 600) and
/// `dir`/app.pub. The process's shared pair unless `fresh`.
void write_rsa_key_pair(const std::filesystem::path& dir, bool fresh = false);

class Emulator {
    /// The request log of a benchmark's run holds over a hundred thousand entries.
    static portal::CurlOptions large_answers() {
        portal::CurlOptions options;
        options.max_response_bytes = 512U * 1024U * 1024U;
        return options;
    }

public:
    explicit Emulator(const std::filesystem::path& dir, const std::string& secret = "emulator-secret-0123456789",
                      std::vector<std::string> extra_args = {}, Dialect dialect = Dialect::Caseware);
    Emulator(const std::filesystem::path& dir, Dialect dialect)
        : Emulator(dir, "emulator-secret-0123456789", {}, dialect) {}

    [[nodiscard]] Dialect dialect() const { return dialect_; }
    /// SmartVault: the app's private key, which taxsync's configuration names.
    [[nodiscard]] std::filesystem::path private_key_file() const { return dir_ / "app.key"; }
    [[nodiscard]] const std::string& base_url() const { return base_url_; }  // .../itest, for taxsync's config
    [[nodiscard]] const std::string& root() const { return root_; }          // http://127.0.0.1:PORT
    [[nodiscard]] const std::string& secret() const { return secret_; }
    /// CPU time (user + system) the emulator process has used so far, for benchmarks.
    [[nodiscard]] double cpu_seconds() const;

    nlohmann::json get(const std::string& path);
    nlohmann::json post(const std::string& path, const nlohmann::json& body);
    /// API call with a fresh token, for tests that seed the portal as staff would.
    nlohmann::json api(const std::string& method, const std::string& path, const nlohmann::json& body);

    nlohmann::json mailbox() { return get("/_emulator/mailbox"); }
    nlohmann::json state() { return get("/_emulator/state"); }
    nlohmann::json requests() { return get("/_emulator/requests"); }
    void faults(const nlohmann::json& plan) { post("/_emulator/faults", plan); }

    /// Invitations in the mailbox, by address.
    std::map<std::string, int> invitations();
    /// API requests in the log with this method whose path starts with `prefix`.
    std::size_t count_requests(const std::string& method, const std::string& prefix);

    // The portal's state in either dialect's terms.
    /// Email addresses of every contact (CaseWare users; SmartVault persons on any client).
    std::set<std::string> contact_emails();
    /// Entities (CaseWare) or firm clients (SmartVault).
    std::size_t entity_count();
    /// The name of the entity or client that carries this external key (EntityNo or alias).
    std::optional<std::string> entity_name(const std::string& external_key);
    /// The contact may open that client's entity (a role share, or Client Contacts membership).
    bool has_access(const std::string& email, const std::string& external_key);
    /// The portal's id of the contact with this email: a CWGuid, or "<client id>#<person index>".
    std::string contact_id(const std::string& email);

    /// SmartVault API call as the firm admin, with fresh tokens; returns the envelope.
    nlohmann::json smartvault(const std::string& method, const std::string& path, const nlohmann::json& body);

private:
    portal::CurlGlobal curl_;
    std::unique_ptr<Process> process_;
    portal::CurlHttpClient http_{large_answers()};
    std::string secret_;
    std::string root_;
    std::string base_url_;
    Dialect dialect_ = Dialect::Caseware;
    std::filesystem::path dir_;
};

struct Exports {
    static std::string lacerte_header();
    /// One Lacerte row: id, taxpayer first/last/ssn/email, spouse first/last/ssn/email.
    static std::string lacerte_row(const std::string& id, const std::string& first, const std::string& last,
                                   const std::string& ssn, const std::string& email,
                                   const std::string& spouse_first = "", const std::string& spouse_last = "",
                                   const std::string& spouse_ssn = "", const std::string& spouse_email = "");
    /// Clients 00001I..count, each a taxpayer "First<n> Last" at <email_prefix><n>@example.com.
    static std::vector<std::string> numbered_rows(int count, const std::string& email_prefix);
};

/// Fails the test unless exactly `expected` addresses were invited, each of them once.
void expect_each_invited_once(Emulator& emulator, std::size_t expected);

class Workspace {
public:
    explicit Workspace(const Emulator& emulator);
    /// Fails the test if any output or log of its runs holds a secret or a tax id it was given.
    ~Workspace();
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;
    Workspace(Workspace&&) = delete;
    Workspace& operator=(Workspace&&) = delete;

    /// Every secret or tax id found in the outputs and logs so far ("" when clean).
    [[nodiscard]] std::string leaks() const;

    [[nodiscard]] const std::filesystem::path& dir() const { return temp_.path(); }
    [[nodiscard]] std::filesystem::path config_file() const { return temp_.path() / "taxsync.toml"; }
    [[nodiscard]] std::filesystem::path database() const { return temp_.path() / "state" / "taxsync.db"; }

    /// Writes exports/lacerte/<name> with the header and rows (CRLF line ends).
    void write_lacerte(const std::vector<std::string>& rows, const std::string& name = "clients.csv");
    /// Rewrites taxsync.toml; `extra` is appended (mapping tables, more settings).
    void write_config(const std::string& portal_extra = "", const std::string& extra = "",
                      const std::string& service_extra = "");
    void write_secret(const std::string& secret);

    RunResult taxsync(const std::vector<std::string>& args);
    /// Every output of every taxsync run so far, for searching.
    [[nodiscard]] const std::string& transcript() const { return transcript_; }

private:
    TempDir temp_;
    std::string base_url_;
    Dialect dialect_ = Dialect::Caseware;
    std::string transcript_;
    std::set<std::string> secrets_;  // portal secrets and tax ids written by this workspace
};

/// Stands in for systemd: a datagram socket that collects what the service sends to $NOTIFY_SOCKET.
class NotifyListener {
public:
    explicit NotifyListener(const std::filesystem::path& path);
    ~NotifyListener();
    NotifyListener(const NotifyListener&) = delete;
    NotifyListener& operator=(const NotifyListener&) = delete;
    NotifyListener(NotifyListener&&) = delete;
    NotifyListener& operator=(NotifyListener&&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    /// Waits until a message containing `needle` arrives; returns that message (empty on timeout).
    std::string wait_for(const std::string& needle, std::chrono::milliseconds timeout);
    /// Every message received so far, in order.
    const std::vector<std::string>& messages();

private:
    void drain(std::chrono::milliseconds wait);
    int fd_ = -1;
    std::filesystem::path path_;
    std::vector<std::string> messages_;
    std::size_t searched_ = 0;
};

std::filesystem::path taxsync_binary();
std::filesystem::path emulator_binary();

}  // namespace taxsync::testing
