// Lookahead peak limiter that never lets a sample past its ceiling: the gain needed by each sample is held
// as a sliding minimum over the lookahead window, released by a one-pole, and smoothed by a moving average
// of the same length, so the gain has already reached its value when the delayed sample comes out.
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/Smoothed.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace stagerack::fx {

class Limiter {
public:
    enum Param : std::size_t { kCeilingDb, kReleaseMs, kLookaheadMs, kDriveDb, kParamCount };

    static constexpr std::string_view kId = "limiter";
    static constexpr std::string_view kName = "Limiter";
    static constexpr std::string_view kCategory = "dynamics";
    static constexpr int kVersion = 1;
    static constexpr uint32_t kGrid = 32;
    static constexpr float kMaxLookaheadMs = 2.f;
    // A lookahead change crossfades the old delay tap into the new one over this long.
    static constexpr float kLookaheadFadeMs = 10.f;

    static constexpr std::string_view kHelp =
        "A lookahead brickwall limiter: no sample leaves it above the ceiling, whatever comes in. "
        "Both channels get the same gain (the image stays put). For every input sample the gain that would "
        "bring max(|L|,|R|) down to the ceiling is computed; the gain applied is the smallest of these over "
        "the lookahead window, released towards unity by a one-pole and then averaged over the window, so "
        "the gain glides down in a straight line during the lookahead and has reached its value when the "
        "loud sample comes out. "
        "ceiling_db (-24 to 0 dBFS, default -1 dB) is the highest sample level that can come out (sample "
        "peaks, not inter-sample peaks). "
        "release_ms (1 to 1000 ms, default 50 ms) is the time constant of the linear gain recovering towards "
        "unity once the peaks have passed: 63.2 % of the way back after release_ms, plus half the lookahead "
        "for the averaging. "
        "lookahead_ms (0 to 2 ms, default 1.5 ms) delays the signal by that much (rounded to whole samples "
        "and reported to the host as latency, so the dry path is compensated); 0 gives an instant attack, "
        "which keeps the ceiling but distorts the first cycle of a loud onset, 1 to 2 ms gives a clean one. "
        "A change of lookahead crossfades the old and the new delay over 10 ms, and during that fade a hard "
        "clip at the ceiling keeps the promise; the reported latency is the new one from the moment it is "
        "set, "
        "and a further change made during a fade starts when that fade ends. "
        "drive_db (0 to 24 dB, default 0 dB) is gain before the limiter, for a louder, denser sound. "
        "Typical settings for guitar: at the end of the chain as a safety net, ceiling -1 dB, release 50 to "
        "100 ms, lookahead 1.5 ms, drive 0; as a sustainer or maximiser, drive 6 to 12 dB with release "
        "100 to 300 ms.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "ceiling_db",
         .name = "Ceiling",
         .min = -24.f,
         .max = 0.f,
         .def = -1.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Highest sample level that can come out, -24 to 0 dBFS."},
        {.id = "release_ms",
         .name = "Release",
         .min = 1.f,
         .max = 1000.f,
         .def = 50.f,
         .unit = Unit::Milliseconds,
         .taper = Taper::Log,
         .smoothMs = 20.f,
         .help = "Time constant of the gain recovering towards unity, 1 to 1000 ms."},
        {.id = "lookahead_ms",
         .name = "Lookahead",
         .min = 0.f,
         .max = kMaxLookaheadMs,
         .def = 1.5f,
         .unit = Unit::Milliseconds,
         .taper = Taper::Linear,
         .smoothMs = 0.f,
         .help = "Delay that lets the gain fall before a peak arrives, 0 to 2 ms (reported as latency; a "
                 "change crossfades over 10 ms)."},
        {.id = "drive_db",
         .name = "Drive",
         .min = 0.f,
         .max = 24.f,
         .def = 0.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Gain before the limiter, 0 to 24 dB."},
    }};

    Limiter() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    // The delay the lookahead setting asks for, from the moment it is set (the tap crossfade to it starts
    // on the next grid point).
    uint32_t latencySamples() const noexcept;
    // The longest lookahead, so the host can size its latency-compensated dry path once.
    uint32_t maxLatencySamples() const noexcept { return maxLookahead_; }
    uint32_t tailSamples() const noexcept { return latencySamples(); }

private:
    class GridRamp {
    public:
        void snap(float v) noexcept {
            current_ = target_ = v;
            step_ = 0.f;
        }
        void settle() noexcept { snap(target_); }
        void retarget(float v) noexcept {
            current_ = target_;
            target_ = v;
            step_ = (target_ - current_) * (1.f / static_cast<float>(kGrid));
        }
        float next() noexcept { return current_ += step_; }

    private:
        float current_ = 0.f;
        float target_ = 0.f;
        float step_ = 0.f;
    };

    void updateCoefficients() noexcept;
    void startLookahead(uint32_t samples) noexcept;
    void clearState() noexcept;
    template <bool kFading>
    void processChunk(float* left, float* right, uint32_t frames) noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;

    dsp::LinearSmoothed ceilingDb_;
    dsp::MultiplicativeSmoothed releaseMs_;
    dsp::LinearSmoothed driveDb_;
    GridRamp ceiling_; // linear, per sample
    GridRamp drive_;   // linear, per sample
    double releaseCoef_ = 1.0;

    // Rings, all with the same power-of-two size, indexed by the running sample counter `now_`.
    std::vector<float> delayL_;
    std::vector<float> delayR_;
    // Released gain of each sample, as unsigned fixed point (1.0 = kOne): the moving average sums these in
    // an integer, exact for ever (a float running sum drifts).
    std::vector<uint32_t> held_;
    // Sliding minimum (a monotonic deque, Lemire 2006): wanted gains ascending from front to back, with the
    // sample counter at which each was pushed.
    std::vector<float> minValue_;
    std::vector<uint32_t> minTime_;
    uint32_t mask_ = 0;
    uint32_t maxLookahead_ = 0;
    uint32_t now_ = 0;
    uint32_t front_ = 0;
    uint32_t back_ = 0;

    uint32_t lookahead_ = 0; // current delay in samples; the window is lookahead_ + 1
    uint64_t heldSum_ = 0;   // sum of held_ over the window
    double averageScale_ = 1.0;
    // State of the release one-pole; double because a float one with a long time constant stalls short of
    // unity and the limiter would never become transparent again.
    double released_ = 1.0;

    // Tap crossfade after a lookahead change.
    uint32_t oldLookahead_ = 0;
    uint32_t fadeLength_ = 1;
    uint32_t fadeLeft_ = 0;

    uint32_t gridLeft_ = 0;
};

static_assert(Effect<Limiter>);

} // namespace stagerack::fx
