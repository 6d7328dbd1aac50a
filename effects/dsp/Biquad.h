// Second-order filter sections: coefficient design after the RBJ "Audio EQ Cookbook" (low/high shelf,
// peaking, low/high-pass, band-pass), an exact analytic evaluator of any section's response, and two
// ways to run a section:
//  - `Biquad`, transposed direct form II: cheapest for fixed filters (e.g. an amp's presence).
//  - `SvfCoeffs` + `svfTick`, the trapezoidal state-variable filter (Andrew Simper's / Cytomic's
//    topology): the same bilinear-transform responses, but its states are integrator memories, so moving
//    the coefficients every sub-block neither blows up nor thumps the way direct forms can. Use it for
//    anything modulated (EQ knobs, wah).
// Both designs prewarp the centre/cutoff frequency, so it lands exactly where asked at every sample rate;
// the price is the usual bilinear cramping close to Nyquist, and `magnitudeDb` reports that exactly.
#pragma once

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <numbers>

namespace stagerack::dsp {

enum class FilterKind : uint8_t { LowPass, HighPass, BandPass, Peak, LowShelf, HighShelf };

// Q of a 2nd-order Butterworth section: -3.01 dB at the cutoff, no peaking.
inline constexpr double kButterworthQ = 0.70710678118654752;
// A 4th-order Butterworth as two cascaded sections (Q = 1 / (2 cos(pi/8)), 1 / (2 cos(3 pi/8))):
// still -3.01 dB at the cutoff, 24 dB/octave beyond it.
inline constexpr double kButterworth4QLow = 0.54119610014619698;
inline constexpr double kButterworth4QHigh = 1.30656296487637653;
// Designs never place a frequency above this fraction of the sample rate: tan(pi f / rate) diverges at
// Nyquist. 0.49 keeps every section finite and well-conditioned.
inline constexpr double kMaxFrequencyRatio = 0.49;
inline constexpr double kMinFrequencyHz = 1.0;

inline double clampFrequency(double freqHz, double sampleRate) noexcept {
    return std::clamp(freqHz, kMinFrequencyHz, kMaxFrequencyRatio * sampleRate);
}

// Normalised z-domain section: H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2).
struct BiquadCoeffs {
    double b0 = 1.0;
    double b1 = 0.0;
    double b2 = 0.0;
    double a1 = 0.0;
    double a2 = 0.0;
    double sampleRate = 48000.0;

    std::complex<double> response(double freqHz) const noexcept {
        const double w = 2.0 * std::numbers::pi * freqHz / sampleRate;
        const std::complex<double> z1 = std::polar(1.0, -w);
        const std::complex<double> z2 = z1 * z1;
        return (b0 + b1 * z1 + b2 * z2) / (1.0 + a1 * z1 + a2 * z2);
    }
    double magnitude(double freqHz) const noexcept { return std::abs(response(freqHz)); }
    double magnitudeDb(double freqHz) const noexcept { return 20.0 * std::log10(magnitude(freqHz)); }

