// Ring modulator: the input multiplied by an internal sine carrier whose frequency an LFO can wobble.
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/Smoothed.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stagerack::fx {

class RingMod {
public:
    enum Param : std::size_t { kCarrierHz, kLfoHz, kLfoDepth, kMix, kParamCount };

    static constexpr std::string_view kId = "ringmod";
    static constexpr std::string_view kName = "Ring Modulator";
    static constexpr std::string_view kCategory = "modulation";
    static constexpr int kVersion = 1;
    static constexpr float kSmoothMs = 20.f;
    // The carrier frequency (with the LFO) is computed on this grid, counted from reset; the phase increment
    // ramps linearly in between, so the carrier's frequency is continuous and its phase never jumps.
    static constexpr uint32_t kGrid = 16;
    // lfo_depth 1 swings the carrier this many octaves either way.
    static constexpr double kMaxLfoOctaves = 1.0;

    static constexpr std::string_view kHelp =
        "A ring modulator: the input is multiplied by a sine carrier, so every input frequency f is replaced "
        "by the pair f - carrier and f + carrier (a 440 Hz note with a 1000 Hz carrier gives 560 Hz and 1440 "
        "Hz, with neither 440 nor 1000 Hz left): metallic, bell-like and robotic tones. "
        "carrier_hz (20 to 5000 Hz, default 440 Hz) is the carrier frequency; low settings (20 to 80 Hz) "
        "sound "
        "like a fast tremolo with growl, higher ones clangorous and inharmonic. "
        "lfo_hz (0.05 to 10 Hz, default 1 Hz) and lfo_depth (0 to 1, default 0) wobble the carrier with a "
        "sine LFO: carrier(t) = carrier_hz * 2^(lfo_depth * sin(2 pi lfo_hz t)), so depth 1 sweeps one "
        "octave "
        "either way. "
        "mix (0 to 1, default 1) blends the dry input (0) with the ring-modulated signal (1); the output is "
        "input * (1 - mix + mix * carrier). "
        "Every control glides over 20 ms; the carrier's phase is continuous, so sweeping it never clicks. "
        "Typical settings: carrier 30 to 60 Hz with mix 0.5 for a throbbing, choppy texture; 300 to 1500 Hz "
        "with mix 1 for bells and sci-fi voices; add lfo_depth 0.1 to 0.3 at 0.2 to 2 Hz for a moving, "
        "siren-like sweep.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "carrier_hz",
         .name = "Carrier",
         .min = 20.f,
         .max = 5000.f,
         .def = 440.f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Carrier frequency, 20 to 5000 Hz; each input frequency f becomes f - carrier and f + "
                 "carrier."},
        {.id = "lfo_hz",
         .name = "LFO Rate",
         .min = 0.05f,
         .max = 10.f,
         .def = 1.f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Rate of the LFO that wobbles the carrier, 0.05 to 10 Hz."},
        {.id = "lfo_depth",
         .name = "LFO Depth",
         .min = 0.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "How far the LFO moves the carrier: 0 (steady) to 1 (one octave either way)."},
        {.id = "mix",
         .name = "Mix",
         .min = 0.f,
         .max = 1.f,
         .def = 1.f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Dry (0) to fully ring-modulated (1)."},
    }};

    RingMod() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return 0; }
    uint32_t tailSamples() const noexcept { return 0; }

private:
    double carrierIncrement() const noexcept; // cycles per sample at the current LFO phase
    void startGridStep() noexcept;
    void processChunk(float* left, float* right, uint32_t frames) noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;
    dsp::MultiplicativeSmoothed carrierHz_;
    dsp::MultiplicativeSmoothed lfoHz_;
    dsp::LinearSmoothed lfoDepth_;
    dsp::LinearSmoothed mix_;

    double lfoPhase_ = 0.0; // cycles, [0, 1)
    double phase_ = 0.0;    // carrier phase in cycles at the start of the grid step, [0, 1)
    double increment_ = 0.0;
    double incrementStep_ = 0.0; // per sample within the grid step
    uint32_t gridPos_ = 0;       // samples done in the current grid step
    uint32_t gridLeft_ = 0;
};

static_assert(Effect<RingMod>);

} // namespace stagerack::fx
