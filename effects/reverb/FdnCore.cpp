#include "effects/reverb/FdnCore.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

namespace stagerack::fx {

namespace {

using V4 = float __attribute__((vector_size(16)));
using V4i = int32_t __attribute__((vector_size(16)));

// Values written into any memory below this are written as zero: a dying tail reaches exact silence
// instead of minutes of denormals (the engine sets FTZ/DAZ; a test or another host may not).
constexpr float kFlushBelow = 1e-20f;

inline float flushTiny(float x) noexcept {
    return std::fabs(x) < kFlushBelow ? 0.f : x;
}

inline V4 flushTiny(V4 v) noexcept {
    int32_t tinyBits;
    std::memcpy(&tinyBits, &kFlushBelow, sizeof tinyBits);
    const V4i bits = reinterpret_cast<V4i>(v);
    // Positive floats order like their bit patterns; NaN is kept (and caught by the grid check).
    const V4i keep = (bits & 0x7fffffff) >= tinyBits;
    return reinterpret_cast<V4>(bits & keep);
}

// Sylvester-ordered 4-point Hadamard butterflies (unnormalised) inside one register.
inline V4 hadamard4(V4 v) noexcept {
    const V4 s01 = {1.f, -1.f, 1.f, -1.f};
    const V4 s02 = {1.f, 1.f, -1.f, -1.f};
#if defined(__clang__) // clang spells GCC's __builtin_shuffle with constant lane indices
    v = __builtin_shufflevector(v, v, 1, 0, 3, 2) + v * s01;
    return __builtin_shufflevector(v, v, 2, 3, 0, 1) + v * s02;
#else
    v = __builtin_shuffle(v, V4i{1, 0, 3, 2}) + v * s01;
    return __builtin_shuffle(v, V4i{2, 3, 0, 1}) + v * s02;
#endif
}

bool isPrime(uint32_t n) noexcept {
    if (n < 2) return false;
    for (uint32_t d = 2; d * d <= n; ++d)
        if (n % d == 0) return false;
    return true;
}

// Mutually prime line lengths spread the modes; the nearest prime keeps the voicing at every rate.
uint32_t nearestPrime(uint32_t n) noexcept {
    for (uint32_t k = 0;; ++k) {
        if (isPrime(n + k)) return n + k;
        if (k < n && isPrime(n - k)) return n - k;
    }
}

constexpr std::array<double, FdnCore::kLines> kBaseRatesHz{0.31, 0.37, 0.43, 0.53, 0.59, 0.67, 0.73, 0.83};

// Absorption shelf crossover: below it the decay is decay_s, well above it decay_s * highRatio.
constexpr double kShelfHz = 2500.0;

const std::array<FdnCore::Voicing, 4> kVoicings{{
    // Hall: long lines (32..94 ms, about 0.48 s of total delay: dense modes), six diffusers.
    {{31.7, 37.9, 45.1, 53.3, 61.9, 71.3, 82.1, 93.7},
     6,
     {4.77, 3.59, 8.73, 6.31, 7.3, 2.9},
     {0.72f, 0.72f, 0.62f, 0.62f, 0.58f, 0.6f},
     0.25,
     1.0,
     0,
     0.f,
     9000.0,
     0.45f},
    // Room: short lines (17..42 ms).
    {{17.3, 20.9, 24.1, 27.7, 31.3, 34.9, 38.3, 41.9},
     4,
     {3.1, 2.3, 5.9, 4.3, 0.0, 0.0},
     {0.7f, 0.7f, 0.6f, 0.6f, 0.f, 0.f},
     0.12,
     1.3,
     0,
     0.f,
     10000.0,
     0.5f},
    // Plate: six dense, short diffusers (immediate density, no audible early echoes), bright.
    {{22.3, 26.9, 31.1, 35.9, 41.3, 45.7, 50.3, 55.1},
     6,
     {1.43, 1.07, 3.81, 2.79, 6.1, 4.4},
     {0.76f, 0.76f, 0.7f, 0.7f, 0.64f, 0.64f},
     0.2,
     1.1,
     0,
     0.f,
     12000.0,
     0.45f},
    // Spring: two-spring-like narrow delay spread, dispersive all-passes in the loop (the chirp of each
    // round trip), little diffusion, dark.
    {{25.3, 27.1, 29.9, 31.7, 34.1, 36.3, 38.9, 40.7},
     2,
     {2.1, 4.9, 0.0, 0.0, 0.0, 0.0},
     {0.6f, 0.6f, 0.f, 0.f, 0.f, 0.f},
     0.05,
     0.7,
     8,
     0.55f,
     4500.0,
     0.5f},
}};

} // namespace

const FdnCore::Voicing& FdnCore::voicing(ReverbCharacter c) noexcept {
    return kVoicings[static_cast<std::size_t>(c)];
}

void FdnCore::prepare(double sampleRate) {
    sampleRate_ = sampleRate;
    double longest = 0.0;
    std::array<double, kMaxDiffusers> diffLongest{};
    for (const auto& v : kVoicings) {
        for (double ms : v.lineMs)
            longest = std::max(longest, (ms + v.modDepthMs) * sampleRate / 1000.0);
        for (int s = 0; s < v.diffusers; ++s)
            diffLongest[static_cast<std::size_t>(s)] =
                std::max(diffLongest[static_cast<std::size_t>(s)], v.diffuserMs[static_cast<std::size_t>(s)]);
    }
    uint32_t size = 1;
    while (size < static_cast<uint32_t>(longest) + 64)
        size <<= 1;
    lines_.assign(static_cast<std::size_t>(size) * kLines, 0.f);
    lineMask_ = size - 1;
    uint32_t offset = 0;
    for (std::size_t s = 0; s < kMaxDiffusers; ++s) {
        uint32_t dsize = 1;
        while (dsize < static_cast<uint32_t>(diffLongest[s] * sampleRate / 1000.0) + 16)
            dsize <<= 1;
        diffOffset_[s] = offset;
        diffMask_[s] = dsize - 1;
        offset += dsize;
    }
    diffMem_.assign(offset, 0.f);
    configure(character_);
}

void FdnCore::configure(ReverbCharacter c) noexcept {
    character_ = c;
    voicing_ = &voicing(c);
    const Voicing& v = *voicing_;
    const double depth = v.modDepthMs * sampleRate_ / 1000.0;
    for (int k = 0; k < kLines; ++k) {
        const auto ku = static_cast<std::size_t>(k);
        const auto h = static_cast<std::size_t>(k / 4);
        const int lane = k % 4;
        auto samples = static_cast<uint32_t>(std::lround(v.lineMs[ku] * sampleRate_ / 1000.0));
        samples = std::max<uint32_t>(nearestPrime(samples), static_cast<uint32_t>(depth) + 4);
        base_[h][lane] = static_cast<float>(samples);
        depth_[h][lane] = static_cast<float>(depth);
        // The all-pass interpolator and each dispersion all-pass average one sample of group delay over
        // the band: the modulation is a zero-mean sine, so the mean loop delay is the base plus those.
        loopDelay_[ku] = static_cast<double>(samples) + v.dispersion;
        const double w = 2.0 * std::numbers::pi * kBaseRatesHz[ku] * v.modRateScale / sampleRate_;
        rotC_[h][lane] = static_cast<float>(std::cos(w));
        rotS_[h][lane] = static_cast<float>(std::sin(w));
    }
    for (int s = 0; s < kMaxDiffusers; ++s) {
        const auto su = static_cast<std::size_t>(s);
        diffLen_[su] = s < v.diffusers ? std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(
                                                                   v.diffuserMs[su] * sampleRate_ / 1000.0)))
                                       : 1;
    }
    const double tone = std::min(v.toneHz, 0.45 * sampleRate_);
    const double g = std::tan(std::numbers::pi * tone / sampleRate_);
    toneG_ = static_cast<float>(g / (1.0 + g));
    const double gs = std::tan(std::numbers::pi * std::min(kShelfHz, 0.45 * sampleRate_) / sampleRate_);
    shelfG_ = static_cast<float>(gs / (1.0 + gs));
    lastT60_ = lastRatio_ = -1.0;
    clear();
}

