// Flanger: a short swept delay mixed with the dry signal (a moving comb filter), with positive or negative
// feedback and an optional through-zero mode in which the dry path is delayed too.
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

class Flanger {
public:
    enum Param : std::size_t {
        kDelayMs,
        kDepth,
        kRateHz,
        kSync,
        kFeedback,
        kThroughZero,
        kMix,
        kStereoPhase,
        kParamCount
    };

    static constexpr std::string_view kId = "flanger";
    static constexpr std::string_view kName = "Flanger";
    static constexpr std::string_view kCategory = "modulation";
    static constexpr int kVersion = 1;

    static constexpr uint32_t kGrid = 16;
    static constexpr float kSmoothMs = 20.f;
    static constexpr float kSwitchFadeMs = 30.f;
    // Delay and depth glide slowly: a fast delay change is a pitch bend (doppler), heard as a chirp.
    static constexpr float kDelaySmoothMs = 200.f;
    static constexpr double kMaxDelayMs = 8.0;

    static constexpr std::string_view kHelp =
        "Flanger: the input mixed with a copy of itself through a very short delay that an LFO sweeps, "
        "giving the jet-plane comb-filter sweep of tape flanging and pedals like the Electric Mistress. "
        "In the normal mode the wet delay is tau = delay_ms * (1 + depth * lfo) with a sine lfo between -1 "
        "and +1 (never below 2 samples), read with 4-point Lagrange interpolation; with mix 0.5 and no "
        "feedback the notches sit at odd multiples of 1 / (2 tau). "
        "delay_ms (0.2 to 8 ms, default 2 ms) is the centre delay. "
        "depth (0 to 1, default 0.7) is the sweep as a fraction of delay_ms. "
        "rate_hz (0.02 to 10 Hz, default 0.3 Hz) is the free LFO rate; changes glide (at most an octave per "
        "20 ms). "
        "sync (off or a note value from 2/1 to 1/32, dotted or triplet) replaces the rate by that note "
        "length at the global tempo; while the transport runs the cycle locks to the beat. "
        "feedback (-0.95 to 0.95, default 0.5) returns the wet signal into the delay: positive feedback "
        "puts resonant peaks at multiples of 1 / tau, negative feedback moves them half-way, to odd "
        "multiples of 1 / (2 tau) (hollower, more nasal). "
        "through_zero (off/on): the dry path is delayed by a fixed D = 8 ms + 2 samples (386 samples at "
        "48 kHz, reported as latency) and the wet delay becomes D + delay_ms * depth * lfo, so the relative "
        "delay sweeps through zero and the notches rush out to infinity and back, like two tape machines; "
        "a change crossfades over 30 ms (the feedback loop then runs through the whole wet delay). "
        "mix (0 to 1, default 0.5) is the wet fraction: out = dry * (1 - mix) + wet * mix; 0.5 gives the "
        "deepest notches. "
        "stereo_phase (0 to 180 degrees, default 90) delays the right channel's LFO: 0 is mono, 180 sweeps "
        "the sides in opposite directions. "
        "Typical settings: 2 ms, depth 0.7, 0.2-0.5 Hz, feedback 0.5-0.8 for a classic jet sweep; "
        "feedback -0.7 for a metallic, hollow flange; through_zero at 0.1-0.3 Hz with depth 1 for tape "
        "flanging. delay_ms, depth and stereo_phase glide over 200 ms (a faster delay change is an audible "
        "pitch bend); "
        "the other controls over 20 ms.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "delay_ms",
         .name = "Delay",
         .min = 0.2f,
         .max = static_cast<float>(kMaxDelayMs),
         .def = 2.f,
         .unit = Unit::Milliseconds,
         .taper = Taper::Log,
         .smoothMs = kDelaySmoothMs,
         .help = "Centre delay of the sweep, 0.2 to 8 ms."},
        {.id = "depth",
         .name = "Depth",
         .min = 0.f,
         .max = 1.f,
         .def = 0.7f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = kDelaySmoothMs,
         .help = "Sweep as a fraction of delay_ms, 0 to 1: the delay moves between delay_ms * (1 +- depth)."},
        {.id = "rate_hz",
         .name = "Rate",
         .min = 0.02f,
         .max = 10.f,
         .def = 0.3f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "LFO rate when sync is off, 0.02 to 10 Hz."},
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
        {.id = "feedback",
         .name = "Feedback",
         .min = -0.95f,
         .max = 0.95f,
         .def = 0.5f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Wet signal fed back into the delay, -0.95 to 0.95; negative moves the peaks half-way."},
        {.id = "through_zero",
         .name = "Through Zero",
         .min = 0.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Toggle,
         .smoothMs = 0.f,
         .help =
             "Delay the dry path by 8 ms + 2 samples (reported latency) so the sweep crosses zero delay."},
        {.id = "mix",
         .name = "Mix",
         .min = 0.f,
         .max = 1.f,
         .def = 0.5f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Wet fraction, 0 to 1: out = dry * (1 - mix) + wet * mix."},
        {.id = "stereo_phase",
         .name = "Stereo Phase",
         .min = 0.f,
         .max = 180.f,
         .def = 90.f,
         .unit = Unit::None,
         .taper = Taper::Linear,
         .smoothMs = kDelaySmoothMs,
         .help = "Right LFO lag behind the left, 0 to 180 degrees."},
    }};

    Flanger() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return values_[kThroughZero] > 0.5f ? dryDelay_ : 0; }
    uint32_t tailSamples() const noexcept;
    uint32_t throughZeroDelay() const noexcept { return dryDelay_; }

private:
    std::size_t syncIndex() const noexcept;
    void startGrid(uint32_t frameInBlock) noexcept;
    void delaysAt(double phase, float& normal, float& throughZero) const noexcept;
    void processChunk(float* left, float* right, uint32_t frames) noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;
    uint32_t dryDelay_ = 386;
    dsp::Lfo lfo_;
    dsp::MultiplicativeSmoothed rateHz_;
    dsp::LinearSmoothed delayMs_;
    dsp::LinearSmoothed depth_;
    dsp::LinearSmoothed feedback_;
    dsp::LinearSmoothed mix_;
    dsp::LinearSmoothed stereoPhase_;
    dsp::LinearSmoothed throughZero_;
    dsp::ModDelay lineL_;
    dsp::ModDelay lineR_;
    // The through-zero dry path: the plain input (no feedback), read at a whole-sample delay.
    dsp::ModDelay dryL_;
    dsp::ModDelay dryR_;
    dsp::GridRamp normalL_, normalR_, zeroL_, zeroR_;
    dsp::GridRamp feedbackRamp_, mixRamp_, tzRamp_;
    bool fading_ = false;
    float wetL_ = 0.f;
    float wetR_ = 0.f;
    uint32_t gridLeft_ = 0;
};

static_assert(Effect<Flanger>);

} // namespace stagerack::fx
