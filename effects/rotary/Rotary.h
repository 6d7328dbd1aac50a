// Rotary speaker: a Leslie-style cabinet with a treble horn and a bass drum rotating at their own speeds,
// heard through two microphones. The rotors speed up and slow down with inertia when switched.
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/ModDelay.h"
#include "effects/dsp/Smoothed.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stagerack::fx {

class Rotary {
public:
    enum Param : std::size_t {
        kSpeed,
        kHornSlowHz,
        kHornFastHz,
        kDrumSlowHz,
        kDrumFastHz,
        kDrive,
        kBalance,
        kMicDistance,
        kWidth,
        kMix,
        kParamCount
    };
    enum Speed : int { kSlow = 0, kFast = 1, kSpeedCount };

    static constexpr std::string_view kId = "rotary";
    static constexpr std::string_view kName = "Rotary Speaker";
    static constexpr std::string_view kCategory = "modulation";
    static constexpr int kVersion = 1;
    static constexpr float kSmoothMs = 20.f;
    // Rotor speeds, phasors and every ramped coefficient are updated on this grid, counted from reset.
    static constexpr uint32_t kGrid = 16;
    static constexpr double kCrossoverHz = 800.0;
    // First-order approach to the new speed; 90 % of the change takes ln(10) time constants.
    static constexpr double kHornUpSeconds = 0.37;   // 90 % in 0.85 s
    static constexpr double kHornDownSeconds = 0.55; // 90 % in 1.27 s
    static constexpr double kDrumUpSeconds = 1.95;   // 90 % in 4.5 s
    static constexpr double kDrumDownSeconds = 2.4;  // 90 % in 5.5 s
    // Doppler: the path length swings by the rotor radius either way (horn mouth 15 cm, drum 7 cm of
    // effective swing) at 343 m/s.
    static constexpr double kHornSwingSeconds = 0.15 / 343.0;
    static constexpr double kDrumSwingSeconds = 0.07 / 343.0;
    // Amplitude modulation 1 + depth * cos(angle) for a close microphone (mic_distance 0); a far one hears
    // half of it.
    static constexpr float kHornAm = 0.5f; // 9.5 dB peak to trough
    static constexpr float kDrumAm = 0.3f; // 5.4 dB
    // A far microphone (mic_distance 1) also hears this much of the other side of the cabinet.
    static constexpr float kMaxBleed = 0.25f;

    static constexpr std::array<std::string_view, kSpeedCount> kSpeedLabels{"slow", "fast"};

