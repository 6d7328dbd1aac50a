#include "effects/stereo/Widener.h"

#include <algorithm>
#include <cmath>

namespace stagerack::fx {

namespace {

float crossoverHz(float value) noexcept {
    return std::max(value, Widener::kBassMonoMinHz);
}

} // namespace

Widener::Widener() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    reset();
}

void Widener::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    width_.prepare(sampleRate, kSmoothMs);
    level_.prepare(sampleRate, kSmoothMs);
    bassHz_.prepare(sampleRate, kSmoothMs);
    bassOn_.prepare(sampleRate, kSwitchFadeMs);
    reset();
}

void Widener::reset() noexcept {
    width_.setImmediate(values_[kWidth]);
    level_.setImmediate(dsp::dbToGain(values_[kLevelDb]));
    bassHz_.setImmediate(crossoverHz(values_[kBassMonoHz]));
    bassOn_.setImmediate(values_[kBassMonoHz] >= kBassMonoMinHz ? 1.f : 0.f);
    hpState_ = {};
    designCrossover();
    gridLeft_ = 0;
}

void Widener::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    switch (index) {
    case kWidth:
        width_.setTarget(value);
        break;
    case kBassMonoHz:
        // From fully off the filter starts from rest: its stale state would otherwise fade in with it.
        if (bassOn_.current() == 0.f && !bassOn_.smoothing() && value >= kBassMonoMinHz) {
            hpState_ = {};
            bassHz_.setImmediate(value);
            designCrossover();
        } else {
            bassHz_.setTarget(crossoverHz(value));
        }
        bassOn_.setTarget(value >= kBassMonoMinHz ? 1.f : 0.f);
        break;
    case kLevelDb:
        level_.setTarget(dsp::dbToGain(value));
        break;
    default:
        break;
    }
}

void Widener::designCrossover() noexcept {
    const double f = bassHz_.current();
    hp_[0] = dsp::SvfCoeffs::from(
        dsp::SvfDesign::design(dsp::FilterKind::HighPass, sampleRate_, f, dsp::kButterworth4QLow));
    hp_[1] = dsp::SvfCoeffs::from(
        dsp::SvfDesign::design(dsp::FilterKind::HighPass, sampleRate_, f, dsp::kButterworth4QHigh));
}

void Widener::process(StereoBlock& block, const ProcessContext& /*ctx*/) noexcept {
    uint32_t done = 0;
    while (done < block.frames) {
        if (gridLeft_ == 0) {
            if (bassHz_.smoothing()) designCrossover();
            for (auto& s : hpState_) {
                s.ic1 = dsp::sanitizeState(s.ic1);
                s.ic2 = dsp::sanitizeState(s.ic2);
            }
            gridLeft_ = kGrid;
        }
        const uint32_t n = std::min(block.frames - done, gridLeft_);
        processChunk(block.left + done, block.right + done, n);
        done += n;
        gridLeft_ -= n;
    }
}

// Written as a 2x2 matrix plus the removed side bass: L' = a L + b R - c D, R' = b L + a R + c D with
// a = g (1 + w) / 2, b = g (1 - w) / 2, D = S - highpass(S), c = g w on. At w = 1 (g = 1, off) this is
// 1 * L + 0 * R exactly, and at w = 0 both outputs are the same expression: the two exactness promises.
void Widener::processChunk(float* left, float* right, uint32_t frames) noexcept {
    const bool filterActive = bassOn_.current() > 0.f || bassOn_.smoothing();
    if (!smoothing() && !filterActive) {
        const float g = level_.current();
        const float w = width_.current();
        const float a = g * (1.f + w) * 0.5f;
        const float b = g * (1.f - w) * 0.5f;
        for (uint32_t i = 0; i < frames; ++i) {
            const float l = left[i];
            const float r = right[i];
            left[i] = a * l + b * r;
            right[i] = b * l + a * r;
        }
        return;
    }
    for (uint32_t i = 0; i < frames; ++i) {
        const float g = level_.next();
        const float w = width_.next();
        const float on = bassOn_.next();
        bassHz_.next(); // the crossover follows it on the grid
        const float l = left[i];
        const float r = right[i];
        const float s = 0.5f * (l - r);
        const float hs = dsp::svfTick(hpState_[1], dsp::svfTick(hpState_[0], s, hp_[0]), hp_[1]);
        const float d = s - hs;
        const float a = g * (1.f + w) * 0.5f;
        const float b = g * (1.f - w) * 0.5f;
        const float c = g * w * on;
        left[i] = a * l + b * r - c * d;
        right[i] = b * l + a * r + c * d;
    }
}

} // namespace stagerack::fx
