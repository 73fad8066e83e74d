#pragma once
// The emulator behind the HTTP server: splits the emulator's own endpoints (/_emulator/...) from
// the portal API under /{firm}/ms/caseware-cloud/api/v2, applies injected faults, keeps the request
// log and writes one stderr line per request. Runs on one thread; the server calls admit() when a
// request arrives and finish() once any injected delay has passed.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/clock.hpp"
#include "core/logger.hpp"
#include "emulator/caseware_api.hpp"
#include "emulator/faults.hpp"
#include "emulator/http_message.hpp"
#include "emulator/idempotency.hpp"
#include "emulator/portal_store.hpp"
#include "emulator/smartvault_api.hpp"
#include "emulator/smartvault_store.hpp"
#include "store/sqlite.hpp"

namespace taxsync::emulator {

enum class Dialect { Caseware, Smartvault };

/// What the SmartVault dialect needs: the app's credentials and its verified public key.
struct SmartvaultSetup {
    SmartvaultCredentials credentials;
    PublicKey key;
};

struct EmulatorOptions {
    std::string firm = "demo";  // the firm path segment (CaseWare) or the account name (SmartVault)
    Dialect dialect = Dialect::Caseware;
    ApiCredentials credentials;
    std::optional<SmartvaultSetup> smartvault;  // required for Dialect::Smartvault
    std::uint64_t id_seed = 0;
    bool log_requests = true;
};

struct IncomingRequest {
    std::string method;
    std::string target;  // path and query as sent
    std::optional<std::string> authorization;
    std::optional<std::string> idempotency_key;
    std::string body;
};

/// One request between admit() and finish().
class Exchange {
public:
    /// Injected latency to wait before finish().
    [[nodiscard]] std::chrono::milliseconds delay() const { return fault_.delay; }

private:
    friend class Emulator;

    IncomingRequest request_;
    std::string path_;      // as sent, without the query: what stderr shows
    std::string log_path_;  // API-relative for API requests, else the path as sent
    std::string query_;
    bool logged_ = false;  // in /_emulator/requests (API requests only)
    FaultDecision fault_;
    std::variant<Reply, AdmittedCall, SmartvaultCall> pending_ = Reply{};
    std::chrono::steady_clock::time_point started_;
};

struct RequestLogEntry {
    std::uint64_t seq = 0;
    std::string method;
    std::string path;
    std::string query;
    unsigned status = 0;  // 0: no answer was sent (dropped connection)
    std::optional<std::string> idempotency_key;
    std::string fault;  // "", "status", "drop_before", "drop_after"
    bool replayed = false;
    std::int64_t delay_ms = 0;
    std::int64_t duration_ms = 0;
    std::int64_t answered_at_ms = 0;  // Unix time in milliseconds, when the answer (or drop) was done
};

class Emulator {
public:
    Emulator(sqlite::Database& db, const Clock& clock, Logger logger, EmulatorOptions options);
    // Its parts refer to each other (the API to the stores), so it stays where it was built.
    Emulator(const Emulator&) = delete;
    Emulator& operator=(const Emulator&) = delete;
    Emulator(Emulator&&) = delete;
    Emulator& operator=(Emulator&&) = delete;
    ~Emulator() = default;

    Exchange admit(IncomingRequest request);
    /// The answer, or nullopt when the connection must be closed without one.
    std::optional<Reply> finish(Exchange& exchange);

    /// Installs a fault plan given as JSON text, as POST /_emulator/faults does (--faults at start).
    Status load_faults(std::string_view plan_text);

    [[nodiscard]] std::string api_prefix() const;
    PortalStore& store() { return store_; }

private:
    Reply handle_emulator_endpoint(const std::string& method, const std::vector<std::string>& segments,
                                   const QueryParameters& query, const std::string& body);
    nlohmann::json request_log(std::uint64_t after_seq) const;
    void reset();
    void admit_smartvault(Exchange& exchange, const IncomingRequest& request, const std::vector<std::string>& segments);
    void record(const Exchange& exchange, unsigned status, std::string_view fault, bool replayed);

    const Clock& clock_;
    Logger logger_;
    EmulatorOptions options_;
    PortalStore store_;
    IdempotencyStore idempotency_;
    CasewareApi api_;
    std::optional<SmartvaultStore> smartvault_store_;
    std::optional<SmartvaultApi> smartvault_api_;
    FaultInjector faults_;
    std::vector<RequestLogEntry> requests_;
    std::uint64_t next_request_seq_ = 1;
};

}  // namespace taxsync::emulator
