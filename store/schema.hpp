#pragma once
// The store's schema, versioned with PRAGMA user_version and migrated forward only.

#include "core/expected.hpp"
#include "store/sqlite.hpp"

namespace taxsync::store {

inline constexpr int kSchemaVersion = 4;

/// Brings the database up to kSchemaVersion, one transaction per step. A database written by a
/// newer taxsync (user_version above kSchemaVersion) is refused and left untouched.
Status migrate(sqlite::Database& db);
/// Fails, without writing anything, when the database was written by a newer taxsync.
Status refuse_newer(sqlite::Database& db);
int schema_version(sqlite::Database& db);

}  // namespace taxsync::store
