// taxsync: tax client exports in, client-portal invitations out.

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <exception>
#include <iostream>

#include "daemon/commands.hpp"
#include "daemon/exit_codes.hpp"
#include "portal/curl_http_client.hpp"

int main(int argc, char** argv) {
    using namespace taxsync::daemon;
    CLI::App app{"taxsync " TAXSYNC_VERSION ": reads tax-package client exports and invites every client's people "
                 "into the client portal, exactly once."};
    app.set_version_flag("--version", "taxsync " TAXSYNC_VERSION);
    std::string config_file = "/etc/taxsync/taxsync.toml";
    app.add_option("-c,--config", config_file, "configuration file")->envname("TAXSYNC_CONFIG");
    app.require_subcommand(1);

    bool json = false;
    auto* once = app.add_subcommand("once", "run one cycle (read exports, update the portal, invite) and exit");
    auto* plan = app.add_subcommand(
        "plan", "show what the next cycle would do; sends nothing (exit 0: nothing to do, 2: changes pending)");
    plan->add_flag("--json", json, "print the plan as JSON");
    auto* status = app.add_subcommand("status", "show invitation states, the last cycle and problems");
    status->add_flag("--json", json, "print the status as JSON");
    auto* run = app.add_subcommand("run", "run as a service: cycles on a schedule and when exports change, until stopped");
    bool as_service = false;
    run->add_flag("--service", as_service, "started by the Windows service control manager (ignored elsewhere)");
    auto* ctl = app.add_subcommand("ctl", "ask the running service: status, sync-now, reload, pause, resume");
    std::string ctl_command;
    ctl->add_option("command", ctl_command, "status | sync-now | reload | pause | resume")
        ->required()
        ->check(CLI::IsMember({"status", "sync-now", "reload", "pause", "resume"}));
    ctl->add_flag("--json", json, "print the answer as JSON");
    std::string socket;
    ctl->add_option("--socket", socket, "control socket (default: [service] control_socket of the configuration)");
    auto* config = app.add_subcommand("config", "work with the configuration file");
    config->require_subcommand(1);
    auto* check = config->add_subcommand("check", "validate the configuration and name every error with line and column");
    auto* connector = app.add_subcommand("connector", "look at the connectors' folders without importing anything");
    connector->require_subcommand(1);
    auto* connector_list = connector->add_subcommand("list", "each connector's folder: files ready, waiting, ignored");
    connector_list->add_flag("--json", json, "print as JSON");
    auto* connector_check = connector->add_subcommand(
        "check", "what a connector sees, what it would import, and every problem (read-only; exit 3: problems)");
    std::string connector_name;
    connector_check->add_option("name", connector_name, "the connector's name")->required();
    connector_check->add_flag("--json", json, "print as JSON");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForAllHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForVersion& version) {
        return app.exit(version);
    } catch (const CLI::ParseError& error) {
        app.exit(error);
        return exit_code::kUsage;
    }

    const CommandContext context{config_file, json, std::cout, std::cerr};
    try {
        const taxsync::portal::CurlGlobal curl;
        if (once->parsed()) return run_once(context);
        if (plan->parsed()) return run_plan(context);
        if (status->parsed()) return run_status(context);
        if (check->parsed()) return run_config_check(context);
        if (run->parsed()) return run_service(context);
        if (ctl->parsed()) return run_ctl(context, ctl_command, socket);
        if (connector_list->parsed()) return run_connector_list(context);
        if (connector_check->parsed()) return run_connector_check(context, connector_name);
    } catch (const std::exception& error) {
        std::cerr << "taxsync: unexpected failure: " << error.what() << "\n";
        return exit_code::kError;
    }
    return exit_code::kUsage;
}