    // The cookbook formulas. `q` is the section's Q (for shelves the slope parameter of the cookbook's
    // Q form; 0.7071 is the steepest shelf without overshoot); `gainDb` is used by Peak and the shelves;
    // BandPass has 0 dB at its centre.
    static BiquadCoeffs design(FilterKind kind, double sampleRate, double freqHz, double q,
                               double gainDb = 0.0) noexcept {
        const double w0 = 2.0 * std::numbers::pi * clampFrequency(freqHz, sampleRate) / sampleRate;
        const double cw = std::cos(w0);
        const double alpha = std::sin(w0) / (2.0 * q);
        const double a = std::pow(10.0, gainDb / 40.0);
        const double sa2 = 2.0 * std::sqrt(a) * alpha;
        double b0 = 1.0, b1 = 0.0, b2 = 0.0, a0 = 1.0, a1 = 0.0, a2 = 0.0;
        switch (kind) {
        case FilterKind::LowPass:
            b0 = b2 = (1.0 - cw) / 2.0;
            b1 = 1.0 - cw;
            a0 = 1.0 + alpha;
            a1 = -2.0 * cw;
            a2 = 1.0 - alpha;
            break;
        case FilterKind::HighPass:
            b0 = b2 = (1.0 + cw) / 2.0;
            b1 = -(1.0 + cw);
            a0 = 1.0 + alpha;
            a1 = -2.0 * cw;
            a2 = 1.0 - alpha;
            break;
        case FilterKind::BandPass:
            b0 = alpha;
            b2 = -alpha;
            a0 = 1.0 + alpha;
            a1 = -2.0 * cw;
            a2 = 1.0 - alpha;
            break;
        case FilterKind::Peak:
            b0 = 1.0 + alpha * a;
            b1 = -2.0 * cw;
            b2 = 1.0 - alpha * a;
            a0 = 1.0 + alpha / a;
            a1 = -2.0 * cw;
            a2 = 1.0 - alpha / a;
            break;
        case FilterKind::LowShelf:
            b0 = a * ((a + 1.0) - (a - 1.0) * cw + sa2);
            b1 = 2.0 * a * ((a - 1.0) - (a + 1.0) * cw);
            b2 = a * ((a + 1.0) - (a - 1.0) * cw - sa2);
            a0 = (a + 1.0) + (a - 1.0) * cw + sa2;
            a1 = -2.0 * ((a - 1.0) + (a + 1.0) * cw);
            a2 = (a + 1.0) + (a - 1.0) * cw - sa2;
            break;
        case FilterKind::HighShelf:
            b0 = a * ((a + 1.0) + (a - 1.0) * cw + sa2);
            b1 = -2.0 * a * ((a - 1.0) + (a + 1.0) * cw);
            b2 = a * ((a + 1.0) + (a - 1.0) * cw - sa2);
            a0 = (a + 1.0) - (a - 1.0) * cw + sa2;
            a1 = 2.0 * ((a - 1.0) - (a + 1.0) * cw);
            a2 = (a + 1.0) - (a - 1.0) * cw - sa2;
            break;
        }
        return {b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0, sampleRate};
    }
};

// Transposed direct form II in float: two states, five multiplies. For fixed or rarely changed filters.
class Biquad {
public:
    void setCoeffs(const BiquadCoeffs& c) noexcept {
        b0_ = static_cast<float>(c.b0);
        b1_ = static_cast<float>(c.b1);
        b2_ = static_cast<float>(c.b2);
        a1_ = static_cast<float>(c.a1);
        a2_ = static_cast<float>(c.a2);
    }
    void reset() noexcept { s1_ = s2_ = 0.f; }
    float process(float x) noexcept {
        const float y = b0_ * x + s1_;
        s1_ = b1_ * x - a1_ * y + s2_;
        s2_ = b2_ * x - a2_ * y;
        return y;
    }

private:
    float b0_ = 1.f, b1_ = 0.f, b2_ = 0.f, a1_ = 0.f, a2_ = 0.f;
    float s1_ = 0.f, s2_ = 0.f;
};

// A section as the analog prototype the SVF runs: with s normalised to the prewarped frequency
// (g = tan(pi f / rate)) and k = 1/Q, H(s) = (m0 (s^2 + k s + 1) + m1 s + m2) / (s^2 + k s + 1), i.e.
// m0 * input + m1 * band-pass + m2 * low-pass. Every cookbook response is such a mix (shelves also scale
// g), and the bilinear transform of it is exactly the cookbook biquad.
struct SvfDesign {
    double g = 0.1;
    double k = 1.0;
    double m0 = 1.0;
    double m1 = 0.0;
    double m2 = 0.0;
    double sampleRate = 48000.0;