void FdnCore::clear() noexcept {
    std::fill(lines_.begin(), lines_.end(), 0.f);
    std::fill(diffMem_.begin(), diffMem_.end(), 0.f);
    write_ = 0;
    diffPos_ = 0;
    for (int h = 0; h < 2; ++h) {
        apState_[h] = V4{};
        lpState_[h] = V4{};
        for (int s = 0; s < kMaxDispersion; ++s)
            dispX_[s][h] = dispY_[s][h] = V4{};
        // Deterministic LFO phases spread around the circle (3/8 of a turn apart).
        for (int lane = 0; lane < 4; ++lane) {
            const double phase = 0.3 + (h * 4 + lane) * 2.0 * std::numbers::pi * 3.0 / 8.0;
            lfoC_[h][lane] = static_cast<float>(std::cos(phase));
            lfoS_[h][lane] = static_cast<float>(std::sin(phase));
        }
    }
    toneL_ = toneR_ = 0.f;
}

void FdnCore::setDecay(double t60Seconds, double highRatio) noexcept {
    // ln(10^-3) per sample of the slowest and fastest decay.
    const double perSampleLow = -3.0 * std::numbers::ln10 / (sampleRate_ * t60Seconds);
    const double perSampleHigh = perSampleLow / std::clamp(highRatio, 0.01, 1.0);
    const bool changed = t60Seconds != lastT60_ || highRatio != lastRatio_;
    lastT60_ = t60Seconds;
    lastRatio_ = highRatio;
    for (int k = 0; k < kLines && changed; ++k) {
        const auto h = static_cast<std::size_t>(k / 4);
        const int lane = k % 4;
        const double gLow = std::exp(perSampleLow * loopDelay_[static_cast<std::size_t>(k)]);
        const double gHigh = std::exp(perSampleHigh * loopDelay_[static_cast<std::size_t>(k)]);
        gainHigh_[h][lane] = static_cast<float>(gHigh);
        gainLowMinusHigh_[h][lane] = static_cast<float>(gLow) - static_cast<float>(gHigh);
    }
    // Grid housekeeping: keep the quadrature LFOs on the unit circle, flush tiny states, and start again
    // from silence if a NaN got in.
    bool finite = true;
    for (int h = 0; h < 2; ++h) {
        const V4 r = lfoC_[h] * lfoC_[h] + lfoS_[h] * lfoS_[h];
        const V4 k = 1.5f - 0.5f * r;
        lfoC_[h] *= k;
        lfoS_[h] *= k;
        apState_[h] = flushTiny(apState_[h]);
        lpState_[h] = flushTiny(lpState_[h]);
        for (int s = 0; s < kMaxDispersion; ++s) {
            dispX_[s][h] = flushTiny(dispX_[s][h]);
            dispY_[s][h] = flushTiny(dispY_[s][h]);
        }
        for (int lane = 0; lane < 4; ++lane)
            finite = finite && std::isfinite(apState_[h][lane]) && std::isfinite(lpState_[h][lane]);
    }
    toneL_ = flushTiny(toneL_);
    toneR_ = flushTiny(toneR_);
    if (!finite || !std::isfinite(toneL_) || !std::isfinite(toneR_)) clear();
}

