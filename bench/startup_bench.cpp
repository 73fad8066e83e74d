// How long `taxsync run` takes from exec to READY=1 on a configuration shaped like the demo's
// (two CSV connectors, folder and group rules), beside the same binary's bare start
// (`taxsync --version`) measured in the same run. Prints the figures; asserts nothing.
//
//   startup_bench --taxsync build/release/daemon/taxsync [--runs 30]

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "tests/integration/harness.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace taxsync::testing;
using Clock = std::chrono::steady_clock;

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Figures {
    double min = 0, median = 0, p95 = 0, max = 0;
};

Figures summarize(std::vector<double> samples) {
    std::sort(samples.begin(), samples.end());
    const auto at = [&](double q) { return samples[std::min(samples.size() - 1, static_cast<std::size_t>(q * samples.size()))]; };
    return {samples.front(), at(0.5), at(0.95), samples.back()};
}

void write_config(const TempDir& dir) {
    dir.write("portal-secret", "bench-secret-0123456789\n");
    std::filesystem::permissions(dir.path() / "portal-secret", std::filesystem::perms::owner_read);
    std::filesystem::create_directories(dir.path() / "inbox" / "lacerte");
    std::filesystem::create_directories(dir.path() / "inbox" / "proseries");
    dir.write("taxsync.toml", R"(
[service]
state_dir = "state"
log_format = "text"
log_level = "warning"
status_listen = "127.0.0.1:0"
[portal]
type = "caseware-cloud"
base_url = "http://127.0.0.1:9/bench"
client_id = "bench"
client_secret_file = "portal-secret"
[mapping]
firm_name = "Bench & Co"
[[mapping.folder]]
path = "{tax_year}/Tax Returns"
access = "read"
[[mapping.folder]]
path = "{tax_year}/Source Documents"
access = "upload"
[[mapping.group]]
name = "Individual tax clients"
when = { entity_kind = "individual" }
[[connector]]
name = "lacerte"
type = "lacerte"
folder = "inbox/lacerte"
[[connector]]
name = "proseries"
type = "proseries"
folder = "inbox/proseries"
)");
}

}  // namespace

int main(int argc, char** argv) {
    std::filesystem::path taxsync;
    int runs = 30;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--taxsync") taxsync = argv[i + 1];
        if (flag == "--runs") runs = std::max(1, std::stoi(argv[i + 1]));
    }
    if (taxsync.empty()) {
        std::cerr << "usage: startup_bench --taxsync PATH [--runs N]\n";
        return 64;
    }
    TempDir dir;
    write_config(dir);
    const std::string config = (dir.path() / "taxsync.toml").string();

    // Baseline: the same binary starting and exiting (dynamic linking, static initialisation).
    std::vector<double> baseline;
    for (int i = 0; i < runs; ++i) {
        const auto started = Clock::now();
        const RunResult result = run(taxsync, {"--version"}, dir.path() / "logs");
        baseline.push_back(ms(Clock::now() - started));
        if (result.exit_code != 0) {
            std::cerr << "taxsync --version failed\n";
            return 1;
        }
    }

    std::vector<double> ready;
    double first = 0;
    for (int i = 0; i <= runs; ++i) {
        NotifyListener notify(dir.path() / ("notify-" + std::to_string(i) + ".sock"));
        const auto started = Clock::now();
        Process service(taxsync, {"--config", config, "run"}, dir.path() / "logs",
                        {{"NOTIFY_SOCKET", notify.path().string()}});
        if (notify.wait_for("READY=1", std::chrono::seconds(10)).empty()) {
            std::cerr << "no READY=1 within 10 s:\n" << service.err();
            return 1;
        }
        const double took = ms(Clock::now() - started);
        if (i == 0) {
            first = took;  // the first start also creates the database and the tax-id key
        } else {
            ready.push_back(took);
        }
        service.kill(SIGTERM);
        service.wait_for(std::chrono::seconds(10));
    }

    const Figures start = summarize(ready);
    const Figures bare = summarize(baseline);
    std::printf("startup to READY (taxsync run, demo-shaped configuration, %d runs)\n", runs);
    std::printf("  first start (creates the database and the tax-id key): %.1f ms\n", first);
    std::printf("  later starts: min %.1f  median %.1f  p95 %.1f  max %.1f ms\n", start.min, start.median, start.p95,
                start.max);
    std::printf("  baseline, taxsync --version: median %.1f ms\n", bare.median);
    std::printf("  start-up work beyond a bare process start: %.1f ms (median); median ratio %.1fx\n",
                start.median - bare.median, start.median / bare.median);
    std::printf("  goal: under 200 ms -> %s\n", start.p95 < 200.0 ? "met (p95)" : "NOT met (p95)");
    return 0;
}
