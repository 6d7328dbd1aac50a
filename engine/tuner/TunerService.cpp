#include "engine/tuner/TunerService.h"

#include <chrono>
#include <vector>

namespace stagerack::tuner {

TunerService::TunerService(TunerTap& tap, double sampleRate)
    : tap_(tap)
    , detector_(sampleRate)
    , thread_([this] { run(); }) {}

TunerService::~TunerService() {
    stop_.store(true);
    thread_.join();
}

void TunerService::publish(const PitchReading& r) noexcept {
    seq_.fetch_add(1, std::memory_order_acq_rel); // odd: writing
    time_.store(r.timeS, std::memory_order_relaxed);
    freq_.store(r.frequencyHz, std::memory_order_relaxed);
    confidence_.store(r.confidence, std::memory_order_relaxed);
    strobe_.store(r.strobePhase, std::memory_order_relaxed);
    seq_.fetch_add(1, std::memory_order_release); // even: stable
    count_.fetch_add(1, std::memory_order_release);
}

PitchReading TunerService::latest() const noexcept {
    PitchReading r;
    while (true) {
        const uint64_t before = seq_.load(std::memory_order_acquire);
        if (before & 1u) continue;
        r.timeS = time_.load(std::memory_order_relaxed);
        r.frequencyHz = freq_.load(std::memory_order_relaxed);
        r.confidence = confidence_.load(std::memory_order_relaxed);
        r.strobePhase = strobe_.load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (seq_.load(std::memory_order_relaxed) == before) return r;
    }
}

void TunerService::run() {
    std::vector<float> buf(4096);
    std::vector<PitchReading> out;
    while (!stop_.load(std::memory_order_relaxed)) {
        const std::size_t n = tap_.pop(buf.data(), buf.size());
        if (n == 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5)); // 200 polls/s: well under a hop
            continue;
        }
        out.clear();
        detector_.push(buf.data(), n, out);
        for (const auto& r : out)
            publish(r);
    }
}

} // namespace stagerack::tuner
