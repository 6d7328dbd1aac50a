// Pitch measurements for the pitch effects' tests: the frequency of the strongest sinusoid in a band (a
// Hann-windowed DFT searched on a quarter-bin grid, then the slope of its phase across eight overlapping
// segments: exact for a steady sine, and immune to the window's bias), the spurious level around a target,
// and test signals with a guitar's harmonics (plucked strings). Header-only and new, so that it adds to the
// shared support without touching its existing files.
#pragma once

#include "tests/support/Analysis.h"
#include "tests/support/Signals.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <numbers>
#include <span>
#include <vector>

namespace stagerack::test {

inline double centsBetween(double freqHz, double referenceHz) {
    return 1200.0 * std::log2(freqHz / referenceHz);
}

inline double midiToHz(double note) {
    return 440.0 * std::exp2((note - 69.0) / 12.0);
}

// Hann-windowed DFT of x at `freqHz`, phase referred to absolute sample `origin + n`.
inline std::complex<double> hannDft(std::span<const float> x, double freqHz, double sampleRate,
                                    double origin = 0.0) {
    const std::size_t n = x.size();
    const double w = 2.0 * std::numbers::pi * freqHz / sampleRate;
    const std::complex<double> rot = std::polar(1.0, -w);
    std::complex<double> osc = std::polar(1.0, -w * origin);
    std::complex<double> sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double win = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * (static_cast<double>(i) + 0.5) /
                                                static_cast<double>(n));
        sum += win * static_cast<double>(x[i]) * osc;
        osc *= rot;
        if ((i & 1023) == 1023) osc /= std::abs(osc); // keep the oscillator on the unit circle
    }
    return sum;
}

// Frequency (Hz) of the strongest sinusoid between loHz and hiHz in x: the highest bin of a Blackman-Harris
// spectrum in that band, a parabola through its log neighbours, then the phase slope.
inline double measureFrequency(std::span<const float> x, double sampleRate, double loHz, double hiHz) {
    std::size_t n2 = 1;
    while (n2 * 2 <= x.size())
        n2 *= 2;
    const std::vector<double> mag = windowedSpectrum(x.subspan(x.size() - n2, n2));
    const double binHz = sampleRate / static_cast<double>(n2);
    const auto kLo = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(loHz / binHz)));
    const auto kHi = std::min(mag.size() - 2, static_cast<std::size_t>(std::floor(hiHz / binHz)));
    std::size_t k = kLo;
    for (std::size_t i = kLo; i <= kHi; ++i)
        if (mag[i] > mag[k]) k = i;
    double best = static_cast<double>(k) * binHz;
    const double a = std::log(mag[k - 1] + 1e-300), b = std::log(mag[k] + 1e-300),
                 c = std::log(mag[k + 1] + 1e-300);
    const double d = a - 2.0 * b + c;
    if (d < 0.0) best += binHz * std::clamp(0.5 * (a - c) / d, -0.5, 0.5);
    // Phase slope across eight overlapping segments, each a quarter of the window.
    const std::size_t len = x.size() / 4;
    const std::size_t segments = 8;
    const double hop = static_cast<double>(x.size() - len) / static_cast<double>(segments - 1);
    for (int iteration = 0; iteration < 2; ++iteration) {
        std::vector<double> t, ph, wt;
        double last = 0.0;
        for (std::size_t s = 0; s < segments; ++s) {
            const auto start = static_cast<std::size_t>(std::lround(hop * static_cast<double>(s)));
            const std::complex<double> z =
                hannDft(x.subspan(start, len), best, sampleRate, static_cast<double>(start));
            double p = std::arg(z);
            if (s > 0) p = last + std::remainder(p - last, 2.0 * std::numbers::pi);
            last = p;
            t.push_back(static_cast<double>(start) + 0.5 * static_cast<double>(len));
            ph.push_back(p);
            wt.push_back(std::norm(z));
        }
        double sw = 0, st = 0, sp = 0;
        for (std::size_t i = 0; i < t.size(); ++i) {
            sw += wt[i];
            st += wt[i] * t[i];
            sp += wt[i] * ph[i];
        }
        const double mt = st / sw, mp = sp / sw;
        double num = 0, den = 0;
        for (std::size_t i = 0; i < t.size(); ++i) {
            num += wt[i] * (t[i] - mt) * (ph[i] - mp);
            den += wt[i] * (t[i] - mt) * (t[i] - mt);
        }
        best += (num / den) * sampleRate / (2.0 * std::numbers::pi);
    }
    return best;
}

