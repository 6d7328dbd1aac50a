#include "effects/modulation/Flanger.h"

#include <algorithm>
#include <cmath>

namespace stagerack::fx {

Flanger::Flanger() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
}

void Flanger::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    dryDelay_ = static_cast<uint32_t>(std::ceil(kMaxDelayMs * sampleRate / 1000.0)) + 2;
    lineL_.prepare(2 * dryDelay_ + 4);
    lineR_.prepare(2 * dryDelay_ + 4);
    dryL_.prepare(dryDelay_ + 4);
    dryR_.prepare(dryDelay_ + 4);
    lfo_.prepare(sampleRate, kGrid);
    rateHz_.prepare(sampleRate, kSmoothMs);
    delayMs_.prepare(sampleRate, kDelaySmoothMs);
    depth_.prepare(sampleRate, kDelaySmoothMs);
    feedback_.prepare(sampleRate, kSmoothMs);
    mix_.prepare(sampleRate, kSmoothMs);
    stereoPhase_.prepare(sampleRate, kDelaySmoothMs);
    throughZero_.prepare(sampleRate, kSwitchFadeMs);
    reset();
}

std::size_t Flanger::syncIndex() const noexcept {
    return static_cast<std::size_t>(std::lround(values_[kSync]));
}

uint32_t Flanger::tailSamples() const noexcept {
    const double fb = std::fabs(values_[kFeedback]);
    const double passes = fb > 0.0 ? 1.0 + std::log(1e-3) / std::log(fb) : 1.0;
    return static_cast<uint32_t>(std::ceil(2.0 * dryDelay_ * passes)) + 4;
}

void Flanger::delaysAt(double phase, float& normal, float& throughZero) const noexcept {
    const double toSamples = sampleRate_ / 1000.0;
    const double lfo = dsp::sineCycles(phase);
    const double tau = delayMs_.current() * toSamples;
    const double depth = depth_.current();
    normal = static_cast<float>(std::max<double>(tau * (1.0 + depth * lfo), dsp::ModDelay::kMinDelay));
    throughZero = static_cast<float>(dryDelay_ + tau * depth * lfo);
}

void Flanger::reset() noexcept {
    rateHz_.setImmediate(values_[kRateHz]);
    delayMs_.setImmediate(values_[kDelayMs]);
    depth_.setImmediate(values_[kDepth]);
    feedback_.setImmediate(values_[kFeedback]);
    mix_.setImmediate(values_[kMix]);
    stereoPhase_.setImmediate(values_[kStereoPhase]);
    throughZero_.setImmediate(values_[kThroughZero] > 0.5f ? 1.f : 0.f);
    lfo_.reset(rateHz_.current(), syncIndex());
    lineL_.clear();
    lineR_.clear();
    dryL_.clear();
    dryR_.clear();
    float n = 0.f, z = 0.f;
    delaysAt(0.0, n, z);
    normalL_.snap(n);
    zeroL_.snap(z);
    delaysAt(-stereoPhase_.current() / 360.0, n, z);
    normalR_.snap(n);
    zeroR_.snap(z);
    feedbackRamp_.snap(feedback_.current());
    mixRamp_.snap(mix_.current());
    tzRamp_.snap(throughZero_.current());
    fading_ = false;
    wetL_ = wetR_ = 0.f;
    gridLeft_ = 0;
}

void Flanger::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    switch (index) {
    case kDelayMs:
        delayMs_.setTarget(value);
        break;
    case kDepth:
        depth_.setTarget(value);
        break;
    case kRateHz:
        rateHz_.setTarget(value);
        break;
    case kFeedback:
        feedback_.setTarget(value);
        break;
    case kThroughZero:
        throughZero_.setTarget(value > 0.5f ? 1.f : 0.f);
        break;
    case kMix:
        mix_.setTarget(value);
        break;
    case kStereoPhase:
        stereoPhase_.setTarget(value);
        break;
    default:
        break;
    }
}

