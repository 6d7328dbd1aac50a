// Memoryless clipping curves with closed-form antiderivatives, and first-order antiderivative
// anti-aliasing (ADAA, Parker, Zavalishin, Le Bivic 2016).
//
// Every shaper is a small struct with
//   double f(double x) const noexcept   the curve; f(0) = 0 and f'(0) = 1 (small signals pass at unity)
//   double F(double x) const noexcept   its antiderivative with F(0) = 0
//   V4 fv(V4 x), V4 Fv(V4 x)            the same in float, four values at a time (the audio path)
// Only cheap operations (sqrt, floor, polynomials) are used: an 8x-oversampled drive evaluates F eight
// times per base sample and channel, and tanh/log/exp would blow the cost budget.
//
// Float and cancellation: F(x1) - F(x0) loses about |F| * 2^-24 to rounding, and |F| grows like |x| (a few
// hundred at maximum drive). adaaBlock() therefore takes the midpoint value f((x0 + x1) / 2) instead of the
// difference quotient whenever |x1 - x0| is below a small fraction (kAdaaTolerance, per curve) of |x0| +
// |x1|: the quotient's rounding error is then at most about 2^-24 / kAdaaTolerance of the curve's scale, and
// the midpoint rule's error, |x1 - x0|^2 f'' / 24, is negligible because the curves are flat (saturated)
// where |x| is large. The foldback's F is periodic and bounded, so its tolerance is ten times tighter.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace stagerack::dsp::shapers {

using V4 = float __attribute__((vector_size(16)));
using V4i = int32_t __attribute__((vector_size(16)));

inline V4 splat(float v) noexcept {
    return V4{v, v, v, v};
}
inline V4 vload(const float* p) noexcept {
    V4 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void vstore(float* p, V4 v) noexcept {
    std::memcpy(p, &v, sizeof v);
}
inline V4 vabs(V4 x) noexcept {
    return reinterpret_cast<V4>(reinterpret_cast<V4i>(x) & 0x7fffffff);
}
inline V4 vsqrt(V4 x) noexcept {
#if defined(__SSE2__)
    return reinterpret_cast<V4>(_mm_sqrt_ps(reinterpret_cast<__m128>(x)));
#else
    return V4{std::sqrt(x[0]), std::sqrt(x[1]), std::sqrt(x[2]), std::sqrt(x[3])};
#endif
}
// Largest integer <= x, for |x| < 2^31.
inline V4 vfloor(V4 x) noexcept {
    const V4 t = __builtin_convertvector(__builtin_convertvector(x, V4i), V4); // towards zero
    return t + __builtin_convertvector(t > x, V4);                             // true is -1
}
inline bool anyLane(V4i mask) noexcept {
#if defined(__SSE2__)
    return _mm_movemask_ps(reinterpret_cast<__m128>(mask)) != 0;
#else
    return (mask[0] | mask[1] | mask[2] | mask[3]) != 0;
#endif
}
inline V4 sigmoidV(V4 x) noexcept {
    return x / vsqrt(1.f + x * x);
}
inline V4 sigmoidIntegralV(V4 x) noexcept {
    const V4 x2 = x * x;
    return x2 / (vsqrt(1.f + x2) + 1.f);
}
// cubicClip and its integral with inv = 1 / (1.5 level) and k = 1.5 level^2, per lane.
inline V4 cubicClipV(V4 x, V4 inv, V4 level) noexcept {
    V4 y = x * inv;
    y = y > 1.f ? splat(1.f) : y;
    y = y < -1.f ? splat(-1.f) : y;
    return level * (1.5f * y - 0.5f * y * y * y);
}
inline V4 cubicClipIntegralV(V4 x, V4 inv, V4 k) noexcept {
    const V4 a = vabs(x * inv);
    const V4 a2 = a * a;
    return k * (a <= 1.f ? 0.75f * a2 - 0.125f * a2 * a2 : a - 0.375f);
}

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
    static constexpr float kAdaaTolerance = 1e-3f;
    double f(double x) const noexcept { return sigmoid(x); }
    double F(double x) const noexcept { return sigmoidIntegral(x); }
    V4 fv(V4 x) const noexcept { return sigmoidV(x); }
    V4 Fv(V4 x) const noexcept { return sigmoidIntegralV(x); }
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
        biasF_ = static_cast<float>(bias_);
        negF_ = static_cast<float>(neg_);
        invNegF_ = static_cast<float>(1.0 / neg_);
        neg2F_ = static_cast<float>(neg_ * neg_);
        normF_ = static_cast<float>(norm_);
        g0F_ = gv(splat(biasF_))[0];
        G0F_ = Gv(splat(biasF_))[0];
    }
    static constexpr float kAdaaTolerance = 1e-3f;
    double f(double x) const noexcept { return norm_ * (g(x + bias_) - g0_); }
    double F(double x) const noexcept { return norm_ * (G(x + bias_) - G0_ - g0_ * x); }
    V4 fv(V4 x) const noexcept { return normF_ * (gv(x + biasF_) - g0F_); }
    V4 Fv(V4 x) const noexcept { return normF_ * (Gv(x + biasF_) - G0F_ - g0F_ * x); }

