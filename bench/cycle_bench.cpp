// How a cycle's cost grows with the firm: the engine in-process on a real state database (WAL,
// synchronous=FULL) and a real Lacerte export of N clients, with a portal that answers at once so
// only taxsync's own work is timed. Measures a cycle on an unchanged file and on a file where one
// client changed (which must plan exactly that client's operations).
//
//   cycle_bench --clients 100000 [--runs 5]

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "bench/statistics.hpp"
#include "connectors/registry.hpp"
#include "core/memory.hpp"
#include "core/tax_id.hpp"
#include "daemon/config.hpp"
#include "engine/engine.hpp"
#include "store/store.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace taxsync;
using Stopwatch = std::chrono::steady_clock;

/// A portal that has everything at once: creates succeed with fresh ids, nothing exists before.
class InstantPortal final : public portal::Portal {
public:
    [[nodiscard]] std::string_view dialect() const override { return "instant"; }
    [[nodiscard]] const portal::Capabilities& capabilities() const override { return capabilities_; }
    Status connect() override { return ok(); }
    Expected<std::optional<portal::Entity>> find_entity(std::string_view) override {
        return std::optional<portal::Entity>();
    }
    Expected<portal::CreateResult<portal::Entity>> create_entity(const portal::NewEntity& entity,
                                                                 std::string_view) override {
        return portal::CreateResult<portal::Entity>{{EntityId(next("e")), entity.external_key, entity.name}};
    }
    Status rename_entity(const EntityId&, std::string_view) override { return ok(); }
    Expected<std::optional<portal::Contact>> find_contact(std::string_view) override {
        return std::optional<portal::Contact>();
    }
    Expected<portal::CreateResult<portal::Contact>> create_contact(const portal::NewContact& contact,
                                                                   std::string_view) override {
        return portal::CreateResult<portal::Contact>{
            {ContactId(next("u")), contact.email, contact.first_name, contact.last_name, contact.invite, false}};
    }
    Status update_contact(const ContactId&, const portal::ContactChanges&) override { return ok(); }
    Status invite_contact(const ContactId&, std::string_view, std::string_view) override { return ok(); }
    Status share_entity(const EntityId&, const ContactId&, std::string_view) override { return ok(); }
    Expected<GroupId> ensure_group(std::string_view) override { return GroupId(next("g")); }
    Status add_to_group(const GroupId&, const ContactId&) override { return ok(); }
    Expected<FolderId> ensure_folder(const EntityId&, std::string_view) override { return FolderId(next("f")); }
    Status set_folder_access(const FolderId&, const ContactId&, portal::FolderAccess) override { return ok(); }

    std::uint64_t calls = 0;

private:
    std::string next(const char* kind) { return std::string(kind) + std::to_string(++calls); }
    portal::Capabilities capabilities_;
};

std::string row(int i, const std::string& last_name) {
    char id[16];
    std::snprintf(id, sizeof id, "%06dI", i);
    char ssn[16];
    std::snprintf(ssn, sizeof ssn, "900-%02d-%04d", 10 + i / 10000 % 80, i % 10000);
    return std::string(id) + ",First" + std::to_string(i) + "," + last_name + "," + ssn + ",c" + std::to_string(i) +
           "@example.com,,,,,2025";
}

void write_export(const std::filesystem::path& file, int clients, int changed_client, const std::string& changed_name) {
    const auto staging = file.string() + ".partial";
    {
        std::ofstream out(staging, std::ios::binary);
        out << "Client Number,Taxpayer First Name,Taxpayer Last Name,Taxpayer SSN,Taxpayer Email,"
               "Spouse First Name,Spouse Last Name,Spouse SSN,Spouse Email,Tax Year\r\n";
        for (int i = 1; i <= clients; ++i) out << row(i, i == changed_client ? changed_name : "Bench") << "\r\n";
    }
    std::filesystem::rename(staging, file);
}

double ms_since(Stopwatch::time_point start) {
    return std::chrono::duration<double, std::milli>(Stopwatch::now() - start).count();
}

long peak_rss_mb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024;
}

/// Linux: starts the peak resident size (VmHWM) over from the current one, so the measured
/// cycles' peak is told apart from the setup's. False where the kernel does not offer it.
bool reset_peak_rss() {
    malloc_trim(0);  // what the setup freed goes back to the system first
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5\n";
    clear.flush();
    return static_cast<bool>(clear);
}

/// VmHWM from /proc/self/status in MB, or -1.
long peak_rss_since_reset_mb() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6)) / 1024;
    }
    return -1;
}

}  // namespace

