#include "effects/delay/AnalogDelay.h"

#include "effects/dsp/Grid.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace stagerack::fx {

namespace {

using echo::V2;

constexpr double kTwoPi = 2.0 * std::numbers::pi;
// The tail is reported until the repeats are 80 dB below the first echo, plus the filters' own ring.
constexpr double kTailFloor = 1e-4;
constexpr double kFilterRingSeconds = 0.02;

} // namespace

AnalogDelay::AnalogDelay() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    reset();
}

double AnalogDelay::filterCutoffHz(double timeMs, float tone, double sampleRate) noexcept {
    const double octaves = 2.0 * static_cast<double>(std::clamp(tone, 0.f, 1.f)) - 1.0;
    const double fc = kRefCutoffHz * kRefTimeMs / std::max(timeMs, 1.0) * std::exp2(octaves);
    return std::clamp(fc, kMinCutoffHz, std::min(kMaxCutoffHz, 0.45 * sampleRate));
}

void AnalogDelay::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    modSamples_ = kModMs * 0.001 * sampleRate;
    line_.prepare(static_cast<double>(kMaxTimeMs) * sampleRate / 1000.0 + modSamples_ + 16.0);
    minDelay_ = 2.0;
    maxDelay_ = line_.maxReadable();
    delay_.prepare(kGlideMs * 0.001 * sampleRate, kMaxHeadSpeed);
    feedback_.prepare(sampleRate, kParams[kFeedback].smoothMs);
    tone_.prepare(sampleRate, kParams[kTone].smoothMs);
    modDepth_.prepare(sampleRate, kParams[kModDepth].smoothMs);
    modRate_.prepare(sampleRate, kParams[kModRateHz].smoothMs);
    mix_.prepare(sampleRate, kParams[kMix].smoothMs);
    reset();
}

void AnalogDelay::clearState() noexcept {
    line_.clear();
    antiAlias_ = {};
    reconstruction_ = {};
}

void AnalogDelay::reset() noexcept {
    clearState();
    delay_.snap(targetDelaySamples());
    feedback_.setImmediate(values_[kFeedback]);
    tone_.setImmediate(values_[kTone]);
    modDepth_.setImmediate(values_[kModDepth]);
    modRate_.setImmediate(values_[kModRateHz]);
    mix_.setImmediate(values_[kMix]);
    lfoPhase_ = 0.0;
    lfoNow_ = lfoStep_ = lfoEnd_ = 0.f;
    gridLeft_ = 0;
    snapDelay_ = true;
}

void AnalogDelay::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    switch (index) {
    case kFeedback:
        feedback_.setTarget(value);
        break;
    case kTone:
        tone_.setTarget(value);
        break;
    case kModDepth:
        modDepth_.setTarget(value);
        break;
    case kModRateHz:
        modRate_.setTarget(value);
        break;
    case kMix:
        mix_.setTarget(value);
        break;
    default:
        break; // time and sync: the glide picks them up on the next grid point
    }
}

double AnalogDelay::targetDelaySamples() const noexcept {
    const auto sync = static_cast<std::size_t>(std::lround(values_[kSync]));
    // ms * rate / 1000 and seconds * rate: exact whenever the delay is a whole number of samples.
    const double samples = sync > 0 ? dsp::syncSeconds(sync, tempoBpm_) * sampleRate_
                                    : static_cast<double>(values_[kTimeMs]) * sampleRate_ / 1000.0;
    return std::clamp(samples, static_cast<double>(kMinTimeMs) * sampleRate_ / 1000.0,
                      static_cast<double>(kMaxTimeMs) * sampleRate_ / 1000.0);
}

