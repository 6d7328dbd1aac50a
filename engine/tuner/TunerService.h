// The tuner thread: drains the engine's tuner tap, runs the pitch detector and publishes the latest
// reading lock-free (a sequence lock: the writer is this thread, readers are the GUI and the CLI).
#pragma once

#include "engine/tuner/PitchDetector.h"
#include "engine/tuner/TunerTap.h"

#include <atomic>
#include <thread>

namespace stagerack::tuner {

class TunerService {
public:
    TunerService(TunerTap& tap, double sampleRate);
    ~TunerService();
    TunerService(const TunerService&) = delete;
    TunerService& operator=(const TunerService&) = delete;

    // The most recent reading (frequencyHz 0 = no note), consistent even while the thread writes.
    PitchReading latest() const noexcept;
    uint64_t readings() const noexcept { return count_.load(std::memory_order_acquire); }

private:
    void run();
    void publish(const PitchReading& r) noexcept;

    TunerTap& tap_;
    PitchDetector detector_;
    std::atomic<bool> stop_{false};
    std::atomic<uint64_t> seq_{0};
    std::atomic<uint64_t> count_{0};
    std::atomic<double> time_{0.0}, freq_{0.0}, confidence_{0.0}, strobe_{0.0};
    std::thread thread_;
};

} // namespace stagerack::tuner
