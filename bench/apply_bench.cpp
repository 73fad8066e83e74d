// Applying new clients against the emulator: operations and HTTP requests per second of
// `taxsync once`, next to raw HTTP throughput to the same emulator at the same concurrency from
// `curl --parallel --parallel-max N` over kept-alive connections; taxsync runs with
// [portal] concurrency = N. The goal's baseline sends taxsync's own mix of requests (searches,
// creates with idempotency keys, folders, permissions, role shares) against the objects the run
// made; entity search + create pairs, the portal's cheapest requests, are printed beside it.
//
//   apply_bench --clients 10000 --raw-requests 24000 --concurrency 8   no added latency, with the curl baselines
//   ... --rounds 5                                                      five rounds, each from an empty portal and
//                                                                       beside its own baseline; the median ratio
//   apply_bench --clients 1000 --latency-ms 20 --concurrency 8         every request 20 ms slower
//   apply_bench --clients 30 --limit-rpm 120                           the portal allows 120 requests/minute
//   ... --idempotency-keys 1                                            [portal] idempotency_keys = true (the emulator
//                                                                       honours them): libcurl may resend creates

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/statistics.hpp"
#include "portal/curl_http_client.hpp"
#include "store/sqlite.hpp"
#include "tests/integration/harness.hpp"

