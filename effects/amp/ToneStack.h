// The passive bass/mid/treble tone stack of Fender, Marshall and Vox-style amps, modelled from its
// component values: the analog third-order transfer function of the classic "TMB" network (the closed form
// of D.T. Yeh and J.O. Smith, "Discretization of the '59 Fender Bassman tone stack", DAFx 2006, derived
// from nodal analysis of the circuit) discretised with the bilinear transform and run as a third-order IIR
// (transposed direct form II in double).
#pragma once

#include <array>
#include <cmath>
#include <complex>
#include <string_view>

namespace stagerack::fx {

// Component values of the TMB network, named as in Yeh & Smith:
//   in --C1-- treble pot R1 (wiper = out) --bottom-- node B
//   in --R4 (slope resistor)-- node N;  N --C2-- B;  N --C3-- mid pot wiper
//   B --bass pot R2 (variable resistor, l * R2)-- top of the mid pot R3; mid wiper --m * R3-- ground.
struct ToneStackCircuit {
    std::string_view name;
    double r1; // treble pot (ohms)
    double r2; // bass pot
    double r3; // mid pot
    double r4; // slope resistor
    double c1; // treble cap (farads)
    double c2; // bass cap
    double c3; // mid cap
};

namespace toneStacks {
// '59 Fender Bassman 5F6-A.
inline constexpr ToneStackCircuit kFender{"fender_5f6a", 250e3, 1e6, 25e3, 56e3, 250e-12, 20e-9, 20e-9};
// Marshall JCM800 2203 / 1959 Super Lead (33k slope resistor, 470p treble cap, 22n bass and mid caps).
inline constexpr ToneStackCircuit kMarshall{"marshall_jcm800", 220e3, 1e6, 22e3, 33e3, 470e-12, 22e-9, 22e-9};
// Vox AC30 Top Boost values (1M treble and bass pots, 100k slope, 50p treble cap, 22n caps) in the same TMB
// topology. The real Top Boost is a two-knob treble/bass network without a mid pot (its "cut" sits in the
// power amp); here R3 is a small 10k mid control, which at its default keeps the Vox's scooped, bright
// response. This is an approximation, not the exact AC30 circuit.
inline constexpr ToneStackCircuit kVox{"vox_ac30", 1e6, 1e6, 10e3, 100e3, 50e-12, 22e-9, 22e-9};
} // namespace toneStacks

class ToneStack {
public:
    // H(s) = (b[1] s + b[2] s^2 + b[3] s^3) / (a[0] + a[1] s + a[2] s^2 + a[3] s^3), with b[0] = 0, a[0] = 1.
    struct Analog {
        std::array<double, 4> b{};
        std::array<double, 4> a{};
    };
    // H(z) = sum b[i] z^-i / sum a[i] z^-i with a[0] = 1.
    struct Digital {
        std::array<double, 4> b{};
        std::array<double, 4> a{};
    };

    // t, m, l: the fraction of each pot's resistance (treble wiper position from its bottom, mid and bass
    // as variable resistors), each 0..1.
    static Analog analog(const ToneStackCircuit& c, double t, double m, double l) noexcept;
    // Bilinear transform s = 2 fs (1 - z^-1) / (1 + z^-1), without prewarping: the amp runs the stack at
    // eight times the session rate, where the warp moves 10 kHz by well under 1 %.
    static Digital bilinear(const Analog& h, double sampleRate) noexcept;
    static std::complex<double> analogResponse(const Analog& h, double freqHz) noexcept;
    static std::complex<double> digitalResponse(const Digital& h, double freqHz, double sampleRate) noexcept;

    void prepare(double sampleRate) noexcept { sampleRate_ = sampleRate; }
    // Recomputes the coefficients (call on a sub-block grid); the filter state is kept, so small moves are
    // click-free.
    void setCircuit(const ToneStackCircuit& c, double t, double m, double l) noexcept;
    void reset() noexcept { s1_ = s2_ = s3_ = 0.0; }
    const Digital& coefficients() const noexcept { return h_; }

    float process(float x) noexcept {
        const double in = x;
        const double y = h_.b[0] * in + s1_;
        s1_ = h_.b[1] * in - h_.a[1] * y + s2_;
        s2_ = h_.b[2] * in - h_.a[2] * y + s3_;
        s3_ = h_.b[3] * in - h_.a[3] * y;
        return static_cast<float>(y);
    }
    // Clears the state if something non-finite got into it.
    void sanitize() noexcept {
        if (!std::isfinite(s1_ + s2_ + s3_)) reset();
    }

private:
    double sampleRate_ = 96000.0;
    Digital h_{};
    double s1_ = 0.0;
    double s2_ = 0.0;
    double s3_ = 0.0;
};

} // namespace stagerack::fx