private:
    V4 gv(V4 u) const noexcept {
        const V4i neg = u < 0.f;
        return (neg ? splat(negF_) : splat(1.f)) * sigmoidV(neg ? u * invNegF_ : u);
    }
    V4 Gv(V4 u) const noexcept {
        const V4i neg = u < 0.f;
        return (neg ? splat(neg2F_) : splat(1.f)) * sigmoidIntegralV(neg ? u * invNegF_ : u);
    }
    double g(double u) const noexcept { return u >= 0.0 ? sigmoid(u) : neg_ * sigmoid(u / neg_); }
    double G(double u) const noexcept {
        return u >= 0.0 ? sigmoidIntegral(u) : neg_ * neg_ * sigmoidIntegral(u / neg_);
    }
    double bias_;
    double neg_;
    double g0_ = 0.0;
    double G0_ = 0.0;
    double norm_ = 1.0;
    float biasF_ = 0.f;
    float negF_ = 1.f;
    float invNegF_ = 1.f;
    float neg2F_ = 1.f;
    float normF_ = 1.f;
    float g0F_ = 0.f;
    float G0F_ = 0.f;
};

// Hard diode pair: unity up to the knee, then a short cubic bend into a flat ceiling at +-level.
struct Diode {
    explicit Diode(double level = 1.0) noexcept
        : level_(level)
        , levelF_(static_cast<float>(level))
        , invF_(static_cast<float>(1.0 / (1.5 * level)))
        , kF_(static_cast<float>(1.5 * level * level)) {}
    static constexpr float kAdaaTolerance = 1e-3f;
    double f(double x) const noexcept { return cubicClip(x, level_); }
    double F(double x) const noexcept { return cubicClipIntegral(x, level_); }
    V4 fv(V4 x) const noexcept { return cubicClipV(x, splat(invF_), splat(levelF_)); }
    V4 Fv(V4 x) const noexcept { return cubicClipIntegralV(x, splat(invF_), splat(kF_)); }

private:
    double level_;
    float levelF_;
    float invF_;
    float kF_;
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
        , norm_(1.0 / (1.0 - depth))
        , posF_(static_cast<float>(positiveLevel))
        , negF_(static_cast<float>(negativeLevel))
        , invPosF_(static_cast<float>(1.0 / (1.5 * positiveLevel)))
        , invNegF_(static_cast<float>(1.0 / (1.5 * negativeLevel)))
        , kPosF_(static_cast<float>(1.5 * positiveLevel * positiveLevel))
        , kNegF_(static_cast<float>(1.5 * negativeLevel * negativeLevel))
        , invGateF_(static_cast<float>(1.0 / gate))
        , gateDepthF_(static_cast<float>(depth * gate))
        , gate2DepthF_(static_cast<float>(depth * gate * gate))
        , normF_(static_cast<float>(norm_)) {}
    static constexpr float kAdaaTolerance = 1e-3f;
    V4 fv(V4 x) const noexcept {
        const V4i pos = x >= 0.f;
        const V4 clip =
            cubicClipV(x, pos ? splat(invPosF_) : splat(invNegF_), pos ? splat(posF_) : splat(negF_));
        return normF_ * (clip - gateDepthF_ * sigmoidV(x * invGateF_));
    }
    V4 Fv(V4 x) const noexcept {
        const V4i pos = x >= 0.f;
        const V4 clip = cubicClipIntegralV(x, pos ? splat(invPosF_) : splat(invNegF_),
                                           pos ? splat(kPosF_) : splat(kNegF_));
        return normF_ * (clip - gate2DepthF_ * sigmoidIntegralV(x * invGateF_));
    }
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
    float posF_;
    float negF_;
    float invPosF_;
    float invNegF_;
    float kPosF_;
    float kNegF_;
    float invGateF_;
    float gateDepthF_;
    float gate2DepthF_;
    float normF_;
};

// Rectifier: a saturated signal, part half-wave and part full-wave rectified. `fullWave` 0 is a half-wave
// rectifier (negative half removed), 1 a full-wave one (octave up); between them the negative half is
// folded up with gain `fullWave`. f = 0.5 (1 - w) s(x) + 0.5 (1 + w) |s(x)|, with s the sigmoid; the
// kink at zero is what makes the octave.
struct Rectifier {
    explicit Rectifier(double fullWave = 0.5) noexcept
        : a_(0.5 * (1.0 - fullWave))
        , b_(0.5 * (1.0 + fullWave))
        , aF_(static_cast<float>(a_))
        , bF_(static_cast<float>(b_)) {}
    static constexpr float kAdaaTolerance = 1e-3f;
    V4 fv(V4 x) const noexcept {
        const V4 s = sigmoidV(x);
        return aF_ * s + bF_ * vabs(s);
    }
    V4 Fv(V4 x) const noexcept {
        return sigmoidIntegralV(x) * (x < 0.f ? splat(aF_ - bF_) : splat(aF_ + bF_));
    }
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
    float aF_;
    float bF_;
};

