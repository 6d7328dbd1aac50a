// Exciter: adds harmonics generated from the top of the spectrum only, for sparkle and presence without a
// louder low end (the idea of the classic "aural exciter" units; our own design).
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/Biquad.h"
#include "effects/dsp/Smoothed.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stagerack::fx {

class Exciter {
public:
    enum Param : std::size_t { kFrequencyHz, kDriveDb, kAmount, kParamCount };

    static constexpr std::string_view kId = "exciter";
    static constexpr std::string_view kName = "Exciter";
    static constexpr std::string_view kCategory = "stereo";
    static constexpr int kVersion = 1;
    static constexpr float kSmoothMs = 20.f;
    // The filters are redesigned on this grid (counted from reset) while the frequency glides.
    static constexpr uint32_t kGrid = 16;
    // The generator: harmonics = kSecond u^2 + kThird (u^3 - 0.75 a^2 u) of the normalised band signal u of
    // amplitude a (Chebyshev's T2 and T3 in disguise): for a full band (a = 1) a 2nd harmonic at -12 dB and a
    // 3rd at -26 dB of the band's level, and nothing at the band's own frequencies.
    static constexpr float kSecond = 0.5f;
    static constexpr float kThird = -0.2f;
    // Time constant of the band's level follower (its RMS, squared, through a one-pole).
    static constexpr double kFollowerMs = 10.0;
    // Onset overshoot of the normalised signal is clipped here (the follower is 10 ms behind).
    static constexpr float kMaxU = 1.5f;

    static constexpr std::string_view kHelp =
        "A high-frequency harmonic exciter: it adds 2nd and 3rd harmonics of the treble only, for sparkle "
        "and "
        "presence that an EQ boost cannot give, while the bass and mids pass untouched. "
        "The input is high-passed above frequency_hz (4th-order Butterworth, 24 dB per octave), its level is "
        "followed (RMS over 10 ms), and the band signal h, divided by s = max(10^(-drive_db / 20), its peak "
        "level), feeds a gentle asymmetric polynomial shaper: harmonics = s * (0.5 u^2 - 0.2 (u^3 - 0.75 a^2 "
        "u)) "
        "with u = h / s and a the followed amplitude of u (the second term is a pure 3rd harmonic, so the "
        "band "
        "keeps its own level). That product is high-passed again at frequency_hz (12 dB per octave, removing "
        "the shaper's DC and "
        "any low difference tones) and added to the unchanged input: out = in + amount * harmonics. "
        "Because the shaper is a cubic polynomial it creates nothing above three times the input frequency, "
        "so up to a third of the Nyquist frequency (8 kHz at 48 kHz) nothing folds back (no aliasing) "
        "without "
        "oversampling. "
        "frequency_hz (1000 to 10000 Hz, default 3000 Hz) is where the excited band starts. "
        "drive_db (0 to 24 dB, default 12 dB) sets how soon the shaper reaches full strength: a band quieter "
        "than -drive_db dBFS gets harmonics growing with its level (the 2nd with the level squared, like a "
        "real shaper); louder, the band is normalised and the harmonics keep a fixed ratio (2nd at -12 dB, "
        "3rd "
        "at -26 dB of the band at amount 1). "
        "amount (0 to 1, default 0.3) is how much of the harmonics is added; 0 leaves the input bit for bit. "
        "Typical settings: frequency 2.5 to 4 kHz, drive 12 dB, amount 0.2 to 0.4 to lift a dull cabinet "
        "or an acoustic guitar; 6 to 8 kHz and a small amount for air.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "frequency_hz",
         .name = "Frequency",
         .min = 1000.f,
         .max = 10000.f,
         .def = 3000.f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Lower edge of the excited band, 1 to 10 kHz: only content above it makes harmonics."},
        {.id = "drive_db",
         .name = "Drive",
         .min = 0.f,
         .max = 24.f,
         .def = 12.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Shaper drive, 0 to 24 dB: a band louder than -drive_db dBFS is excited at full strength."},
        {.id = "amount",
         .name = "Amount",
         .min = 0.f,
         .max = 1.f,
         .def = 0.3f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "How much of the generated harmonics is added to the input, 0 to 1."},
    }};

    Exciter() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return 0; }
    uint32_t tailSamples() const noexcept { return 0; }

    using V4 = float __attribute__((vector_size(16))); // lanes: left, right, unused, unused

private:
    void design() noexcept;
    void startGridStep() noexcept;
    void processChunk(float* left, float* right, uint32_t frames) noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;
    dsp::MultiplicativeSmoothed frequencyHz_;
    dsp::MultiplicativeSmoothed floor_; // 10^(-drive_db / 20)
    dsp::LinearSmoothed amount_;

    std::array<dsp::SvfCoeffs, 3> coeffs_{}; // two pre high-pass sections, one post
    std::array<dsp::SvfState<V4>, 3> state_{};
    V4 meanSquare_{};
    float followerCoef_ = 0.f;
    uint32_t gridLeft_ = 0;
};

static_assert(Effect<Exciter>);

} // namespace stagerack::fx
