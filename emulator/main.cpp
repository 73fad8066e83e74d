// taxsync-portal-emulator: the CaseWare Cloud API v2 or SmartVault's REST API on loopback, for the demo, the
// integration tests and the benchmarks. Prints "listening on http://HOST:PORT" once it accepts connections.

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "core/clock.hpp"
#include "core/digest.hpp"
#include "core/logger.hpp"
#include "core/redact.hpp"
#include "emulator/emulator.hpp"
#include "emulator/http_server.hpp"
#include "store/sqlite.hpp"

namespace {

using namespace taxsync;

struct CommandLine {
    std::string listen = "127.0.0.1:0";
    std::string database = ":memory:";
    std::string firm = "demo";
    std::string client_id;
    std::filesystem::path client_secret_file;
    std::int64_t token_ttl_seconds = 1800;
    std::optional<std::uint64_t> seed;
    std::string dialect = "caseware";
    std::optional<std::filesystem::path> smartvault_public_key;
    std::optional<std::int64_t> delegation_token_ttl_seconds;
    std::optional<std::filesystem::path> port_file;
    std::optional<std::string> faults;  // a JSON plan, or a file holding one
    bool allow_remote = false;
    bool quiet = false;
};

Expected<std::string> read_secret(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(ErrorKind::Io, "cannot read the client secret file " + path.string());
    std::ostringstream text;
    text << in.rdbuf();
    std::string secret = text.str();
    // A trailing newline comes from `echo secret > file`, not from the secret.
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' '))
        secret.pop_back();
    if (secret.empty()) return fail(ErrorKind::InvalidInput, "the client secret file " + path.string() + " is empty");
    return secret;
}

std::uint64_t random_seed() {
    const std::string bytes = random_bytes(8);
    std::uint64_t seed = 0;
    std::memcpy(&seed, bytes.data(), sizeof seed);
    return seed;
}

Expected<sqlite::Database> open_database(const std::string& path) {
    if (path == ":memory:") return sqlite::Database::open_in_memory();
    return sqlite::Database::open(path, sqlite::OpenMode::ReadWrite);
}

