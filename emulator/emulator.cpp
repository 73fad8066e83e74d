#include "emulator/emulator.hpp"

#include <charconv>
#include <stdexcept>

#include "core/text.hpp"

namespace taxsync::emulator {
namespace {

using nlohmann::json;

constexpr std::string_view kApiSegments[] = {"ms", "caseware-cloud", "api", "v2"};

bool is_api_path(const std::vector<std::string>& segments) {
    if (segments.size() < 1 + std::size(kApiSegments)) return false;
    for (std::size_t i = 0; i < std::size(kApiSegments); ++i) {
        if (segments[i + 1] != kApiSegments[i]) return false;
    }
    return true;
}

json entry_to_json(const RequestLogEntry& entry) {
    return json{{"seq", entry.seq},
                {"method", entry.method},
                {"path", entry.path},
                {"query", entry.query},
                {"status", entry.status},
                {"idempotency_key", entry.idempotency_key ? json(*entry.idempotency_key) : json(nullptr)},
                {"fault", entry.fault.empty() ? json(nullptr) : json(entry.fault)},
                {"replayed", entry.replayed},
                {"delay_ms", entry.delay_ms},
                {"duration_ms", entry.duration_ms},
                {"answered_at_ms", entry.answered_at_ms}};
}

std::optional<std::string> logged_key(const std::optional<std::string>& raw) {
    if (!raw) return std::nullopt;
    return normalize_idempotency_key(*raw).value_or(*raw);
}

Reply method_not_allowed(std::string_view allowed) {
    Reply reply = error_reply(405, "use " + std::string(allowed));
    reply.headers.emplace_back("Allow", std::string(allowed));
    return reply;
}

}  // namespace

Emulator::Emulator(sqlite::Database& db, const Clock& clock, Logger logger, EmulatorOptions options)
    : clock_(clock),
      logger_(std::move(logger)),
      options_(std::move(options)),
      store_(db, clock, options_.id_seed),
      idempotency_(db, clock),
      api_(store_, idempotency_, clock, options_.credentials) {
    if (options_.dialect == Dialect::Smartvault) {
        if (!options_.smartvault)
            throw std::invalid_argument("the SmartVault dialect needs the app's id and public key");
        smartvault_store_.emplace(db, clock, options_.firm);
        smartvault_api_.emplace(store_, *smartvault_store_, clock, options_.smartvault->credentials,
                                options_.smartvault->key);
    }
}

std::string Emulator::api_prefix() const {
    if (options_.dialect == Dialect::Smartvault) return "";
    return "/" + options_.firm + "/ms/caseware-cloud/api/v2";
}

void Emulator::admit_smartvault(Exchange& exchange, const IncomingRequest& request,
                                const std::vector<std::string>& segments) {
    // SmartVault's API sits at the root of its host: /auto/..., /nodes/...
    exchange.logged_ = true;
    exchange.fault_ = faults_.decide(request.method, exchange.path_);
    const bool refused_at_the_door = exchange.fault_.status || exchange.fault_.drop == DropMode::BeforeApply;
    if (refused_at_the_door) return;
    auto admitted = smartvault_api_->admit(SmartvaultRequest{
        request.method, segments, QueryParameters::parse(exchange.query_), request.authorization, request.body});
    if (auto* reply = std::get_if<Reply>(&admitted)) {
        exchange.pending_ = std::move(*reply);
    } else {
        exchange.pending_ = std::get<SmartvaultCall>(std::move(admitted));
    }
}

Exchange Emulator::admit(IncomingRequest request) {
    Exchange exchange;
    exchange.started_ = std::chrono::steady_clock::now();
    Target target = split_target(request.target);
    const std::vector<std::string> segments = split_path(target.path);
    exchange.path_ = target.path;
    exchange.log_path_ = target.path;
    exchange.query_ = target.query;

    if (!segments.empty() && segments.front() == "_emulator") {
        exchange.pending_ =
            handle_emulator_endpoint(request.method, segments, QueryParameters::parse(target.query), request.body);
    } else if (options_.dialect == Dialect::Smartvault) {
        admit_smartvault(exchange, request, segments);
    } else if (!is_api_path(segments)) {
        exchange.logged_ = true;
        exchange.pending_ = error_reply(404, "not found: the API lives under " + api_prefix());
    } else if (segments.front() != options_.firm) {
        exchange.logged_ = true;
        exchange.pending_ = error_reply(404, "unknown firm '" + segments.front() + "'");
    } else {
        exchange.logged_ = true;
        std::string api_path;
        for (std::size_t i = 1 + std::size(kApiSegments); i < segments.size(); ++i) api_path += "/" + segments[i];
        if (api_path.empty()) api_path = "/";
        exchange.log_path_ = api_path;
        exchange.fault_ = faults_.decide(request.method, api_path);
        if (const auto retry_after = faults_.throttle(clock_.steady_now())) {
            // The gateway answers first: over the limit, its 429 replaces whatever was drawn.
            exchange.fault_ = FaultDecision{};
            exchange.fault_.status = 429;
            exchange.fault_.retry_after_seconds = *retry_after;
        }
        if (exchange.fault_.expire_tokens) store_.expire_all_tokens();
        const bool refused_at_the_door = exchange.fault_.status || exchange.fault_.drop == DropMode::BeforeApply;
        if (!refused_at_the_door) {
            auto admitted = api_.admit(ApiRequest{request.method, api_path, QueryParameters::parse(target.query),
                                                  request.authorization, request.idempotency_key, request.body});
            std::visit([&](auto&& alternative) { exchange.pending_ = std::move(alternative); }, std::move(admitted));
        }
    }
    exchange.request_ = std::move(request);
    return exchange;
}

Status Emulator::load_faults(std::string_view plan_text) {
    auto plan = parse_fault_plan_text(plan_text);
    if (plan.has_error()) return unexpected(std::move(plan).error());
    const bool expire_tokens = plan->expire_tokens;
    faults_.replace(std::move(plan).value());
    if (expire_tokens) store_.expire_all_tokens();
    return ok();
}

std::optional<Reply> Emulator::finish(Exchange& exchange) {
    const FaultDecision& fault = exchange.fault_;
    if (fault.drop == DropMode::BeforeApply) {
        record(exchange, 0, "drop_before", false);
        return std::nullopt;
    }
    if (fault.status) {
        const std::string text = fault.error_text.value_or("injected fault: HTTP " + std::to_string(*fault.status));
        Reply reply = options_.dialect == Dialect::Smartvault
                          ? json_reply(*fault.status, json{{"error", {{"success", false}, {"error_text", text}}},
                                                           {"message", nullptr}})
                          : error_reply(*fault.status, text);
        if (fault.retry_after_seconds)
            reply.headers.emplace_back("Retry-After", std::to_string(*fault.retry_after_seconds));
        record(exchange, reply.status, "status", false);
        return reply;
    }
    Reply reply;
    if (auto* call = std::get_if<AdmittedCall>(&exchange.pending_)) {
        reply = api_.apply(*call);
    } else if (auto* smartvault_call = std::get_if<SmartvaultCall>(&exchange.pending_)) {
        reply = smartvault_api_->apply(*smartvault_call);
    } else {
        reply = std::get<Reply>(exchange.pending_);
    }
    const bool replayed = reply.header("Idempotent-Replayed").has_value();
    if (fault.drop == DropMode::AfterApply) {
        record(exchange, reply.status, "drop_after", replayed);
        return std::nullopt;
    }
    record(exchange, reply.status, "", replayed);
    return reply;
}

void Emulator::record(const Exchange& exchange, unsigned status, std::string_view fault, bool replayed) {
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - exchange.started_);
    if (exchange.logged_) {
        requests_.push_back(RequestLogEntry{
            next_request_seq_++, exchange.request_.method, exchange.log_path_, exchange.query_, status,
            logged_key(exchange.request_.idempotency_key), std::string(fault), replayed, exchange.fault_.delay.count(),
            elapsed.count(),
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count()});
    }
    if (options_.log_requests) {
        // The path only: a query string may carry search values (e-mail addresses) we keep out of logs.
        logger_.info("{} {} {} {}ms{}{}", exchange.request_.method, exchange.path_,
                     status == 0 ? std::string("-") : std::to_string(status), elapsed.count(),
                     fault.empty() ? "" : " fault=", fault);
    }
}

