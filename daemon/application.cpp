#include "daemon/application.hpp"

#include <algorithm>

#include "core/digest.hpp"
#include "core/file.hpp"
#include "core/text.hpp"
#include "daemon/platform.hpp"
#include "portal/caseware/caseware_portal.hpp"
#include "portal/pooled_http_client.hpp"
#include "portal/smartvault/smartvault_portal.hpp"

namespace taxsync::daemon {
namespace {

Status prepare_state_dir(const std::filesystem::path& dir) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) {
        return fail(ErrorKind::Io, "cannot create the state directory " + dir.string() + ": " + error.message());
    }
    return check_writable_directory(dir);
}

/// The sign-in the adapters of one portal share: the one of the configured dialect is used.
struct PortalSessions {
    std::shared_ptr<portal::caseware::Session> caseware;
    std::shared_ptr<portal::smartvault::Session> smartvault;
};

/// One adapter of the configured dialect over `http`. `workers` adapters run at once: SmartVault's
/// own pacing is shared out among them, so together they keep to requests_per_second.
Expected<std::unique_ptr<portal::Portal>> make_portal_adapter(const Config& settings, int workers,
                                                              portal::HttpClient& http, Clock& clock, const Logger& log,
                                                              const PortalSessions& sessions) {
    if (settings.portal.type == "smartvault") {
        portal::smartvault::Settings smartvault;
        smartvault.base_url = settings.portal.base_url;
        smartvault.account = settings.portal.account;
        smartvault.app_id = settings.portal.app_id;
        smartvault.private_key_pem = settings.portal.private_key;
        smartvault.admin_email = settings.portal.admin_email;
        smartvault.requests_per_second = settings.portal.requests_per_second / std::max(1, workers);
        smartvault.grant_access = settings.rules.invite;
        smartvault.retry.max_attempts = settings.portal.max_attempts;
        smartvault.jitter_seed = static_cast<std::uint64_t>(current_process_id());
        auto made = portal::smartvault::SmartvaultPortal::create(smartvault, http, clock, log, sessions.smartvault);
        if (made.has_error()) {
            Error error = std::move(made).error();
            error.message = "private_key_file " + settings.portal.private_key_file.string() + ": " + error.message;
            return unexpected(std::move(error));
        }
        return std::unique_ptr<portal::Portal>(std::move(made).value());
    }
    portal::caseware::Settings portal_settings;
    portal_settings.base_url = settings.portal.base_url;
    portal_settings.client_id = settings.portal.client_id;
    portal_settings.client_secret = settings.portal.client_secret;
    portal_settings.honours_idempotency_keys = settings.portal.idempotency_keys;
    portal_settings.retry.max_attempts = settings.portal.max_attempts;
    portal_settings.jitter_seed = static_cast<std::uint64_t>(current_process_id());
    return std::unique_ptr<portal::Portal>(
        std::make_unique<portal::caseware::CasewarePortal>(portal_settings, http, clock, log, sessions.caseware));
}

}  // namespace

Expected<std::optional<std::string>> read_tax_id_key(const std::filesystem::path& file) {
    std::error_code error;
    if (!std::filesystem::exists(file, error)) return std::optional<std::string>{};
    if (auto private_file = check_private_file(file, "tax id key file"); private_file.has_error()) {
        return unexpected(private_file.error());
    }
    auto text = read_whole_file(file);
    if (text.has_error()) return unexpected(std::move(text).error());
    std::string key(trim(*text));
    if (key.size() < 32) return fail(ErrorKind::InvalidInput, "tax id key file " + file.string() + " is too short");
    return std::optional<std::string>(std::move(key));
}

Expected<std::string> load_or_create_tax_id_key(const std::filesystem::path& file) {
    std::error_code error;
    auto existing = read_tax_id_key(file);
    if (existing.has_error()) return unexpected(std::move(existing).error());
    if (*existing) return std::move(**existing);
    std::filesystem::create_directories(file.parent_path(), error);
    const std::string key = to_hex(random_bytes(32));
    // Created exclusively: two processes starting at once must not each write a different key.
    if (auto created = create_private_file(file, key + "\n"); created.has_error()) {
        if (created.error().kind == ErrorKind::Conflict) return load_or_create_tax_id_key(file);
        return fail(ErrorKind::Io, "cannot create tax id key file: " + created.error().message);
    }
    return key;
}

Expected<std::unique_ptr<store::Store>> open_store_for_reading(const Config& config, const Clock& clock) {
    const auto file = config.service.state_dir / "taxsync.db";
    std::error_code error;
    if (!std::filesystem::exists(file, error)) {
        return fail(ErrorKind::NotFound, "no state in " + config.service.state_dir.string() +
                                             " yet: taxsync has not run with this configuration");
    }
    auto store = store::Store::open_reader(file, clock);
    if (store.has_error()) return unexpected(std::move(store).error());
    return std::make_unique<store::Store>(std::move(store).value());
}

Application::Application(Key, Config config, std::shared_ptr<Redactor> redactor, const LogOptions& log)
    : config_(std::move(config)), redactor_(std::move(redactor)), log_(Logger::make(log, redactor_)) {}

