#include "effects/modulation/RingMod.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace stagerack::fx {

namespace {

// sin(2 pi p) for any p, without a libm call: reduced to a quarter wave and a degree-11 odd Taylor
// polynomial (error below 6e-8, under float rounding: the carrier's own harmonics stay near -140 dB).
inline float sinCycles(double p) noexcept {
    float t = static_cast<float>(p - std::floor(p + 0.5)); // [-0.5, 0.5]
    if (t > 0.25f) t = 0.5f - t;
    if (t < -0.25f) t = -0.5f - t;
    const float x = 2.f * std::numbers::pi_v<float> * t; // [-pi/2, pi/2]
    const float x2 = x * x;
    constexpr float c3 = -1.f / 6.f, c5 = 1.f / 120.f, c7 = -1.f / 5040.f, c9 = 1.f / 362880.f,
                    c11 = -1.f / 39916800.f;
    return x * (1.f + x2 * (c3 + x2 * (c5 + x2 * (c7 + x2 * (c9 + x2 * c11)))));
}

template <typename Smoother>
void stepSamples(Smoother& s, uint32_t frames) noexcept {
    for (uint32_t i = 0; i < frames && s.smoothing(); ++i)
        s.next();
}

} // namespace

RingMod::RingMod() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    reset();
}

void RingMod::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    carrierHz_.prepare(sampleRate, kSmoothMs);
    lfoHz_.prepare(sampleRate, kSmoothMs);
    lfoDepth_.prepare(sampleRate, kSmoothMs);
    mix_.prepare(sampleRate, kSmoothMs);
    reset();
}

void RingMod::reset() noexcept {
    carrierHz_.setImmediate(values_[kCarrierHz]);
    lfoHz_.setImmediate(values_[kLfoHz]);
    lfoDepth_.setImmediate(values_[kLfoDepth]);
    mix_.setImmediate(values_[kMix]);
    lfoPhase_ = 0.0;
    phase_ = 0.0;
    increment_ = carrierIncrement();
    incrementStep_ = 0.0;
    gridPos_ = 0;
    gridLeft_ = 0;
}

void RingMod::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    switch (index) {
    case kCarrierHz:
        carrierHz_.setTarget(value);
        break;
    case kLfoHz:
        lfoHz_.setTarget(value);
        break;
    case kLfoDepth:
        lfoDepth_.setTarget(value);
        break;
    case kMix:
        mix_.setTarget(value);
        break;
    default:
        break;
    }
}

double RingMod::carrierIncrement() const noexcept {
    double hz = carrierHz_.current();
    const double depth = lfoDepth_.current();
    if (depth > 0.0) hz *= std::exp2(depth * kMaxLfoOctaves * std::sin(2.0 * std::numbers::pi * lfoPhase_));
    return std::min(hz, 0.45 * sampleRate_) / sampleRate_;
}

void RingMod::startGridStep() noexcept {
    // Where this step's ramp ended is where the next one starts: the phase advanced by the ramp's exact sum.
    phase_ += kGrid * increment_ + 0.5 * kGrid * (kGrid - 1) * incrementStep_;
    increment_ += kGrid * incrementStep_;
    phase_ -= std::floor(phase_);
    lfoPhase_ += static_cast<double>(lfoHz_.current()) * kGrid / sampleRate_;
    lfoPhase_ -= std::floor(lfoPhase_);
    incrementStep_ = (carrierIncrement() - increment_) / kGrid;
    gridPos_ = 0;
}

void RingMod::processChunk(float* left, float* right, uint32_t frames) noexcept {
    for (uint32_t i = 0; i < frames; ++i) {
        const double n = gridPos_ + i;
        const double p = phase_ + n * increment_ + 0.5 * n * (n - 1.0) * incrementStep_;
        const float carrier = sinCycles(p);
        const float mix = mix_.next();
        const float g = 1.f - mix + mix * carrier;
        left[i] *= g;
        right[i] *= g;
    }
    gridPos_ += frames;
}

void RingMod::process(StereoBlock& block, const ProcessContext& /*ctx*/) noexcept {
    uint32_t done = 0;
    while (done < block.frames) {
        if (gridLeft_ == 0) {
            // The first step after reset starts where reset left the phase.
            if (gridPos_ == kGrid) startGridStep();
            gridLeft_ = kGrid;
        }
        const uint32_t n = std::min(block.frames - done, gridLeft_);
        processChunk(block.left + done, block.right + done, n);
        stepSamples(carrierHz_, n);
        stepSamples(lfoHz_, n);
        stepSamples(lfoDepth_, n);
        done += n;
        gridLeft_ -= n;
    }
}

} // namespace stagerack::fx
