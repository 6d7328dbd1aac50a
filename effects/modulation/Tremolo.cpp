#include "effects/modulation/Tremolo.h"

#include <algorithm>
#include <cmath>

namespace stagerack::fx {

Tremolo::Tremolo() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    prepare(sampleRate_, 0);
}

void Tremolo::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    lfo_.prepare(sampleRate, kGrid);
    rateHz_.prepare(sampleRate, kSmoothMs);
    depth_.prepare(sampleRate, kSmoothMs);
    for (auto& w : shapeWeight_)
        w.prepare(sampleRate, kSwitchFadeMs);
    pan_.prepare(sampleRate, kSwitchFadeMs);
    reset();
}

std::size_t Tremolo::syncIndex() const noexcept {
    return static_cast<std::size_t>(std::lround(values_[kSync]));
}

void Tremolo::reset() noexcept {
    rateHz_.setImmediate(values_[kRateHz]);
    depth_.setImmediate(values_[kDepth]);
    const int shape = static_cast<int>(std::lround(values_[kShape]));
    for (int s = 0; s < kShapeCount; ++s)
        shapeWeight_[static_cast<std::size_t>(s)].setImmediate(s == shape ? 1.f : 0.f);
    pan_.setImmediate(std::lround(values_[kMode]) == kPan ? 1.f : 0.f);
    lfo_.reset(rateHz_.current(), syncIndex());
    float l = 1.f, r = 1.f;
    gainsAt(0.0, l, r);
    gainL_.snap(l);
    gainR_.snap(r);
    gridLeft_ = 0;
}

void Tremolo::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    switch (index) {
    case kShape: {
        const int shape = static_cast<int>(std::lround(value));
        for (int s = 0; s < kShapeCount; ++s)
            shapeWeight_[static_cast<std::size_t>(s)].setTarget(s == shape ? 1.f : 0.f);
        break;
    }
    case kRateHz:
        rateHz_.setTarget(value);
        break;
    case kDepth:
        depth_.setTarget(value);
        break;
    case kMode:
        pan_.setTarget(std::lround(value) == kPan ? 1.f : 0.f);
        break;
    default:
        break; // sync is read per block
    }
}

void Tremolo::gainsAt(double phase, float& left, float& right) const noexcept {
    const double edge = kSquareEdgeMs * 0.001 * lfo_.rateHz();
    float lfo = 0.f;
    const dsp::LfoShape shapes[kShapeCount] = {dsp::LfoShape::Sine, dsp::LfoShape::Triangle,
                                               dsp::LfoShape::Square};
    for (int s = 0; s < kShapeCount; ++s) {
        const float w = shapeWeight_[static_cast<std::size_t>(s)].current();
        if (w != 0.f) lfo += w * dsp::lfoShape(shapes[s], phase, edge);
    }
    const float depth = depth_.current();
    const float lfoR = lfo * (1.f - 2.f * pan_.current());
    left = 1.f - depth * 0.5f * (1.f - lfo);
    right = 1.f - depth * 0.5f * (1.f - lfoR);
}

void Tremolo::startGrid(uint32_t frameInBlock) noexcept {
    dsp::advanceSmoother(rateHz_, kGrid);
    dsp::advanceSmoother(depth_, kGrid);
    for (auto& w : shapeWeight_)
        dsp::advanceSmoother(w, kGrid);
    dsp::advanceSmoother(pan_, kGrid);
    lfo_.step(rateHz_.current(), frameInBlock);
    float l = 1.f, r = 1.f;
    gainsAt(lfo_.phase(), l, r);
    gainL_.retarget(l, kGrid);
    gainR_.retarget(r, kGrid);
}

void Tremolo::process(StereoBlock& block, const ProcessContext& ctx) noexcept {
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
            left[i] *= gainL_.next();
            right[i] *= gainR_.next();
        }
        done += n;
        gridLeft_ -= n;
    }
}

} // namespace stagerack::fx
