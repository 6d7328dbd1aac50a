#include "tests/tuner/TunerSignals.h"

#include "tests/support/Signals.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace stagerack::test::tuner {

namespace {
constexpr double kTwoPi = 2.0 * std::numbers::pi;
} // namespace

std::vector<float> pluck(const PluckSpec& spec, double sampleRate) {
    const auto frames = static_cast<std::size_t>(spec.seconds * sampleRate);
    std::vector<double> acc(frames, 0.0);
    Rng rng(spec.seed);
    const double limit = std::min(0.45 * sampleRate, 8000.0);
    const double b = spec.inharmonicity;
    const double a1 = std::abs(std::sin(std::numbers::pi * spec.position));
    for (int k = 1;; ++k) {
        const double fk = k * spec.f0 * std::sqrt(1.0 + b * k * k) / std::sqrt(1.0 + b);
        if (fk >= limit) break;
        const double amp = spec.amplitude * std::abs(std::sin(k * std::numbers::pi * spec.position)) / k / a1;
        const double tau = spec.decayS / (1.0 + 0.4 * (k - 1));
        const double phase = rng.uniform(0.0, kTwoPi);
        if (amp < 1e-6 * spec.amplitude) continue;
        const double w = kTwoPi * fk / sampleRate;
        const double decay = std::exp(-1.0 / (tau * sampleRate));
        const double drift = std::pow(2.0, spec.attackDriftCents / 1200.0) - 1.0;
        const double driftSamples = spec.driftTauS * sampleRate;
        double env = amp;
        for (std::size_t n = 0; n < frames; ++n) {
            // The phase is the integral of the drifting frequency.
            const double t = static_cast<double>(n);
            const double extra =
                drift == 0.0 ? 0.0 : drift * driftSamples * (1.0 - std::exp(-t / driftSamples));
            acc[n] += env * std::sin(w * (t + extra) + phase);
            env *= decay;
        }
    }
    const auto attack = static_cast<std::size_t>(0.001 * sampleRate);
    std::vector<float> out(frames);
    for (std::size_t n = 0; n < frames; ++n) {
        double g = 1.0;
        if (n < attack) g = 0.5 - 0.5 * std::cos(std::numbers::pi * static_cast<double>(n) / attack);
        out[n] = static_cast<float>(g * acc[n]);
    }
    return out;
}

double PluckSpec::truthAt(double t) const {
    const double drift = std::pow(2.0, attackDriftCents / 1200.0) - 1.0;
    return f0 * (1.0 + drift * std::exp(-std::max(t, 0.0) / driftTauS));
}

std::vector<float> harmonicTone(double f0, double sampleRate, std::size_t frames,
                                const std::vector<double>& amplitudes, uint64_t seed) {
    std::vector<double> acc(frames, 0.0);
    Rng rng(seed);
    for (std::size_t k = 1; k <= amplitudes.size(); ++k) {
        const double phase = rng.uniform(0.0, kTwoPi);
        const double w = kTwoPi * f0 * static_cast<double>(k) / sampleRate;
        if (f0 * static_cast<double>(k) >= 0.45 * sampleRate) break;
        for (std::size_t n = 0; n < frames; ++n)
            acc[n] += amplitudes[k - 1] * std::sin(w * static_cast<double>(n) + phase);
    }
    return std::vector<float>(acc.begin(), acc.end());
}

double Glide::truthAt(double t) const {
    if (t <= startS) return f1;
    if (t >= startS + glideS) return f2;
    return f1 * std::pow(f2 / f1, (t - startS) / glideS);
}

std::vector<float> glideTone(const Glide& g, double sampleRate, float amplitude) {
    const auto frames = static_cast<std::size_t>(g.seconds * sampleRate);
    std::vector<float> out(frames);
    double phase = 0.0; // cycles of the fundamental
    for (std::size_t n = 0; n < frames; ++n) {
        double s = 0.0;
        for (int k = 1; k <= 6; ++k)
            s += std::sin(kTwoPi * k * phase) / k;
        out[n] = static_cast<float>(amplitude * s);
        // Midpoint frequency of the sample interval: the phase is the integral of the truth.
        phase += g.truthAt((static_cast<double>(n) + 0.5) / sampleRate) / sampleRate;
        phase -= std::floor(phase);
    }
    return out;
}

std::vector<float> gaussianNoise(std::size_t frames, double rmsLevel, uint64_t seed) {
    Rng rng(seed);
    std::vector<float> out(frames);
    for (std::size_t n = 0; n < frames; ++n) {
        const double u1 = std::max(rng.uniform(), 1e-300);
        const double u2 = rng.uniform();
        out[n] = static_cast<float>(rmsLevel * std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2));
    }
    return out;
}

void addNoise(std::vector<float>& x, double snrDb, std::size_t begin, std::size_t end, uint64_t seed) {
    double sum = 0.0;
    for (std::size_t n = begin; n < end; ++n)
        sum += static_cast<double>(x[n]) * x[n];
    const double level = std::sqrt(sum / static_cast<double>(end - begin)) * std::pow(10.0, -snrDb / 20.0);
    const std::vector<float> noise = gaussianNoise(x.size(), level, seed);
    for (std::size_t n = 0; n < x.size(); ++n)
        x[n] += noise[n];
}

void addHum(std::vector<float>& x, double sampleRate, double amplitude, double mainsHz) {
    for (std::size_t n = 0; n < x.size(); ++n) {
        const double t = static_cast<double>(n) / sampleRate;
        x[n] += static_cast<float>(
            amplitude * (std::sin(kTwoPi * mainsHz * t) + std::sin(kTwoPi * 3.0 * mainsHz * t + 1.0) / 3.0));
    }
}

void mixAt(std::vector<float>& a, const std::vector<float>& b, std::size_t at) {
    if (a.size() < at + b.size()) a.resize(at + b.size(), 0.f);
    for (std::size_t n = 0; n < b.size(); ++n)
        a[at + n] += b[n];
}

void muteFrom(std::vector<float>& x, std::size_t at, std::size_t fade) {
    for (std::size_t n = at; n < x.size(); ++n) {
        const std::size_t i = n - at;
        const double g =
            i < fade ? 0.5 + 0.5 * std::cos(std::numbers::pi * static_cast<double>(i) / fade) : 0.0;
        x[n] = static_cast<float>(x[n] * g);
    }
}

} // namespace stagerack::test::tuner
