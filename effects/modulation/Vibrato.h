// Vibrato: pitch modulation by a delay line whose length follows a sine LFO (100 % wet).
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/Lfo.h"
#include "effects/dsp/ModDelay.h"
#include "effects/dsp/Smoothed.h"
#include "effects/dsp/TempoSync.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stagerack::fx {

class Vibrato {
public:
    enum Param : std::size_t { kRateHz, kSync, kDepthCents, kParamCount };

    static constexpr std::string_view kId = "vibrato";
    static constexpr std::string_view kName = "Vibrato";
    static constexpr std::string_view kCategory = "modulation";
    static constexpr int kVersion = 1;

    static constexpr uint32_t kGrid = 16;
    static constexpr float kSmoothMs = 20.f;
    // The centre of the delay swing, rounded to whole samples: the reported latency.
    static constexpr double kBaseMs = 7.0;
    // The swing stops this far short of the base delay (the read head never reaches the write head).
    static constexpr double kSwingMarginMs = 0.5;

    static constexpr std::string_view kHelp =
        "Vibrato: the pitch of the whole signal (100 % wet, no dry) wobbles up and down, like a Uni-Vibe's "
        "vibrato channel or a Boss VB-2. "
        "It reads a delay line whose length swings around a fixed 7 ms centre along a sine, "
        "d(t) = 7 ms + A sin(2 pi rate t), with 4-point Lagrange interpolation (no zipper noise); the 7 ms "
        "centre (rounded to whole samples, 336 at 48 kHz) is reported as latency so the host can "
        "compensate. "
        "depth_cents (0 to 100 cents, default 25) is the peak upward pitch deviation: "
        "A = (2^(depth/1200) - 1) / (2 pi rate), so the pitch ratio swings between 1 + (2^(depth/1200) - 1) "
        "and 1 - (2^(depth/1200) - 1) (the downward swing is the mirror in frequency, a little more in "
        "cents). "
        "The swing A is limited to 6.5 ms: below about 1 Hz the deepest settings are capped at a pitch "
        "ratio of 1 +- 2 pi rate 6.5 ms (0.5 Hz: +35 cents). "
        "rate_hz (0.1 to 14 Hz, default 5 Hz) is the free rate; changes glide (at most an octave per 20 ms) "
        "and the depth in cents is kept while the rate moves. "
        "sync (off or a note value from 2/1 to 1/32, dotted or triplet) replaces the rate by that note "
        "length at the global tempo; while the transport runs the cycle locks to the beat. "
        "Typical settings: 5-7 Hz and 15-30 cents for a singing vibrato; 1-2 Hz and 40-60 cents for a "
        "seasick warble; synced to 1/16 at 10-20 cents for a rhythmic shimmer.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "rate_hz",
         .name = "Rate",
         .min = 0.1f,
         .max = 14.f,
         .def = 5.f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "LFO rate when sync is off, 0.1 to 14 Hz."},
        {.id = "sync",
         .name = "Sync",
         .min = 0.f,
         .max = static_cast<float>(dsp::kSyncLabels.size() - 1),
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = dsp::kSyncLabels,
         .help =
             "Off, or a note value: the LFO period is that note at the global tempo, locked to the beat."},
        {.id = "depth_cents",
         .name = "Depth",
         .min = 0.f,
         .max = 100.f,
         .def = 25.f,
         .unit = Unit::Cents,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Peak upward pitch deviation, 0 to 100 cents (delay swing capped at 6.5 ms)."},
    }};

    Vibrato() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return base_; }
    uint32_t tailSamples() const noexcept { return base_ + swingLimit_ + 4; }

    // The delay swing (samples) for a depth in cents at an LFO rate, as documented.
    double swingSamples(double cents, double rateHz) const noexcept;

private:
    std::size_t syncIndex() const noexcept;
    void startGrid(uint32_t frameInBlock) noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;
    uint32_t base_ = 336;
    uint32_t swingLimit_ = 312;
    dsp::Lfo lfo_;
    dsp::MultiplicativeSmoothed rateHz_;
    dsp::LinearSmoothed depthCents_;
    dsp::ModDelay lineL_;
    dsp::ModDelay lineR_;
    dsp::GridRamp delay_;
    uint32_t gridLeft_ = 0;
};

static_assert(Effect<Vibrato>);

} // namespace stagerack::fx
