#include "effects/dynamics/Limiter.h"

#include <algorithm>
#include <cmath>

namespace stagerack::fx {

namespace {

// Fixed-point unity of the held gains: 2^30 leaves room for a 2^9-sample window in 39 bits.
constexpr uint32_t kOne = 1u << 30;
constexpr double kOneD = kOne;
// The released gain snaps onto the held one when this close, so that an idle limiter is bit-transparent.
constexpr double kReleaseSnap = 1e-7;

double onePoleCoef(double ms, double sampleRate) noexcept {
    return -std::expm1(-1000.0 / (ms * sampleRate));
}

} // namespace

Limiter::Limiter() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    reset();
}

void Limiter::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    maxLookahead_ =
        static_cast<uint32_t>(std::ceil(static_cast<double>(kMaxLookaheadMs) * sampleRate / 1000.0));
    // The rings hold the window (lookahead + 1 samples) plus the sample leaving it.
    uint32_t size = 1;
    while (size < maxLookahead_ + 2)
        size <<= 1;
    mask_ = size - 1;
    delayL_.assign(size, 0.f);
    delayR_.assign(size, 0.f);
    held_.assign(size, kOne);
    minValue_.assign(size, 1.f);
    minTime_.assign(size, 0);
    fadeLength_ =
        std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(kLookaheadFadeMs * 0.001 * sampleRate)));
    ceilingDb_.prepare(sampleRate, kParams[kCeilingDb].smoothMs);
    releaseMs_.prepare(sampleRate, kParams[kReleaseMs].smoothMs);
    driveDb_.prepare(sampleRate, kParams[kDriveDb].smoothMs);
    reset();
}

uint32_t Limiter::latencySamples() const noexcept {
    // ms * rate / 1000: exact whenever the lookahead is a whole number of samples.
    const double samples = static_cast<double>(values_[kLookaheadMs]) * sampleRate_ / 1000.0;
    return std::min(static_cast<uint32_t>(std::lround(samples)), maxLookahead_);
}

void Limiter::clearState() noexcept {
    std::fill(delayL_.begin(), delayL_.end(), 0.f);
    std::fill(delayR_.begin(), delayR_.end(), 0.f);
    std::fill(held_.begin(), held_.end(), kOne);
    now_ = 0;
    front_ = back_ = 0;
    released_ = 1.0;
    lookahead_ = oldLookahead_ = latencySamples();
    heldSum_ = static_cast<uint64_t>(lookahead_ + 1) * kOne;
    averageScale_ = 1.0 / (static_cast<double>(kOne) * (lookahead_ + 1));
    fadeLeft_ = 0;
}

void Limiter::reset() noexcept {
    ceilingDb_.setImmediate(values_[kCeilingDb]);
    releaseMs_.setImmediate(values_[kReleaseMs]);
    driveDb_.setImmediate(values_[kDriveDb]);
    clearState();
    updateCoefficients();
    ceiling_.settle();
    drive_.settle();
    gridLeft_ = 0;
}

void Limiter::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    switch (index) {
    case kCeilingDb:
        ceilingDb_.setTarget(value);
        break;
    case kReleaseMs:
        releaseMs_.setTarget(value);
        break;
    case kDriveDb:
        driveDb_.setTarget(value);
        break;
    default:
        break; // lookahead: picked up on the next grid point, which starts a tap crossfade
    }
}

void Limiter::startLookahead(uint32_t samples) noexcept {
    oldLookahead_ = lookahead_;
    lookahead_ = samples;
    fadeLeft_ = fadeLength_;
    // The average now spans a different window: sum it afresh from the ring (once per change).
    heldSum_ = 0;
    for (uint32_t k = 1; k <= lookahead_ + 1; ++k)
        heldSum_ += held_[(now_ - k) & mask_];
    averageScale_ = 1.0 / (static_cast<double>(kOne) * (lookahead_ + 1));
}

void Limiter::updateCoefficients() noexcept {
    ceiling_.retarget(dsp::dbToGain(ceilingDb_.current()));
    drive_.retarget(dsp::dbToGain(driveDb_.current()));
    releaseCoef_ = onePoleCoef(releaseMs_.current(), sampleRate_);
    if (fadeLeft_ == 0 && !delayL_.empty()) {
        const uint32_t target = latencySamples();
        if (target != lookahead_) startLookahead(target);
    }
}

