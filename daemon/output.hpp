#pragma once
// How reports look on a terminal and as JSON. Nothing here decides anything.

#include <nlohmann/json_fwd.hpp>

#include <ostream>
#include <vector>

#include "engine/report.hpp"
#include "store/store.hpp"

namespace taxsync::daemon {

void print_plan(const engine::CycleReport& report, std::ostream& out);
void print_cycle(const engine::CycleReport& report, const std::vector<store::PersonStatus>& people, std::ostream& out);
nlohmann::json plan_json(const engine::CycleReport& report);

struct StatusView {
    std::string database;
    std::optional<store::CycleRecord> last_cycle;
    std::vector<store::PersonStatus> people;
    std::map<std::string, std::int64_t> outbox;
    std::vector<store::ProblemRecord> problems;
    std::optional<store::HeldCycle> held;
    std::vector<store::Review> reviews;
    std::vector<store::StagedOperation> staged;  // what the latest plan-mode cycle would have done
};

void print_status(const StatusView& status, std::ostream& out);
nlohmann::json status_json(const StatusView& status);

/// The invitation states in the order they are shown, with counts (zero included).
std::vector<std::pair<std::string, std::size_t>> count_states(const std::vector<store::PersonStatus>& people);

}  // namespace taxsync::daemon
