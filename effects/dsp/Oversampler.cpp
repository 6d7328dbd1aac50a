#include "effects/dsp/Oversampler.h"

#include <algorithm>
#include <cmath>
#include <cstring>
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

using V4 = Oversampler::V4;

V4 splat(float v) noexcept {
    return V4{v, v, v, v};
}
V4 load(const float* p) noexcept {
    V4 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
void store(float* p, V4 v) noexcept {
    std::memcpy(p, &v, sizeof v);
}

// y(t) = sum over j < pairs of c_j (x(t - j) + x(t - span + j)) for four consecutive t, as four partial sums
// (j mod 4) added in a fixed order at the end. P > 0 makes the count a constant (the stages' usual sizes),
// so that the compiler unrolls the loop and keeps short filters' coefficients in registers.
template <std::size_t P>
inline V4 foldedDot(const float* x, const V4* c, std::size_t pairsAtRuntime, std::size_t span) noexcept {
    const std::size_t pairs = P > 0 ? P : pairsAtRuntime;
    V4 a0{}, a1{}, a2{}, a3{};
    const float* back = x - span;
    std::size_t j = 0;
    for (; j + 4 <= pairs; j += 4) {
        a0 += c[j] * (load(x - j) + load(back + j));
        a1 += c[j + 1] * (load(x - j - 1) + load(back + j + 1));
        a2 += c[j + 2] * (load(x - j - 2) + load(back + j + 2));
        a3 += c[j + 3] * (load(x - j - 3) + load(back + j + 3));
    }
    if (j < pairs) a0 += c[j] * (load(x - j) + load(back + j));
    if (j + 1 < pairs) a1 += c[j + 1] * (load(x - j - 1) + load(back + j + 1));
    if (j + 2 < pairs) a2 += c[j + 2] * (load(x - j - 2) + load(back + j + 2));
    return (a0 + a1) + (a2 + a3);
}

// The coefficients of a filter with P pairs (P > 0) copied next to the loop that uses them.
template <std::size_t P>
struct LocalTaps {
    V4 c[P > 0 ? P : 1];
    const V4* p;
    explicit LocalTaps(const V4* src) noexcept {
        if constexpr (P > 0) {
            for (std::size_t j = 0; j < P; ++j)
                c[j] = src[j];
            p = c;
        } else {
            p = src;
        }
    }
};

} // namespace

void Oversampler::prepare(uint32_t factor) {
    factor_ = factor >= 8 ? 8 : factor >= 4 ? 4 : factor >= 2 ? 2 : 1;
    stages_ = factor_ == 8 ? 3 : factor_ == 4 ? 2 : factor_ == 2 ? 1 : 0;

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
        // Odd-phase tap j is h[2 j]; fold tap j with tap 2 half - 1 - j.
        HalfbandUp& u = up_[k];
        u.half = half;
        u.coef.fill(V4{});
        for (std::size_t j = 0; j < half; ++j)
            u.coef[j] = splat(static_cast<float>(2.0 * h[2 * j]));
        const std::size_t scale = factor_ / (2u << k); // top-rate samples per sample of this stage
        delayTop += (2 * half - 1) * scale;
        if (k > 0) {
            HalfbandDown& d = down_[k];
            d.half = half;
            d.coef.fill(V4{});
            for (std::size_t j = 0; j < half; ++j)
                d.coef[j] = splat(static_cast<float>(h[2 * j]));
            delayTop += (2 * half - 1) * scale;
        }
    }
    if (stages_ > 0) {
        // Flat to kPassband fs, kStopbandDb down from fs / 2, at 2 fs; 4 m + 1 taps.
        std::size_t taps = kaiserLength(kStopbandDb, (0.5 - kPassband) / 2.0);
        taps = std::min((taps + 2) / 4 * 4 + 1, kMaxSharpTaps);
        const std::vector<double> g = kaiserLowpass(taps, (kPassband + 0.5) / 4.0, kaiserBeta(kStopbandDb));
        SharpDown& s = sharp_;
        s.taps = taps;
        s.m = (taps - 1) / 4;
        s.evenCoef.fill(V4{});
        s.oddCoef.fill(V4{});
        for (std::size_t j = 0; j < s.m; ++j) {
            s.evenCoef[j] = splat(static_cast<float>(g[2 * j]));    // pairs with 2 m - j
            s.oddCoef[j] = splat(static_cast<float>(g[2 * j + 1])); // pairs with 2 m - 1 - j
        }
        s.centre = splat(static_cast<float>(g[2 * s.m]));
        delayTop += (taps - 1) / 2 * (factor_ / 2);
    }
    pad_ = static_cast<uint32_t>((factor_ - delayTop % factor_) % factor_);
    latency_ = static_cast<uint32_t>((delayTop + pad_) / factor_);
    reset();
}

template <std::size_t Front, std::size_t Size>
void Oversampler::Line<Front, Size>::advance(std::size_t n, std::size_t keep) noexcept {
    float* x = now();
    std::memmove(x - keep, x + n - keep, keep * sizeof(float));
}

void Oversampler::HalfbandUp::run(std::size_t n, float* out) noexcept {
    switch (half) {
    case 5:
        return runFixed<5>(n, out);
    case 7:
        return runFixed<7>(n, out);
    case 15:
        return runFixed<15>(n, out);
    default:
        return runFixed<0>(n, out);
    }
}

