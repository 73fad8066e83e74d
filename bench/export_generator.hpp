#pragma once
// Synthetic Lacerte-style client exports of any size, for the ingest benchmark: households (most
// with a spouse) and businesses, unique ids and SSNs in the 900 range (never issued), quoted
// fields where a real export would have them. Deterministic for a given row count.

#include <cstddef>
#include <filesystem>

namespace taxsync::bench {

/// Writes a header and `rows` client rows to `file`; returns the bytes written.
std::size_t generate_lacerte_export(const std::filesystem::path& file, std::size_t rows);

}  // namespace taxsync::bench
