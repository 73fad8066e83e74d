#pragma once
// A fresh directory per test, removed afterwards (kept when TAXSYNC_KEEP_TEST_DIRS is set).

#include <filesystem>
#include <string>
#include <string_view>

namespace taxsync::testing {

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    TempDir(TempDir&&) = delete;
    TempDir& operator=(TempDir&&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    /// Writes `content` to `relative` (creating folders) and returns the full path.
    std::filesystem::path write(const std::filesystem::path& relative, std::string_view content) const;

private:
    std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& path);

}  // namespace taxsync::testing
