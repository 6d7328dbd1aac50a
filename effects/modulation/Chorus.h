// Chorus: two to four voices, each a copy of the input through a delay that a sine LFO sweeps, mixed with
// the dry signal; the voices sweep at staggered phases and left and right sweep apart for width.
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

class Chorus {
public:
    enum Param : std::size_t {
        kVoices,
        kDelayMs,
        kDepthMs,
        kRateHz,
        kSync,
        kSpread,
        kMix,
        kFeedback,
        kParamCount
    };
    static constexpr int kMaxVoices = 4;

    static constexpr std::string_view kId = "chorus";
    static constexpr std::string_view kName = "Chorus";
    static constexpr std::string_view kCategory = "modulation";
    static constexpr int kVersion = 1;

    static constexpr uint32_t kGrid = 16;
    static constexpr float kSmoothMs = 20.f;
    static constexpr float kVoiceFadeMs = 30.f;
    // Delay and depth glide slowly: a fast delay change is a pitch bend (doppler), heard as a chirp.
    static constexpr float kDelaySmoothMs = 300.f;
    static constexpr double kMinDelayMs = 0.5;
    static constexpr double kMaxDelayMs = 40.0 + 1.0;
    // Voice v's LFO starts this many cycles late: any count of voices has them spread around the cycle.
    static constexpr std::array<double, kMaxVoices> kVoicePhase{0.0, 0.5, 0.25, 0.75};

    static constexpr std::string_view kHelp =
        "Chorus: two to four voices, each the input through a short delay swept by a sine LFO, blended with "
        "the dry signal for the shimmering, doubled sound of a CE-2 or a Dimension-style ensemble. "
        "Voice v's delay is delay_ms + depth_ms * sin(2 pi (phase + p_v)) with p_v = 0, 1/2, 1/4, 3/4 for "
        "voices 1 to 4 (never below 0.5 ms), read with 4-point Lagrange interpolation; the wet signal is "
        "the average of the voices. "
        "voices (2 to 4, default 3): more voices is thicker; a change fades voices in or out over 30 ms. "
        "delay_ms (2 to 30 ms, default 12 ms) is the centre delay. "
        "depth_ms (0 to 10 ms, default 2 ms) is the peak sweep either side of it. "
        "rate_hz (0.05 to 10 Hz, default 0.6 Hz) is the free LFO rate; changes glide (at most an octave "
        "per 20 ms). "
        "sync (off or a note value from 2/1 to 1/32, dotted or triplet) replaces the rate by that note "
        "length at the global tempo; while the transport runs the cycle locks to the beat. "
        "spread (0 to 1, default 0.7) delays the right channel's LFOs by spread / 4 cycle (90 degrees at 1), "
        "so left and right sweep apart: 0 is mono-compatible, 1 is widest. "
        "mix (0 to 1, default 0.5) is the wet fraction: out = dry * (1 - mix) + wet * mix. "
        "feedback (0 to 0.7, default 0) returns the wet average into the delay line for a more metallic, "
        "flanger-like chorus. "
        "Typical settings: 3 voices, 12 ms, depth 2 ms, 0.5-1 Hz, mix 0.5 for a classic chorus; 4 voices, "
        "20 ms, depth 4 ms, 0.3 Hz, spread 1 for a wide ensemble; 2 voices, 7 ms, depth 3 ms, 3-5 Hz, "
        "mix 1 for a warbling vibrato-chorus. delay_ms and depth_ms glide over 300 ms (a faster change of a "
        "delay is an audible pitch bend); the other controls over 20 ms.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "voices",
         .name = "Voices",
         .min = 2.f,
         .max = 4.f,
         .def = 3.f,
         .unit = Unit::None,
         .taper = Taper::Integer,
         .smoothMs = 0.f,
         .help = "Number of chorus voices, 2 to 4; voices fade in and out over 30 ms."},
        {.id = "delay_ms",
         .name = "Delay",
         .min = 2.f,
         .max = 30.f,
         .def = 12.f,
         .unit = Unit::Milliseconds,
         .taper = Taper::Log,
         .smoothMs = kDelaySmoothMs,
         .help = "Centre delay of the voices, 2 to 30 ms."},
        {.id = "depth_ms",
         .name = "Depth",
         .min = 0.f,
         .max = 10.f,
         .def = 2.f,
         .unit = Unit::Milliseconds,
         .taper = Taper::Linear,
         .smoothMs = kDelaySmoothMs,
         .help =
             "Peak delay sweep either side of the centre, 0 to 10 ms (the delay never goes below 0.5 ms)."},
        {.id = "rate_hz",
         .name = "Rate",
         .min = 0.05f,
         .max = 10.f,
         .def = 0.6f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "LFO rate when sync is off, 0.05 to 10 Hz."},
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
        {.id = "spread",
         .name = "Spread",
         .min = 0.f,
         .max = 1.f,
         .def = 0.7f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Stereo spread, 0 to 1: the right LFOs run spread / 4 cycle behind the left ones."},
        {.id = "mix",
         .name = "Mix",
         .min = 0.f,
         .max = 1.f,
         .def = 0.5f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Wet fraction, 0 to 1: out = dry * (1 - mix) + wet * mix."},
        {.id = "feedback",
         .name = "Feedback",
         .min = 0.f,
         .max = 0.7f,
         .def = 0.f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Wet average fed back into the delay line, 0 to 0.7."},
    }};

    Chorus() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return 0; }
    uint32_t tailSamples() const noexcept;

private:
    using V4 = dsp::ModDelay::V4;
    std::size_t syncIndex() const noexcept;
    void targets(V4& delayL, V4& delayR, V4& weights) const noexcept;
    void startGrid(uint32_t frameInBlock) noexcept;
    void processChunk(float* left, float* right, uint32_t frames) noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;
    dsp::Lfo lfo_;
    dsp::MultiplicativeSmoothed rateHz_;
    dsp::LinearSmoothed delayMs_;
    dsp::LinearSmoothed depthMs_;
    dsp::LinearSmoothed spread_;
    dsp::LinearSmoothed mix_;
    dsp::LinearSmoothed feedback_;
    std::array<dsp::LinearSmoothed, kMaxVoices> gate_;
    dsp::ModDelay lineL_;
    dsp::ModDelay lineR_;
    // Per-voice delays (samples) and weights, ramped across each grid step.
    V4 delayL_{};
    V4 delayR_{};
    V4 weight_{};
    V4 delayStepL_{};
    V4 delayStepR_{};
    V4 weightStep_{};
    dsp::GridRamp mixRamp_;
    dsp::GridRamp feedbackRamp_;
    int activeVoices_ = 4;
    float wetL_ = 0.f;
    float wetR_ = 0.f;
    uint32_t gridLeft_ = 0;
};

static_assert(Effect<Chorus>);

} // namespace stagerack::fx