Expected<std::unique_ptr<Application>> Application::create(Config config, const connectors::ConnectorRegistry& registry,
                                                           StateAccess access, LogOptions log) {
    auto redactor = std::make_shared<Redactor>();
    redactor->add_secret(config.portal.client_secret);
    redactor->add_secret(config.portal.private_key);
    log.level = config.service.log_level;
    std::unique_ptr<Application> app;
    try {
        app = std::make_unique<Application>(Key{}, std::move(config), redactor, log);
    } catch (const std::exception& error) {  // the log file cannot be opened
        return fail(ErrorKind::Io, std::string("cannot open the log: ") + error.what());
    }
    const Config& settings = app->config_;

    if (auto dir = prepare_state_dir(settings.service.state_dir); dir.has_error()) return unexpected(dir.error());
    if (access == StateAccess::Exclusive) {
        auto lock = StateLock::acquire(settings.service.state_dir);
        if (lock.has_error()) return unexpected(std::move(lock).error());
        app->lock_ = std::move(lock).value();
    }
    auto store = store::Store::open(settings.service.state_dir / "taxsync.db", app->clock_, access == StateAccess::Exclusive);
    if (store.has_error()) return unexpected(std::move(store).error());
    app->store_ = std::make_unique<store::Store>(std::move(store).value());

    auto key = load_or_create_tax_id_key(settings.service.tax_id_key_file);
    if (key.has_error()) return unexpected(std::move(key).error());
    redactor->add_secret(*key);
    app->tax_ids_ = std::make_unique<TaxIdHasher>(*key);

    const connectors::ConnectorServices services{app->clock_, *app->tax_ids_, app->log_};
    for (const auto& connector_settings : settings.connectors) {
        auto connector = registry.create(connector_settings, services);
        if (connector.has_error()) {
            Error error = std::move(connector).error();
            error.message = "connector " + connector_settings.name.value() + ": " + error.message;
            return unexpected(std::move(error));
        }
        app->connectors_.push_back(std::move(connector).value());
    }

    portal::HttpClientSettings http;
    http.connect_timeout = settings.portal.connect_timeout;
    http.total_timeout = settings.portal.timeout;
    http.ca_file = settings.portal.ca_file;
    http.user_agent = "taxsync/" TAXSYNC_VERSION;
    auto client = portal::make_system_http_client(http);
    if (client.has_error()) return unexpected(std::move(client).error());
    app->http_ = std::make_unique<portal::PooledHttpClient>(std::move(client).value(),
                                                            [http] { return portal::make_system_http_client(http); });
    // Every dialect gets the same guard rails: the limiter paces requests, the breaker stops
    // hammering a portal that is down. The breaker is outermost so an open circuit costs nothing.
    portal::RateLimit rate_limit;
    rate_limit.requests_per_minute = settings.portal.requests_per_minute;
    rate_limit.burst = settings.portal.burst;
    app->rate_limiter_ =
        std::make_unique<portal::RateLimitedHttpClient>(*app->http_, app->clock_, rate_limit, app->log_);
    app->breaker_ = std::make_unique<portal::CircuitBreaker>(
        *app->rate_limiter_, app->clock_,
        portal::BreakerSettings{settings.portal.breaker_failures, settings.portal.breaker_cooldown}, app->log_);

    app->caseware_session_ = std::make_shared<portal::caseware::Session>();
    app->smartvault_session_ = std::make_shared<portal::smartvault::Session>();
    auto adapter = make_portal_adapter(settings, settings.portal.concurrency, *app->breaker_, app->clock_, app->log_,
                                       {app->caseware_session_, app->smartvault_session_});
    if (adapter.has_error()) return unexpected(std::move(adapter).error());
    app->portal_ = std::move(adapter).value();

    engine::EngineOptions options;
    options.policy = settings.policy;
    options.portal_down_until = [breaker = app->breaker_.get()] { return breaker->open_until(); };
    // Each further worker gets its own adapter (own retry state) over the same thread-safe client
    // (one rate limiter, one circuit breaker, a pool of HTTP handles) and one sign-in.
    options.concurrency = static_cast<std::size_t>(settings.portal.concurrency);
    options.make_portal = [app = app.get()]() -> std::unique_ptr<portal::Portal> {
        auto made = make_portal_adapter(app->config_, app->config_.portal.concurrency, *app->breaker_, app->clock_,
                                        app->log_, {app->caseware_session_, app->smartvault_session_});
        return made.has_value() ? std::move(made).value() : nullptr;
    };
    app->engine_ = std::make_unique<engine::Engine>(*app->store_, *app->portal_, app->connectors_, settings.rules,
                                                    app->clock_, app->log_, options);
    return app;
}

}  // namespace taxsync::daemon

namespace taxsync::daemon {

Status Application::inherit_state_lock(Application& previous) {
    if (previous.config_.service.state_dir == config_.service.state_dir && previous.lock_) {
        lock_ = std::move(previous.lock_);
        previous.lock_.reset();
        return ok();
    }
    auto lock = StateLock::acquire(config_.service.state_dir);
    if (lock.has_error()) return unexpected(std::move(lock).error());
    lock_ = std::move(lock).value();
    return ok();
}

}  // namespace taxsync::daemon
