#include "effects/utility/Utility.h"

#include <algorithm>
#include <cmath>

namespace stagerack::fx {

namespace {

// Balance law: the side being panned towards stays at unity, the other side fades out.
inline float leftBalance(float pan) noexcept {
    return std::min(1.f, 1.f - pan);
}
inline float rightBalance(float pan) noexcept {
    return std::min(1.f, 1.f + pan);
}

} // namespace

Utility::Utility() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    reset();
}

void Utility::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    level_.prepare(sampleRate, kParams[kLevelDb].smoothMs);
    pan_.prepare(sampleRate, kParams[kPan].smoothMs);
    polarity_.prepare(sampleRate, kSwitchFadeMs);
    mono_.prepare(sampleRate, kSwitchFadeMs);
    reset();
}

void Utility::reset() noexcept {
    level_.setImmediate(dsp::dbToGain(values_[kLevelDb]));
    pan_.setImmediate(values_[kPan]);
    polarity_.setImmediate(values_[kInvert] > 0.5f ? -1.f : 1.f);
    mono_.setImmediate(values_[kMono] > 0.5f ? 1.f : 0.f);
}

void Utility::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    switch (index) {
    case kLevelDb:
        level_.setTarget(dsp::dbToGain(value));
        break;
    case kPan:
        pan_.setTarget(value);
        break;
    case kInvert:
        polarity_.setTarget(value > 0.5f ? -1.f : 1.f);
        break;
    case kMono:
        mono_.setTarget(value > 0.5f ? 1.f : 0.f);
        break;
    default:
        break;
    }
}

void Utility::process(StereoBlock& block, const ProcessContext& /*ctx*/) noexcept {
    float* left = block.left;
    float* right = block.right;
    uint32_t frames = block.frames;
    if (smoothing()) {
        // Per sample while any ramp runs; the steady path below gives bit-identical results once they end,
        // so where a block boundary falls never changes the output.
        uint32_t done = 0;
        while (done < frames && smoothing()) {
            const uint32_t n = std::min<uint32_t>(frames - done, 32);
            processSmoothing(left + done, right + done, n);
            done += n;
        }
        left += done;
        right += done;
        frames -= done;
    }
    if (frames > 0) processSteady(left, right, frames);
}

void Utility::processSmoothing(float* left, float* right, uint32_t frames) noexcept {
    for (uint32_t i = 0; i < frames; ++i) {
        const float gain = level_.next() * polarity_.next();
        const float pan = pan_.next();
        const float mono = mono_.next();
        const float mid = 0.5f * (left[i] + right[i]);
        // (1-m)*x + m*mid rather than x + m*(mid-x): exact at both ends of the fade.
        const float l = (1.f - mono) * left[i] + mono * mid;
        const float r = (1.f - mono) * right[i] + mono * mid;
        left[i] = l * (gain * leftBalance(pan));
        right[i] = r * (gain * rightBalance(pan));
    }
}

void Utility::processSteady(float* left, float* right, uint32_t frames) noexcept {
    const float gain = level_.current() * polarity_.current();
    const float gainL = gain * leftBalance(pan_.current());
    const float gainR = gain * rightBalance(pan_.current());
    if (mono_.current() == 0.f) {
        for (uint32_t i = 0; i < frames; ++i) {
            left[i] *= gainL;
            right[i] *= gainR;
        }
    } else {
        for (uint32_t i = 0; i < frames; ++i) {
            const float mid = 0.5f * (left[i] + right[i]);
            left[i] = mid * gainL;
            right[i] = mid * gainR;
        }
    }
}

} // namespace stagerack::fx
