#pragma once
// A clock that only moves when told to, or when someone sleeps on it. Safe to share between the
// executor's threads.

#include <mutex>
#include <vector>

#include "core/clock.hpp"

namespace taxsync::testing {

class ManualClock final : public Clock {
public:
    explicit ManualClock(SystemTime start = from_unix_seconds(1'790'000'000)) : now_(start) {}

    [[nodiscard]] SystemTime now() const override {
        const std::scoped_lock lock(mutex_);
        return now_;
    }
    [[nodiscard]] SteadyTime steady_now() const override { return SteadyTime{now().time_since_epoch()}; }
    void sleep_for(Millis duration) override;
    void advance(Millis duration) {
        const std::scoped_lock lock(mutex_);
        now_ += duration;
    }

    /// Every sleep requested so far, in order (read it while no other thread sleeps).
    [[nodiscard]] const std::vector<Millis>& sleeps() const { return sleeps_; }

private:
    mutable std::mutex mutex_;
    SystemTime now_;
    std::vector<Millis> sleeps_;
};

}  // namespace taxsync::testing