void FdnCore::process(const float* in, float* outL, float* outR, uint32_t n) noexcept {
    if (lines_.empty()) {
        std::fill(outL, outL + n, 0.f);
        std::fill(outR, outR + n, 0.f);
        return;
    }
    if (voicing_->dispersion > 0)
        run<true>(in, outL, outR, n);
    else
        run<false>(in, outL, outR, n);
}

template <bool Dispersive>
void FdnCore::run(const float* in, float* outL, float* outR, uint32_t n) noexcept {
    const Voicing& v = *voicing_;
    float* const mem = lines_.data();
    float* const dmem = diffMem_.data();
    const uint32_t mask = lineMask_;
    // Input enters every line with a sign pattern that is not a Hadamard row (so it excites all modes).
    const V4 inject[2] = {V4{0.5f, -0.5f, 0.5f, 0.5f}, V4{-0.5f, 0.5f, -0.5f, -0.5f}};
    const float kNorm = 0.35355339059327373f; // 1 / sqrt(8): the matrix is orthogonal
    const V4i laneOffset[2] = {V4i{0, 1, 2, 3}, V4i{4, 5, 6, 7}};
    const float toneG = toneG_, shelfG = shelfG_, outGain = v.outputGain;
    const int diffusers = v.diffusers;
    const float dispA = v.dispersionCoef;
    const int dispersion = Dispersive ? v.dispersion : 0;

    for (uint32_t i = 0; i < n; ++i) {
        // Input diffusion: Schroeder all-passes in series (lossless, short).
        float x = in[i];
        for (int s = 0; s < diffusers; ++s) {
            const auto su = static_cast<std::size_t>(s);
            float* buf = dmem + diffOffset_[su];
            const uint32_t dm = diffMask_[su];
            const float g = v.diffuserGain[su];
            const float delayed = buf[(diffPos_ - diffLen_[su]) & dm];
            const float w = x + g * delayed;
            x = delayed - g * w;
            buf[diffPos_ & dm] = flushTiny(w);
        }
        ++diffPos_;

        V4 z[2];
        for (int h = 0; h < 2; ++h) {
            const V4 c = lfoC_[h] * rotC_[h] - lfoS_[h] * rotS_[h];
            const V4 s = lfoS_[h] * rotC_[h] + lfoC_[h] * rotS_[h];
            lfoC_[h] = c;
            lfoS_[h] = s;
            const V4 delay = base_[h] + depth_[h] * s;
            const V4i whole = __builtin_convertvector(delay, V4i); // delay > 3: truncation is floor
            const V4 frac = delay - __builtin_convertvector(whole, V4);
            // First-order all-pass interpolation for a fraction 1 + frac in [1, 2) after tap whole - 1:
            // flat magnitude (no loss that would bias the decay), pole inside |z| <= 1/3.
            const V4 a = -frac / (2.f + frac);
            const V4i newer =
                ((static_cast<int32_t>(write_) - whole + 1) & static_cast<int32_t>(mask)) * 8 + laneOffset[h];
            const V4i older =
                ((static_cast<int32_t>(write_) - whole) & static_cast<int32_t>(mask)) * 8 + laneOffset[h];
            const V4 x0 = {mem[newer[0]], mem[newer[1]], mem[newer[2]], mem[newer[3]]};
            const V4 x1 = {mem[older[0]], mem[older[1]], mem[older[2]], mem[older[3]]};
            const V4 y = a * (x0 - apState_[h]) + x1;
            apState_[h] = y;
            // Absorption shelf: gLow at DC, gHigh towards Nyquist; exactly gLow * y when neutral.
            const V4 vv = (y - lpState_[h]) * shelfG;
            const V4 lp = vv + lpState_[h];
            lpState_[h] = lp + vv;
            z[h] = gainHigh_[h] * y + gainLowMinusHigh_[h] * lp;
        }
        if constexpr (Dispersive) {
            for (int s = 0; s < dispersion; ++s)
                for (int h = 0; h < 2; ++h) {
                    const V4 y = dispA * (z[h] - dispY_[s][h]) + dispX_[s][h];
                    dispX_[s][h] = z[h];
                    dispY_[s][h] = y;
                    z[h] = y;
                }
        }
        // 8-point fast Hadamard: one butterfly across the registers, two inside each.
        const V4 p = hadamard4(z[0] + z[1]) * kNorm;
        const V4 q = hadamard4(z[0] - z[1]) * kNorm;
        // Two orthogonal rows of the mixed state are the stereo outputs.
        const float wetL = p[1] * outGain, wetR = p[2] * outGain;
        float* slot = mem + static_cast<std::size_t>(write_ & mask) * 8;
        const V4 w0 = flushTiny(p + inject[0] * x);
        const V4 w1 = flushTiny(q + inject[1] * x);
        std::memcpy(slot, &w0, sizeof w0);
        std::memcpy(slot + 4, &w1, sizeof w1);
        ++write_;

        // Sums of tiny line values can cancel into denormals: flush what leaves and what is kept.
        const float vl = (wetL - toneL_) * toneG;
        const float yl = flushTiny(vl + toneL_);
        toneL_ = flushTiny(yl + vl);
        const float vr = (wetR - toneR_) * toneG;
        const float yr = flushTiny(vr + toneR_);
        toneR_ = flushTiny(yr + vr);
        outL[i] = yl;
        outR[i] = yr;
    }
}

} // namespace stagerack::fx