void Flanger::startGrid(uint32_t frameInBlock) noexcept {
    dsp::advanceSmoother(rateHz_, kGrid);
    dsp::advanceSmoother(delayMs_, kGrid);
    dsp::advanceSmoother(depth_, kGrid);
    dsp::advanceSmoother(feedback_, kGrid);
    dsp::advanceSmoother(mix_, kGrid);
    dsp::advanceSmoother(stereoPhase_, kGrid);
    // The ramp restarts from the smoother's exact value, so a finished fade lands exactly on 0 or 1.
    const float tzBefore = throughZero_.current();
    tzRamp_.snap(tzBefore);
    dsp::advanceSmoother(throughZero_, kGrid);
    lfo_.step(rateHz_.current(), frameInBlock);
    float n = 0.f, z = 0.f;
    delaysAt(lfo_.phase(), n, z);
    normalL_.retarget(n, kGrid);
    zeroL_.retarget(z, kGrid);
    delaysAt(lfo_.phase() - stereoPhase_.current() / 360.0, n, z);
    normalR_.retarget(n, kGrid);
    zeroR_.retarget(z, kGrid);
    feedbackRamp_.retarget(feedback_.current(), kGrid);
    mixRamp_.retarget(mix_.current(), kGrid);
    tzRamp_.retarget(throughZero_.current(), kGrid);
    fading_ = tzBefore != throughZero_.current() || (tzBefore != 0.f && tzBefore != 1.f);
    if (!std::isfinite(wetL_) || !std::isfinite(wetR_)) {
        lineL_.clear();
        lineR_.clear();
        wetL_ = wetR_ = 0.f;
    }
}

namespace {

inline float readLine(const dsp::ModDelay& line, float delay) noexcept {
    const auto whole = static_cast<uint32_t>(delay);
    return dsp::ModDelay::sum(line.taps(whole) * dsp::ModDelay::weights(delay - static_cast<float>(whole)));
}

} // namespace

void Flanger::processChunk(float* left, float* right, uint32_t frames) noexcept {
    const bool zero = tzRamp_.value >= 1.f && !fading_;
    for (uint32_t i = 0; i < frames; ++i) {
        const float dnL = normalL_.next(), dnR = normalR_.next();
        const float dzL = zeroL_.next(), dzR = zeroR_.next();
        const float feedback = feedbackRamp_.next();
        const float mix = mixRamp_.next();
        const float tz = tzRamp_.next();
        const float inL = left[i];
        const float inR = right[i];
        float wetL, wetR, dryL, dryR;
        if (fading_) {
            wetL = (1.f - tz) * readLine(lineL_, dnL) + tz * readLine(lineL_, dzL);
            wetR = (1.f - tz) * readLine(lineR_, dnR) + tz * readLine(lineR_, dzR);
            dryL = (1.f - tz) * inL + tz * dryL_.at(dryDelay_);
            dryR = (1.f - tz) * inR + tz * dryR_.at(dryDelay_);
        } else if (zero) {
            wetL = readLine(lineL_, dzL);
            wetR = readLine(lineR_, dzR);
            dryL = dryL_.at(dryDelay_);
            dryR = dryR_.at(dryDelay_);
        } else {
            wetL = readLine(lineL_, dnL);
            wetR = readLine(lineR_, dnR);
            dryL = inL;
            dryR = inR;
        }
        lineL_.push(inL + feedback * wetL);
        lineR_.push(inR + feedback * wetR);
        dryL_.push(inL);
        dryR_.push(inR);
        left[i] = dryL + mix * (wetL - dryL);
        right[i] = dryR + mix * (wetR - dryR);
        wetL_ = wetL;
        wetR_ = wetR;
    }
}

void Flanger::process(StereoBlock& block, const ProcessContext& ctx) noexcept {
    lfo_.beginBlock(syncIndex(), ctx.tempoBpm, ctx.beat, block.frames);
    uint32_t done = 0;
    while (done < block.frames) {
        if (gridLeft_ == 0) {
            startGrid(done);
            gridLeft_ = kGrid;
        }
        const uint32_t n = std::min(block.frames - done, gridLeft_);
        processChunk(block.left + done, block.right + done, n);
        done += n;
        gridLeft_ -= n;
    }
}

} // namespace stagerack::fx