/// --faults takes the plan inline (it starts with '{') or the name of a file holding it.
Expected<std::string> fault_plan_text(const std::string& argument) {
    if (!argument.empty() && argument.front() == '{') return argument;
    std::ifstream in(argument, std::ios::binary);
    if (!in) return fail(ErrorKind::Io, "cannot read the fault plan file " + argument);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

int run(const CommandLine& options) {
    auto endpoint = emulator::parse_listen_address(options.listen);
    if (endpoint.has_error()) {
        std::cerr << "taxsync-portal-emulator: " << endpoint.error().message << '\n';
        return 2;
    }
    if (!endpoint->address().is_loopback() && !options.allow_remote) {
        std::cerr << "taxsync-portal-emulator: refusing to listen on " << options.listen
                  << ", which is not a loopback address (pass --allow-remote to insist)\n";
        return 2;
    }
    if (options.client_id.empty()) {
        std::cerr
            << "taxsync-portal-emulator: --client-id is required (the CaseWare client id or the SmartVault app id)\n";
        return 2;
    }
    emulator::EmulatorOptions emulator_options;
    std::string secret_text;
    if (options.dialect == "smartvault") {
        if (!options.smartvault_public_key) {
            std::cerr << "taxsync-portal-emulator: --dialect smartvault needs --smartvault-public-key FILE (the app's "
                         "RSA public key, PEM)\n";
            return 2;
        }
        auto pem = read_secret(*options.smartvault_public_key);
        auto key = pem.has_value() ? emulator::PublicKey::from_pem(*pem + "\n") : unexpected(pem.error());
        if (key.has_error()) {
            std::cerr << "taxsync-portal-emulator: " << options.smartvault_public_key->string() << ": "
                      << key.error().message << '\n';
            return 2;
        }
        emulator::SmartvaultCredentials credentials;
        credentials.app_id = options.client_id;
        credentials.public_key_pem = *pem;
        credentials.client_token_ttl = std::chrono::seconds(options.token_ttl_seconds);
        credentials.delegation_token_ttl =
            std::chrono::seconds(options.delegation_token_ttl_seconds.value_or(options.token_ttl_seconds));
        emulator_options.dialect = emulator::Dialect::Smartvault;
        emulator_options.smartvault = emulator::SmartvaultSetup{std::move(credentials), std::move(key).value()};
    } else {
        if (options.client_secret_file.empty()) {
            std::cerr << "taxsync-portal-emulator: --client-secret-file is required for the CaseWare dialect\n";
            return 2;
        }
        auto secret = read_secret(options.client_secret_file);
        if (secret.has_error()) {
            std::cerr << "taxsync-portal-emulator: " << secret.error().message << '\n';
            return 2;
        }
        secret_text = secret.value();
    }
    auto database = open_database(options.database);
    if (database.has_error()) {
        std::cerr << "taxsync-portal-emulator: " << database.error().message << '\n';
        return 1;
    }

    auto redactor = std::make_shared<Redactor>();
    if (!secret_text.empty()) redactor->add_secret(secret_text);
    const SystemClock clock;
    emulator_options.firm = options.firm;
    emulator_options.credentials = {options.client_id, secret_text, std::chrono::seconds(options.token_ttl_seconds)};
    emulator_options.id_seed = options.seed.value_or(random_seed());
    emulator_options.log_requests = !options.quiet;

    emulator::Emulator emulator(database.value(), clock, Logger::to_stderr(LogLevel::Info, redactor),
                                std::move(emulator_options));
    if (options.faults) {
        auto plan_text = fault_plan_text(*options.faults);
        if (plan_text.has_error()) {
            std::cerr << "taxsync-portal-emulator: " << plan_text.error().message << '\n';
            return 2;
        }
        if (auto loaded = emulator.load_faults(*plan_text); loaded.has_error()) {
            std::cerr << "taxsync-portal-emulator: --faults: " << loaded.error().message << '\n';
            return 2;
        }
    }
    boost::asio::io_context io;
    emulator::HttpServer server(io, emulator);
    if (auto listening = server.listen(endpoint.value()); listening.has_error()) {
        std::cerr << "taxsync-portal-emulator: " << listening.error().message << '\n';
        return 1;
    }
    const std::string host =
        endpoint->address().is_v6() ? "[" + endpoint->address().to_string() + "]" : endpoint->address().to_string();
    if (options.port_file) {
        std::ofstream port_file(*options.port_file);
        port_file << server.port() << '\n';
        if (!port_file) {
            std::cerr << "taxsync-portal-emulator: cannot write " << options.port_file->string() << '\n';
            return 1;
        }
    }
    std::cout << "listening on http://" << host << ':' << server.port() << std::endl;  // endl: the reader waits on it

    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& error, int) {
        if (error) return;
        server.stop();
        io.stop();
    });
    io.run();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CommandLine options;
    CLI::App app{
        "Emulates a client portal's HTTP API (CaseWare Cloud API v2 or SmartVault) for taxsync's tests and demo"};
    app.add_option("--listen", options.listen, "HOST:PORT to listen on; port 0 picks a free port")
        ->capture_default_str();
    app.add_option("--db", options.database, "SQLite database file, or :memory:")->capture_default_str();
    app.add_option("--firm", options.firm, "firm segment of the API path")->capture_default_str();
    app.add_option("--client-id", options.client_id,
                   "API client id accepted by /auth/token (CaseWare), or the app id (SmartVault)");
    app.add_option("--client-secret-file", options.client_secret_file, "file holding the API client secret (CaseWare)")
        ->check(CLI::ExistingFile);
    app.add_option("--smartvault-public-key", options.smartvault_public_key,
                   "PEM file with the app's RSA public key; client tokens must be signed with its private key")
        ->check(CLI::ExistingFile);
    app.add_option("--delegation-token-ttl", options.delegation_token_ttl_seconds,
                   "SmartVault delegation token lifetime in seconds (default: --token-ttl)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{86'400 * 365}));
    app.add_option("--token-ttl", options.token_ttl_seconds,
                   "bearer token (CaseWare) or client token (SmartVault) lifetime in seconds")
        ->capture_default_str()
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{86'400 * 365}));
    app.add_option("--seed", options.seed, "seed for deterministic CWGuid values");
    app.add_option("--dialect", options.dialect, "portal dialect")
        ->capture_default_str()
        ->check(CLI::IsMember({"caseware", "smartvault"}));
    app.add_option("--port-file", options.port_file, "also write the chosen port to this file");
    app.add_option("--faults", options.faults,
                   "fault plan to start with: JSON as for POST /_emulator/faults, inline or in a file");
    app.add_flag("--allow-remote", options.allow_remote, "allow a non-loopback listen address");
    app.add_flag("--quiet", options.quiet, "do not log one line per request to stderr");
    CLI11_PARSE(app, argc, argv);

    try {
        return run(options);
    } catch (const std::exception& error) {
        std::cerr << "taxsync-portal-emulator: " << error.what() << '\n';
        return 1;
    }
}
