// Tremolo: the level rises and falls with an LFO (sine, triangle or smoothed square); in pan mode the two
// sides move in opposite phase (stereo auto-pan).
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/Lfo.h"
#include "effects/dsp/Smoothed.h"
#include "effects/dsp/TempoSync.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stagerack::fx {

class Tremolo {
public:
    enum Param : std::size_t { kShape, kRateHz, kSync, kDepth, kMode, kParamCount };
    enum Mode : int { kTremolo = 0, kPan = 1, kModeCount };
    static constexpr int kShapeCount = 3;

    static constexpr std::string_view kId = "tremolo";
    static constexpr std::string_view kName = "Tremolo";
    static constexpr std::string_view kCategory = "modulation";
    static constexpr int kVersion = 1;

    static constexpr uint32_t kGrid = 16;
    static constexpr float kSmoothMs = 20.f;
    static constexpr float kSwitchFadeMs = 30.f;
    // Each edge of the square takes this long (at most a quarter cycle): no click, still a hard chop.
    static constexpr double kSquareEdgeMs = 4.0;

    static constexpr std::array<std::string_view, kShapeCount> kShapeLabels{"sine", "triangle", "square"};
    static constexpr std::array<std::string_view, kModeCount> kModeLabels{"tremolo", "pan"};

    static constexpr std::string_view kHelp =
        "Tremolo and stereo auto-pan: the level of the signal rises and falls with a low-frequency "
        "oscillator. "
        "The gain follows g = 1 - depth * (1 - lfo) / 2 with lfo between -1 and +1: full level at the top of "
        "the cycle, 1 - depth at the bottom, so the peak-to-trough swing is exactly -20 log10(1 - depth) dB "
        "(depth 0.5 = 6.02 dB, 0.75 = 12.04 dB, 0.9 = 20 dB, 1 = full chop). "
        "shape picks the waveform: sine (smooth, the classic amp tremolo), triangle, or square (a choppy "
        "on/off whose edges are smoothed over 4 ms so it never clicks); a change crossfades over 30 ms. "
        "rate_hz (0.1 to 20 Hz, default 5 Hz) is the free rate; changes glide (at most an octave per 20 ms). "
        "sync (off or a note value from 2/1 to 1/32, dotted or triplet) replaces the rate by that note "
        "length at the global tempo; while the transport runs the cycle locks to the beat (it starts at the "
        "top-of-level crossing on the beat). "
        "depth (0 to 1, default 0.5) is the fraction by which the level dips. "
        "mode: tremolo moves both sides together; pan moves them in opposite phase (auto-pan; the same gain "
        "law on each side); a change crossfades over 30 ms. "
        "Typical settings: sine at 4-7 Hz and depth 0.4-0.6 for vintage amp tremolo; square synced to 1/8 "
        "or 1/16 with depth 1 for a rhythmic chop; pan mode at 0.5-2 Hz with depth 0.6 for a wide stereo "
        "sweep.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "shape",
         .name = "Shape",
         .min = 0.f,
         .max = 2.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = kShapeLabels,
         .help = "LFO waveform: sine, triangle or square (4 ms smoothed edges); crossfaded over 30 ms."},
        {.id = "rate_hz",
         .name = "Rate",
         .min = 0.1f,
         .max = 20.f,
         .def = 5.f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "LFO rate when sync is off, 0.1 to 20 Hz."},
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
         .max = 1.f,
         .def = 0.5f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Level dip, 0 to 1: the trough is 1 - depth, i.e. -20 log10(1 - depth) dB below the peak."},
        {.id = "mode",
         .name = "Mode",
         .min = 0.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = kModeLabels,
         .help = "tremolo (both sides together) or pan (opposite phase, auto-pan); crossfaded over 30 ms."},
    }};

    Tremolo() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return 0; }
    uint32_t tailSamples() const noexcept { return 0; }

private:
    std::size_t syncIndex() const noexcept;
    void gainsAt(double phase, float& left, float& right) const noexcept;
    void startGrid(uint32_t frameInBlock) noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;
    dsp::Lfo lfo_;
    dsp::MultiplicativeSmoothed rateHz_;
    dsp::LinearSmoothed depth_;
    std::array<dsp::LinearSmoothed, kShapeCount> shapeWeight_;
    dsp::LinearSmoothed pan_; // 0 tremolo, 1 pan
    dsp::GridRamp gainL_;
    dsp::GridRamp gainR_;
    uint32_t gridLeft_ = 0;
};

static_assert(Effect<Tremolo>);

} // namespace stagerack::fx
