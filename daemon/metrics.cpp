#include "daemon/metrics.hpp"

#include <sstream>

namespace taxsync::daemon {
namespace {

void family(std::ostringstream& out, const char* name, const char* type, const char* help) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << "\n";
}

}  // namespace

std::string render_prometheus(const ServiceMetrics& metrics, const StateGauges& gauges, SystemTime started) {
    std::ostringstream out;
    family(out, "taxsync_up", "gauge", "1 while the service runs.");
    out << "taxsync_up 1\n";
    family(out, "taxsync_start_time_seconds", "gauge", "When the service started (Unix time).");
    out << "taxsync_start_time_seconds " << to_unix_seconds(started) << "\n";
    family(out, "taxsync_cycles_total", "counter", "Cycles run since start, by outcome.");
    for (const char* outcome : {"ok", "problems", "failed", "interrupted", "error"}) {
        const auto found = metrics.cycles.find(outcome);
        out << "taxsync_cycles_total{outcome=\"" << outcome << "\"} " << (found == metrics.cycles.end() ? 0 : found->second)
            << "\n";
    }
    family(out, "taxsync_cycle_running", "gauge", "1 while a cycle runs.");
    out << "taxsync_cycle_running " << (metrics.cycle_running ? 1 : 0) << "\n";
    family(out, "taxsync_paused", "gauge", "1 while automatic cycles are paused.");
    out << "taxsync_paused " << (metrics.paused ? 1 : 0) << "\n";
    family(out, "taxsync_last_cycle_duration_seconds", "gauge", "How long the last cycle took.");
    out << "taxsync_last_cycle_duration_seconds " << metrics.last_cycle_seconds << "\n";
    family(out, "taxsync_last_success_timestamp_seconds", "gauge",
           "When the last cycle without problems finished (Unix time); 0 if none yet.");
    out << "taxsync_last_success_timestamp_seconds " << (metrics.last_success ? to_unix_seconds(*metrics.last_success) : 0)
        << "\n";
    family(out, "taxsync_portal_operations_total", "counter", "Portal operations since start, by result.");
    out << "taxsync_portal_operations_total{result=\"done\"} " << metrics.operations_done << "\n";
    out << "taxsync_portal_operations_total{result=\"failed\"} " << metrics.operations_failed << "\n";
    family(out, "taxsync_invitations_sent_total", "counter", "Invitations sent since start.");
    out << "taxsync_invitations_sent_total " << metrics.invitations_sent << "\n";
    family(out, "taxsync_config_reloads_total", "counter", "Configuration reloads since start, by result.");
    out << "taxsync_config_reloads_total{result=\"accepted\"} " << metrics.reloads << "\n";
    out << "taxsync_config_reloads_total{result=\"refused\"} " << metrics.reload_failures << "\n";
    family(out, "taxsync_outbox_depth", "gauge", "Portal operations waiting in the outbox.");
    out << "taxsync_outbox_depth " << gauges.outbox_waiting << "\n";
    family(out, "taxsync_people", "gauge", "People in the exports, by invitation state.");
    for (const auto& [state, count] : gauges.people_by_state) {
        out << "taxsync_people{state=\"" << state << "\"} " << count << "\n";
    }
    return out.str();
}

}  // namespace taxsync::daemon
