#include "effects/vocoder/BandPlan.h"

#include <algorithm>
#include <cmath>

namespace stagerack::fx {

namespace {

// Traunmüller's (1990) Bark formula and its inverse; it diverges at 26.28 Bark, so warped edges stay
// below kMaxBark (about 20 kHz).
constexpr double kMaxBark = 25.0;
// Edges are never placed below this frequency (mel and Bark cross zero there).
constexpr double kMinEdgeHz = 5.0;

} // namespace

double warpHz(BandSpacing spacing, double hz) noexcept {
    switch (spacing) {
    case BandSpacing::Bark:
        return 26.81 * hz / (1960.0 + hz) - 0.53;
    case BandSpacing::Mel:
        return 2595.0 * std::log10(1.0 + hz / 700.0);
    case BandSpacing::Log:
        break;
    }
    return std::log(hz);
}

double unwarpHz(BandSpacing spacing, double z) noexcept {
    switch (spacing) {
    case BandSpacing::Bark:
        z = std::min(z, kMaxBark);
        return 1960.0 * (z + 0.53) / (26.28 - z);
    case BandSpacing::Mel:
        return 700.0 * (std::pow(10.0, z / 2595.0) - 1.0);
    case BandSpacing::Log:
        break;
    }
    return std::exp(z);
}

BandPlan BandPlan::make(int bands, BandSpacing spacing, const BandShape& shape, double sampleRate) noexcept {
    BandPlan p;
    p.bands = std::clamp(bands, kMinBands, kMaxBands);
    const double top = kMaxCentreRatio * sampleRate;
    double low = std::clamp(shape.lowHz, kMinCentreHz, top);
    double high = std::clamp(shape.highHz, kMinCentreHz, top);
    if (high < 2.0 * low) {
        high = std::min(2.0 * low, top);
        low = high / 2.0;
    }
    p.lowHz = low;
    p.highHz = high;
    const double zLow = warpHz(spacing, low);
    const double zHigh = warpHz(spacing, high);
    const double step = (zHigh - zLow) / (p.bands - 1);
    const double half = 0.5 * step * std::max(shape.width, 0.01);
    const double zMinEdge = warpHz(spacing, kMinEdgeHz);
    const double shift = std::exp2(shape.shiftSemitones / 12.0);
    p.spanLowHz = unwarpHz(spacing, std::max(zLow - 0.5 * step, zMinEdge));
    p.spanHighHz = std::min(unwarpHz(spacing, zHigh + 0.5 * step), 0.5 * sampleRate);
    for (int b = 0; b < p.bands; ++b) {
        const double z = zLow + b * step;
        const double centre = unwarpHz(spacing, z);
        const double lo = unwarpHz(spacing, std::max(z - half, zMinEdge));
        const double hi = unwarpHz(spacing, z + half);
        // The cascade's -3 dB points f1, f2 satisfy q (f / f0 - f0 / f) = kCascadeHalfPower; with them at
        // the band edges (f2 - f1) / sqrt(f1 f2) is that relative width (exact for geometric edges).
        const double relWidth = (hi - lo) / std::sqrt(hi * lo);
        const auto i = static_cast<std::size_t>(b);
        p.analysisHz[i] = centre;
        p.synthesisHz[i] = std::clamp(centre * shift, kMinCentreHz, top);
        p.sectionQ[i] = std::clamp(kCascadeHalfPower / relWidth, kMinQ, kMaxQ);
    }
    return p;
}

} // namespace stagerack::fx
