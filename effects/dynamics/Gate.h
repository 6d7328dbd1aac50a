// Noise gate with hysteresis, hold, attack/release and a finite range (so it can also act as a gentle
// downward expander).
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/Smoothed.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stagerack::fx {

class Gate {
public:
    enum Param : std::size_t {
        kThresholdDb,
        kAttackMs,
        kHoldMs,
        kReleaseMs,
        kHysteresisDb,
        kRangeDb,
        kParamCount
    };

    static constexpr std::string_view kId = "gate";
    static constexpr std::string_view kName = "Noise Gate";
    static constexpr std::string_view kCategory = "dynamics";
    static constexpr int kVersion = 1;
    // Decay time constant of the peak detector: long enough to ride over the gaps between the peaks of a
    // low E string (82 Hz), short enough not to add much to the hold time.
    static constexpr float kDetectorDecayMs = 10.f;
    // Coefficients (thresholds, time constants, hold length) are recomputed on this fixed sample grid.
    static constexpr uint32_t kGrid = 32;

    static constexpr std::string_view kHelp =
        "A noise gate: silences hum and hiss between notes. "
        "The level is the peak of max(|L|,|R|), following rises instantly and decaying with a 10 ms time "
        "constant. The gate opens when the level reaches threshold_db (-90 to 0 dB, default -50 dB) and "
        "closes "
        "once it has stayed below threshold_db minus hysteresis_db (0 to 20 dB, default 3 dB) for hold_ms "
        "(0 to 500 ms, default 50 ms); a level inside the hysteresis band keeps an open gate open but does "
        "not "
        "open a closed one. "
        "While open the gain rises towards unity with the attack_ms time constant (0.1 to 50 ms, default 1 "
        "ms); "
        "once closed it falls towards range_db (-90 to 0 dB, default -80 dB, the attenuation of a closed "
        "gate) "
        "with the release_ms time constant (5 to 2000 ms, default 100 ms). "
        "Typical settings: threshold about 6-10 dB above the noise you hear when the strings are muted "
        "(often -60 to -40 dB in front of a high-gain amp), attack 0.5-2 ms, hold 20-100 ms, release "
        "50-300 ms; a range of -10 to -20 dB gives a softer expander feel instead of full muting. "
        "Put it first in the chain, or after a drive to catch the drive's hiss as well.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "threshold_db",
         .name = "Threshold",
         .min = -90.f,
         .max = 0.f,
         .def = -50.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Peak level in dBFS that opens the gate, -90 to 0 dB."},
        {.id = "attack_ms",
         .name = "Attack",
         .min = 0.1f,
         .max = 50.f,
         .def = 1.f,
         .unit = Unit::Milliseconds,
         .taper = Taper::Log,
         .smoothMs = 20.f,
         .help = "Time constant of the gain rising to unity once the gate opens, 0.1 to 50 ms."},
        {.id = "hold_ms",
         .name = "Hold",
         .min = 0.f,
         .max = 500.f,
         .def = 50.f,
         .unit = Unit::Milliseconds,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help =
             "How long the level must stay below the closing threshold before the gate closes, 0 to 500 ms."},
        {.id = "release_ms",
         .name = "Release",
         .min = 5.f,
         .max = 2000.f,
         .def = 100.f,
         .unit = Unit::Milliseconds,
         .taper = Taper::Log,
         .smoothMs = 20.f,
         .help = "Time constant of the gain falling to the range once the gate closes, 5 to 2000 ms."},
        {.id = "hysteresis_db",
         .name = "Hysteresis",
         .min = 0.f,
         .max = 20.f,
         .def = 3.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "The gate closes at threshold minus this many dB, 0 to 20 dB; stops chattering on decaying "
                 "notes."},
        {.id = "range_db",
         .name = "Range",
         .min = -90.f,
         .max = 0.f,
         .def = -80.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Gain of the closed gate, -90 to 0 dB; -80 dB mutes, -10 to -20 dB only softens the noise."},
    }};

    Gate() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return 0; }
    uint32_t tailSamples() const noexcept { return 0; }

private:
    void updateCoefficients() noexcept;
    void processChunk(float* left, float* right, uint32_t frames) noexcept;
    void advanceSmoothers(uint32_t frames) noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;

    dsp::LinearSmoothed thresholdDb_;
    dsp::MultiplicativeSmoothed attackMs_;
    dsp::LinearSmoothed holdMs_;
    dsp::MultiplicativeSmoothed releaseMs_;
    dsp::LinearSmoothed hysteresisDb_;
    dsp::LinearSmoothed rangeDb_;

    // Per-grid coefficients.
    float openLevel_ = 0.f;
    float closeLevel_ = 0.f;
    double closedGain_ = 0.0;
    double attackCoef_ = 1.0;
    double releaseCoef_ = 1.0;
    uint32_t holdSamples_ = 0;
    float detectorDecay_ = 0.f;

    // State.
    uint32_t gridLeft_ = 0;
    float envelope_ = 0.f;
    // Double: a float one-pole with a 2 s time constant stalls about 0.1 dB short of its target.
    double gain_ = 0.0;
    uint32_t holdLeft_ = 0;
    bool open_ = false;
};

static_assert(Effect<Gate>);

} // namespace stagerack::fx
