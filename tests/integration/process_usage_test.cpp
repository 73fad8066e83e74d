// The figures the benchmarks print for a program they run are that program's own.

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace taxsync::testing {
namespace {

TEST(ProcessUsage, PeakMemoryIsTheChildsOwnNotItsParents) {
    // This process holds 256 MB; the shell it starts needs a few.
    std::vector<char> ballast(256UL * 1024UL * 1024UL, 1);
    TempDir dir;
    const RunResult result = run("/bin/sh", {"-c", "sleep 0.3"}, dir.path(), std::chrono::seconds(10));
    ASSERT_EQ(result.exit_code, 0);
    EXPECT_GT(result.usage.peak_memory_kb, 0);
    EXPECT_LT(result.usage.peak_memory_kb, 64L * 1024L) << "kB";
    EXPECT_EQ(ballast[ballast.size() / 2], 1);
}

}  // namespace
}  // namespace taxsync::testing
