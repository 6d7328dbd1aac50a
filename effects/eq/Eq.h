// Parametric equaliser: high-pass, low shelf, three peaking bands, high shelf, low-pass and an output level,
// all as trapezoidal SVF sections with cookbook responses (dsp/Biquad.h).
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

class Eq {
public:
    enum Param : std::size_t {
        kLowShelfHz,
        kLowShelfDb,
        kPeak1Hz,
        kPeak1Db,
        kPeak1Q,
        kPeak2Hz,
        kPeak2Db,
        kPeak2Q,
        kPeak3Hz,
        kPeak3Db,
        kPeak3Q,
        kHighShelfHz,
        kHighShelfDb,
        kHighpassHz,
        kHighpassSlope,
        kLowpassHz,
        kLowpassSlope,
        kLevelDb,
        kParamCount
    };
    enum Slope : int { kSlopeOff = 0, kSlope12 = 1, kSlope24 = 2 };
    // Signal order. The high-pass and low-pass have two sections each: 12 dB/octave uses the first as a
    // Butterworth pair, 24 dB/octave both as a 4th-order Butterworth.
    enum Section : std::size_t {
        kHighpassA,
        kHighpassB,
        kLowShelf,
        kPeak1,
        kPeak2,
        kPeak3,
        kHighShelf,
        kLowpassA,
        kLowpassB,
        kSectionCount
    };

    static constexpr std::string_view kId = "eq";
    static constexpr std::string_view kName = "Parametric EQ";
    static constexpr std::string_view kCategory = "eq";
    static constexpr int kVersion = 1;
    // Coefficients are recomputed on this grid (counted from reset) while a control moves. With the
    // ranges and 20 ms smoothing below, a full-range knob jump moves a frequency by at most 1.3x and a gain
    // by at most 1.3 dB (16 %) per sub-block at 44.1 kHz, less at higher rates.
    static constexpr uint32_t kGrid = 32;
    static constexpr float kSmoothMs = 20.f;
    // Slope changes fade the second section in or out, and the first section's Q across, over this long.
    static constexpr float kSlopeFadeMs = 20.f;
    // Shelf slope: the steepest shelf without overshoot (the cookbook's S = 1).
    static constexpr double kShelfQ = dsp::kButterworthQ;

    static constexpr std::array<std::string_view, 3> kSlopeLabels{"off", "12", "24"};

