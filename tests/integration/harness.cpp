#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/base64.hpp"
#include "portal/smartvault/signing.hpp"
#include "tests/support/rsa_keys.hpp"

namespace taxsync::testing {

using nlohmann::json;

std::filesystem::path taxsync_binary() { return TAXSYNC_BINARY; }
std::filesystem::path emulator_binary() { return TAXSYNC_EMULATOR_BINARY; }

std::string dialect_name(Dialect dialect) { return dialect == Dialect::Smartvault ? "SmartVault" : "CaseWare"; }

void write_rsa_key_pair(const std::filesystem::path& dir, bool fresh) {
    // One pair serves every emulator of the process (key generation is the slow part); a test
    // that needs an impostor asks for a fresh one.
    // 1024 bits keep test start-up quick; the signing and checking are the same as with 2048.
    static const RsaKeyPair shared = generate_rsa_key_pair(1024);
    const RsaKeyPair pair = fresh ? generate_rsa_key_pair(1024) : shared;
    for (const auto& [file, text] :
         {std::pair{dir / "app.key", pair.private_pem}, std::pair{dir / "app.pub", pair.public_pem}}) {
        {
            std::ofstream out(file, std::ios::binary | std::ios::trunc);
            out << text;
        }
        std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    }
}

double Emulator::cpu_seconds() const {
    // /proc/PID/stat: fields 14 and 15 are utime and stime in clock ticks; the command name (field 2)
    // is in parentheses and may hold spaces, so count from its closing one.
    std::ifstream in("/proc/" + std::to_string(process_->pid()) + "/stat");
    const std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    for (int index = 3; index < 14; ++index) fields >> field;
    long long user_ticks = 0;
    long long system_ticks = 0;
    fields >> user_ticks >> system_ticks;
    return static_cast<double>(user_ticks + system_ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

Emulator::Emulator(const std::filesystem::path& dir, const std::string& secret, std::vector<std::string> extra_args,
                   Dialect dialect)
    : secret_(secret), dialect_(dialect), dir_(dir) {
    std::filesystem::create_directories(dir);
    if (dialect == Dialect::Smartvault) {
        write_rsa_key_pair(dir);
        extra_args.insert(extra_args.begin(),
                          {"--dialect", "smartvault", "--smartvault-public-key", (dir / "app.pub").string()});
    }
    const auto secret_file = dir / "emulator-secret";
    {
        std::ofstream out(secret_file);
        out << secret << "\n";
    }
    std::filesystem::permissions(secret_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    std::vector<std::string> args = {"--listen",           "127.0.0.1:0",  "--db",
                                     ":memory:",           "--firm",       "itest",
                                     "--client-id",        "taxsync-test", "--client-secret-file",
                                     secret_file.string(), "--quiet"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    process_ = std::make_unique<Process>(emulator_binary(), args, dir / "logs");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        const std::string out = process_->out();
        if (const auto at = out.find("listening on ");
            at != std::string::npos && out.find('\n', at) != std::string::npos) {
            root_ = out.substr(at + 13, out.find('\n', at) - at - 13);
            base_url_ = dialect == Dialect::Smartvault ? root_ : root_ + "/itest";
            return;
        }
        if (!process_->running()) throw std::runtime_error("the emulator exited: " + process_->err());
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("the emulator did not start within 10 s");
}

nlohmann::json Emulator::get(const std::string& path) {
    auto response = http_.send({"GET", root_ + path, {}, ""});
    if (response.has_error() || response->status != 200) throw std::runtime_error("GET " + path + " failed");
    return nlohmann::json::parse(response->body);
}

nlohmann::json Emulator::post(const std::string& path, const nlohmann::json& body) {
    auto response = http_.send({"POST", root_ + path, {{"Content-Type", "application/json"}}, body.dump()});
    if (response.has_error() || response->status >= 300) {
        throw std::runtime_error("POST " + path + " failed: " + (response.has_value() ? response->body : ""));
    }
    return response->body.empty() ? nlohmann::json() : nlohmann::json::parse(response->body);
}

nlohmann::json Emulator::api(const std::string& method, const std::string& path, const nlohmann::json& body) {
    const std::string api_root = base_url_ + "/ms/caseware-cloud/api/v2";
    auto token = http_.send({"POST",
                             api_root + "/auth/token",
                             {{"Content-Type", "application/json"}},
                             nlohmann::json{{"ClientId", "taxsync-test"}, {"ClientSecret", secret_}}.dump()});
    if (token.has_error() || token->status != 200) throw std::runtime_error("cannot sign in to the emulator");
    const std::string bearer = nlohmann::json::parse(token->body)["Token"];
    auto response = http_.send({method,
                                api_root + path,
                                {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + bearer}},
                                body.is_null() ? "" : body.dump()});
    if (response.has_error() || response->status >= 300) {
        throw std::runtime_error(method + " " + path + " failed: " + (response.has_value() ? response->body : ""));
    }
    return response->body.empty() ? nlohmann::json() : nlohmann::json::parse(response->body);
}

std::map<std::string, int> Emulator::invitations() {
    std::map<std::string, int> out;
    for (const auto& mail : mailbox()) {
        if (mail["kind"] == "invitation") ++out[mail["to"].get<std::string>()];
    }
    return out;
}

std::size_t Emulator::count_requests(const std::string& method, const std::string& prefix) {
    std::size_t n = 0;
    for (const auto& request : requests()) {
        if (request["method"] == method && request["path"].get<std::string>().rfind(prefix, 0) == 0) ++n;
    }
    return n;
}

std::set<std::string> Emulator::contact_emails() {
    std::set<std::string> out;
    const json current = state();
    if (dialect_ == Dialect::Caseware) {
        for (const auto& user : current["users"]) out.insert(user["Email"].get<std::string>());
        return out;
    }
    for (const auto& client : current["clients"]) {
        for (const auto& person :
             client["entityExProperties"]["smart_vault"]["accounting"]["client"].value("persons", json::array())) {
            for (const auto& address : person["email_addresses"]) out.insert(address["address"].get<std::string>());
        }
    }
    return out;
}

std::size_t Emulator::entity_count() { return state()[dialect_ == Dialect::Caseware ? "entities" : "clients"].size(); }

namespace {

/// The SmartVault client carrying taxsync's alias `external_key`, or null.
json smartvault_client(const json& state, const std::string& external_key) {
    for (const auto& child : state["clients"]) {
        for (const auto& alias :
             child["entityExProperties"]["smart_vault"]["accounting"]["client"].value("aliases", json::array())) {
            if (alias["Domain"] == "taxsync" && alias["Value"] == external_key) return child;
        }
    }
    return nullptr;
}

}  // namespace

std::optional<std::string> Emulator::entity_name(const std::string& external_key) {
    const json current = state();
    if (dialect_ == Dialect::Caseware) {
        for (const auto& entity : current["entities"]) {
            if (entity["EntityNo"] == external_key) return entity["Name"].get<std::string>();
        }
        return std::nullopt;
    }
    const json client = smartvault_client(current, external_key);
    if (client.is_null()) return std::nullopt;
    return client["entityExProperties"]["smart_vault"]["accounting"]["client"].value("name", "");
}

bool Emulator::has_access(const std::string& email, const std::string& external_key) {
    const json current = state();
    if (dialect_ == Dialect::Caseware) {
        std::string entity_id;
        for (const auto& entity : current["entities"]) {
            if (entity["EntityNo"] == external_key) entity_id = entity["CWGuid"];
        }
        const std::string user = contact_id(email);
        for (const auto& assignment : current["role_assignments"]) {
            if (assignment["EntityId"] == entity_id && assignment["PersonId"] == user) return true;
        }
        return false;
    }
    const json client = smartvault_client(current, external_key);
    if (client.is_null()) return false;
    const std::string vault =
        client["dav_uri"].get<std::string>().substr(client["dav_uri"].get<std::string>().rfind('/') + 1);
    for (const auto& member : current["group_members"]) {
        if (member["vault"] == vault && member["group"] == "Client Contacts" && member["email"] == email) return true;
    }
    return false;
}

std::string Emulator::contact_id(const std::string& email) {
    const json current = state();
    if (dialect_ == Dialect::Caseware) {
        for (const auto& user : current["users"]) {
            if (user["Email"] == email) return user["CWGuid"];
        }
        return {};
    }
    for (const auto& child : current["clients"]) {
        const json persons =
            child["entityExProperties"]["smart_vault"]["accounting"]["client"].value("persons", json::array());
        for (std::size_t i = 0; i < persons.size(); ++i) {
            for (const auto& address : persons[i]["email_addresses"]) {
                if (address["address"] == email) return child["name"].get<std::string>() + "#" + std::to_string(i);
            }
        }
    }
    return {};
}

json Emulator::smartvault(const std::string& method, const std::string& path, const json& body) {
    const auto post = [&](const std::string& to, const json& payload, const std::string& basic) {
        portal::HttpRequest request{"POST", root_ + to, {{"Content-Type", "application/json"}}, payload.dump()};
        if (!basic.empty()) request.headers.emplace_back("Authorization", "Basic " + base64_encode(basic));
        auto response = http_.send(request);
        if (response.has_error() || response->status != 200) throw std::runtime_error("cannot sign in: POST " + to);
        const json answer = json::parse(response->body);
        if (!answer["error"]["success"].get<bool>()) throw std::runtime_error("cannot sign in: " + response->body);
        return answer["message"];
    };
    const auto key = portal::smartvault::PrivateKey::from_pem(read_file(private_key_file()));
    const std::string nonce = post("/auto/auth/nonce/1", {{"client_id", "taxsync-test"}}, "")["code"];
    const auto signed_token = portal::smartvault::self_signed_token(*key, "taxsync-test", nonce);
    const std::string client_token =
        post("/auto/auth/ctoken/1", {{"client_id", "taxsync-test"}, {"token", *signed_token}}, "")["token"];
    const std::string delegation =
        post("/auto/auth/dtoken/1", {{"user_email", "staff@firm.example"}}, "taxsync-test:" + client_token)["token"];
    auto response = http_.send({method,
                                root_ + path,
                                {{"Content-Type", "application/json"},
                                 {"Authorization", "Basic " + base64_encode("staff@firm.example:" + delegation)}},
                                body.is_null() ? "" : body.dump()});
    if (response.has_error()) throw std::runtime_error(method + " " + path + " failed");
    return json::parse(response->body);
}

std::string Exports::lacerte_header() {
    return "Client Number,Taxpayer First Name,Taxpayer Last Name,Taxpayer SSN,Taxpayer Email,"
           "Spouse First Name,Spouse Last Name,Spouse SSN,Spouse Email,Tax Year";
}

std::string Exports::lacerte_row(const std::string& id, const std::string& first, const std::string& last,
                                 const std::string& ssn, const std::string& email, const std::string& spouse_first,
                                 const std::string& spouse_last, const std::string& spouse_ssn,
                                 const std::string& spouse_email) {
    return id + "," + first + "," + last + "," + ssn + "," + email + "," + spouse_first + "," + spouse_last + "," +
           spouse_ssn + "," + spouse_email + ",2025";
}

std::vector<std::string> Exports::numbered_rows(int count, const std::string& email_prefix) {
    std::vector<std::string> rows;
    for (int i = 1; i <= count; ++i) {
        char id[16];
        std::snprintf(id, sizeof id, "%05dI", i);
        rows.push_back(lacerte_row(id, "First" + std::to_string(i), "Last", "",
                                   email_prefix + std::to_string(i) + "@example.com"));
    }
    return rows;
}

void expect_each_invited_once(Emulator& emulator, std::size_t expected) {
    const auto invitations = emulator.invitations();
    EXPECT_EQ(invitations.size(), expected);
    for (const auto& [email, count] : invitations) EXPECT_EQ(count, 1) << email;
}

Workspace::Workspace(const Emulator& emulator) : base_url_(emulator.base_url()), dialect_(emulator.dialect()) {
    secrets_.insert(emulator.secret());
    write_secret(emulator.secret());
    if (dialect_ == Dialect::Smartvault) {
        std::filesystem::copy_file(emulator.private_key_file(), temp_.path() / "app.key");
        std::filesystem::permissions(temp_.path() / "app.key",
                                     std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    }
    write_config();
    std::filesystem::create_directories(temp_.path() / "exports" / "lacerte");
}

Workspace::~Workspace() {
    const std::string found = leaks();
    if (!found.empty()) ADD_FAILURE() << "secrets or tax ids in the outputs or logs of taxsync: " << found;
}

std::string Workspace::leaks() const {
    // Everything taxsync wrote for people: its outputs, the captured stdout/stderr of every
    // process started here, and log files. Not the exports, the config or the state, which hold
    // the seeded values by design.
    std::string written = transcript_;
    std::error_code error;
    for (auto it = std::filesystem::recursive_directory_iterator(temp_.path(), error);
         !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
        if (!it->is_regular_file()) continue;
        const auto relative = std::filesystem::relative(it->path(), temp_.path()).string();
        const auto extension = it->path().extension();
        if (relative.rfind("logs/", 0) == 0 || extension == ".log") written += "\n" + read_file(it->path());
    }
    std::set<std::string> needles = secrets_;
    if (const auto key = temp_.path() / "state" / "tax-id.key"; std::filesystem::exists(key)) {
        std::string text = read_file(key);
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
        if (!text.empty()) needles.insert(text);
    }
    std::string found;
    for (const std::string& needle : needles) {
        if (needle.size() >= 6 && written.find(needle) != std::string::npos) {
            // Name a secret by its length only; a tax id is fine to name in a test failure.
            const bool tax_id = needle.find_first_not_of("0123456789-") == std::string::npos;
            found += (tax_id ? needle : "a secret of " + std::to_string(needle.size()) + " characters") + "; ";
        }
    }
    // Any full SSN-shaped number at all, seeded or not.
    static const std::regex ssn_shape(R"((^|[^0-9])[0-9]{3}-[0-9]{2}-[0-9]{4}($|[^0-9]))");
    std::smatch match;
    if (std::regex_search(written, match, ssn_shape)) found += "SSN-shaped text \"" + match.str() + "\"; ";
    return found;
}

void Workspace::write_lacerte(const std::vector<std::string>& rows, const std::string& name) {
    std::string text = Exports::lacerte_header() + "\r\n";
    for (const auto& row : rows) {
        text += row + "\r\n";
        // Taxpayer and spouse SSNs (columns 4 and 8), with and without dashes, for leaks().
        std::vector<std::string> fields;
        std::stringstream cells(row);
        for (std::string cell; std::getline(cells, cell, ',');) fields.push_back(cell);
        for (const std::size_t column : {std::size_t{3}, std::size_t{7}}) {
            if (column >= fields.size() || fields[column].size() < 9) continue;
            secrets_.insert(fields[column]);
            std::string digits;
            for (const char c : fields[column]) {
                if (std::isdigit(static_cast<unsigned char>(c)) != 0) digits.push_back(c);
            }
            secrets_.insert(digits);
        }
    }
    // Write beside, then rename: the connector must never see half a file.
    const auto target = temp_.path() / "exports" / "lacerte" / name;
    const auto staging = temp_.path() / (name + ".partial");
    {
        std::ofstream out(staging, std::ios::binary);
        out << text;
    }
    std::filesystem::rename(staging, target);
}

void Workspace::write_config(const std::string& portal_extra, const std::string& extra,
                             const std::string& service_extra) {
    const std::string portal =
        dialect_ == Dialect::Smartvault
            ? "[portal]\ntype = \"smartvault\"\nbase_url = \"" + base_url_ +
                  "\"\naccount = \"itest\"\napp_id = \"taxsync-test\"\nprivate_key_file = \"app.key\"\n"
                  "admin_email = \"admin@firm.example\"\nrequests_per_second = 0\n"
            : "[portal]\ntype = \"caseware-cloud\"\nbase_url = \"" + base_url_ +
                  "\"\nclient_id = \"taxsync-test\"\nclient_secret_file = \"portal-secret\"\n";
    // Debug by default, so a failing test shows everything; `service_extra` may set another level.
    const std::string log_level = service_extra.find("log_level") == std::string::npos ? "log_level = \"debug\"\n" : "";
    temp_.write("taxsync.toml", "[service]\nstate_dir = \"state\"\n" + log_level + service_extra + "\n" + portal +
                                    portal_extra + "\n[mapping]\nfirm_name = \"Test Firm\"\n" + extra +
                                    "\n[[connector]]\nname = \"lacerte\"\ntype = \"lacerte\"\n"
                                    "folder = \"exports/lacerte\"\nsettle_seconds = 0\ntax_year = \"2025\"\n");
}

void Workspace::write_secret(const std::string& secret) {
    secrets_.insert(secret);
    const auto file = temp_.write("portal-secret", secret + "\n");
    std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

RunResult Workspace::taxsync(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"--config", config_file().string()};
    all.insert(all.end(), args.begin(), args.end());
    RunResult result = run(taxsync_binary(), all, temp_.path() / "logs", std::chrono::seconds(120));
    transcript_ += result.out + result.err;
    return result;
}

}  // namespace taxsync::testing

namespace taxsync::testing {

NotifyListener::NotifyListener(const std::filesystem::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (fd_ < 0 || path.string().size() >= sizeof address.sun_path) throw std::runtime_error("notify socket");
    std::strcpy(address.sun_path, path.c_str());
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        throw std::runtime_error(std::string("cannot bind the notify socket: ") + std::strerror(errno));
    }
}

NotifyListener::~NotifyListener() {
    if (fd_ >= 0) ::close(fd_);
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
}

void NotifyListener::drain(std::chrono::milliseconds wait) {
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(wait.count())) <= 0) return;
    char buffer[4096];
    while (true) {
        const ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n <= 0) return;
        messages_.emplace_back(buffer, static_cast<std::size_t>(n));
    }
}

std::string NotifyListener::wait_for(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        for (; searched_ < messages_.size(); ++searched_) {
            if (messages_[searched_].find(needle) != std::string::npos) return messages_[searched_++];
        }
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return {};
        drain(std::min(left, std::chrono::milliseconds(50)));
    }
}

const std::vector<std::string>& NotifyListener::messages() {
    drain(std::chrono::milliseconds(0));
    return messages_;
}

}  // namespace taxsync::testing
