// Memoryless clipping curves with closed-form antiderivatives, and first-order antiderivative
// anti-aliasing (ADAA, Parker, Zavalishin, Le Bivic 2016).
//
// Every shaper is a small struct with
//   double f(double x) const noexcept   the curve; f(0) = 0 and f'(0) = 1 (small signals pass at unity)
//   double F(double x) const noexcept   its antiderivative with F(0) = 0
// Only cheap operations (sqrt, floor, polynomials) are used: an 8x-oversampled drive evaluates F eight
// times per base sample and channel, and tanh/log/exp would blow the cost budget. The curves are
// evaluated in double: F(x1) - F(x0) loses |F| * 2^-53 to cancellation, which at inputs of a few hundred
// (maximum drive) would be audible noise in float.
#pragma once

#include <algorithm>
#include <cmath>

namespace stagerack::dsp::shapers {

// The algebraic sigmoid x / sqrt(1 + x^2) and its antiderivative sqrt(1 + x^2) - 1, written without
// cancellation near zero. Building block of the soft, triode, germanium and rectifier curves.
inline double sigmoid(double x) noexcept {
    return x / std::sqrt(1.0 + x * x);
}
inline double sigmoidIntegral(double x) noexcept {
    const double x2 = x * x;
    return x2 / (std::sqrt(1.0 + x2) + 1.0);
}

// A cubic knee that reaches `level` with zero slope at |x| = 1.5 level and stays there (C1; slope 1 at 0).
inline double cubicClip(double x, double level) noexcept {
    const double y = std::clamp(x / (1.5 * level), -1.0, 1.0);
    return level * (1.5 * y - 0.5 * y * y * y);
}
inline double cubicClipIntegral(double x, double level) noexcept {
    const double y = x / (1.5 * level);
    const double a = std::fabs(y);
    // 1.5 level^2 * (0.75 y^2 - 0.125 y^4) inside the knee, linear in |y| outside (continuous at |y| = 1).
    const double inner = a <= 1.0 ? 0.75 * a * a - 0.125 * a * a * a * a : a - 0.375;
    return 1.5 * level * level * inner;
}

// Soft, tube-like, symmetric: odd harmonics falling off quickly; a gentle knee.
struct Soft {
    double f(double x) const noexcept { return sigmoid(x); }
    double F(double x) const noexcept { return sigmoidIntegral(x); }
};

// Asymmetric triode: a grid-biased stage. The curve is the sigmoid shifted by `bias` along its input
// (so the operating point sits off centre) with the negative side saturating at `negativeLevel` (cutoff
// comes sooner and harder than grid conduction). Removing the operating-point output and dividing by the
// slope there keeps f(0) = 0 and f'(0) = 1. Larger bias: more even harmonics.
struct Triode {
    explicit Triode(double bias = 0.35, double negativeLevel = 0.55) noexcept
        : bias_(bias)
        , neg_(negativeLevel) {
        g0_ = g(bias_);
        G0_ = G(bias_);
        const double slope = bias_ >= 0.0 ? std::pow(1.0 + bias_ * bias_, -1.5)
                                          : std::pow(1.0 + (bias_ / neg_) * (bias_ / neg_), -1.5);
        norm_ = 1.0 / slope;
    }
    double f(double x) const noexcept { return norm_ * (g(x + bias_) - g0_); }
    double F(double x) const noexcept { return norm_ * (G(x + bias_) - G0_ - g0_ * x); }

private:
    double g(double u) const noexcept { return u >= 0.0 ? sigmoid(u) : neg_ * sigmoid(u / neg_); }
    double G(double u) const noexcept {
        return u >= 0.0 ? sigmoidIntegral(u) : neg_ * neg_ * sigmoidIntegral(u / neg_);
    }
    double bias_;
    double neg_;
    double g0_ = 0.0;
    double G0_ = 0.0;
    double norm_ = 1.0;
};

// Hard diode pair: unity up to the knee, then a short cubic bend into a flat ceiling at +-level.
struct Diode {
    explicit Diode(double level = 1.0) noexcept
        : level_(level) {}
    double f(double x) const noexcept { return cubicClip(x, level_); }
    double F(double x) const noexcept { return cubicClipIntegral(x, level_); }

private:
    double level_;
};

// Germanium fuzz: a cubic clip with different ceilings per polarity (a Fuzz Face's asymmetric swing),
// minus a small sigmoid of width `gate` that takes the small-signal slope down to 1 - depth. Near zero the
// curve is nearly flat: quiet signals (a decaying note) sputter and gate, the "starved" character.
// f'(0) is 1 - depth, so the output is divided by it to keep the unity small-signal convention.
struct Germanium {
    explicit Germanium(double positiveLevel = 1.0, double negativeLevel = 0.6, double gate = 0.08,
                       double depth = 0.85) noexcept
        : pos_(positiveLevel)
        , neg_(negativeLevel)
        , gate_(gate)
        , depth_(depth)
        , norm_(1.0 / (1.0 - depth)) {}
    double f(double x) const noexcept {
        const double clip = x >= 0.0 ? cubicClip(x, pos_) : cubicClip(x, neg_);
        return norm_ * (clip - depth_ * gate_ * sigmoid(x / gate_));
    }
    double F(double x) const noexcept {
        const double clip = x >= 0.0 ? cubicClipIntegral(x, pos_) : cubicClipIntegral(x, neg_);
        return norm_ * (clip - depth_ * gate_ * gate_ * sigmoidIntegral(x / gate_));
    }

private:
    double pos_;
    double neg_;
    double gate_;
    double depth_;
    double norm_;
};

// Rectifier: a saturated signal, part half-wave and part full-wave rectified. `fullWave` 0 is a half-wave
// rectifier (negative half removed), 1 a full-wave one (octave up); between them the negative half is
// folded up with gain `fullWave`. f = 0.5 (1 - w) s(x) + 0.5 (1 + w) |s(x)|, with s the sigmoid; the
// kink at zero is what makes the octave.
struct Rectifier {
    explicit Rectifier(double fullWave = 0.5) noexcept
        : a_(0.5 * (1.0 - fullWave))
        , b_(0.5 * (1.0 + fullWave)) {}
    double f(double x) const noexcept {
        const double s = sigmoid(x);
        return a_ * s + b_ * std::fabs(s);
    }
    double F(double x) const noexcept {
        const double S = sigmoidIntegral(x); // even, so the |s| part integrates to sign(x) S
        return a_ * S + b_ * std::copysign(S, x);
    }

private:
    double a_;
    double b_;
};

// Foldback wavefolder: unity up to +-1, then the wave folds back at every multiple of the threshold
// instead of clipping (a triangle of period 4). The integral of each period is zero, so F is periodic too.
struct Foldback {
    double f(double x) const noexcept {
        const double p = phase(x);
        return p < 2.0 ? p - 1.0 : 3.0 - p;
    }
    double F(double x) const noexcept {
        const double p = phase(x);
        // Integral of the triangle from phase 0, shifted by 1/2 so that F(0) (phase 1) is zero.
        return (p < 2.0 ? 0.5 * p * p - p : 3.0 * p - 0.5 * p * p - 4.0) + 0.5;
    }

private:
    static double phase(double x) noexcept {
        const double t = x + 1.0;
        return t - 4.0 * std::floor(t * 0.25);
    }
};

// First-order ADAA: the output is the mean of f over the straight line from the previous input to this
// one, (F(x1) - F(x0)) / (x1 - x0). It behaves like f followed by a one-sample box filter in continuous
// time (aliases folding back near DC land close to the box's zeros) and delays by half a sample.
// When the two inputs are too close for the difference quotient, the midpoint value is the same mean to
// second order.
class Adaa1 {
public:
    // Below this input step the quotient would divide rounding noise of F by a tiny number.
    static constexpr double kMinStep = 1e-6;

    // Starts from input x as if it had been there for ever (no transient when a voice starts mid-signal).
    template <typename Shaper>
    void reset(const Shaper& s, double x = 0.0) noexcept {
        x0_ = x;
        F0_ = s.F(x);
    }
    template <typename Shaper>
    double process(const Shaper& s, double x1) noexcept {
        const double F1 = s.F(x1);
        const double dx = x1 - x0_;
        const double y = std::fabs(dx) > kMinStep ? (F1 - F0_) / dx : s.f(0.5 * (x0_ + x1));
        x0_ = x1;
        F0_ = F1;
        return y;
    }
    double lastInput() const noexcept { return x0_; }
    bool finite() const noexcept { return std::isfinite(x0_) && std::isfinite(F0_); }

private:
    double x0_ = 0.0;
    double F0_ = 0.0;
};

} // namespace stagerack::dsp::shapers