    static constexpr std::string_view kHelp =
        "A rotating speaker cabinet in the style of the Leslie 122: a tube preamp, an 800 Hz crossover "
        "(12 dB per octave, Linkwitz-Riley: flat when the rotors stand still) into a treble horn and a bass "
        "drum, each rotating, heard by two microphones. "
        "Each rotor modulates the sound three ways as it turns: loudness (amplitude modulation, 9.5 dB peak "
        "to trough for the horn, 5.4 dB for the drum, with a close microphone), pitch (Doppler: the path "
        "length swings 15 cm either way for the horn and 7 cm for the drum, read from a modulated delay line "
        "with cubic Lagrange interpolation) and place (the left and right microphones see the rotor at "
        "different angles). The drum turns the opposite way to the horn, as in the cabinet. "
        "speed (slow or fast) is the chorale/tremolo switch: the rotors do not jump but accelerate with "
        "inertia, the horn reaching 90 % of the new speed in 0.85 s (1.27 s when slowing), the heavier drum "
        "in "
        "4.5 s (5.5 s when slowing). "
        "horn_slow_hz (0.3 to 2 Hz, default 0.8 Hz) and horn_fast_hz (3 to 10 Hz, default 6.7 Hz) are the "
        "horn's rotations per second at each setting; drum_slow_hz (0.3 to 2 Hz, default 0.7 Hz) and "
        "drum_fast_hz (3 to 10 Hz, default 5.9 Hz) the drum's; changing one makes the rotor glide to it with "
        "the same inertia. "
        "drive (0 to 1, default 0.2) is the preamp: from clean (0) through warm, asymmetric tube breakup to "
        "heavy overdrive (1), level-matched for a -12 dBFS signal. "
        "balance (-1 to 1, default 0) trades the drum (-1: drum only) against the horn (+1: horn only). "
        "mic_distance (0 to 1, default 0.3) moves the microphones away: less amplitude modulation (half at "
        "1) "
        "and more of the other side of the cabinet (up to 25 %). "
        "width (0 to 1, default 0.8) is the angle between the microphones: 0 puts both at the same place "
        "(mono), 1 at opposite sides (the left and right modulations in anti-phase). "
        "mix (0 to 1, default 1) blends the dry input with the cabinet. "
        "Typical settings: organ with drive 0.3 to 0.5, width 0.8 to 1 and the switch on a foot switch or "
        "MIDI; guitar (the Vibratone/Uni-Vibe road) with balance +0.3 and a slow horn of 1 to 1.5 Hz.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "speed",
         .name = "Speed",
         .min = 0.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = kSpeedLabels,
         .help = "Slow (chorale) or fast (tremolo); the rotors accelerate and brake with inertia."},
        {.id = "horn_slow_hz",
         .name = "Horn Slow",
         .min = 0.3f,
         .max = 2.f,
         .def = 0.8f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Horn rotations per second at the slow setting, 0.3 to 2 Hz."},
        {.id = "horn_fast_hz",
         .name = "Horn Fast",
         .min = 3.f,
         .max = 10.f,
         .def = 6.7f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Horn rotations per second at the fast setting, 3 to 10 Hz."},
        {.id = "drum_slow_hz",
         .name = "Drum Slow",
         .min = 0.3f,
         .max = 2.f,
         .def = 0.7f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Drum rotations per second at the slow setting, 0.3 to 2 Hz."},
        {.id = "drum_fast_hz",
         .name = "Drum Fast",
         .min = 3.f,
         .max = 10.f,
         .def = 5.9f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Drum rotations per second at the fast setting, 3 to 10 Hz."},
        {.id = "drive",
         .name = "Drive",
         .min = 0.f,
         .max = 1.f,
         .def = 0.2f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Tube preamp overdrive before the rotors, 0 (clean) to 1 (heavy)."},
        {.id = "balance",
         .name = "Balance",
         .min = -1.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Drum (-1) against horn (+1); 0 is both at full level."},
        {.id = "mic_distance",
         .name = "Mic Distance",
         .min = 0.f,
         .max = 1.f,
         .def = 0.3f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Microphones close (0: strongest modulation) to far (1: half the modulation, more room)."},
        {.id = "width",
         .name = "Width",
         .min = 0.f,
         .max = 1.f,
         .def = 0.8f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Angle between the microphones: 0 (same place, mono) to 1 (opposite sides)."},
        {.id = "mix",
         .name = "Mix",
         .min = 0.f,
         .max = 1.f,
         .def = 1.f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Dry input (0) to the rotary cabinet (1)."},
    }};

    Rotary() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return 0; }
    uint32_t tailSamples() const noexcept { return tail_; }

    // Current rotation rates (for meters and tests).
    double hornHz() const noexcept { return horn_.rateHz; }
    double drumHz() const noexcept { return drum_.rateHz; }

private:
    // A value that moves linearly from one grid point to the next.
    // A value that moves linearly from one grid point to the next, landing exactly on each target.
    struct Ramp {
        float value = 0.f;
        float step = 0.f;
        float target = 0.f;
        void snap(float v) noexcept {
            value = target = v;
            step = 0.f;
        }
        void aim(float next) noexcept {
            value = target;
            target = next;
            step = (next - value) / static_cast<float>(kGrid);
        }
        float next() noexcept { return value += step; }
    };
    struct Rotor {
        dsp::ModDelay line;
        double rateHz = 1.0;
        double phase = 0.0; // cycles at the start of the grid step
        double upCoef = 0.0;
        double downCoef = 0.0;
        float cos = 1.f; // the rotor angle as a phasor, rotated per sample
        float sin = 0.f;
        float rotCos = 1.f;
        float rotSin = 0.f;
        float swing = 0.f;  // Doppler: delay swing in samples
        float centre = 0.f; // mean delay in samples
        float direction = 1.f;
    };

    double targetRate(const Rotor& r, std::size_t slowParam) const noexcept;
    void startGridStep(bool snap) noexcept;
    void stepRotor(Rotor& r, double target, bool snap) noexcept;
    void processChunk(float* left, float* right, uint32_t frames) noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;
    uint32_t tail_ = 0;

    dsp::LinearSmoothed drive_;
    dsp::LinearSmoothed balance_;
    dsp::LinearSmoothed distance_;
    dsp::LinearSmoothed width_;
    dsp::LinearSmoothed mix_;

    Rotor horn_;
    Rotor drum_;
    // Ramped per-sample coefficients: the microphones' angle (cos, sin), the AM depths, the bleed and the
    // preamp (input gain, bias, its output at rest, output gain).
    Ramp micCos_, micSin_, hornAm_, drumAm_, bleed_, preGain_, preBias_, preRest_, preMakeup_;

    // Preamp DC blocker and the crossover (a trapezoidal SVF with Q = 0.5).
    float dcCoef_ = 0.f;
    float dcX_ = 0.f;
    float dcY_ = 0.f;
    float xa1_ = 0.f, xa2_ = 0.f, xa3_ = 0.f, xk_ = 2.f;
    float ic1_ = 0.f;
    float ic2_ = 0.f;
    uint32_t gridLeft_ = 0;
};

static_assert(Effect<Rotary>);

} // namespace stagerack::fx
