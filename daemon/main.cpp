// taxsync: tax client exports in, client-portal invitations out.

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>

#include "core/memory.hpp"
#include "daemon/admin_commands.hpp"
#include "daemon/commands.hpp"
#include "daemon/exit_codes.hpp"
#include "daemon/platform.hpp"
#include "portal/system_http_client.hpp"

int main(int argc, char** argv) {
    using namespace taxsync::daemon;
    taxsync::return_freed_memory_promptly();
    CLI::App app{"taxsync " TAXSYNC_VERSION ": reads tax-package client exports and invites every client's people "
                 "into the client portal, exactly once."};
    app.set_version_flag("--version", "taxsync " TAXSYNC_VERSION);
    std::string config_file = default_config_file().string();
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
    auto* service =
        app.add_subcommand("service", "register or remove the Windows service (Linux: see the systemd unit)");
    service->require_subcommand(1);
    auto* install =
        service->add_subcommand("install", "register taxsync as a Windows service running this configuration");
    auto* uninstall = service->add_subcommand("uninstall", "stop and remove the Windows service");

    std::string cycle;
    auto* approve = app.add_subcommand("approve", "send the operations of a cycle held at the safety gate");
    approve->add_option("cycle", cycle, "cycle number (default: the held cycle)");
    auto* reject = app.add_subcommand("reject", "drop the operations of a cycle held at the safety gate");
    reject->add_option("cycle", cycle, "cycle number (default: the held cycle)");

    std::string client;
    std::string review_action;
    std::string entity;
    auto* review = app.add_subcommand("review", "clients waiting for an administrator: list | link | ignore | retry");
    review->add_option("action", review_action, "list | link CLIENT ENTITY | ignore CLIENT | retry CLIENT")
        ->required()
        ->check(CLI::IsMember({"list", "link", "ignore", "retry"}));
    review->add_option("client", client, "CLIENT as connector:id (or the id alone when only one connector has it)");
    review->add_option("entity", entity, "the portal entity id to link the client to");
    review->add_flag("--json", json, "print the list as JSON");

    bool resend = false;
    bool pending = false;
    auto* invite = app.add_subcommand("invite", "send invitations now: for one client, or every contact still waiting");
    invite->add_option("client", client, "CLIENT as connector:id (or the id alone)");
    invite->add_flag("--resend", resend, "send again to people invited before who have not accepted");
    invite->add_flag("--pending", pending, "every contact not invited yet or whose invitation failed");

    auto* explain = app.add_subcommand("explain", "one client's records, links, access, waiting operations and history");
    explain->add_option("client", client, "CLIENT as connector:id (or the id alone)")->required();

    bool repair = false;
    auto* verify = app.add_subcommand("verify", "read back from the portal the access taxsync granted and report drift");
    verify->add_option("client", client, "only this CLIENT (connector:id, or the id alone)");
    verify->add_flag("--repair", repair, "have the next cycle put drifted access back");

    bool csv = false;
    std::string since;
    auto* audit = app.add_subcommand("audit", "the trail of portal writes");
    audit->add_option("--client", client, "only this client");
    audit->add_option("--since", since, "from this date (2026-01-31) or UTC time (2026-01-31T08:00:00Z)");
    audit->add_flag("--csv", csv, "as CSV, for a spreadsheet");

    auto* portal_command = app.add_subcommand("portal", "work with the portal's own settings");
    portal_command->require_subcommand(1);
    auto* email_template = portal_command->add_subcommand(
        "template", "the portal's invitation email template (SmartVault: User Activation); read and update only");
    email_template->require_subcommand(1);
    auto* template_show = email_template->add_subcommand("show", "print the template (Subject line, blank line, body)");
    template_show->add_flag("--json", json, "print it as JSON");
    auto* template_set = email_template->add_subcommand("set", "replace the template's subject and body from FILE");
    std::filesystem::path template_file;
    template_set->add_option("FILE", template_file, "text file: \"Subject: ...\", a blank line, then the body")
        ->required()
        ->check(CLI::ExistingFile);

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
        const taxsync::portal::HttpLibraryScope http;
        if (once->parsed()) return run_once(context);
        if (plan->parsed()) return run_plan(context);
        if (status->parsed()) return run_status(context);
        if (check->parsed()) return run_config_check(context);
        if (run->parsed()) return run_service(context, as_service);
        if (install->parsed()) return run_service_install(context);
        if (uninstall->parsed()) return run_service_uninstall(context);
        if (ctl->parsed()) return run_ctl(context, ctl_command, socket);
        if (approve->parsed()) return run_decide(context, cycle, true);
        if (reject->parsed()) return run_decide(context, cycle, false);
        if (review->parsed()) {
            if (review_action != "list" && client.empty()) {
                std::cerr << "taxsync: review " << review_action << " needs a CLIENT\n";
                return exit_code::kUsage;
            }
            if (review_action == "link" && entity.empty()) {
                std::cerr << "taxsync: review link needs CLIENT and the portal ENTITY id\n";
                return exit_code::kUsage;
            }
            return run_review(context, review_action, client, entity);
        }
        if (invite->parsed()) {
            if (pending == !client.empty()) {
                std::cerr << "taxsync: invite needs either a CLIENT or --pending\n";
                return exit_code::kUsage;
            }
            return run_invite(context, client, resend, pending);
        }
        if (explain->parsed()) return run_explain(context, client);
        if (verify->parsed()) return run_verify(context, client, repair);
        if (audit->parsed()) return run_audit(context, client, since, csv);

        if (template_show->parsed()) return run_portal_template(context, std::nullopt);
        if (template_set->parsed()) return run_portal_template(context, template_file);

        if (connector_list->parsed()) return run_connector_list(context);
        if (connector_check->parsed()) return run_connector_check(context, connector_name);
    } catch (const std::exception& error) {
        std::cerr << "taxsync: unexpected failure: " << error.what() << "\n";
        return exit_code::kError;
    }
    return exit_code::kUsage;
}