uint32_t AnalogDelay::tailSamples() const noexcept {
    const double maxTail = kMaxTailSeconds * sampleRate_;
    const double loop = static_cast<double>(kMaxLoopGain) * values_[kFeedback];
    if (loop >= 1.0) return static_cast<uint32_t>(maxTail);
    double repeats = 1.0;
    // The filters and the clipper only ever lower the loop gain, so this bounds the real decay.
    if (loop > 0.0) repeats += std::ceil(std::log(kTailFloor) / std::log(loop));
    const double delay = std::max(delay_.value(), targetDelaySamples()) + modSamples_;
    return static_cast<uint32_t>(std::min(delay * repeats + kFilterRingSeconds * sampleRate_, maxTail));
}

void AnalogDelay::updateGrid() noexcept {
    // The first grid point after reset() knows the tempo: a synced time starts where it belongs.
    if (snapDelay_)
        delay_.snap(targetDelaySamples());
    else
        delay_.setTarget(targetDelaySamples());
    snapDelay_ = false;

    // The filters follow the gliding delay, as a BBD's clock does.
    const double timeMs = delay_.value() * 1000.0 / sampleRate_;
    const double fc = filterCutoffHz(timeMs, tone_.current(), sampleRate_);
    filter_ = dsp::SvfCoeffs::from(
        dsp::SvfDesign::design(dsp::FilterKind::LowPass, sampleRate_, fc, dsp::kButterworthQ));

    lfoPhase_ += kTwoPi * static_cast<double>(modRate_.current()) * static_cast<double>(kGrid) / sampleRate_;
    lfoPhase_ -= lfoPhase_ >= kTwoPi ? kTwoPi : 0.0;
    const auto end = static_cast<float>(std::sin(lfoPhase_));
    lfoNow_ = lfoEnd_;
    lfoStep_ = (end - lfoNow_) / static_cast<float>(kGrid);
    lfoEnd_ = end;

    // A NaN or Inf that got into the loop would circulate for ever: start again from silence.
    const bool finite = echo::finite2(antiAlias_.ic1) && echo::finite2(antiAlias_.ic2) &&
                        echo::finite2(reconstruction_.ic1) && echo::finite2(reconstruction_.ic2);
    if (!finite) {
        clearState();
    } else {
        antiAlias_.ic1 = echo::sanitize(antiAlias_.ic1);
        antiAlias_.ic2 = echo::sanitize(antiAlias_.ic2);
        reconstruction_.ic1 = echo::sanitize(reconstruction_.ic1);
        reconstruction_.ic2 = echo::sanitize(reconstruction_.ic2);
    }
}

void AnalogDelay::process(StereoBlock& block, const ProcessContext& ctx) noexcept {
    if (line_.empty()) return; // not prepared: pass the dry signal through
    if (std::isfinite(ctx.tempoBpm) && ctx.tempoBpm > 0.0) tempoBpm_ = ctx.tempoBpm;
    dsp::forEachGridChunk<kGrid>(
        gridLeft_, block.frames, [this] { updateGrid(); },
        [&](uint32_t offset, uint32_t n) { processChunk(block.left + offset, block.right + offset, n); });
}

void AnalogDelay::processChunk(float* left, float* right, uint32_t frames) noexcept {
    const dsp::SvfCoeffs c = filter_;
    for (uint32_t i = 0; i < frames; ++i) {
        const double d = delay_.next();
        const double mod = static_cast<double>(modDepth_.next() * lfoNow_) * modSamples_;
        lfoNow_ += lfoStep_;
        const V2 wet =
            dsp::svfTick(reconstruction_, line_.read(std::clamp(d + mod, minDelay_, maxDelay_)), c);

        const V2 in{left[i], right[i]};
        const V2 rec = dsp::svfTick(antiAlias_, in + wet * (feedback_.next() * kMaxLoopGain), c);
        line_.push(echo::flushTiny(echo::softClip(rec * (1.f / kClipLevel)) * kClipLevel));
        tone_.next(); // tone and rate are read on the grid points
        modRate_.next();

        const float mix = mix_.next();
        const V2 out = in * (1.f - mix) + wet * mix;
        left[i] = out[0];
        right[i] = out[1];
    }
}

} // namespace stagerack::fx
