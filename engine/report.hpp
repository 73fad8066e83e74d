#pragma once
// What one cycle saw, planned and did: the engine fills it, the command line prints it.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "connectors/connector.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/strong_id.hpp"
#include "mapping/operation.hpp"

namespace taxsync::engine {

/// Apply: send. Plan: compute what a cycle would do and leave no trace (`taxsync plan`).
/// Stage: plan, and record what it would do (config `mode = "plan"`).
enum class Mode { Apply, Plan, Stage };
std::string_view to_string(Mode mode);

struct ConnectorSummary {
    ConnectorName name;
    bool read = false;       // false: the source was unchanged (or unreadable) and not read again
    std::string note;        // why it was not read, or what went wrong
    std::size_t files = 0;
    std::size_t waiting_files = 0;  // still being written; read on a later cycle
    std::size_t clients = 0;
    std::size_t added = 0;
    std::size_t changed = 0;
    std::size_t absent = 0;  // in the snapshot, missing from this read
};

enum class ClientChange { Added, Changed, Unchanged, Resumed, Removed, Reminder };
std::string_view to_string(ClientChange change);

struct PlannedClient {
    ConnectorName connector;
    ClientId client;
    std::string display_name;
    ClientChange change = ClientChange::Added;
    std::vector<mapping::Action> actions;
    std::vector<std::string> notes;
};

struct Failure {
    ConnectorName connector;
    ClientId client;
    std::string step;    // describe(action)
    Error error;
};

struct CycleReport {
    std::optional<CycleId> cycle;  // none in plan mode: nothing is recorded
    Mode mode = Mode::Apply;
    SystemTime started_at{};
    SystemTime finished_at{};
    std::vector<ConnectorSummary> connectors;
    std::vector<connectors::Problem> problems;
    std::vector<PlannedClient> plan;
    std::size_t operations_planned = 0;
    std::size_t operations_done = 0;
    std::size_t operations_failed = 0;
    std::size_t operations_left = 0;  // not attempted: the cycle stopped early; they run next cycle
    std::size_t invitations_sent = 0;
    std::vector<std::string> invited;  // addresses invited in this cycle
    std::vector<Failure> failures;
    std::optional<Error> stopped;      // why the cycle ended early (bad credentials, portal down)
    bool cancelled = false;            // taxsync was asked to stop; the rest waits in the outbox
    /// Why the safety gate held this cycle's new operations; they wait for `taxsync approve`.
    std::optional<std::string> held;
    std::vector<std::string> reviews;  // clients sent to (or waiting in) the review queue, with why
    std::size_t activations = 0;       // contacts found to have accepted their invitation

    [[nodiscard]] std::size_t planned_invitations() const;
    [[nodiscard]] std::size_t planned_revocations() const;
    [[nodiscard]] bool has_row_errors() const;
    /// True when something needs an administrator: bad rows, failed steps, an early stop, a held cycle.
    [[nodiscard]] bool has_problems() const;
};

}  // namespace taxsync::engine