// Foldback wavefolder: unity up to +-1, then the wave folds back at every multiple of the threshold
// instead of clipping (a triangle of period 4). The integral of each period is zero, so F is periodic too.
struct Foldback {
    static constexpr float kAdaaTolerance = 1e-4f;
    // The float versions work segment by segment: segment k holds 2 k - 1 <= x < 2 k + 1, where with
    // u = x - 2 k the curve is (-1)^k u and F is u^2 / 2 (k even) or 1 - u^2 / 2 (k odd). Exact near zero
    // (no cancellation against a phase offset), and two inputs on one segment have the exact ADAA mean
    // f(midpoint).
    V4 segment(V4 x) const noexcept { return vfloor(0.5f * x + 0.5f); }
    V4 onSegment(V4 x, V4 k) const noexcept {
        const V4 u = x - 2.f * k;
        return odd(k) ? -u : u;
    }
    V4 FonSegment(V4 x, V4 k) const noexcept {
        const V4 u = x - 2.f * k;
        const V4 h = 0.5f * u * u;
        return odd(k) ? 1.f - h : h;
    }
    V4 fv(V4 x) const noexcept { return onSegment(x, segment(x)); }
    V4 Fv(V4 x) const noexcept { return FonSegment(x, segment(x)); }
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
    static V4i odd(V4 k) noexcept { return (__builtin_convertvector(k, V4i) & 1) != 0; }
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

// First-order ADAA in float over a block, four samples at a time: the state is the last input and its F.
struct AdaaState {
    float x0 = 0.f;
    float F0 = 0.f;
    // Starts from input x as if it had been there for ever (no transient when a voice starts mid-signal).
    template <typename Shaper>
    void reset(const Shaper& s, float x) noexcept {
        x0 = x;
        F0 = s.Fv(splat(x))[0];
    }
    bool finite() const noexcept { return std::isfinite(x0) && std::isfinite(F0); }
};

// Largest block adaaBlock() takes, and the spare lanes its input and output arrays must have after n.
inline constexpr std::size_t kAdaaMaxBlock = 256;
inline constexpr std::size_t kAdaaSpare = 4;

// out[i] = mean of f over the line from x[i - 1] to x[i], with x[i] = scale * in[i] (clamped to +-1e6) and
// x[-1] the state; n <= kAdaaMaxBlock. in is read and out written up to n rounded up to a multiple of 4.
template <typename Shaper>
concept Segmented = requires(const Shaper& s, V4 x) {
    s.segment(x);
    s.onSegment(x, x);
    s.FonSegment(x, x);
};

template <typename Shaper>
void adaaBlock(const Shaper& s, AdaaState& st, const float* in, std::size_t n, float scale,
               float* out) noexcept {
    constexpr float kLimit = 1e6f;
    constexpr float kFloor = 1e-7f; // below this step even at zero input the midpoint is taken
    constexpr bool kSegmented = Segmented<Shaper>;
    alignas(16) float xs[kAdaaMaxBlock + kAdaaSpare + 4];
    alignas(16) float Fs[kAdaaMaxBlock + kAdaaSpare + 4];
    alignas(16) float ks[kSegmented ? kAdaaMaxBlock + kAdaaSpare + 4 : 1];
    xs[3] = st.x0;
    Fs[3] = st.F0;
    if constexpr (kSegmented) ks[3] = s.segment(splat(st.x0))[0];
    for (std::size_t i = 0; i < n; i += 4) {
        V4 x = scale * vload(in + i);
        x = x > kLimit ? splat(kLimit) : x; // NaN passes (and is caught by the owner's finite())
        x = x < -kLimit ? splat(-kLimit) : x;
        vstore(xs + 4 + i, x);
        if constexpr (kSegmented) {
            const V4 k = s.segment(x);
            vstore(ks + 4 + i, k);
            vstore(Fs + 4 + i, s.FonSegment(x, k));
        } else {
            vstore(Fs + 4 + i, s.Fv(x));
        }
    }
    const float tol = Shaper::kAdaaTolerance;
    for (std::size_t i = 0; i < n; i += 4) {
        const V4 x0 = vload(xs + 3 + i);
        const V4 x1 = vload(xs + 4 + i);
        const V4 dx = x1 - x0;
        const V4 dF = vload(Fs + 4 + i) - vload(Fs + 3 + i);
        const V4i near = vabs(dx) <= tol * (vabs(x0) + vabs(x1)) + kFloor;
        if constexpr (kSegmented) {
            const V4 k1 = vload(ks + 4 + i);
            const V4i same = vload(ks + 3 + i) == k1;
            const V4 mid = 0.5f * (x0 + x1);
            V4 y = same ? s.onSegment(mid, k1) : dF / ((same | near) ? splat(1.f) : dx);
            const V4i crossNear = near & ~same;
            if (anyLane(crossNear)) y = crossNear ? s.fv(mid) : y;
            vstore(out + i, y);
        } else {
            V4 y = dF / (near ? splat(1.f) : dx);
            if (anyLane(near)) y = near ? s.fv(0.5f * (x0 + x1)) : y;
            vstore(out + i, y);
        }
    }
    st.x0 = xs[3 + n];
    st.F0 = Fs[3 + n];
}

} // namespace stagerack::dsp::shapers
