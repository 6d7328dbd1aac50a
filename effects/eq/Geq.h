// Ten-band graphic equaliser, one octave per band from 31 Hz to 16 kHz, as constant-Q peaking SVF sections.
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

namespace detail {
// One slider of the graphic EQ (a namespace function: a class cannot call its own constexpr members
// while it is still being defined).
constexpr ParamInfo geqBand(std::string_view id, std::string_view name, std::string_view help) {
    return {.id = id,
            .name = name,
            .min = -12.f,
            .max = 12.f,
            .def = 0.f,
            .unit = Unit::Decibel,
            .taper = Taper::Linear,
            .smoothMs = 20.f,
            .help = help};
}

} // namespace detail

class Geq {
public:
    static constexpr std::size_t kBands = 10;
    enum Param : std::size_t { kBand0Db = 0, kLevelDb = kBands, kParamCount };

    static constexpr std::string_view kId = "geq";
    static constexpr std::string_view kName = "Graphic EQ";
    static constexpr std::string_view kCategory = "eq";
    static constexpr int kVersion = 1;
    static constexpr uint32_t kGrid = 32;
    static constexpr float kSmoothMs = 20.f;
    // Octave bands 1000 * 2^n Hz.
    static constexpr std::array<double, kBands> kCentreHz{31.25,  62.5,   125.0,  250.0,  500.0,
                                                          1000.0, 2000.0, 4000.0, 8000.0, 16000.0};
    // Constant Q (the same for every gain, boost and cut symmetric): 1.41 spans one octave between the
    // points where the boost in dB is half its peak, so neighbouring bands meet there.
    static constexpr double kQ = 1.41;

    static constexpr std::string_view kHelp =
        "A ten-band graphic equaliser with one band per octave. "
        "Each band is a peaking filter centred on 31, 62, 125, 250, 500 Hz and 1, 2, 4, 8, 16 kHz (exactly "
        "1000 Hz times powers of two, so 31.25 and 62.5 Hz), with a constant Q of 1.41: one octave wide at "
        "half its gain in dB, the same shape for boosts and cuts. "
        "band_31_db, band_62_db, band_125_db, band_250_db, band_500_db, band_1k_db, band_2k_db, band_4k_db, "
        "band_8k_db and band_16k_db set each band's gain at its centre, -12 to +12 dB (default 0 dB). "
        "level_db (-24 to +12 dB, default 0) sets the output level. "
        "The bands are cookbook peaking sections prewarped to their centres, so every centre is exact at any "
        "sample rate; near Nyquist the bilinear transform narrows the upper side of the 16 kHz band (at "
        "44.1 kHz its response returns to 0 dB at 22.05 kHz), and that narrowed response is the documented "
        "target. "
        "With every band and the level at 0 dB the signal passes bit for bit. "
        "Every slider glides over 20 ms. "
        "Typical guitar settings: a smile (+3 to +4 dB at 62-125 Hz and 4-8 kHz, -3 dB at 500 Hz) for "
        "scooped rhythm; +4 dB at 1 kHz and -3 dB at 8-16 kHz to make a solo cut through; -6 dB at 31 Hz "
        "and 16 kHz to clear rumble and hiss off a high-gain amp. "
        "Ten bands, one level.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        detail::geqBand("band_31_db", "31 Hz", "Gain at 31.25 Hz, -12 to +12 dB."),
        detail::geqBand("band_62_db", "62 Hz", "Gain at 62.5 Hz, -12 to +12 dB."),
        detail::geqBand("band_125_db", "125 Hz", "Gain at 125 Hz, -12 to +12 dB."),
        detail::geqBand("band_250_db", "250 Hz", "Gain at 250 Hz, -12 to +12 dB."),
        detail::geqBand("band_500_db", "500 Hz", "Gain at 500 Hz, -12 to +12 dB."),
        detail::geqBand("band_1k_db", "1 kHz", "Gain at 1 kHz, -12 to +12 dB."),
        detail::geqBand("band_2k_db", "2 kHz", "Gain at 2 kHz, -12 to +12 dB."),
        detail::geqBand("band_4k_db", "4 kHz", "Gain at 4 kHz, -12 to +12 dB."),
        detail::geqBand("band_8k_db", "8 kHz", "Gain at 8 kHz, -12 to +12 dB."),
        detail::geqBand("band_16k_db", "16 kHz", "Gain at 16 kHz, -12 to +12 dB."),
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

    Geq() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return 0; }
    uint32_t tailSamples() const noexcept { return 0; }

    // Exact response of band `b` (the level rides on the last band) for the current parameter values.
    dsp::SvfDesign sectionDesign(std::size_t b) const noexcept;
    double magnitudeDb(double freqHz) const noexcept;

private:
    dsp::SvfDesign design(std::size_t b, float db, float levelDb) const noexcept;
    void startSubBlock() noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;
    std::array<dsp::LinearSmoothed, kBands> bandDb_;
    dsp::LinearSmoothed levelDb_;
    SvfCascade<kBands> cascade_;
    std::array<bool, kBands> dirty_{};
    uint32_t gridLeft_ = 0;
};

static_assert(Effect<Geq>);

} // namespace stagerack::fx
