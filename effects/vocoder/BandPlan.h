// Where the vocoder's bands sit: centre frequencies equally spaced on a log, Bark or mel scale between the
// low and high centres, the section Q that makes neighbouring bands cross at -3 dB (times `width`), and
// the synthesis centres moved by the formant shift.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace stagerack::fx {

enum class BandSpacing : uint8_t { Log = 0, Bark = 1, Mel = 2 };
inline constexpr std::array<std::string_view, 3> kBandSpacingLabels{"log", "bark", "mel"};

// The continuous controls of the bank's shape.
struct BandShape {
    double lowHz = 100.0;   // centre of the lowest band
    double highHz = 8000.0; // centre of the highest band
    double width = 1.0;     // -3 dB bandwidth as a multiple of the band spacing
    double shiftSemitones = 0.0;
};

struct BandPlan {
    static constexpr int kMinBands = 8;
    static constexpr int kMaxBands = 32;
    // sqrt(sqrt(2) - 1): a band-pass section of Q q is -1.5 dB (the cascade of two -3 dB) where
    // q (f / f0 - f0 / f) equals it.
    static constexpr double kCascadeHalfPower = 0.64359425290558262;
    static constexpr double kMinQ = 0.3;
    static constexpr double kMaxQ = 40.0;
    // Centres stay below this fraction of the sample rate (the bilinear transform cramps near Nyquist).
    static constexpr double kMaxCentreRatio = 0.45;
    static constexpr double kMinCentreHz = 20.0;

    int bands = 16;
    std::array<double, kMaxBands> analysisHz{};
    std::array<double, kMaxBands> synthesisHz{};
    std::array<double, kMaxBands> sectionQ{};
    double lowHz = 100.0; // the range actually used (after the clamps below)
    double highHz = 8000.0;
    // The span the bank covers: half a band spacing beyond the outer centres (at most Nyquist).
    double spanLowHz = 80.0;
    double spanHighHz = 10000.0;

    // The range is clamped to [kMinCentreHz, kMaxCentreRatio * rate] and widened to at least an octave.
    static BandPlan make(int bands, BandSpacing spacing, const BandShape& shape, double sampleRate) noexcept;
};

// The scales: Hz to the warped coordinate in which the centres are equally spaced, and back.
double warpHz(BandSpacing spacing, double hz) noexcept;
double unwarpHz(BandSpacing spacing, double z) noexcept;

} // namespace stagerack::fx
