// Applying new clients against the emulator: operations and HTTP requests per second of
// `taxsync once`, next to raw HTTP throughput to the same emulator at the same concurrency from
// `curl --parallel --parallel-max N`; taxsync runs with [portal] concurrency = N.
//
//   apply_bench --clients 10000 --concurrency 8                 no added latency, with the raw curl baseline
//   apply_bench --clients 200 --latency-ms 20 --concurrency 8   every request 20 ms slower
//   apply_bench --clients 30 --limit-rpm 120                    the portal allows 120 requests/minute (429 above)
//   ... --idempotency-keys 1                                     [portal] idempotency_keys = true (the emulator
//                                                                honours them): requests that change the portal
//                                                                reuse connections

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

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
};

/// Requests per second from curl at `concurrency`: a search then a create per pair, like taxsync's
/// lookup-first creates.
double raw_throughput(Emulator& emulator, const std::filesystem::path& dir, const Options& options) {
    portal::CurlHttpClient http{portal::CurlOptions{}};
    const std::string api = emulator.base_url() + "/ms/caseware-cloud/api/v2";
    auto token = http.send({"POST",
                            api + "/auth/token",
                            {{"Content-Type", "application/json"}},
                            json{{"ClientId", "taxsync-test"}, {"ClientSecret", emulator.secret()}}.dump()});
    const std::string bearer = json::parse(token->body)["Token"];
    const auto config = dir / "curl.cfg";
    {
        std::ofstream out(config);
        for (int i = 0; i < options.raw_requests / 2; ++i) {
            if (i > 0) out << "next\n";
            out << "url = \"" << api << "/entities?search=EntityNo%3D%27raw%3A" << i << "%27\"\n"
                << "header = \"Authorization: Bearer " << bearer << "\"\noutput = \"/dev/null\"\nnext\n";
            out << "url = \"" << api << "/entities\"\nheader = \"Authorization: Bearer " << bearer << "\"\n"
                << "header = \"Content-Type: application/json\"\n"
                << "data = \"{\\\"Name\\\":\\\"Raw " << i << "\\\",\\\"EntityNo\\\":\\\"raw:" << i << "\\\"}\"\n"
                << "output = \"/dev/null\"\n";
        }
    }
    const double emulator_cpu_before = emulator.cpu_seconds();
    const auto start = Stopwatch::now();
    const auto result = run("/usr/bin/curl",
                            {"--silent", "--show-error", "--fail", "--parallel", "--parallel-max",
                             std::to_string(options.concurrency), "--config", config.string()},
                            dir / "logs", std::chrono::minutes(20));
    const double elapsed = seconds_since(start);
    if (result.exit_code != 0) std::cerr << "curl failed: " << result.err.substr(0, 500) << '\n';
    const int requests = options.raw_requests / 2 * 2;
    std::printf("  curl: the emulator's CPU per request %.0f us\n",
                (emulator.cpu_seconds() - emulator_cpu_before) * 1e6 / requests);
    return requests / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
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
    }
    portal::CurlGlobal curl;
    TempDir dir;
    Emulator emulator(dir.path() / "emulator");
    Workspace workspace(emulator);
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

    std::printf("apply %d new clients against the emulator (concurrency %d%s%s%s)\n", options.clients,
                options.concurrency, options.idempotency_keys ? ", idempotency keys honoured" : "",
                options.latency_ms > 0 ? (", +" + std::to_string(options.latency_ms) + " ms per request").c_str() : "",
                options.limit_rpm > 0 ? (", portal limit " + std::to_string(options.limit_rpm) + "/min").c_str() : "");
    const double emulator_cpu_before = emulator.cpu_seconds();
    const auto start = Stopwatch::now();
    const auto result = run(taxsync_binary(), {"--config", workspace.config_file().string(), "once"},
                            workspace.dir() / "logs", std::chrono::minutes(30));
    const double elapsed = seconds_since(start);
    const double emulator_cpu = emulator.cpu_seconds() - emulator_cpu_before;
    if (result.exit_code != 0) {
        std::cerr << "taxsync once failed (" << result.exit_code << "): " << result.out.substr(0, 2000)
                  << result.err.substr(0, 2000) << '\n';
        return 1;
    }
    auto db = sqlite::Database::open(workspace.database(), sqlite::OpenMode::ReadOnly).value();
    const auto operations = db.query_int("SELECT count(*) FROM outbox WHERE state = 'done'").value_or(0);
    const json log = emulator.requests();
    std::size_t throttled = 0;
    for (const auto& request : log) throttled += request["status"] == 429 ? 1 : 0;
    const double requests_per_second = static_cast<double>(log.size()) / elapsed;
    std::printf(
        "  taxsync once: %.1f s, %lld operations (%.0f ops/s), %zu HTTP requests (%.1f req/s), %zu answered 429, "
        "%zu invitations\n",
        elapsed, static_cast<long long>(operations), static_cast<double>(operations) / elapsed, log.size(),
        requests_per_second, throttled, emulator.invitations().size());

    // CPU time varies far less with the machine's load than elapsed time: taxsync's own, per request.
    rusage taxsync_usage{};
    getrusage(RUSAGE_CHILDREN, &taxsync_usage);
    const auto cpu_seconds = [](const rusage& usage) {
        return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
               static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    };
    const double requests = static_cast<double>(std::max<std::size_t>(1, log.size()));
    std::printf("  CPU per HTTP request: taxsync %.0f us, the emulator %.0f us\n",
                cpu_seconds(taxsync_usage) * 1e6 / requests, emulator_cpu * 1e6 / requests);

    if (options.latency_ms > 0) {
        const double bound = options.concurrency * 1000.0 / options.latency_ms;
        std::printf("  bound concurrency / latency = %.1f req/s; reached %.2f of it (goal >= 0.9)\n", bound,
                    requests_per_second / bound);
        if (options.raw_requests > 0) {
            // The same delay for curl: how close raw HTTP itself comes to the bound on this machine.
            const double raw = raw_throughput(emulator, dir.path(), options);
            std::printf(
                "  raw HTTP under the same latency, curl --parallel --parallel-max %d: %.1f req/s, %.2f of the "
                "bound; taxsync / raw = %.2f\n",
                options.concurrency, raw, raw / bound, requests_per_second / raw);
        }
    } else if (options.limit_rpm > 0) {
        const double per_minute = requests_per_second * 60.0;
        std::printf("  %.1f requests/minute against a limit of %d: %.2f of it (goal >= 0.95), %zu 429s\n", per_minute,
                    options.limit_rpm, per_minute / options.limit_rpm, throttled);
    } else if (options.raw_requests > 0) {
        emulator.faults({{"rules", json::array()}});
        const double raw = raw_throughput(emulator, dir.path(), options);
        std::printf("  raw HTTP, curl --parallel --parallel-max %d, search + create pairs: %.1f req/s\n",
                    options.concurrency, raw);
        std::printf("  taxsync / raw = %.2f (goal >= 0.7)\n", requests_per_second / raw);
    }
    rusage usage{};
    getrusage(RUSAGE_CHILDREN, &usage);
    std::printf("  peak memory of a child process (taxsync or curl): %ld MB\n", usage.ru_maxrss / 1024);
    return 0;
}
