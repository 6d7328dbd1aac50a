#include "effects/stereo/Exciter.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace stagerack::fx {

namespace {

using V4 = Exciter::V4;

inline V4 splat(float v) noexcept {
    return V4{v, v, v, v};
}
inline V4 vsqrt(V4 x) noexcept {
#if defined(__SSE2__)
    return reinterpret_cast<V4>(_mm_sqrt_ps(reinterpret_cast<__m128>(x)));
#else
    return V4{std::sqrt(x[0]), std::sqrt(x[1]), std::sqrt(x[2]), std::sqrt(x[3])};
#endif
}
inline V4 vmax(V4 a, V4 b) noexcept {
    return a > b ? a : b;
}
inline V4 vmin(V4 a, V4 b) noexcept {
    return a < b ? a : b;
}
inline V4 sanitize(V4 x) noexcept {
    return V4{dsp::sanitizeState(x[0]), dsp::sanitizeState(x[1]), 0.f, 0.f};
}

template <typename Smoother>
void stepSamples(Smoother& s, uint32_t frames) noexcept {
    for (uint32_t i = 0; i < frames && s.smoothing(); ++i)
        s.next();
}

} // namespace

Exciter::Exciter() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    reset();
}

void Exciter::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    frequencyHz_.prepare(sampleRate, kSmoothMs);
    floor_.prepare(sampleRate, kSmoothMs);
    amount_.prepare(sampleRate, kSmoothMs);
    followerCoef_ = static_cast<float>(1.0 - std::exp(-1000.0 / (kFollowerMs * sampleRate)));
    reset();
}

void Exciter::reset() noexcept {
    frequencyHz_.setImmediate(values_[kFrequencyHz]);
    floor_.setImmediate(dsp::dbToGain(-values_[kDriveDb]));
    amount_.setImmediate(values_[kAmount]);
    state_ = {};
    meanSquare_ = V4{};
    design();
    gridLeft_ = 0;
}

void Exciter::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    switch (index) {
    case kFrequencyHz:
        frequencyHz_.setTarget(value);
        break;
    case kDriveDb:
        floor_.setTarget(dsp::dbToGain(-value));
        break;
    case kAmount:
        amount_.setTarget(value);
        break;
    default:
        break;
    }
}

void Exciter::design() noexcept {
    using dsp::FilterKind;
    using dsp::SvfCoeffs;
    using dsp::SvfDesign;
    const double f = frequencyHz_.current();
    coeffs_[0] =
        SvfCoeffs::from(SvfDesign::design(FilterKind::HighPass, sampleRate_, f, dsp::kButterworth4QLow));
    coeffs_[1] =
        SvfCoeffs::from(SvfDesign::design(FilterKind::HighPass, sampleRate_, f, dsp::kButterworth4QHigh));
    coeffs_[2] = SvfCoeffs::from(SvfDesign::design(FilterKind::HighPass, sampleRate_, f, dsp::kButterworthQ));
}

void Exciter::startGridStep() noexcept {
    if (frequencyHz_.smoothing()) design();
    for (auto& s : state_) {
        s.ic1 = sanitize(s.ic1);
        s.ic2 = sanitize(s.ic2);
    }
    meanSquare_ = sanitize(meanSquare_);
}

void Exciter::processChunk(float* left, float* right, uint32_t frames) noexcept {
    const dsp::SvfCoeffs c0 = coeffs_[0];
    const dsp::SvfCoeffs c1 = coeffs_[1];
    const dsp::SvfCoeffs c2 = coeffs_[2];
    const float k = followerCoef_;
    auto s0 = state_[0];
    auto s1 = state_[1];
    auto s2 = state_[2];
    V4 ms = meanSquare_;
    // Steady controls are hoisted out of the loop (the same values next() would return).
    const bool steady = !floor_.smoothing() && !amount_.smoothing();
    const float steadyFloor = floor_.current();
    const float steadyAmount = amount_.current();
    for (uint32_t i = 0; i < frames; ++i) {
        const float floor = steady ? steadyFloor : floor_.next();
        const float amount = steady ? steadyAmount : amount_.next();
        const V4 x{left[i], right[i], 0.f, 0.f};
        const V4 band = dsp::svfTick(s1, dsp::svfTick(s0, x, c0), c1);
        ms += k * (band * band - ms);
        // s = max(floor, peak): fixed gain below the knee, level-normalised above it.
        const V4 scale = vmax(splat(floor), vsqrt(2.f * ms));
        const V4 inv = 1.f / scale;
        V4 u = band * inv;
        u = vmin(vmax(u, splat(-kMaxU)), splat(kMaxU));
        // u^3 - 0.75 a^2 u (a = the follower's amplitude of u) is a pure 3rd harmonic for a steady sine: the
        // shaper adds harmonics and leaves the band's own level alone.
        const V4 a2 = 2.f * ms * inv * inv;
        const V4 harmonics = scale * (kSecond * u * u + kThird * u * (u * u - 0.75f * a2));
        const V4 wet = dsp::svfTick(s2, harmonics, c2);
        const V4 y = x + amount * wet;
        left[i] = y[0];
        right[i] = y[1];
    }
    state_[0] = s0;
    state_[1] = s1;
    state_[2] = s2;
    meanSquare_ = ms;
}

void Exciter::process(StereoBlock& block, const ProcessContext& /*ctx*/) noexcept {
    uint32_t done = 0;
    while (done < block.frames) {
        if (gridLeft_ == 0) {
            startGridStep();
            gridLeft_ = kGrid;
        }
        const uint32_t n = std::min(block.frames - done, gridLeft_);
        processChunk(block.left + done, block.right + done, n);
        stepSamples(frequencyHz_, n);
        done += n;
        gridLeft_ -= n;
    }
}

} // namespace stagerack::fx
