#include "tests/support/manual_clock.hpp"

namespace taxsync::testing {

void ManualClock::sleep_for(Millis duration) {
    const std::scoped_lock lock(mutex_);
    sleeps_.push_back(duration);
    now_ += duration;
}

}  // namespace taxsync::testing
