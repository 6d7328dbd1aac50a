// Widener: mid/side stereo width with an optional bass mono crossover, so a widened guitar keeps its low end
// centred (and mono-compatible).
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/Biquad.h"
#include "effects/dsp/Smoothed.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stagerack::fx {

class Widener {
public:
    enum Param : std::size_t { kWidth, kBassMonoHz, kLevelDb, kParamCount };

    static constexpr std::string_view kId = "widener";
    static constexpr std::string_view kName = "Stereo Widener";
    static constexpr std::string_view kCategory = "stereo";
    static constexpr int kVersion = 1;
    static constexpr float kSmoothMs = 20.f;
    // bass_mono_hz below this is "off"; the crossover fades in and out over kSwitchFadeMs.
    static constexpr float kBassMonoMinHz = 20.f;
    static constexpr float kSwitchFadeMs = 20.f;
    // The crossover is redesigned on this grid (counted from reset) while its frequency glides.
    static constexpr uint32_t kGrid = 16;

    static constexpr std::string_view kHelp =
        "A mid/side stereo width control. "
        "The signal is split into mid M = (L + R) / 2 and side S = (L - R) / 2, the side is scaled by width "
        "and "
        "the two are recombined: L = M + width * S, R = M - width * S. "
        "width (0 to 2, default 1) is 0 for mono (both outputs exactly equal), 1 for the input unchanged "
        "(bit "
        "for bit) and 2 for twice the side level (wider, with less in the centre). "
        "bass_mono_hz (0 to 300 Hz, default 0 = off; below 20 Hz counts as off) removes the side signal "
        "below "
        "that frequency with a 4th-order Butterworth high-pass (24 dB per octave) on the side channel only, "
        "so "
        "bass and kick stay centred however wide the rest is; switching it on or off fades over 20 ms. "
        "level_db (-24 to +12 dB, default 0 dB) is the output level. "
        "Typical settings: width 1.3 to 1.6 with bass_mono_hz 120 to widen a stereo chorus or reverb without "
        "a diffuse low end; width 0 to check a rig in mono; width 0.5 to narrow an over-wide stereo effect.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "width",
         .name = "Width",
         .min = 0.f,
         .max = 2.f,
         .def = 1.f,
         .unit = Unit::None,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Side level relative to mid, 0 (mono) to 2 (twice as wide); 1 leaves the input unchanged."},
        {.id = "bass_mono_hz",
         .name = "Bass Mono",
         .min = 0.f,
         .max = 300.f,
         .def = 0.f,
         .unit = Unit::Hertz,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Below this frequency the side signal is removed (24 dB/octave), 0 to 300 Hz; below 20 Hz "
                 "is off."},
        {.id = "level_db",
         .name = "Level",
         .min = -24.f,
         .max = 12.f,
         .def = 0.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Output level, -24 to +12 dB."},
    }};

    Widener() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return 0; }
    uint32_t tailSamples() const noexcept { return 0; }

private:
    bool smoothing() const noexcept {
        return width_.smoothing() || level_.smoothing() || bassOn_.smoothing() || bassHz_.smoothing();
    }
    void designCrossover() noexcept;
    void processChunk(float* left, float* right, uint32_t frames) noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;
    dsp::LinearSmoothed width_;
    dsp::MultiplicativeSmoothed level_;  // linear gain
    dsp::MultiplicativeSmoothed bassHz_; // crossover frequency, clamped to [20, 300]
    dsp::LinearSmoothed bassOn_;         // 0 off, 1 on
    std::array<dsp::SvfCoeffs, 2> hp_{};
    std::array<dsp::SvfState<float>, 2> hpState_{};
    uint32_t gridLeft_ = 0;
};

static_assert(Effect<Widener>);

} // namespace stagerack::fx
