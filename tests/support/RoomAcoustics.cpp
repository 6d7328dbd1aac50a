#include "tests/support/RoomAcoustics.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace stagerack::test {

std::vector<double> energyDecayCurveDb(std::span<const float> left, std::span<const float> right) {
    const std::size_t n = std::min(left.size(), right.size());
    std::vector<double> edc(n, 0.0);
    double acc = 0.0;
    for (std::size_t i = n; i-- > 0;) {
        acc += static_cast<double>(left[i]) * left[i] + static_cast<double>(right[i]) * right[i];
        edc[i] = acc;
    }
    const double total = n > 0 ? edc[0] : 0.0;
    for (double& e : edc)
        e = (total > 0.0 && e > 0.0) ? 10.0 * std::log10(e / total) : -400.0;
    return edc;
}

DecayFit schroederRt60(std::span<const float> left, std::span<const float> right, double sampleRate,
                       double highDb, double lowDb) {
    const auto edc = energyDecayCurveDb(left, right);
    DecayFit fit;
    std::size_t i = 0;
    while (i < edc.size() && edc[i] > highDb)
        ++i;
    fit.begin = i;
    while (i < edc.size() && edc[i] > lowDb)
        ++i;
    fit.end = i;
    if (fit.end <= fit.begin + 2) return fit;
    double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
    const auto m = static_cast<double>(fit.end - fit.begin);
    for (std::size_t k = fit.begin; k < fit.end; ++k) {
        const double x = static_cast<double>(k) / sampleRate;
        const double y = edc[k];
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
        syy += y * y;
    }
    const double cov = sxy - sx * sy / m;
    const double varX = sxx - sx * sx / m;
    const double varY = syy - sy * sy / m;
    const double slope = cov / varX; // dB per second
    fit.rt60 = slope < 0.0 ? -60.0 / slope : 0.0;
    fit.correlation = varY > 0.0 ? std::fabs(cov) / std::sqrt(varX * varY) : 0.0;
    return fit;
}

std::vector<double> echoDensityProfile(std::span<const float> x, double sampleRate, double windowMs,
                                       double hopMs) {
    const auto half = static_cast<std::ptrdiff_t>(std::lround(windowMs * 0.5e-3 * sampleRate));
    const auto len = static_cast<std::size_t>(2 * half + 1);
    std::vector<double> w(len);
    double wsum = 0.0;
    for (std::size_t k = 0; k < len; ++k) {
        w[k] = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * (static_cast<double>(k) + 1.0) /
                                    (static_cast<double>(len) + 1.0));
        wsum += w[k];
    }
    const double gaussianFraction = std::erfc(1.0 / std::numbers::sqrt2);
    const double hop = hopMs * 1e-3 * sampleRate;
    std::vector<double> profile;
    const auto n = static_cast<std::ptrdiff_t>(x.size());
    for (std::size_t k = 0;; ++k) {
        const auto centre = static_cast<std::ptrdiff_t>(std::lround(static_cast<double>(k) * hop));
        if (centre >= n) break;
        double energy = 0.0;
        for (std::ptrdiff_t j = -half; j <= half; ++j) {
            const std::ptrdiff_t t = centre + j;
            if (t < 0 || t >= n) continue;
            energy += w[static_cast<std::size_t>(j + half)] * x[static_cast<std::size_t>(t)] *
                      x[static_cast<std::size_t>(t)];
        }
        const double sigma = std::sqrt(energy / wsum);
        double outside = 0.0;
        if (sigma > 0.0)
            for (std::ptrdiff_t j = -half; j <= half; ++j) {
                const std::ptrdiff_t t = centre + j;
                if (t < 0 || t >= n) continue;
                if (std::fabs(static_cast<double>(x[static_cast<std::size_t>(t)])) > sigma)
                    outside += w[static_cast<std::size_t>(j + half)];
            }
        profile.push_back(outside / wsum / gaussianFraction);
    }
    return profile;
}

double echoDensityTime(std::span<const float> x, double sampleRate, double threshold, double windowMs,
                       double hopMs) {
    const auto profile = echoDensityProfile(x, sampleRate, windowMs, hopMs);
    for (std::size_t k = 0; k < profile.size(); ++k)
        if (profile[k] >= threshold) return static_cast<double>(k) * hopMs * 1e-3;
    return -1.0;
}

} // namespace stagerack::test