int main(int argc, char** argv) {
    taxsync::return_freed_memory_promptly();  // as the taxsync program does
    int clients = 1000;
    int runs = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--clients") clients = std::stoi(argv[i + 1]);
        if (flag == "--runs") runs = std::stoi(argv[i + 1]);
    }
    testing::TempDir dir;
    std::filesystem::create_directories(dir.path() / "exports");
    const auto secret = dir.write("secret", "bench-secret\n");
    std::filesystem::permissions(secret, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    const auto config_file = dir.write(
        "taxsync.toml",
        "[service]\nstate_dir = \"state\"\nlog_level = \"warning\"\n\n[portal]\ntype = \"caseware-cloud\"\n"
        "base_url = \"https://portal.invalid/firm\"\nclient_id = \"bench\"\nclient_secret_file = \"secret\"\n\n"
        "[mapping]\nfirm_name = \"Bench Firm\"\n\n[[connector]]\nname = \"lacerte\"\ntype = \"lacerte\"\n"
        "folder = \"exports\"\nsettle_seconds = 0\ntax_year = \"2025\"\n");
    connectors::ConnectorRegistry registry;
    connectors::register_builtin_connectors(registry);
    auto config = daemon::load_config(config_file, daemon::Environment{}, registry);
    if (config.has_error()) {
        for (const auto& error : config.error()) std::cerr << error.to_string() << '\n';
        return 1;
    }
    std::filesystem::create_directories(config->service.state_dir);
    SystemClock clock;
    const Logger log = Logger::null();
    const TaxIdHasher tax_ids(std::string(64, 'k'));
    std::vector<std::unique_ptr<connectors::Connector>> sources;
    sources.push_back(registry.create(config->connectors.at(0), {clock, tax_ids, log}).value());
    InstantPortal portal;
    // The safety gate would hold a first import of this size; the benchmark measures the work itself.
    engine::EngineOptions options;
    options.policy.limits = {0, 0, 0, 1};

    const auto file = dir.path() / "exports" / "clients.csv";
    write_export(file, clients, 0, "");
    std::cout << "cycle costs at " << clients << " clients (in-process engine, instant portal, state on disk)\n";

    // Setup: the first cycle applies every client. Its durability is beside the point, and the
    // executor syncs every operation (seven per client), so it runs on tmpfs when there is one;
    // the state it leaves is then copied to disk, where every measured cycle runs (synchronous=FULL).
    const auto state_file = config->service.state_dir / "taxsync.db";
    const std::filesystem::path shm = "/dev/shm";
    const auto setup_dir = std::filesystem::is_directory(shm)
                               ? shm / ("taxsync-cycle-bench-" + std::to_string(::getpid()))
                               : config->service.state_dir;
    std::filesystem::create_directories(setup_dir);
    auto start = Stopwatch::now();
    {
        auto setup_store = store::Store::open(setup_dir / "taxsync.db", clock).value();
        engine::Engine setup(setup_store, portal, sources, config->rules, clock, log, options);
        const auto first = setup.run_cycle(engine::Mode::Apply, "bench-setup");
        std::printf("  first cycle (ingest + plan + apply %zu operations, state on %s): %.0f ms\n",
                    first.operations_done, setup_dir == config->service.state_dir ? "disk" : "tmpfs", ms_since(start));
        if (first.operations_failed != 0 || first.operations_done == 0) {
            std::cerr << "setup failed: " << first.operations_failed << " failed operations\n";
            return 1;
        }
    }  // closed: the WAL is checkpointed into the file
    if (setup_dir != config->service.state_dir) {
        std::filesystem::copy_file(setup_dir / "taxsync.db", state_file);
        std::filesystem::remove_all(setup_dir);
    }
    const long setup_peak_mb = peak_rss_mb();
    const bool peak_reset = reset_peak_rss();
    auto store = store::Store::open(state_file, clock).value();
    engine::Engine engine(store, portal, sources, config->rules, clock, log, options);

    std::vector<double> unchanged;
    std::size_t unchanged_planned = 0;
    for (int run = 0; run < runs; ++run) {
        start = Stopwatch::now();
        const auto report = engine.run_cycle(engine::Mode::Apply, "bench");
        unchanged.push_back(ms_since(start));
        unchanged_planned += report.operations_planned;
    }
    std::printf(
        "  unchanged file: median %.1f ms, max %.1f ms over %d cycles; %zu operations planned (goal <= 50 ms)\n",
        bench::median(unchanged), *std::max_element(unchanged.begin(), unchanged.end()), runs, unchanged_planned);

    std::vector<double> changed;
    bool exactly_one = true;
    std::size_t operations = 0;
    for (int run = 0; run < runs; ++run) {
        write_export(file, clients, clients / 2, "Changed" + std::to_string(run));
        start = Stopwatch::now();
        const auto report = engine.run_cycle(engine::Mode::Apply, "bench");
        changed.push_back(ms_since(start));
        exactly_one = exactly_one && report.plan.size() == 1 && report.operations_planned > 0;
        operations = report.operations_planned;
    }
    std::printf(
        "  one client changed: median %.1f ms, max %.1f ms over %d cycles; clients planned: %s, %zu operation(s) "
        "(goal <= 1000 ms, exactly one client)\n",
        bench::median(changed), *std::max_element(changed.begin(), changed.end()), runs,
        exactly_one ? "exactly one each time" : "NOT exactly one", operations);
    if (peak_reset) {
        std::printf("  peak memory (RSS): %ld MB during the measured cycles, %ld MB during the setup\n",
                    peak_rss_since_reset_mb(), setup_peak_mb);
    } else {
        std::printf("  peak memory (RSS): %ld MB (setup included)\n", peak_rss_mb());
    }
    return exactly_one ? 0 : 1;
}
