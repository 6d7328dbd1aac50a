#include "effects/dsp/Oversampler.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace stagerack::dsp {

namespace {

// Zeroth-order modified Bessel function of the first kind (power series; converges fast for beta < 20).
double besselI0(double x) {
    double sum = 1.0;
    double term = 1.0;
    const double q = 0.25 * x * x;
    for (int k = 1; k < 60 && term > 1e-17 * sum; ++k) {
        term *= q / (static_cast<double>(k) * k);
        sum += term;
    }
    return sum;
}

// Kaiser's formulas: beta for a stopband attenuation, and the length for a transition width (in cycles
// per sample).
double kaiserBeta(double attenuationDb) {
    return 0.1102 * (attenuationDb - 8.7);
}
std::size_t kaiserLength(double attenuationDb, double transition) {
    return static_cast<std::size_t>(
               std::ceil((attenuationDb - 7.95) / (2.285 * 2.0 * std::numbers::pi * transition))) +
           1;
}

// Windowed-sinc low-pass of odd length `taps`, cutoff `fc` in cycles per sample, unity gain at DC.
std::vector<double> kaiserLowpass(std::size_t taps, double fc, double beta) {
    std::vector<double> h(taps);
    const double centre = 0.5 * static_cast<double>(taps - 1);
    const double i0beta = besselI0(beta);
    double sum = 0.0;
    for (std::size_t n = 0; n < taps; ++n) {
        const double t = static_cast<double>(n) - centre;
        const double sinc =
            t == 0.0 ? 2.0 * fc : std::sin(2.0 * std::numbers::pi * fc * t) / (std::numbers::pi * t);
        const double r = t / centre;
        const double w = besselI0(beta * std::sqrt(std::max(0.0, 1.0 - r * r))) / i0beta;
        h[n] = sinc * w;
        sum += h[n];
    }
    for (double& v : h)
        v /= sum;
    return h;
}

// Half-band of length 4 half - 1 whose transition is `transition` wide (cycles per sample, centred on
// 1/4): the centre tap is exactly 1/2, the other even-offset taps exactly 0, and the rest sum to 1/2.
std::vector<double> halfband(std::size_t half, double attenuationDb) {
    const std::size_t taps = 4 * half - 1;
    std::vector<double> h = kaiserLowpass(taps, 0.25, kaiserBeta(attenuationDb));
    const std::size_t centre = (taps - 1) / 2;
    double side = 0.0;
    for (std::size_t n = 0; n < taps; ++n) {
        const std::size_t offset = n > centre ? n - centre : centre - n;
        if (offset == 0)
            h[n] = 0.5;
        else if (offset % 2 == 0)
            h[n] = 0.0;
        else
            side += h[n];
    }
    for (std::size_t n = 0; n < taps; ++n)
        if (n != centre) h[n] *= 0.5 / side;
    return h;
}

std::size_t halfbandHalf(double attenuationDb, double transition, std::size_t maxHalf) {
    const std::size_t length = kaiserLength(attenuationDb, transition);
    return std::min((length + 1 + 3) / 4, maxHalf); // smallest 4 half - 1 >= length
}

std::size_t roundUpToLanes(std::size_t n) {
    return (n + Oversampler::kLanes - 1) / Oversampler::kLanes * Oversampler::kLanes;
}

} // namespace

void Oversampler::prepare(uint32_t factor) {
    factor_ = factor >= 8 ? 8 : factor >= 4 ? 4 : factor >= 2 ? 2 : 1;
    stages_ = factor_ == 8 ? 3 : factor_ == 4 ? 2 : factor_ == 2 ? 1 : 0;
    constexpr std::size_t kMaxHalf = kMaxHalfbandTaps / 2;

    // Stage k runs at 2^(k+1) fs. Its images (up) or what it folds (down) must not reach the base band.
    // Up stage 0 keeps the band below kPassband fs clean; later stages only have to clear fs / 2 (their
    // input holds nothing above it after stage 0), so their transition is much wider.
    std::size_t delayTop = 0; // total delay in top-rate samples
    for (uint32_t k = 0; k < stages_; ++k) {
        const double rate = static_cast<double>(2u << k); // stage rate in units of fs
        const double pass = k == 0 ? kPassband : 0.5;
        const double stop = rate / 2.0 - pass;
        const std::size_t half = halfbandHalf(kStopbandDb, (stop - pass) / rate, kMaxHalf);
        const std::vector<double> h = halfband(half, kStopbandDb);
        HalfbandUp& u = up_[k];
        u.half = half;
        u.taps = roundUpToLanes(2 * half);
        u.coef.fill(0.f);
        for (std::size_t j = 0; j < 2 * half; ++j)
            u.coef[j] = static_cast<float>(2.0 * h[2 * j]);
        const std::size_t scale = factor_ / (2u << k); // top-rate samples per sample of this stage
        delayTop += (2 * half - 1) * scale;
        if (k > 0) {
            HalfbandDown& d = down_[k];
            d.half = half;
            d.taps = u.taps;
            d.coef.fill(0.f);
            for (std::size_t j = 0; j < 2 * half; ++j)
                d.coef[j] = static_cast<float>(h[2 * j]);
            delayTop += (2 * half - 1) * scale;
        }
    }
    if (stages_ > 0) {
        // Flat to kPassband fs, kStopbandDb down from fs / 2, at 2 fs.
        std::size_t taps = kaiserLength(kStopbandDb, (0.5 - kPassband) / 2.0);
        taps = std::min(taps | 1, kMaxSharpTaps - 1);
        const std::vector<double> g = kaiserLowpass(taps, (kPassband + 0.5) / 4.0, kaiserBeta(kStopbandDb));
        sharp_.taps = taps;
        sharp_.padded = roundUpToLanes(taps);
        sharp_.coef.fill(0.f);
        for (std::size_t k = 0; k < taps; ++k)
            sharp_.coef[k] = static_cast<float>(g[k]);
        delayTop += (taps - 1) / 2 * (factor_ / 2);
    }
    pad_ = static_cast<uint32_t>((factor_ - delayTop % factor_) % factor_);
    latency_ = static_cast<uint32_t>((delayTop + pad_) / factor_);
    reset();
}

void Oversampler::HalfbandUp::clear() noexcept {
    hist.fill(0.f);
    pos = 0;
}

void Oversampler::HalfbandDown::clear() noexcept {
    even.fill(0.f);
    odd.fill(0.f);
    pos = 0;
}

void Oversampler::SharpDown::clear() noexcept {
    hist.fill(0.f);
    pos = 0;
}

void Oversampler::reset() noexcept {
    for (auto& u : up_)
        u.clear();
    for (auto& d : down_)
        d.clear();
    sharp_.clear();
    padLine_.fill(0.f);
    padPos_ = 0;
}

} // namespace stagerack::dsp