// The strongest component farther than `guardBins` from `targetHz` (Blackman-Harris spectrum of the last
// power-of-two samples of x), relative to the strongest within 3 bins of it.
struct SpurReport {
    double worstDbc = -400.0;
    double worstHz = 0.0;
    double targetDb = -400.0;
};
inline SpurReport spuriousAround(std::span<const float> x, double sampleRate, double targetHz,
                                 std::size_t guardBins = 8) {
    std::size_t n = 1;
    while (n * 2 <= x.size())
        n *= 2;
    const std::vector<double> mag = windowedSpectrum(x.subspan(x.size() - n, n));
    const double binHz = sampleRate / static_cast<double>(n);
    const auto centre = static_cast<long>(std::lround(targetHz / binHz));
    double target = 0.0;
    for (long k = centre - 3; k <= centre + 3; ++k)
        if (k >= 0 && k < static_cast<long>(mag.size()))
            target = std::max(target, mag[static_cast<std::size_t>(k)]);
    SpurReport r;
    r.targetDb = toDb(target);
    double worst = 0.0;
    for (std::size_t k = 0; k < mag.size(); ++k) {
        if (std::labs(static_cast<long>(k) - centre) <= static_cast<long>(guardBins)) continue;
        if (mag[k] > worst) {
            worst = mag[k];
            r.worstHz = static_cast<double>(k) * binHz;
        }
    }
    r.worstDbc = toDb(worst) - r.targetDb;
    return r;
}

// A plucked string by Karplus-Strong with a fractional-delay (first-order allpass) loop tuned so that the
// fundamental is `freqHz`: a bright attack that decays and darkens, partials that are exact harmonics.
// `decaySeconds` is the fundamental's time to fall 60 dB.
inline std::vector<float> pluckedString(double freqHz, double sampleRate, std::size_t frames, float amplitude,
                                        double decaySeconds, uint64_t seed, std::size_t start = 0) {
    std::vector<float> out(frames, 0.f);
    // Loop: delay line + two-point average (delay 0.5 sample, low-pass) + allpass for the fraction.
    const double period = sampleRate / freqHz;
    const double total = period - 0.5; // the averager's half-sample delay
    auto length = static_cast<std::size_t>(std::floor(total - 0.1));
    double frac = total - static_cast<double>(length); // 0.1 .. 1.1: a well-behaved allpass
    const double apC = (1.0 - frac) / (1.0 + frac);
    // Loss per period so that the fundamental decays 60 dB in decaySeconds (the averager's own loss at
    // f is cos(pi f / rate)); the loop gain stays below 1 at DC, where the averager loses nothing, so a
    // high note just decays faster than asked.
    const double perPeriod = std::pow(10.0, -3.0 / (decaySeconds * freqHz));
    const double g = std::min(perPeriod / std::cos(std::numbers::pi * freqHz / sampleRate), 0.9999);
    std::vector<double> line(length, 0.0);
    Rng rng(seed);
    // Excitation: one period of smoothed noise (a pick).
    double smooth = 0.0;
    for (auto& v : line) {
        smooth = 0.5 * smooth + 0.5 * rng.uniform(-1.0, 1.0);
        v = smooth;
    }
    double mean = 0.0;
    for (double v : line)
        mean += v;
    mean /= static_cast<double>(line.size());
    double peakAbs = 0.0;
    for (auto& v : line) {
        v -= mean;
        peakAbs = std::max(peakAbs, std::fabs(v));
    }
    for (auto& v : line)
        v *= amplitude / peakAbs;
    std::size_t idx = 0;
    double prev = 0.0, apX = 0.0, apY = 0.0;
    for (std::size_t n = start; n < frames; ++n) {
        const double y = line[idx];
        out[n] = static_cast<float>(y);
        const double avg = 0.5 * (y + prev);
        prev = y;
        const double ap = apC * avg + apX - apC * apY;
        apX = avg;
        apY = ap;
        line[idx] = g * ap;
        idx = (idx + 1) % line.size();
    }
    return out;
}

} // namespace stagerack::test