namespace {

using namespace taxsync;
using namespace taxsync::testing;
using nlohmann::json;
using Stopwatch = std::chrono::steady_clock;

double seconds_since(Stopwatch::time_point start) {
    return std::chrono::duration<double>(Stopwatch::now() - start).count();
}

struct Options {
    int clients = 1000;
    int latency_ms = 0;
    int limit_rpm = 0;
    int raw_requests = 4000;
    int concurrency = 8;
    bool idempotency_keys = false;
    int rounds = 1;
};

struct RawRequest {
    std::string method;
    std::string path;             // under the API root, with its query
    std::string body;             // JSON, or empty
    std::string idempotency_key;  // sent on creates, as taxsync does
};

struct RawThroughput {
    std::size_t requests = 0;
    double requests_per_second = 0;
    double emulator_cpu_us = 0;  // the emulator's CPU time per request
    double curl_cpu_us = 0;      // curl's own
};

RawRequest get(std::string path) { return {"GET", std::move(path), "", ""}; }
RawRequest send(std::string method, std::string path, const json& body, std::string idempotency_key = "") {
    return {std::move(method), std::move(path), body.dump(), std::move(idempotency_key)};
}

/// `curl --parallel` at `concurrency`, sending `requests` in order over kept-alive connections.
RawThroughput curl_throughput(Emulator& emulator, const std::filesystem::path& dir, const Options& options,
                              const std::vector<RawRequest>& requests) {
    portal::CurlHttpClient http{portal::CurlOptions{}};
    const std::string api = emulator.base_url() + "/ms/caseware-cloud/api/v2";
    auto token = http.send({"POST",
                            api + "/auth/token",
                            {{"Content-Type", "application/json"}},
                            json{{"ClientId", "taxsync-test"}, {"ClientSecret", emulator.secret()}}.dump()});
    const std::string bearer = json::parse(token->body)["Token"];
    const auto quoted = [](const std::string& text) {
        std::string out;
        for (const char c : text) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        return '"' + out + '"';
    };
    const auto config = dir / "curl.cfg";
    {
        std::ofstream out(config);
        for (std::size_t i = 0; i < requests.size(); ++i) {
            const RawRequest& request = requests[i];
            if (i > 0) out << "next\n";
            out << "url = " << quoted(api + request.path) << "\nrequest = " << request.method
                << "\nheader = \"Authorization: Bearer " << bearer << "\"\nheader = \"Accept: application/json\"\n"
                << "output = \"/dev/null\"\n";
            if (!request.idempotency_key.empty())
                out << "header = \"Idempotency-Key: \\\"" << request.idempotency_key << "\\\"\"\n";
            if (!request.body.empty()) {
                out << "header = \"Content-Type: application/json\"\ndata = " << quoted(request.body) << "\n";
            }
        }
    }
    const double emulator_cpu_before = emulator.cpu_seconds();
    const auto start = Stopwatch::now();
    const auto result = run("/usr/bin/curl",
                            {"--silent", "--show-error", "--fail", "--parallel", "--parallel-max",
                             std::to_string(options.concurrency), "--config", config.string()},
                            dir / "logs", std::chrono::minutes(20));
    const double elapsed = seconds_since(start);
    // Every request of a baseline succeeds; a failure would make its figure meaningless.
    if (result.exit_code != 0) throw std::runtime_error("curl failed: " + result.err.substr(0, 500));
    const auto count = static_cast<double>(requests.size());
    return {requests.size(), count / elapsed, (emulator.cpu_seconds() - emulator_cpu_before) * 1e6 / count,
            result.usage.cpu_seconds * 1e6 / count};
}

/// A search then a create of an entity, per pair: the portal's cheapest requests.
std::vector<RawRequest> search_and_create_pairs(int count) {
    std::vector<RawRequest> requests;
    for (int i = 0; i < count / 2; ++i) {
        const std::string key = "raw:" + std::to_string(i);
        requests.push_back(get("/entities?pageSize=2&search=" + portal::url_encode("EntityNo='" + key + "'")));
        requests.push_back(send("POST", "/entities",
                                {{"Name", "Raw " + std::to_string(i)}, {"EntityNo", key}, {"EntityType", "Client"}}));
    }
    return requests;
}

/// The requests taxsync sends for a new client, as many clients' worth as fit in `count`, against
/// the entities, contacts and folders taxsync's run made (`state`): a search and a create of an
/// entity and of a contact (with its invitation), three folders, two folder listings, two
/// permission changes and a role share.
std::vector<RawRequest> taxsync_mix(int count, const json& state) {
    std::map<std::string, std::vector<std::string>> folders_of;
    for (const json& folder : state["folders"]) folders_of[folder["EntityId"]].push_back(folder["CWGuid"]);
    const std::string role = state["role_assignments"].at(0)["RoleId"];
    std::vector<RawRequest> requests;
    const json& users = state["users"];
    for (std::size_t i = 0; i < users.size() && requests.size() + 12 <= static_cast<std::size_t>(count); ++i) {
        const std::string person = users[i]["CWGuid"];
        const std::string entity = users[i]["EntityId"];
        const std::vector<std::string>& folders = folders_of[entity];
        if (folders.size() < 2) continue;
        const std::string n = std::to_string(i);
        const std::string tag = "mix";
        const std::string key = tag + ":" + n;
        const std::string email = tag + "-" + n + "@example.com";
        requests.push_back(get("/entities?pageSize=2&search=" + portal::url_encode("EntityNo='" + key + "'")));
        requests.push_back(send("POST", "/entities",
                                {{"Name", "Mix " + n}, {"EntityNo", key}, {"EntityType", "Client"}}, key + ":entity"));
        requests.push_back(get("/users?pageSize=2&search=" + portal::url_encode("Email='" + email + "'")));
        requests.push_back(send("POST", "/users",
                                {{"FirstName", "Mix"},
                                 {"LastName", n},
                                 {"Email", email},
                                 {"OwnerType", "Contact"},
                                 {"EntityId", entity},
                                 {"CanLogin", true},
                                 {"SendWelcomeEmail", true},
                                 {"WelcomeMessage", "Your documents portal is ready."}},
                                key + ":contact"));
        for (const std::string& name : {tag + " A", tag + " B", tag + " C"}) {
            requests.push_back(send("POST", "/entities/" + entity + "/folders", {{"Name", name}, {"ParentId", nullptr}},
                                    key + ":folder:" + name));
        }
        requests.push_back(get("/entities/" + entity + "/folders?pageSize=1000"));
        requests.push_back(get("/entities/" + entity + "/folders?pageSize=1000"));
        requests.push_back(
            send("PUT", "/folders/" + folders[0] + "/permissions", {{"PersonId", person}, {"Access", "read"}}));
        requests.push_back(
            send("PUT", "/folders/" + folders[1] + "/permissions", {{"PersonId", person}, {"Access", "upload"}}));
        requests.push_back(send("POST", "/entities/" + entity + "/role-assignments",
                                {{"RoleId", role}, {"People", json::array({person})}}));
    }
    return requests;
}

/// What a round's verdict needs from its taxsync run.
struct TaxsyncRun {
    double requests_per_second = 0;
    std::size_t throttled = 0;  // requests the portal answered 429
};

/// One `taxsync once` applying `options.clients` new clients to a fresh emulator and state; prints its figures.
TaxsyncRun apply_new_clients(const Options& options, Emulator& emulator, Workspace& workspace) {
    std::string portal_settings = "concurrency = " + std::to_string(options.concurrency) + "\n";
    if (options.idempotency_keys) portal_settings += "idempotency_keys = true\n";
    json plan{{"rules", json::array()}};
    if (options.latency_ms > 0) plan["rules"].push_back({{"path", "*"}, {"delay_ms", options.latency_ms}});
    if (options.limit_rpm > 0) {
        // taxsync's burst stays below the portal's, so the jitter of real timing meets slack, not a 429.
        plan["rate_limit"] = {{"requests_per_minute", options.limit_rpm}, {"burst", 5}};
        portal_settings += "requests_per_minute = " + std::to_string(options.limit_rpm) + "\nburst = 1\n";
    }
    // The safety gate would hold an import of this size; the benchmark measures the sending itself,
    // at the service's default log level.
    workspace.write_config(portal_settings,
                           "[safety]\nmax_invitations = 0\nmax_revocations = 0\nmax_changed_percent = 0\n",
                           "log_level = \"info\"\n");
    std::vector<std::string> rows;
    for (int i = 1; i <= options.clients; ++i) {
        char id[16];
        std::snprintf(id, sizeof id, "%06dI", i);
        rows.push_back(Exports::lacerte_row(id, "First" + std::to_string(i), "Apply", "",
                                            "a" + std::to_string(i) + "@example.com"));
    }
    workspace.write_lacerte(rows);
    emulator.faults(plan);

    const double emulator_cpu_before = emulator.cpu_seconds();
    const auto start = Stopwatch::now();
    const auto started_at = std::chrono::system_clock::now();
    const auto result = run(taxsync_binary(), {"--config", workspace.config_file().string(), "once"},
                            workspace.dir() / "logs", std::chrono::minutes(30));
    const double elapsed = seconds_since(start);
    const auto ended_at = std::chrono::system_clock::now();
    const double emulator_cpu = emulator.cpu_seconds() - emulator_cpu_before;
    if (result.exit_code != 0) {
        throw std::runtime_error("taxsync once failed (" + std::to_string(result.exit_code) +
                                 "): " + result.out.substr(0, 2000) + result.err.substr(0, 2000));
    }
    auto db = sqlite::Database::open(workspace.database(), sqlite::OpenMode::ReadOnly).value();
    const auto operations = db.query_int("SELECT count(*) FROM outbox WHERE state = 'done'").value_or(0);
    const json log = emulator.requests();
    TaxsyncRun out;
    for (const auto& request : log) out.throttled += request["status"] == 429 ? 1 : 0;
    out.requests_per_second = static_cast<double>(log.size()) / elapsed;
    std::printf(
        "  taxsync once: %.1f s, %lld operations (%.0f ops/s), %zu HTTP requests (%.1f req/s), %zu answered 429, "
        "%zu invitations\n",
        elapsed, static_cast<long long>(operations), static_cast<double>(operations) / elapsed, log.size(),
        out.requests_per_second, out.throttled, emulator.invitations().size());
    if (!log.empty()) {
        // What the portal hears nothing during: start-up, reading and planning; settling at the end.
        const auto unix_seconds = [](std::chrono::system_clock::time_point at) {
            return std::chrono::duration<double>(at.time_since_epoch()).count();
        };
        const double first = log.front()["answered_at_ms"].get<double>() / 1000.0;
        const double last = log.back()["answered_at_ms"].get<double>() / 1000.0;
        std::printf("  before the first answer %.2f s, sending %.2f s (%.1f req/s), after the last answer %.2f s\n",
                    first - unix_seconds(started_at), last - first,
                    static_cast<double>(log.size() - 1) / std::max(last - first, 1e-3), unix_seconds(ended_at) - last);
    }
    // CPU time varies far less with the machine's load than elapsed time: taxsync's own, per request.
    const double requests = static_cast<double>(std::max<std::size_t>(1, log.size()));
    std::printf(
        "  CPU per HTTP request: taxsync %.0f us, the emulator %.0f us; taxsync's context switches per request %.1f; "
        "taxsync's peak memory %ld MB\n",
        result.usage.cpu_seconds * 1e6 / requests, emulator_cpu * 1e6 / requests,
        static_cast<double>(result.usage.context_switches) / requests, result.usage.peak_memory_kb / 1024);
    return out;
}

}  // namespace

