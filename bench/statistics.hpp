#pragma once
// Summaries of a benchmark's repeated measurements.

#include <algorithm>
#include <vector>

namespace taxsync::bench {

/// The middle value of `values`; of an even count, the upper of the two middle ones. Not empty.
inline double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

}  // namespace taxsync::bench
