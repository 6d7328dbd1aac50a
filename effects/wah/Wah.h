// Wah: a resonant band-pass swept like an inductor wah pedal, by hand (a MIDI expression pedal), by the
// playing level (auto-wah) or by an LFO.
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/Biquad.h"
#include "effects/dsp/Smoothed.h"
#include "effects/eq/SvfCascade.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stagerack::fx {

class Wah {
public:
    enum Param : std::size_t {
        kPedal,
        kMode,
        kSensitivity,
        kAttackMs,
        kReleaseMs,
        kLfoHz,
        kRangeLowHz,
        kRangeHighHz,
        kQ,
        kParamCount
    };
    enum Mode : int { kManual = 0, kAuto = 1, kLfo = 2, kModeCount };

    static constexpr std::string_view kId = "wah";
    static constexpr std::string_view kName = "Wah";
    static constexpr std::string_view kCategory = "filter";
    static constexpr int kVersion = 1;
    // The filter is redesigned on this grid (counted from reset), its coefficients ramping per sample in
    // between; the sweep position moves at most one octave of frequency per grid step.
    static constexpr uint32_t kGrid = 16;
    static constexpr float kSmoothMs = 20.f;
    static constexpr float kModeFadeMs = 30.f;
    // Gain at the resonance (+6 dB, the inductor wah's boost) and the bass that leaks past the band-pass:
    // a one-pole low-pass at kLeakHz, 20 dB below the peak.
    static constexpr double kPeakGain = 2.0;
    static constexpr double kLeakGain = 0.2;
    static constexpr double kLeakHz = 120.0;
    // Q(pedal) = q * (kQHeel - kQSpan * pedal): a little sharper at the heel, like the real circuit.
    static constexpr double kQHeel = 1.2;
    static constexpr double kQSpan = 0.4;

    static constexpr std::array<std::string_view, kModeCount> kModeLabels{"manual", "auto", "lfo"};

