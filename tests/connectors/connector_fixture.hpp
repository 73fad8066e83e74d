#pragma once
// Shared set-up for connector tests: a temp export folder, a manual clock, a tax-id hasher and
// the builtin registry, plus helpers that write files with a chosen age and read them back.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.hpp"
#include "connectors/registry.hpp"
#include "core/logger.hpp"
#include "core/tax_id.hpp"
#include "tests/support/manual_clock.hpp"
#include "tests/support/temp_dir.hpp"

namespace taxsync::connectors::testing {

using namespace std::chrono_literals;

/// Sets a file's modification time to `time`.
void set_modified(const std::filesystem::path& path, SystemTime time);

class ConnectorFixture : public ::testing::Test {
protected:
    ConnectorFixture();

    /// Settings for `type` reading the temp folder, with tax year 2025 as the default.
    [[nodiscard]] ConnectorSettings settings(std::string type) const;
    /// Writes `content` to `name` in the export folder, last modified `age` before the clock's now.
    std::filesystem::path write(const std::string& name, std::string_view content,
                                std::chrono::seconds age = std::chrono::hours(1)) const;
    /// Builds the connector (failing the test when that fails).
    std::unique_ptr<Connector> make(const ConnectorSettings& settings) const;
    /// Scans and reads everything ready.
    Batch read_all(const ConnectorSettings& settings) const;
    /// read_all with default settings of `type`.
    Batch read_all(std::string type) const { return read_all(settings(std::move(type))); }

    taxsync::testing::TempDir dir_;
    taxsync::testing::ManualClock clock_;
    TaxIdHasher hasher_{"connector-tests-key-0123456789"};
    Logger log_ = Logger::null();
    ConnectorRegistry registry_;
};

/// The client with `id`, or nullptr.
const TaxClient* find_client(const Batch& batch, std::string_view id);
/// Problems whose reason contains `text`.
std::vector<Problem> problems_mentioning(const Batch& batch, std::string_view text);
/// Number of problems with `severity`.
std::size_t count_problems(const Batch& batch, Severity severity);

}  // namespace taxsync::connectors::testing
