#include "effects/dynamics/Gate.h"

#include <algorithm>
#include <cmath>

namespace stagerack::fx {

namespace {

// Below this the detector is treated as silent; keeps its exponential decay out of denormals.
constexpr float kEnvelopeFloor = 1e-20f;
// Relative distance at which the gain snaps onto its target, so an open gate is bit-transparent.
constexpr double kGainSnap = 1e-7;

// Per-sample coefficient of a one-pole that covers 1 - 1/e of the way in `ms`.
double onePoleCoef(double ms, double sampleRate) noexcept {
    return 1.0 - std::exp(-1000.0 / (ms * sampleRate));
}

} // namespace

Gate::Gate() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    reset();
}

void Gate::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    thresholdDb_.prepare(sampleRate, kParams[kThresholdDb].smoothMs);
    attackMs_.prepare(sampleRate, kParams[kAttackMs].smoothMs);
    holdMs_.prepare(sampleRate, kParams[kHoldMs].smoothMs);
    releaseMs_.prepare(sampleRate, kParams[kReleaseMs].smoothMs);
    hysteresisDb_.prepare(sampleRate, kParams[kHysteresisDb].smoothMs);
    rangeDb_.prepare(sampleRate, kParams[kRangeDb].smoothMs);
    detectorDecay_ = static_cast<float>(std::exp(-1000.0 / (kDetectorDecayMs * sampleRate)));
    reset();
}

void Gate::reset() noexcept {
    thresholdDb_.setImmediate(values_[kThresholdDb]);
    attackMs_.setImmediate(values_[kAttackMs]);
    holdMs_.setImmediate(values_[kHoldMs]);
    releaseMs_.setImmediate(values_[kReleaseMs]);
    hysteresisDb_.setImmediate(values_[kHysteresisDb]);
    rangeDb_.setImmediate(values_[kRangeDb]);
    updateCoefficients();
    // Start closed: silence before the first note is what a gate is for.
    envelope_ = 0.f;
    gain_ = closedGain_;
    holdLeft_ = 0;
    open_ = false;
    gridLeft_ = 0;
}

void Gate::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    switch (index) {
    case kThresholdDb:
        thresholdDb_.setTarget(value);
        break;
    case kAttackMs:
        attackMs_.setTarget(value);
        break;
    case kHoldMs:
        holdMs_.setTarget(value);
        break;
    case kReleaseMs:
        releaseMs_.setTarget(value);
        break;
    case kHysteresisDb:
        hysteresisDb_.setTarget(value);
        break;
    case kRangeDb:
        rangeDb_.setTarget(value);
        break;
    default:
        break;
    }
}

void Gate::updateCoefficients() noexcept {
    const float threshold = thresholdDb_.current();
    openLevel_ = dsp::dbToGain(threshold);
    closeLevel_ = dsp::dbToGain(threshold - hysteresisDb_.current());
    closedGain_ = std::pow(10.0, 0.05 * static_cast<double>(rangeDb_.current()));
    attackCoef_ = onePoleCoef(attackMs_.current(), sampleRate_);
    releaseCoef_ = onePoleCoef(releaseMs_.current(), sampleRate_);
    holdSamples_ = static_cast<uint32_t>(std::lround(holdMs_.current() * 0.001 * sampleRate_));
    holdLeft_ = std::min(holdLeft_, holdSamples_);       // turning hold down also shortens a hold in progress
    if (!(envelope_ >= kEnvelopeFloor)) envelope_ = 0.f; // also clears NaN
    if (!std::isfinite(gain_)) gain_ = closedGain_;
}

void Gate::advanceSmoothers(uint32_t frames) noexcept {
    // Only grid points read these, so advancing them per chunk equals advancing them per sample.
    thresholdDb_.skip(frames);
    holdMs_.skip(frames);
    hysteresisDb_.skip(frames);
    rangeDb_.skip(frames);
    for (uint32_t i = 0; i < frames && (attackMs_.smoothing() || releaseMs_.smoothing()); ++i) {
        attackMs_.next();
        releaseMs_.next();
    }
}

void Gate::process(StereoBlock& block, const ProcessContext& /*ctx*/) noexcept {
    uint32_t done = 0;
    while (done < block.frames) {
        if (gridLeft_ == 0) {
            updateCoefficients();
            gridLeft_ = kGrid;
        }
        const uint32_t n = std::min(block.frames - done, gridLeft_);
        processChunk(block.left + done, block.right + done, n);
        advanceSmoothers(n);
        done += n;
        gridLeft_ -= n;
    }
}

void Gate::processChunk(float* left, float* right, uint32_t frames) noexcept {
    for (uint32_t i = 0; i < frames; ++i) {
        const float level = std::max(std::fabs(left[i]), std::fabs(right[i]));
        envelope_ = level > envelope_ ? level : envelope_ * detectorDecay_;

        if (envelope_ >= openLevel_) {
            open_ = true;
            holdLeft_ = holdSamples_;
        } else if (envelope_ >= closeLevel_) {
            if (open_) holdLeft_ = holdSamples_; // inside the hysteresis band: an open gate stays open
        } else if (open_) {
            if (holdLeft_ > 0)
                --holdLeft_;
            else
                open_ = false;
        }

        const double target = open_ ? 1.0 : closedGain_;
        gain_ += (target - gain_) * (open_ ? attackCoef_ : releaseCoef_);
        if (std::fabs(target - gain_) <= kGainSnap * target) gain_ = target;

        const auto g = static_cast<float>(gain_);
        left[i] *= g;
        right[i] *= g;
    }
}

} // namespace stagerack::fx
