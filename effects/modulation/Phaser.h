// Phaser: a chain of first-order all-pass stages whose corner frequency an LFO sweeps, mixed with the dry
// signal so that the phase shift digs stages/2 moving notches; feedback sharpens them.
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/Biquad.h"
#include "effects/dsp/Lfo.h"
#include "effects/dsp/Smoothed.h"
#include "effects/dsp/TempoSync.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stagerack::fx {

class Phaser {
public:
    enum Param : std::size_t {
        kStages,
        kRateHz,
        kSync,
        kDepth,
        kCenterHz,
        kFeedback,
        kStereoPhase,
        kMix,
        kParamCount
    };
    static constexpr int kStageChoices = 5; // 4, 6, 8, 10, 12
    static constexpr int kMaxStages = 12;

    static constexpr std::string_view kId = "phaser";
    static constexpr std::string_view kName = "Phaser";
    static constexpr std::string_view kCategory = "modulation";
    static constexpr int kVersion = 1;

    static constexpr uint32_t kGrid = 16;
    static constexpr float kSmoothMs = 20.f;
    static constexpr float kSwitchFadeMs = 30.f;
    // Depth and centre glide slowly: sweeping the notches across octaves in 20 ms is a chirp.
    static constexpr float kSweepSmoothMs = 200.f;

    static constexpr std::array<std::string_view, kStageChoices> kStageLabels{"4", "6", "8", "10", "12"};

    static constexpr std::string_view kHelp =
        "Phaser: the input through a chain of first-order all-pass filters whose corner frequency an LFO "
        "sweeps, mixed with the dry signal: where the chain's phase shift is an odd multiple of 180 degrees "
        "the two cancel, so N stages give N/2 notches that sweep up and down (the MXR Phase 90 has 4 stages, "
        "the Uni-Vibe 4, big studio phasers 8-12). "
        "Every stage has the same corner f(t) = center_hz * 2^(depth * lfo / 2) with a sine lfo between -1 "
        "and +1: depth is the peak-to-peak sweep in octaves; the corner never leaves 20 Hz to 0.45 times the "
        "sample rate. "
        "stages (4, 6, 8, 10 or 12, default 6): a change crossfades the output tap over 30 ms. "
        "rate_hz (0.02 to 10 Hz, default 0.5 Hz) is the free LFO rate; changes glide (at most an octave per "
        "20 ms). "
        "sync (off or a note value from 2/1 to 1/32, dotted or triplet) replaces the rate by that note "
        "length at the global tempo; while the transport runs the cycle locks to the beat. "
        "depth (0 to 6 octaves, default 3) is the sweep width; 0 freezes the notches. "
        "center_hz (100 to 4000 Hz, default 800 Hz) is the corner frequency at the middle of the sweep. "
        "feedback (-0.9 to 0.9, default 0.3) returns the chain's output to its input, sharpening the notches "
        "into resonant peaks between them (negative feedback moves the peaks). "
        "stereo_phase (0 to 180 degrees, default 90) delays the right channel's LFO. "
        "mix (0 to 1, default 0.5) is the wet fraction: out = dry * (1 - mix) + wet * mix; 0.5 gives full "
        "notches. "
        "Typical settings: 4 stages, 0.3-1 Hz, depth 3, feedback 0 for a Phase 90 swirl; 8-12 stages with "
        "feedback 0.5-0.7 for a deep jet-like sweep; synced to 1/2 with stereo_phase 180 for a slow wide "
        "pad. depth and center_hz glide over 200 ms (a faster jump of the notches is heard as a chirp); the "
        "other controls over 20 ms.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "stages",
         .name = "Stages",
         .min = 0.f,
         .max = static_cast<float>(kStageChoices - 1),
         .def = 1.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = kStageLabels,
         .help = "Number of all-pass stages: 4, 6, 8, 10 or 12 (stages/2 notches); crossfaded over 30 ms."},
        {.id = "rate_hz",
         .name = "Rate",
         .min = 0.02f,
         .max = 10.f,
         .def = 0.5f,
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
        {.id = "depth",
         .name = "Depth",
         .min = 0.f,
         .max = 6.f,
         .def = 3.f,
         .unit = Unit::None,
         .taper = Taper::Linear,
         .smoothMs = kSweepSmoothMs,
         .help = "Peak-to-peak sweep of the corner frequency in octaves, 0 to 6."},
        {.id = "center_hz",
         .name = "Center",
         .min = 100.f,
         .max = 4000.f,
         .def = 800.f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSweepSmoothMs,
         .help = "All-pass corner frequency at the middle of the sweep, 100 to 4000 Hz."},
        {.id = "feedback",
         .name = "Feedback",
         .min = -0.9f,
         .max = 0.9f,
         .def = 0.3f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Chain output fed back to its input, -0.9 to 0.9."},
        {.id = "stereo_phase",
         .name = "Stereo Phase",
         .min = 0.f,
         .max = 180.f,
         .def = 90.f,
         .unit = Unit::None,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Right LFO lag behind the left, 0 to 180 degrees."},
        {.id = "mix",
         .name = "Mix",
         .min = 0.f,
         .max = 1.f,
         .def = 0.5f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Wet fraction, 0 to 1: out = dry * (1 - mix) + wet * mix."},
    }};

    Phaser() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return 0; }
    uint32_t tailSamples() const noexcept;

private:
    using V2 = float __attribute__((vector_size(8)));
    std::size_t syncIndex() const noexcept;
    float coefficientAt(double phase) const noexcept;
    void startGrid(uint32_t frameInBlock) noexcept;
    void processChunk(float* left, float* right, uint32_t frames) noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;
    dsp::Lfo lfo_;
    dsp::MultiplicativeSmoothed rateHz_;
    dsp::LinearSmoothed depth_;
    dsp::MultiplicativeSmoothed centerHz_;
    dsp::LinearSmoothed feedback_;
    dsp::LinearSmoothed stereoPhase_;
    dsp::LinearSmoothed mix_;
    std::array<dsp::LinearSmoothed, kStageChoices> tapWeight_;
    // All-pass coefficient per channel {left, right}, ramped across each grid step.
    V2 coef_{};
    V2 coefStep_{};
    std::array<V2, kMaxStages> state_{};
    std::array<float, kStageChoices> tapGain_{};
    std::array<float, kStageChoices> tapStep_{};
    int runStages_ = 12;
    dsp::GridRamp feedbackRamp_, mixRamp_;
    V2 last_{};
    uint32_t gridLeft_ = 0;
};

static_assert(Effect<Phaser>);

} // namespace stagerack::fx
