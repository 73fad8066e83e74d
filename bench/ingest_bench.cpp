// Parses and normalizes a generated Lacerte export through the real connector (scan, read, decode,
// CSV, header aliases, row checks, tax-id hashing), streamed client by client as a cycle takes it
// (the sink here only counts), beside sqlite3's own `.import --csv` of the
// same file into an in-memory database, timed in the same run. Prints the figures; asserts
// nothing. Run one size per process, so that peak memory is that size's own.
//
//   ingest_bench [--rows 100000] [--sqlite3 /usr/bin/sqlite3] [--runs 3]

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "bench/export_generator.hpp"
#include "bench/statistics.hpp"
#include "connectors/registry.hpp"
#include "core/logger.hpp"
#include "core/memory.hpp"
#include "core/tax_id.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace taxsync;

double seconds_since(SteadyClock::time_point start) {
    return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

double peak_mib(int who) {
    rusage usage{};
    getrusage(who, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

/// Counts what a read hands over, as the engine's intake would receive it, keeping nothing.
class CountingSink final : public connectors::ClientSink {
public:
    void begin_file(const std::filesystem::path& /*file*/) override { in_file_ = 0; }
    void accept(const TaxClient& /*client*/) override { ++in_file_; }
    void end_file(bool taken) override { clients += taken ? in_file_ : 0; }

    std::size_t clients = 0;

private:
    std::size_t in_file_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
    taxsync::return_freed_memory_promptly();  // as the taxsync program does
    std::size_t rows = 100000;
    std::string sqlite3 = TAXSYNC_SQLITE3;
    int runs = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--rows") == 0) rows = std::stoul(argv[i + 1]);
        if (std::strcmp(argv[i], "--sqlite3") == 0) sqlite3 = argv[i + 1];
        if (std::strcmp(argv[i], "--runs") == 0) runs = std::max(1, std::stoi(argv[i + 1]));
    }

    testing::TempDir dir;
    const auto folder = dir.path() / "exports";
    std::filesystem::create_directories(folder);
    const auto file = folder / "clients.csv";
    const std::size_t bytes = bench::generate_lacerte_export(file, rows);
    const double baseline_mib = peak_mib(RUSAGE_SELF);

    connectors::ConnectorRegistry registry;
    connectors::register_builtin_connectors(registry);
    const SystemClock clock;
    const TaxIdHasher tax_ids(std::string(32, 'k'));
    const Logger log = Logger::null();
    connectors::ConnectorSettings settings;
    settings.name = ConnectorName("bench");
    settings.type = "lacerte";
    settings.folder = folder;
    settings.settle = std::chrono::seconds(0);
    auto connector = registry.create(settings, {clock, tax_ids, log});
    if (connector.has_error()) {
        std::cerr << connector.error().message << "\n";
        return 1;
    }

    std::vector<double> theirs;
    for (int run = 0; run < runs; ++run) {
        const auto start = SteadyClock::now();
        const auto result = testing::run(
            sqlite3, {":memory:", ".import --csv " + file.string() + " clients", "SELECT count(*) FROM clients;"},
            dir.path(), std::chrono::minutes(5));
        theirs.push_back(seconds_since(start));
        if (result.exit_code != 0) {
            std::cerr << "sqlite3 failed: " << result.err << "\n";
            return 1;
        }
    }
    // Before our own reading: a forked child counts the parent's pages until it execs.
    const double sqlite_mib = peak_mib(RUSAGE_CHILDREN);

    std::vector<double> ours;
    std::size_t clients = 0;
    std::size_t problems = 0;
    for (int run = 0; run < runs; ++run) {
        const auto start = SteadyClock::now();
        auto state = (*connector)->scan();
        if (state.has_error() || state->ready.size() != 1) {
            std::cerr << "scan failed\n";
            return 1;
        }
        CountingSink sink;
        const connectors::ReadSummary read = (*connector)->stream(*state, sink);
        ours.push_back(seconds_since(start));
        clients = sink.clients;
        problems = read.problems.size();
    }
    const double ours_mib = peak_mib(RUSAGE_SELF);

    const double ours_s = bench::median(ours);
    const double theirs_s = bench::median(theirs);
    std::printf("ingest of a generated Lacerte export: %zu rows, %.1f MB (median of %d runs)\n", rows,
                static_cast<double>(bytes) / 1e6, runs);
    std::printf(
        "  taxsync (scan + read + normalize, lacerte connector, streamed): %8.3f s  %9.0f rows/s  %zu clients, %zu "
        "problems\n",
        ours_s, static_cast<double>(rows) / ours_s, clients, problems);
    std::printf("  sqlite3 :memory: .import --csv:                                %8.3f s  %9.0f rows/s\n", theirs_s,
                static_cast<double>(rows) / theirs_s);
    std::printf("  ratio taxsync / sqlite3: %.2fx (goal <= 1.5x) -> %s\n", ours_s / theirs_s,
                ours_s / theirs_s <= 1.5 ? "met" : "missed");
    std::printf(
        "  peak RSS: taxsync process %.1f MiB (%.1f MiB before reading; goal < 100 MiB -> %s), sqlite3 %.1f MiB\n",
        ours_mib, baseline_mib, ours_mib < 100 ? "met" : "missed", sqlite_mib);
    return 0;
}