json Emulator::request_log(std::uint64_t after_seq) const {
    json entries = json::array();
    for (const auto& entry : requests_) {
        if (entry.seq > after_seq) entries.push_back(entry_to_json(entry));
    }
    return entries;
}

void Emulator::reset() {
    store_.wipe_all_but_roles();
    if (smartvault_store_) smartvault_store_->wipe();
    idempotency_.clear();
    faults_.clear();
    requests_.clear();
}

Reply Emulator::handle_emulator_endpoint(const std::string& method, const std::vector<std::string>& segments,
                                         const QueryParameters& query, const std::string& body) {
    try {
        const std::string name = segments.size() >= 2 ? segments[1] : "";
        if (segments.size() == 2 && name == "health") {
            return method == "GET" ? json_reply(200, json{{"ok", true}}) : method_not_allowed("GET");
        }
        if (segments.size() == 2 && name == "mailbox") {
            return method == "GET" ? json_reply(200, store_.mailbox()) : method_not_allowed("GET");
        }
        if (segments.size() == 2 && name == "state") {
            if (method != "GET") return method_not_allowed("GET");
            return json_reply(200, smartvault_store_ ? smartvault_store_->state() : store_.state());
        }
        if (segments.size() == 2 && name == "reset") {
            if (method != "POST") return method_not_allowed("POST");
            reset();
            return json_reply(200, json{{"reset", true}});
        }
        if (segments.size() == 4 && name == "users" && segments[3] == "activate") {
            if (method != "POST") return method_not_allowed("POST");
            if (!store_.user(segments[2])) return error_reply(404, "no user with CWGuid " + segments[2]);
            store_.activate_user(segments[2]);
            return json_reply(200, *store_.user(segments[2]));
        }
        if (segments.size() == 4 && name == "logins" && segments[3] == "activate" && smartvault_store_) {
            // SmartVault: the person followed the User Activation link and set a password.
            if (method != "POST") return method_not_allowed("POST");
            smartvault_store_->activate_login(segments[2]);
            return json_reply(200, json{{"email", to_lower_ascii(segments[2])}, {"activated", true}});
        }
        if (segments.size() == 2 && name == "requests") {
            if (method != "GET") return method_not_allowed("GET");
            std::uint64_t after = 0;
            if (const auto since = query.get("since")) {
                const auto [end, error] = std::from_chars(since->data(), since->data() + since->size(), after);
                if (error != std::errc{} || end != since->data() + since->size()) {
                    return error_reply(400, "since must be a request sequence number");
                }
            }
            return json_reply(200, request_log(after));
        }
        if (segments.size() == 2 && name == "faults") {
            if (method == "GET") return json_reply(200, faults_.describe());
            if (method != "POST") return method_not_allowed("GET, POST");
            const json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
            if (parsed.is_discarded()) return error_reply(400, "the faults body is not valid JSON");
            auto plan = parse_fault_plan(parsed);
            if (plan.has_error()) return error_reply(400, plan.error().message);
            const bool expire_tokens = plan->expire_tokens;
            faults_.replace(std::move(plan).value());
            if (expire_tokens) store_.expire_all_tokens();
            if (expire_tokens && smartvault_store_) smartvault_store_->expire_all_tokens();
            return json_reply(200, faults_.describe());
        }
        return error_reply(404, "no such emulator endpoint");
    } catch (const std::exception& error) {
        return error_reply(500, std::string("emulator failure: ") + error.what());
    }
}

}  // namespace taxsync::emulator