    static constexpr std::string_view kHelp =
        "A parametric equaliser: high-pass, low shelf, three peaking bands, high shelf and low-pass, in that "
        "order, then an output level. "
        "Every band is a second-order section with the Audio EQ Cookbook response. "
        "Each is prewarped so its frequency is exact at any sample rate, and runs as a state-variable filter "
        "so that sweeping a knob never zips or blows up. "
        "low_shelf_hz (20 to 1000 Hz, default 100 Hz) is where the low shelf reaches half its gain in dB. "
        "low_shelf_db (-18 to +18 dB, default 0 dB) is the gain below it. "
        "high_shelf_hz (1000 to 20000 Hz, default 6000 Hz) and high_shelf_db (-18 to +18 dB, default 0 dB) "
        "do the same above. "
        "Both shelves have a Q of 0.7071, the steepest shelf without overshoot. "
        "peak1_hz, peak2_hz and peak3_hz (20 to 20000 Hz, defaults 250, 1000 and 4000 Hz) are the centres of "
        "the three peaking bands. "
        "peak1_db, peak2_db and peak3_db (-18 to +18 dB, default 0 dB) are their gains at the centre. "
        "peak1_q, peak2_q and peak3_q (0.2 to 10, default 1) set their widths: about 1.44 / Q octaves "
        "between "
        "the points of half the gain in dB; boosts and cuts are symmetric. "
        "highpass_hz (10 to 2000 Hz, default 80 Hz) is the high-pass cutoff, -3 dB there. "
        "highpass_slope is off (bypassed, the default), 12 or 24 dB per octave (Butterworth, 2nd or 4th "
        "order). "
        "lowpass_hz (500 to 20000 Hz, default 8000 Hz) and lowpass_slope do the same for the low-pass. "
        "A slope change fades over 20 ms. "
        "level_db (-24 to +12 dB, default 0 dB) sets the output level. "
        "A band at 0 dB and a filter that is off pass the signal bit for bit. "
        "Every continuous control glides over 20 ms. "
        "Typical guitar settings: high-pass at 80-100 Hz, 12 dB, to tighten a high-gain sound. "
        "Low-pass at 5-7 kHz, 12 dB, after a drive to take off the fizz. "
        "A peak of +3 to +6 dB at 700-1000 Hz, Q 1, pushes a solo through the mix. "
        "A narrow cut (-6 dB, Q 4) around 2.5-4 kHz tames harshness, and a low shelf of -3 dB at 150 Hz a "
        "boomy cabinet.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "low_shelf_hz",
         .name = "Low Shelf Freq",
         .min = 20.f,
         .max = 1000.f,
         .def = 100.f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Low shelf frequency (half the shelf gain in dB there), 20 to 1000 Hz."},
        {.id = "low_shelf_db",
         .name = "Low Shelf Gain",
         .min = -18.f,
         .max = 18.f,
         .def = 0.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Gain below the low shelf frequency, -18 to +18 dB."},
        {.id = "peak1_hz",
         .name = "Peak 1 Freq",
         .min = 20.f,
         .max = 20000.f,
         .def = 250.f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Centre frequency of peaking band 1, 20 to 20000 Hz."},
        {.id = "peak1_db",
         .name = "Peak 1 Gain",
         .min = -18.f,
         .max = 18.f,
         .def = 0.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Gain of peaking band 1 at its centre, -18 to +18 dB."},
        {.id = "peak1_q",
         .name = "Peak 1 Q",
         .min = 0.2f,
         .max = 10.f,
         .def = 1.f,
         .unit = Unit::None,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Q of peaking band 1, 0.2 (wide) to 10 (narrow)."},
        {.id = "peak2_hz",
         .name = "Peak 2 Freq",
         .min = 20.f,
         .max = 20000.f,
         .def = 1000.f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Centre frequency of peaking band 2, 20 to 20000 Hz."},
        {.id = "peak2_db",
         .name = "Peak 2 Gain",
         .min = -18.f,
         .max = 18.f,
         .def = 0.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Gain of peaking band 2 at its centre, -18 to +18 dB."},
        {.id = "peak2_q",
         .name = "Peak 2 Q",
         .min = 0.2f,
         .max = 10.f,
         .def = 1.f,
         .unit = Unit::None,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Q of peaking band 2, 0.2 (wide) to 10 (narrow)."},
        {.id = "peak3_hz",
         .name = "Peak 3 Freq",
         .min = 20.f,
         .max = 20000.f,
         .def = 4000.f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Centre frequency of peaking band 3, 20 to 20000 Hz."},
        {.id = "peak3_db",
         .name = "Peak 3 Gain",
         .min = -18.f,
         .max = 18.f,
         .def = 0.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Gain of peaking band 3 at its centre, -18 to +18 dB."},
        {.id = "peak3_q",
         .name = "Peak 3 Q",
         .min = 0.2f,
         .max = 10.f,
         .def = 1.f,
         .unit = Unit::None,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Q of peaking band 3, 0.2 (wide) to 10 (narrow)."},
        {.id = "high_shelf_hz",
         .name = "High Shelf Freq",
         .min = 1000.f,
         .max = 20000.f,
         .def = 6000.f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "High shelf frequency (half the shelf gain in dB there), 1000 to 20000 Hz."},
        {.id = "high_shelf_db",
         .name = "High Shelf Gain",
         .min = -18.f,
         .max = 18.f,
         .def = 0.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Gain above the high shelf frequency, -18 to +18 dB."},
        {.id = "highpass_hz",
         .name = "High-Pass Freq",
         .min = 10.f,
         .max = 2000.f,
         .def = 80.f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "High-pass cutoff (-3 dB), 10 to 2000 Hz."},
        {.id = "highpass_slope",
         .name = "High-Pass Slope",
         .min = 0.f,
         .max = 2.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = kSlopeLabels,
         .help = "High-pass slope: off (bypassed), 12 or 24 dB per octave (Butterworth); fades over 20 ms."},
        {.id = "lowpass_hz",
         .name = "Low-Pass Freq",
         .min = 500.f,
         .max = 20000.f,
         .def = 8000.f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Low-pass cutoff (-3 dB), 500 to 20000 Hz."},
        {.id = "lowpass_slope",
         .name = "Low-Pass Slope",
         .min = 0.f,
         .max = 2.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = kSlopeLabels,
         .help = "Low-pass slope: off (bypassed), 12 or 24 dB per octave (Butterworth); fades over 20 ms."},
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

    Eq() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return 0; }
    uint32_t tailSamples() const noexcept { return 0; }

    // The exact response of section `s` for the current parameter values (what the filter settles to),
    // for tests and the GUI's curve.
    dsp::SvfDesign sectionDesign(std::size_t s) const noexcept;
    // Sum of every section's dB: the whole EQ's response at `freqHz`.
    double magnitudeDb(double freqHz) const noexcept;

private:
    // The smoothed values a section's design is made from.
    struct Band {
        dsp::MultiplicativeSmoothed hz;
        dsp::LinearSmoothed db;
        dsp::MultiplicativeSmoothed q;
    };
    // High-pass or low-pass: one cutoff, the first section's Q and both sections' weights (0 = a wire).
    struct Pass {
        dsp::MultiplicativeSmoothed hz;
        dsp::MultiplicativeSmoothed qA;
        dsp::LinearSmoothed weightA;
        dsp::LinearSmoothed weightB;
    };

    dsp::SvfDesign designNow(std::size_t s) const noexcept;
    bool sectionMoving(std::size_t s) const noexcept;
    void advanceSmoothers(uint32_t frames) noexcept;
    void snapSmoothers() noexcept;
    static void setPassTargets(Pass& p, float slope) noexcept;
    void startSubBlock() noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;

    Band lowShelf_;
    std::array<Band, 3> peaks_;
    Band highShelf_;
    Pass highpass_;
    Pass lowpass_;
    dsp::LinearSmoothed levelDb_;

    SvfCascade<kSectionCount> cascade_;
    std::array<bool, kSectionCount> dirty_{};
    uint32_t gridLeft_ = 0;
};

static_assert(Effect<Eq>);

} // namespace stagerack::fx
