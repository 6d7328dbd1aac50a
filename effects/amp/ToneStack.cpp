#include "effects/amp/ToneStack.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace stagerack::fx {

ToneStack::Analog ToneStack::analog(const ToneStackCircuit& c, double t, double m, double l) noexcept {
    t = std::clamp(t, 0.0, 1.0);
    m = std::clamp(m, 0.0, 1.0);
    l = std::clamp(l, 0.0, 1.0);
    const double r1 = c.r1, r2 = c.r2, r3 = c.r3, r4 = c.r4;
    const double c1 = c.c1, c2 = c.c2, c3 = c.c3;
    const double c123 = c1 * c2 * c3;
    // Grouped by pot terms; the m - m^2 = m (1 - m) pairs come from the mid pot's two halves.
    Analog h;
    h.b[0] = 0.0;
    h.b[1] = t * c1 * r1 + m * c3 * r3 + l * (c1 * r2 + c2 * r2) + (c1 * r3 + c2 * r3);
    h.b[2] = t * (c1 * c2 * r1 * r4 + c1 * c3 * r1 * r4) - m * m * (c1 * c3 * r3 * r3 + c2 * c3 * r3 * r3) +
             m * (c1 * c3 * r1 * r3 + c1 * c3 * r3 * r3 + c2 * c3 * r3 * r3) +
             l * (c1 * c2 * r1 * r2 + c1 * c2 * r2 * r4 + c1 * c3 * r2 * r4) +
             l * m * (c1 * c3 * r2 * r3 + c2 * c3 * r2 * r3) +
             (c1 * c2 * r1 * r3 + c1 * c2 * r3 * r4 + c1 * c3 * r3 * r4);
    h.b[3] = c123 * (l * m * (r1 * r2 * r3 + r2 * r3 * r4) - m * m * (r1 * r3 * r3 + r3 * r3 * r4) +
                     m * (r1 * r3 * r3 + r3 * r3 * r4) + t * r1 * r3 * r4 - t * m * r1 * r3 * r4 +
                     t * l * r1 * r2 * r4);
    h.a[0] = 1.0;
    h.a[1] = (c1 * r1 + c1 * r3 + c2 * r3 + c2 * r4 + c3 * r4) + m * c3 * r3 + l * (c1 * r2 + c2 * r2);
    h.a[2] = m * (c1 * c3 * r1 * r3 - c2 * c3 * r3 * r4 + c1 * c3 * r3 * r3 + c2 * c3 * r3 * r3) +
             l * m * (c1 * c3 * r2 * r3 + c2 * c3 * r2 * r3) -
             m * m * (c1 * c3 * r3 * r3 + c2 * c3 * r3 * r3) +
             l * (c1 * c2 * r2 * r4 + c1 * c2 * r1 * r2 + c1 * c3 * r2 * r4 + c2 * c3 * r2 * r4) +
             (c1 * c2 * r1 * r4 + c1 * c3 * r1 * r4 + c1 * c2 * r3 * r4 + c1 * c2 * r1 * r3 +
              c1 * c3 * r3 * r4 + c2 * c3 * r3 * r4);
    h.a[3] = c123 * (l * m * (r1 * r2 * r3 + r2 * r3 * r4) - m * m * (r1 * r3 * r3 + r3 * r3 * r4) +
                     m * (r3 * r3 * r4 + r1 * r3 * r3 - r1 * r3 * r4) + l * r1 * r2 * r4 + r1 * r3 * r4);
    return h;
}

ToneStack::Digital ToneStack::bilinear(const Analog& h, double sampleRate) noexcept {
    // Multiplying numerator and denominator by (1 + z^-1)^3 turns each s^i into
    // K^i (1 - z^-1)^i (1 + z^-1)^(3-i); these are the expanded coefficients.
    const double k = 2.0 * sampleRate;
    const double k2 = k * k;
    const double k3 = k2 * k;
    auto expand = [&](const std::array<double, 4>& p) {
        const double p1 = p[1] * k, p2 = p[2] * k2, p3 = p[3] * k3;
        return std::array<double, 4>{p[0] + p1 + p2 + p3, 3.0 * p[0] + p1 - p2 - 3.0 * p3,
                                     3.0 * p[0] - p1 - p2 + 3.0 * p3, p[0] - p1 + p2 - p3};
    };
    const auto num = expand(h.b);
    const auto den = expand(h.a);
    Digital d;
    const double norm = 1.0 / den[0];
    for (std::size_t i = 0; i < 4; ++i) {
        d.b[i] = num[i] * norm;
        d.a[i] = den[i] * norm;
    }
    d.a[0] = 1.0;
    return d;
}

std::complex<double> ToneStack::analogResponse(const Analog& h, double freqHz) noexcept {
    const std::complex<double> s(0.0, 2.0 * std::numbers::pi * freqHz);
    const auto num = ((h.b[3] * s + h.b[2]) * s + h.b[1]) * s + h.b[0];
    const auto den = ((h.a[3] * s + h.a[2]) * s + h.a[1]) * s + h.a[0];
    return num / den;
}

std::complex<double> ToneStack::digitalResponse(const Digital& h, double freqHz, double sampleRate) noexcept {
    const std::complex<double> zi = std::polar(1.0, -2.0 * std::numbers::pi * freqHz / sampleRate);
    const auto num = ((h.b[3] * zi + h.b[2]) * zi + h.b[1]) * zi + h.b[0];
    const auto den = ((h.a[3] * zi + h.a[2]) * zi + h.a[1]) * zi + h.a[0];
    return num / den;
}

void ToneStack::setCircuit(const ToneStackCircuit& c, double t, double m, double l) noexcept {
    h_ = bilinear(analog(c, t, m, l), sampleRate_);
}

} // namespace stagerack::fx