    static SvfDesign design(FilterKind kind, double sampleRate, double freqHz, double q,
                            double gainDb = 0.0) noexcept {
        SvfDesign d;
        d.sampleRate = sampleRate;
        d.g = std::tan(std::numbers::pi * clampFrequency(freqHz, sampleRate) / sampleRate);
        d.k = 1.0 / q;
        const double a = std::pow(10.0, gainDb / 40.0);
        switch (kind) {
        case FilterKind::LowPass:
            d.m0 = 0.0;
            d.m2 = 1.0;
            break;
        case FilterKind::HighPass:
            d.m1 = -d.k;
            d.m2 = -1.0;
            break;
        case FilterKind::BandPass:
            d.m0 = 0.0;
            d.m1 = d.k; // 0 dB at the centre, as the cookbook's constant-peak band-pass
            break;
        case FilterKind::Peak:
            d.k = 1.0 / (q * a);
            d.m1 = d.k * (a * a - 1.0);
            break;
        case FilterKind::LowShelf:
            d.g /= std::sqrt(a);
            d.m1 = d.k * (a - 1.0);
            d.m2 = a * a - 1.0;
            break;
        case FilterKind::HighShelf:
            d.g *= std::sqrt(a);
            d.m0 = a * a;
            d.m1 = d.k * (1.0 - a) * a;
            d.m2 = 1.0 - a * a;
            break;
        }
        return d;
    }

    // w * this + (1 - w) * a wire: how a section fades in and out without a switch.
    SvfDesign blendedWithWire(double w) const noexcept {
        SvfDesign d = *this;
        d.m0 = 1.0 + w * (m0 - 1.0);
        d.m1 = w * m1;
        d.m2 = w * m2;
        return d;
    }
    SvfDesign scaled(double gain) const noexcept {
        SvfDesign d = *this;
        d.m0 *= gain;
        d.m1 *= gain;
        d.m2 *= gain;
        return d;
    }

    // The bilinear transform of the prototype: the exact response of the running SVF.
    BiquadCoeffs toBiquad() const noexcept {
        const double c2 = m0;
        const double c1 = m0 * k + m1;
        const double c0 = m0 + m2;
        const double gg = g * g;
        const double a0 = 1.0 + k * g + gg;
        return {(c2 + c1 * g + c0 * gg) / a0, 2.0 * (c0 * gg - c2) / a0, (c2 - c1 * g + c0 * gg) / a0,
                2.0 * (gg - 1.0) / a0,        (1.0 - k * g + gg) / a0,   sampleRate};
    }
    double magnitudeDb(double freqHz) const noexcept { return toBiquad().magnitudeDb(freqHz); }
};

// What the SVF runs per sample (float).
struct SvfCoeffs {
    float a1 = 1.f;
    float a2 = 0.f;
    float a3 = 0.f;
    float m0 = 1.f;
    float m1 = 0.f;
    float m2 = 0.f;

    static SvfCoeffs from(const SvfDesign& d) noexcept {
        const double a1 = 1.0 / (1.0 + d.g * (d.g + d.k));
        const double a2 = d.g * a1;
        return {static_cast<float>(a1),   static_cast<float>(a2),   static_cast<float>(d.g * a2),
                static_cast<float>(d.m0), static_cast<float>(d.m1), static_cast<float>(d.m2)};
    }
};

// T is float, or a GCC/Clang vector of floats (several channels in one register).
template <typename T>
struct SvfState {
    T ic1{};
    T ic2{};
};

// One sample through the trapezoidal SVF; the coefficient arguments are broadcast when T is a vector.
template <typename T, typename C>
inline T svfTick(SvfState<T>& s, T v0, C a1, C a2, C a3, C m0, C m1, C m2) noexcept {
    const T v3 = v0 - s.ic2;
    const T v1 = a1 * s.ic1 + a2 * v3;
    const T v2 = s.ic2 + a2 * s.ic1 + a3 * v3;
    s.ic1 = v1 + v1 - s.ic1;
    s.ic2 = v2 + v2 - s.ic2;
    return m0 * v0 + m1 * v1 + m2 * v2;
}

template <typename T>
inline T svfTick(SvfState<T>& s, T v0, const SvfCoeffs& c) noexcept {
    return svfTick(s, v0, c.a1, c.a2, c.a3, c.m0, c.m1, c.m2);
}

// Zero for NaN, +-Inf and magnitudes below 1e-20: called at sub-block boundaries so a decaying filter
// reaches exact silence instead of denormals, and a NaN that got in does not ring for ever.
inline float sanitizeState(float x) noexcept {
    const float a = std::fabs(x);
    return (a >= 1e-20f && a <= 1e20f) ? x : 0.f;
}

} // namespace stagerack::dsp
