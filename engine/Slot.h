// One place in the chain: a processor plus bypass (crossfaded, never a click), dry/wet mix and a
// latency-compensated dry path. Slots keep their id across reorders, so MIDI maps and sessions survive.
#pragma once

#include "effects/dsp/Smoothed.h"
#include "engine/Processor.h"

#include <atomic>
#include <memory>
#include <vector>

namespace stagerack::engine {

class Slot {
public:
    static constexpr float kBypassFadeSamples = 512.f; // x42/zita habit: 512-sample bypass crossfade
    static constexpr float kMixSmoothMs = 20.f;
    static constexpr double kDryFadeMs = 4.0; // dry-tap crossfade when the latency changes

    Slot(uint32_t id, std::unique_ptr<Processor> processor);

    uint32_t id() const noexcept { return id_; }
    Processor& processor() noexcept { return *processor_; }
    const Processor& processor() const noexcept { return *processor_; }

    // Control threads.
    void setBypass(bool on) noexcept { bypass_.store(on, std::memory_order_relaxed); }
    bool bypass() const noexcept { return bypass_.load(std::memory_order_relaxed); }
    void setMix(float m) noexcept;
    float mix() const noexcept { return mix_.load(std::memory_order_relaxed); }
    // Control thread, before the slot is published: prepares the processor and the dry path.
    void prepare(double sampleRate, uint32_t maxBlock);
    // The processor's latency as of the last block (any thread); it may change with a parameter.
    uint32_t latency() const noexcept { return latencyNow_.load(std::memory_order_relaxed); }

    // Audio thread. `dryL/dryR` are scratch buffers of at least block.frames samples.
    // Returns false when the processor produced a non-finite sample: it has then been reset and
    // the block zeroed (muted).
    bool process(fx::StereoBlock& block, const fx::ProcessContext& ctx, float* dryL, float* dryR) noexcept;

private:
    void delayDry(float* dryL, float* dryR, uint32_t n) noexcept;

    uint32_t id_;
    std::unique_ptr<Processor> processor_;
    std::atomic<bool> bypass_{false};
    std::atomic<float> mix_{1.f};

    // Audio-thread state.
    float enable_ = 1.f; // 0 = bypassed, 1 = active; ramps linearly, shaped by a raised cosine
    bool bypassedAtStart_ = false;
    dsp::LinearSmoothed mixSmooth_;
    uint32_t latency_ = 0;    // audio thread's copy
    uint32_t maxLatency_ = 0; // the dry ring holds maxLatency_ + 1 samples
    std::atomic<uint32_t> latencyNow_{0};
    std::vector<float> dryRingL_, dryRingR_;
    uint32_t dryWrite_ = 0;
    // When the latency changes the dry tap moves to it with a short raised-cosine crossfade (a jump of the
    // read position would click whenever the slot mixes in some dry signal).
    uint32_t dryBack_ = 0, dryFrom_ = 0;
    uint32_t dryFadePos_ = 0, dryFadeLen_ = 1; // 0 = not fading
};

} // namespace stagerack::engine