int main(int argc, char** argv) try {
    Options options;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const int value = std::stoi(argv[i + 1]);
        if (flag == "--clients")
            options.clients = value;
        else if (flag == "--latency-ms")
            options.latency_ms = value;
        else if (flag == "--limit-rpm")
            options.limit_rpm = value;
        else if (flag == "--raw-requests")
            options.raw_requests = value;
        else if (flag == "--concurrency")
            options.concurrency = value;
        else if (flag == "--idempotency-keys")
            options.idempotency_keys = value != 0;
        else if (flag == "--rounds")
            options.rounds = std::max(1, value);
    }
    portal::CurlGlobal curl;
    TempDir dir;

    std::printf("apply %d new clients against the emulator (concurrency %d%s%s%s)%s\n", options.clients,
                options.concurrency, options.idempotency_keys ? ", idempotency keys honoured" : "",
                options.latency_ms > 0 ? (", +" + std::to_string(options.latency_ms) + " ms per request").c_str() : "",
                options.limit_rpm > 0 ? (", portal limit " + std::to_string(options.limit_rpm) + "/min").c_str() : "",
                options.rounds > 1 ? (", " + std::to_string(options.rounds) + " rounds").c_str() : "");
    const auto print_raw = [&](const char* what, const RawThroughput& raw, double taxsync_requests_per_second) {
        std::printf(
            "  raw HTTP, curl --parallel --parallel-max %d, %s (%zu requests): %.1f req/s; CPU per request: "
            "curl %.0f us, the emulator %.0f us; taxsync / raw = %.2f\n",
            options.concurrency, what, raw.requests, raw.requests_per_second, raw.curl_cpu_us, raw.emulator_cpu_us,
            taxsync_requests_per_second / raw.requests_per_second);
    };
    // Each round starts from an empty portal and state. The machine's speed drifts from minute to
    // minute, for both sides of the no-latency ratio: each round's baseline runs right after its
    // taxsync run, against the objects that run made, and the figure is the median of the rounds.
    std::vector<double> ratios;
    for (int round = 1; round <= options.rounds; ++round) {
        if (options.rounds > 1) std::printf(" round %d\n", round);
        Emulator emulator(dir.path() / ("emulator-" + std::to_string(round)));
        Workspace workspace(emulator);
        const TaxsyncRun taxsync = apply_new_clients(options, emulator, workspace);
        if (options.latency_ms > 0) {
            const double bound = options.concurrency * 1000.0 / options.latency_ms;
            std::printf("  bound concurrency / latency = %.1f req/s; reached %.2f of it (goal >= 0.9)\n", bound,
                        taxsync.requests_per_second / bound);
            if (options.raw_requests > 0) {
                // The same delay for curl: how close raw HTTP itself comes to the bound on this machine.
                const auto mix = taxsync_mix(options.raw_requests, emulator.state());
                const RawThroughput raw = curl_throughput(emulator, dir.path(), options, mix);
                print_raw("taxsync's mix of requests under the same latency", raw, taxsync.requests_per_second);
                std::printf("  raw HTTP reached %.2f of the bound\n", raw.requests_per_second / bound);
            }
        } else if (options.limit_rpm > 0) {
            const double per_minute = taxsync.requests_per_second * 60.0;
            std::printf("  %.1f requests/minute against a limit of %d: %.2f of it (goal >= 0.95), %zu 429s\n",
                        per_minute, options.limit_rpm, per_minute / options.limit_rpm, taxsync.throttled);
        } else if (options.raw_requests > 0) {
            emulator.faults({{"rules", json::array()}});
            // The goal's baseline: the same kinds of requests as taxsync's, so that the ratio measures
            // taxsync's own cost rather than which endpoints the portal is slow at.
            const RawThroughput raw =
                curl_throughput(emulator, dir.path(), options, taxsync_mix(options.raw_requests, emulator.state()));
            print_raw("taxsync's mix of requests", raw, taxsync.requests_per_second);
            ratios.push_back(taxsync.requests_per_second / raw.requests_per_second);
            if (round == options.rounds) {
                print_raw("entity search + create pairs, the portal's cheapest requests",
                          curl_throughput(emulator, dir.path(), options, search_and_create_pairs(options.raw_requests)),
                          taxsync.requests_per_second);
            }
        }
    }
    if (!ratios.empty()) {
        std::string each;
        for (const double ratio : ratios) {
            char figure[16];
            std::snprintf(figure, sizeof figure, "%s%.2f", each.empty() ? "" : ", ", ratio);
            each += figure;
        }
        std::printf(
            "  taxsync / raw, same mix of requests, each round beside its own baseline: %s; median of %zu = "
            "%.2f (goal >= 0.7)\n",
            each.c_str(), ratios.size(), bench::median(ratios));
    }
    return 0;
} catch (const std::exception& error) {
    std::cerr << "apply_bench: " << error.what() << '\n';
    return 1;
}