    static constexpr std::string_view kHelp =
        "A wah: a resonant band-pass swept across the guitar's midrange, voiced after the classic inductor "
        "wah (Cry Baby style). "
        "The sweep position p (0 = heel, 1 = toe) sets the resonance at f = range_low_hz * (range_high_hz / "
        "range_low_hz)^p, by default f = 350 * (2200 / 350)^p Hz: 350 Hz at the heel, 877 Hz half way, "
        "2200 Hz at the toe. "
        "The resonance is +6 dB with a Q of q * (1.2 - 0.4 p) (7.2 at the heel to 4.8 at the toe with the "
        "default q of 6), and, as in the circuit, some bass leaks past the band-pass (a one-pole low-pass "
        "at 120 Hz, 20 dB below the peak). "
        "pedal (0 to 1, default 0.5) is the pedal position: map a MIDI expression pedal to it; it glides "
        "over 20 ms. "
        "mode picks what moves the sweep: manual (the pedal), auto (the playing level) or lfo; a change "
        "crossfades over 30 ms. "
        "In auto mode an envelope follower (the peak of both channels) moves the sweep from the pedal "
        "position up: p = pedal + (1 - pedal) * min(1, envelope * 10^(sensitivity / 20)). "
        "sensitivity (0 to 40 dB, default 20 dB) is how far below full scale a note sweeps all the way up "
        "(20 dB: a -20 dBFS peak). "
        "attack_ms (0.5 to 100 ms, default 5 ms) and release_ms (10 to 2000 ms, default 150 ms) are the "
        "follower's rise and fall time constants. "
        "In lfo mode the sweep follows p = (1 - cos(2 pi lfo_hz t)) / 2 over the whole range; lfo_hz is "
        "0.05 to 10 Hz (default 1 Hz). "
        "range_low_hz (200 to 1000 Hz, default 350 Hz) and range_high_hz (1000 to 4000 Hz, default 2200 Hz) "
        "are the ends of the sweep. "
        "q (1 to 15, default 6) is the resonance; higher is more vocal and narrower. "
        "Typical settings: manual with an expression pedal for classic rhythm and lead wah; auto with "
        "sensitivity 15-25 dB, attack 2-10 ms and release 100-300 ms for funk; lfo at 0.5-2 Hz as a "
        "filter-sweep effect; range 400-1800 Hz and q 4 for a smoother, Vox-like sweep.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "pedal",
         .name = "Pedal",
         .min = 0.f,
         .max = 1.f,
         .def = 0.5f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Pedal position, 0 (heel, range_low_hz) to 1 (toe, range_high_hz); map an expression pedal "
                 "here. In auto mode, the rest position."},
        {.id = "mode",
         .name = "Mode",
         .min = 0.f,
         .max = 2.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = kModeLabels,
         .help = "What sweeps the filter: manual (the pedal), auto (the playing level) or lfo."},
        {.id = "sensitivity",
         .name = "Sensitivity",
         .min = 0.f,
         .max = 40.f,
         .def = 20.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Auto mode: a peak this many dB below full scale sweeps all the way up, 0 to 40 dB."},
        {.id = "attack_ms",
         .name = "Attack",
         .min = 0.5f,
         .max = 100.f,
         .def = 5.f,
         .unit = Unit::Milliseconds,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Auto mode: rise time constant of the envelope follower, 0.5 to 100 ms."},
        {.id = "release_ms",
         .name = "Release",
         .min = 10.f,
         .max = 2000.f,
         .def = 150.f,
         .unit = Unit::Milliseconds,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Auto mode: fall time constant of the envelope follower, 10 to 2000 ms."},
        {.id = "lfo_hz",
         .name = "LFO Rate",
         .min = 0.05f,
         .max = 10.f,
         .def = 1.f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "LFO mode: sweeps per second, 0.05 to 10 Hz."},
        {.id = "range_low_hz",
         .name = "Range Low",
         .min = 200.f,
         .max = 1000.f,
         .def = 350.f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Resonance at the heel (pedal 0), 200 to 1000 Hz."},
        {.id = "range_high_hz",
         .name = "Range High",
         .min = 1000.f,
         .max = 4000.f,
         .def = 2200.f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Resonance at the toe (pedal 1), 1000 to 4000 Hz."},
        {.id = "q",
         .name = "Resonance",
         .min = 1.f,
         .max = 15.f,
         .def = 6.f,
         .unit = Unit::None,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Resonance Q, 1 to 15; the filter's Q is q * (1.2 - 0.4 * position)."},
    }};

    Wah() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return 0; }
    uint32_t tailSamples() const noexcept { return 0; }

    // The documented law: resonance frequency at sweep position p for the current range.
    double frequencyAt(double position) const noexcept;

private:
    double targetPosition() const noexcept;
    dsp::SvfDesign designAt(double position) const noexcept;
    void startSubBlock() noexcept;
    void processChunk(float* left, float* right, uint32_t frames) noexcept;
    void advanceSmoothers(uint32_t frames) noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;

    dsp::LinearSmoothed pedal_;
    dsp::LinearSmoothed sensitivityDb_;
    dsp::MultiplicativeSmoothed attackMs_;
    dsp::MultiplicativeSmoothed releaseMs_;
    dsp::MultiplicativeSmoothed lfoHz_;
    dsp::MultiplicativeSmoothed rangeLowHz_;
    dsp::MultiplicativeSmoothed rangeHighHz_;
    dsp::MultiplicativeSmoothed q_;
    std::array<dsp::LinearSmoothed, kModeCount> modeWeight_;

    SvfCascade<1> filter_;
    uint32_t gridLeft_ = 0;
    double position_ = 0.5; // where the filter is (slew-limited towards targetPosition())
    double designedPosition_ = 0.5;
    bool designDirty_ = false;
    double lfoPhase_ = 0.0; // cycles, [0, 1)
    float envelope_ = 0.f;
    float attackCoef_ = 1.f;
    float releaseCoef_ = 1.f;
    float leakCoef_ = 0.f; // one-pole low-pass of the bass leak
    float leakL_ = 0.f;
    float leakR_ = 0.f;
};

static_assert(Effect<Wah>);

} // namespace stagerack::fx
