#include "effects/modulation/Vibrato.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace stagerack::fx {

Vibrato::Vibrato() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    rateHz_.setImmediate(values_[kRateHz]);
    depthCents_.setImmediate(values_[kDepthCents]);
}

void Vibrato::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    base_ = static_cast<uint32_t>(std::lround(kBaseMs * sampleRate / 1000.0));
    swingLimit_ = static_cast<uint32_t>(std::floor((kBaseMs - kSwingMarginMs) * sampleRate / 1000.0));
    lineL_.prepare(base_ + swingLimit_ + 4);
    lineR_.prepare(base_ + swingLimit_ + 4);
    lfo_.prepare(sampleRate, kGrid);
    rateHz_.prepare(sampleRate, kSmoothMs);
    depthCents_.prepare(sampleRate, kSmoothMs);
    reset();
}

std::size_t Vibrato::syncIndex() const noexcept {
    return static_cast<std::size_t>(std::lround(values_[kSync]));
}

double Vibrato::swingSamples(double cents, double rateHz) const noexcept {
    const double a = (std::exp2(cents / 1200.0) - 1.0) * sampleRate_ / (2.0 * std::numbers::pi * rateHz);
    return std::min(a, static_cast<double>(swingLimit_));
}

void Vibrato::reset() noexcept {
    rateHz_.setImmediate(values_[kRateHz]);
    depthCents_.setImmediate(values_[kDepthCents]);
    lfo_.reset(rateHz_.current(), syncIndex());
    lineL_.clear();
    lineR_.clear();
    delay_.snap(static_cast<float>(base_));
    gridLeft_ = 0;
}

void Vibrato::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    if (index == kRateHz) rateHz_.setTarget(value);
    if (index == kDepthCents) depthCents_.setTarget(value);
}

void Vibrato::startGrid(uint32_t frameInBlock) noexcept {
    dsp::advanceSmoother(rateHz_, kGrid);
    dsp::advanceSmoother(depthCents_, kGrid);
    lfo_.step(rateHz_.current(), frameInBlock);
    const double swing = swingSamples(depthCents_.current(), lfo_.rateHz());
    delay_.retarget(static_cast<float>(base_ + swing * dsp::sineCycles(lfo_.phase())), kGrid);
}

void Vibrato::process(StereoBlock& block, const ProcessContext& ctx) noexcept {
    lfo_.beginBlock(syncIndex(), ctx.tempoBpm, ctx.beat, block.frames);
    uint32_t done = 0;
    while (done < block.frames) {
        if (gridLeft_ == 0) {
            startGrid(done);
            gridLeft_ = kGrid;
        }
        const uint32_t n = std::min(block.frames - done, gridLeft_);
        float* const left = block.left + done;
        float* const right = block.right + done;
        for (uint32_t i = 0; i < n; ++i) {
            const float d = delay_.next();
            const auto whole = static_cast<uint32_t>(d);
            const dsp::ModDelay::V4 w = dsp::ModDelay::weights(d - static_cast<float>(whole));
            const float inL = left[i];
            const float inR = right[i];
            left[i] = dsp::ModDelay::sum(lineL_.taps(whole) * w);
            right[i] = dsp::ModDelay::sum(lineR_.taps(whole) * w);
            lineL_.push(inL);
            lineR_.push(inR);
        }
        done += n;
        gridLeft_ -= n;
    }
}

} // namespace stagerack::fx
