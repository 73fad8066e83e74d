#pragma once
// Reading a small file whole (configuration, secrets, keys).

#include <filesystem>
#include <string>

#include "core/expected.hpp"

namespace taxsync {

/// The file's bytes; an Io error naming the file when it cannot be read.
Expected<std::string> read_whole_file(const std::filesystem::path& file);

}  // namespace taxsync