template <std::size_t P>
void Oversampler::HalfbandUp::runFixed(std::size_t n, float* out) noexcept {
    const LocalTaps<P> taps(coef.data());
    const float* x = in.now();
    const std::size_t span = 2 * half - 1;
    const std::size_t delay = half - 1;
    for (std::size_t t = 0; t < n; t += 4) {
        const V4 even = foldedDot<P>(x + t, taps.p, half, span);
        const V4 odd = load(x + t - delay);
        const V4 lo = __builtin_shufflevector(even, odd, 0, 4, 1, 5);
        const V4 hi = __builtin_shufflevector(even, odd, 2, 6, 3, 7);
        if (t + 4 <= n) {
            store(out + 2 * t, lo);
            store(out + 2 * t + 4, hi);
        } else {
            float tmp[8];
            store(tmp, lo);
            store(tmp + 4, hi);
            std::memcpy(out + 2 * t, tmp, 2 * (n - t) * sizeof(float));
        }
    }
    in.advance(n, span);
}

namespace {

// Splits 2n interleaved samples into their even and odd phases.
void deinterleave(const float* in, std::size_t n, float* even, float* odd) noexcept {
    std::size_t t = 0;
    for (; t + 4 <= n; t += 4) {
        const V4 a = load(in + 2 * t);
        const V4 b = load(in + 2 * t + 4);
        store(even + t, __builtin_shufflevector(a, b, 0, 2, 4, 6));
        store(odd + t, __builtin_shufflevector(a, b, 1, 3, 5, 7));
    }
    for (; t < n; ++t) {
        even[t] = in[2 * t];
        odd[t] = in[2 * t + 1];
    }
}

// Stores the first `count` (at most 4) lanes of v.
void storePartial(float* p, V4 v, std::size_t count) noexcept {
    if (count >= 4) {
        store(p, v);
    } else {
        float tmp[4];
        store(tmp, v);
        std::memcpy(p, tmp, count * sizeof(float));
    }
}

} // namespace

void Oversampler::HalfbandDown::run(const float* in, std::size_t n, float* out) noexcept {
    deinterleave(in, n, even.now(), odd.now());
    switch (half) {
    case 5:
        return runFixed<5>(n, out);
    case 7:
        return runFixed<7>(n, out);
    default:
        return runFixed<0>(n, out);
    }
}

template <std::size_t P>
void Oversampler::HalfbandDown::runFixed(std::size_t n, float* out) noexcept {
    const LocalTaps<P> taps(coef.data());
    const float* e = even.now();
    const float* o = odd.now();
    const std::size_t span = 2 * half - 1;
    const V4 centre = splat(0.5f);
    for (std::size_t t = 0; t < n; t += 4)
        storePartial(out + t, foldedDot<P>(e + t, taps.p, half, span) + centre * load(o + t - half), n - t);
    even.advance(n, span);
    odd.advance(n, half);
}

void Oversampler::SharpDown::run(const float* in, std::size_t n, float* out) noexcept {
    deinterleave(in, n, even.now(), odd.now());
    if (m == 29)
        runFixed<29>(n, out);
    else
        runFixed<0>(n, out);
}

template <std::size_t P>
void Oversampler::SharpDown::runFixed(std::size_t n, float* out) noexcept {
    const float* e = even.now();
    const float* o = odd.now();
    for (std::size_t t = 0; t < n; t += 4) {
        // y(t) = sum_j g_2j e(t - j) + sum_j g_2j+1 o(t - 1 - j).
        const V4 ev = foldedDot<P>(e + t, evenCoef.data(), m, 2 * m) + centre * load(e + t - m);
        const V4 od = foldedDot<P>(o + t - 1, oddCoef.data(), m, 2 * m - 1);
        storePartial(out + t, ev + od, n - t);
    }
    even.advance(n, 2 * m);
    odd.advance(n, 2 * m);
}

void Oversampler::upBlock(const float* in, std::size_t n, float* out) noexcept {
    std::memcpy(up_[0].in.now(), in, n * sizeof(float));
    for (uint32_t k = 0; k < stages_; ++k) {
        float* dst = k + 1 < stages_ ? up_[k + 1].in.now() : out;
        up_[k].run(n << k, dst);
    }
}

void Oversampler::downBlock(const float* in, std::size_t n, float* out) noexcept {
    const std::size_t top = n * factor_;
    const float* src = in;
    if (pad_ > 0) {
        float* x = padLine_.now();
        std::memcpy(x, in, top * sizeof(float));
        src = x - pad_; // the block, delayed by pad_ samples
    }
    float a[kBlock * kMaxFactor / 2];
    float b[kBlock * kMaxFactor / 2];
    for (uint32_t k = stages_ - 1; k > 0; --k) {
        const std::size_t outs = n << k;
        float* dst = (stages_ - 1 - k) % 2 == 0 ? a : b;
        down_[k].run(src, outs, dst);
        src = dst;
    }
    sharp_.run(src, n, out);
    if (pad_ > 0) padLine_.advance(top, pad_);
}

void Oversampler::upsample(const float* in, std::size_t n, float* out) noexcept {
    if (factor_ == 1) {
        std::memmove(out, in, n * sizeof(float));
        return;
    }
    for (std::size_t done = 0; done < n;) {
        const std::size_t m = std::min(n - done, kBlock);
        upBlock(in + done, m, out + done * factor_);
        done += m;
    }
}

void Oversampler::downsample(const float* in, std::size_t n, float* out) noexcept {
    if (factor_ == 1) {
        std::memmove(out, in, n * sizeof(float));
        return;
    }
    for (std::size_t done = 0; done < n;) {
        const std::size_t m = std::min(n - done, kBlock);
        downBlock(in + done * factor_, m, out + done);
        done += m;
    }
}

void Oversampler::reset() noexcept {
    for (auto& u : up_)
        u.in.clear();
    for (auto& d : down_) {
        d.even.clear();
        d.odd.clear();
    }
    sharp_.even.clear();
    sharp_.odd.clear();
    padLine_.clear();
}

} // namespace stagerack::dsp
