#include "effects/delay/ReverseDelay.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace stagerack::fx {

namespace {

using echo::V2;

constexpr double kTailFloor = 1e-4;

inline float limitOne(float x) noexcept {
    const float a = std::fabs(x);
    if (a <= ReverseDelay::kFeedbackKnee) return x;
    // t / (1 + t) leaves the knee with slope 1 and approaches the limit asymptotically.
    constexpr float span = ReverseDelay::kFeedbackLimit - ReverseDelay::kFeedbackKnee;
    const float t = (a - ReverseDelay::kFeedbackKnee) / span;
    return std::copysign(ReverseDelay::kFeedbackKnee + span * t / (1.f + t), x);
}

inline V2 limitFeedback(V2 x) noexcept {
    return V2{limitOne(x[0]), limitOne(x[1])};
}

} // namespace

ReverseDelay::ReverseDelay() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    reset();
}

void ReverseDelay::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    maxFade_ = std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(kFadeMs * 0.001 * sampleRate)));
    // A head reads 2 k + 1 samples back at k samples into its chunk, and runs on for the fade after it.
    const double longest = static_cast<double>(kMaxTimeMs) * sampleRate / 1000.0 + 1.0;
    line_.prepare(2.0 * (longest + maxFade_) + 4.0);
    feedback_.prepare(sampleRate, kParams[kFeedback].smoothMs);
    mix_.prepare(sampleRate, kParams[kMix].smoothMs);
    reset();
}

void ReverseDelay::clearState() noexcept {
    line_.clear();
}

void ReverseDelay::reset() noexcept {
    clearState();
    feedback_.setImmediate(values_[kFeedback]);
    mix_.setImmediate(values_[kMix]);
    // The first chunk starts with the first sample processed (when the tempo is known).
    started_ = false;
    pos_ = oldPos_ = 0;
    length_ = fade_ = fadeDone_ = 1;
}

void ReverseDelay::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    if (index == kFeedback) feedback_.setTarget(value);
    if (index == kMix) mix_.setTarget(value);
    // time and sync are read when the next chunk starts
}

uint32_t ReverseDelay::chunkSamples() const noexcept {
    const auto sync = static_cast<std::size_t>(std::lround(values_[kSync]));
    const double samples = sync > 0 ? dsp::syncSeconds(sync, tempoBpm_) * sampleRate_
                                    : static_cast<double>(values_[kTimeMs]) * sampleRate_ / 1000.0;
    const double lo = static_cast<double>(kMinTimeMs) * sampleRate_ / 1000.0;
    const double hi = static_cast<double>(kMaxTimeMs) * sampleRate_ / 1000.0;
    return static_cast<uint32_t>(std::lround(std::clamp(samples, lo, hi)));
}

uint32_t ReverseDelay::tailSamples() const noexcept {
    const double maxTail = kMaxTailSeconds * sampleRate_;
    const double feedback = values_[kFeedback];
    if (feedback >= 1.0) return static_cast<uint32_t>(maxTail);
    double repeats = 1.0;
    if (feedback > 0.0) repeats += std::ceil(std::log(kTailFloor) / std::log(feedback));
    // Each pass comes back at most two chunks (plus a fade) later.
    const double pass = 2.0 * (std::max(length_, chunkSamples()) + maxFade_);
    return static_cast<uint32_t>(std::min(pass * repeats, maxTail));
}

void ReverseDelay::startChunk() noexcept {
    const uint32_t next = chunkSamples();
    if (!started_) {
        // Nothing was recorded before the first chunk: no crossfade needed.
        started_ = true;
        pos_ = 0;
        length_ = next;
        fade_ = fadeDone_ = 1;
        return;
    }
    // The head that played the last chunk runs on into the samples before it while the new one fades in.
    oldPos_ = pos_;
    fade_ = std::max<uint32_t>(1, std::min({maxFade_, length_ / 4, next / 4}));
    fadeDone_ = 0;
    const double step = 0.5 * std::numbers::pi / static_cast<double>(fade_);
    // Weights at the middle of each sample: sin^2(step (j + 1/2)), so the fade is symmetric.
    fadeSin_ = std::sin(0.5 * step);
    fadeCos_ = std::cos(0.5 * step);
    rotSin_ = std::sin(step);
    rotCos_ = std::cos(step);
    pos_ = 0;
    length_ = next;
}

void ReverseDelay::process(StereoBlock& block, const ProcessContext& ctx) noexcept {
    if (line_.empty()) return; // not prepared: pass the dry signal through
    if (std::isfinite(ctx.tempoBpm) && ctx.tempoBpm > 0.0) tempoBpm_ = ctx.tempoBpm;
    if (!started_) startChunk();
    float* const left = block.left;
    float* const right = block.right;
    for (uint32_t i = 0; i < block.frames; ++i) {
        // At k samples into its chunk a head plays the sample recorded k + 1 samples before the chunk began.
        V2 wet = line_.at(2 * pos_ + 1);
        ++pos_;
        if (fadeDone_ < fade_) {
            const V2 old = line_.at(2 * oldPos_ + 1);
            ++oldPos_;
            const auto w = static_cast<float>(fadeSin_ * fadeSin_);
            wet = old + w * (wet - old);
            const double s = fadeSin_ * rotCos_ + fadeCos_ * rotSin_;
            fadeCos_ = fadeCos_ * rotCos_ - fadeSin_ * rotSin_;
            fadeSin_ = s;
            ++fadeDone_;
        }
        if (pos_ == length_) startChunk();

        const V2 in{left[i], right[i]};
        line_.push(echo::flushTiny(in + limitFeedback(wet * feedback_.next())));
        const float mix = mix_.next();
        const V2 out = in * (1.f - mix) + wet * mix;
        left[i] = out[0];
        right[i] = out[1];
    }
    // A NaN or Inf that got into the loop would circulate for ever: start again from silence.
    if (block.frames > 0 &&
        (!std::isfinite(left[block.frames - 1]) || !std::isfinite(right[block.frames - 1])))
        clearState();
}

} // namespace stagerack::fx