void Limiter::process(StereoBlock& block, const ProcessContext& /*ctx*/) noexcept {
    if (delayL_.empty()) return; // not prepared: pass through
    uint32_t done = 0;
    while (done < block.frames) {
        if (gridLeft_ == 0) {
            updateCoefficients();
            // Only grid points read the smoothers: move them a whole period at once, the same arithmetic
            // whatever the block size.
            ceilingDb_.skip(kGrid);
            driveDb_.skip(kGrid);
            for (uint32_t i = 0; i < kGrid && releaseMs_.smoothing(); ++i)
                releaseMs_.next();
            gridLeft_ = kGrid;
        }
        const uint32_t n = std::min(block.frames - done, gridLeft_);
        if (fadeLeft_ > 0)
            processChunk<true>(block.left + done, block.right + done, n);
        else
            processChunk<false>(block.left + done, block.right + done, n);
        done += n;
        gridLeft_ -= n;
    }
}

template <bool kFading>
void Limiter::processChunk(float* left, float* right, uint32_t frames) noexcept {
    float* const delayL = delayL_.data();
    float* const delayR = delayR_.data();
    uint32_t* const held = held_.data();
    float* const minValue = minValue_.data();
    uint32_t* const minTime = minTime_.data();
    const uint32_t mask = mask_;
    const uint32_t lookahead = lookahead_;
    const double releaseCoef = releaseCoef_;
    const double averageScale = averageScale_;
    uint32_t now = now_;
    uint32_t front = front_;
    uint32_t back = back_;
    uint64_t heldSum = heldSum_;
    double released = released_;

    for (uint32_t i = 0; i < frames; ++i, ++now) {
        const float ceiling = ceiling_.next();
        const float drive = drive_.next();
        const float l = left[i] * drive;
        const float r = right[i] * drive;
        // The gain that brings this sample to the ceiling (exactly 1 below it; 0 for an infinite one; a NaN
        // compares false and asks for no reduction).
        const float level = std::max(std::fabs(l), std::fabs(r));
        const float wanted = ceiling / std::max(ceiling, level);

        // Sliding minimum over the last lookahead + 1 wanted gains: a value that a newer, smaller one
        // follows can never be the minimum again.
        while (back != front && minValue[(back - 1) & mask] >= wanted)
            --back;
        minValue[back & mask] = wanted;
        minTime[back & mask] = now;
        ++back;
        while (now - minTime[front & mask] > lookahead)
            ++front;
        const float hold = minValue[front & mask];

        // Down at once, back up with the release time constant: never above the held minimum.
        released = hold <= released ? hold : released + releaseCoef * (hold - released);
        if (hold - released < kReleaseSnap) released = hold;

        // Moving average over the same window: a ramp that starts lookahead samples before the peak.
        const auto q = static_cast<uint32_t>(released * kOneD); // truncation: never above `released`
        heldSum += q;
        heldSum -= held[(now - lookahead - 1) & mask];
        held[now & mask] = q;
        const auto gain = static_cast<float>(static_cast<double>(heldSum) * averageScale);

        delayL[now & mask] = l;
        delayR[now & mask] = r;
        float outL = delayL[(now - lookahead) & mask];
        float outR = delayR[(now - lookahead) & mask];
        if constexpr (kFading) {
            if (fadeLeft_ > 0) {
                --fadeLeft_;
                const float x = static_cast<float>(fadeLeft_) / static_cast<float>(fadeLength_);
                outL = x * delayL[(now - oldLookahead_) & mask] + (1.f - x) * outL;
                outR = x * delayR[(now - oldLookahead_) & mask] + (1.f - x) * outR;
            }
            // The gain was timed for the new tap only; the clip keeps the ceiling during the fade.
            left[i] = std::clamp(outL * gain, -ceiling, ceiling);
            right[i] = std::clamp(outR * gain, -ceiling, ceiling);
        } else {
            left[i] = outL * gain;
            right[i] = outR * gain;
        }
    }
    now_ = now;
    front_ = front;
    back_ = back;
    heldSum_ = heldSum;
    released_ = released;
}

} // namespace stagerack::fx
