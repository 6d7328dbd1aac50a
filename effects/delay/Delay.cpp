#include "effects/delay/Delay.h"

#include "effects/dsp/Grid.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace stagerack::fx {

namespace {

// Values written into the loop below this are written as zero: a decaying loop reaches exact silence
// instead of spending minutes in denormals (the engine sets FTZ/DAZ, a test or a host may not).
constexpr float kFlushBelow = 1e-20f;
// The tail is reported until the repeats are 80 dB below the first echo.
constexpr double kTailFloor = 1e-4;

inline float flushTiny(float x) noexcept {
    return std::fabs(x) < kFlushBelow ? 0.f : x;
}

inline float limitFeedback(float x) noexcept {
    const float a = std::fabs(x);
    if (a <= Delay::kFeedbackKnee) return x;
    // t / (1 + t) leaves the knee with slope 1 and approaches the limit asymptotically.
    constexpr float span = Delay::kFeedbackLimit - Delay::kFeedbackKnee;
    const float t = (a - Delay::kFeedbackKnee) / span;
    return std::copysign(Delay::kFeedbackKnee + span * t / (1.f + t), x);
}

// Topology-preserving one-pole low-pass (the bilinear transform of 1 / (1 + s/wc), prewarped): unity at DC,
// exactly -3 dB at the cutoff, and stays well behaved while the cutoff moves.
inline float dampOnePole(float x, float& state, float g) noexcept {
    const float v = (x - state) * g;
    const float y = v + state;
    state = flushTiny(y + v);
    return y;
}

} // namespace

Delay::Delay() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    reset();
}

void Delay::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    maxDelay_ = static_cast<uint32_t>(std::ceil(static_cast<double>(kMaxTimeMs) * sampleRate / 1000.0)) + 1;
    uint32_t size = 1;
    while (size <= maxDelay_)
        size <<= 1;
    lineL_.assign(size, 0.f);
    lineR_.assign(size, 0.f);
    mask_ = size - 1;
    fadeLength_ = std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(kTimeFadeMs * 0.001 * sampleRate)));
    fadeStep_ = 1.f / static_cast<float>(fadeLength_);
    feedback_.prepare(sampleRate, kParams[kFeedback].smoothMs);
    mix_.prepare(sampleRate, kParams[kMix].smoothMs);
    highcutHz_.prepare(sampleRate, kParams[kHighcutHz].smoothMs);
    pingpong_.prepare(sampleRate, kSwitchFadeMs);
    reset();
}

void Delay::clearState() noexcept {
    std::fill(lineL_.begin(), lineL_.end(), 0.f);
    std::fill(lineR_.begin(), lineR_.end(), 0.f);
    write_ = 0;
    dampStateL_ = 0.f;
    dampStateR_ = 0.f;
}

void Delay::reset() noexcept {
    clearState();
    tap_ = nextTap_ = targetDelaySamples();
    fadeLeft_ = 0;
    feedback_.setImmediate(values_[kFeedback]);
    mix_.setImmediate(values_[kMix]);
    highcutHz_.setImmediate(values_[kHighcutHz]);
    pingpong_.setImmediate(values_[kPingpong] > 0.5f ? 1.f : 0.f);
    gridLeft_ = 0;
    updateCoefficients();
    snapTap_ = true; // after: the grid point above had no tempo yet
}

void Delay::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    switch (index) {
    case kTimeMs:
    case kSync:
        break; // picked up on the next grid point, which starts a tap crossfade
    case kFeedback:
        feedback_.setTarget(value);
        break;
    case kMix:
        mix_.setTarget(value);
        break;
    case kHighcutHz:
        highcutHz_.setTarget(value);
        break;
    case kPingpong:
        pingpong_.setTarget(value > 0.5f ? 1.f : 0.f);
        break;
    default:
        break;
    }
}

std::size_t Delay::syncIndex() const noexcept {
    return static_cast<std::size_t>(std::lround(values_[kSync]));
}

uint32_t Delay::targetDelaySamples() const noexcept {
    // ms * rate / 1000 (not ms * 0.001 * rate): exact whenever the delay is a whole number of samples.
    // Note values: beats * 60 / bpm * rate, exact for e.g. a dotted eighth at 120 BPM (0.375 s).
    const std::size_t sync = syncIndex();
    const double longest = static_cast<double>(kMaxTimeMs) * sampleRate_ / 1000.0;
    const double samples = sync > 0 ? std::min(dsp::syncSeconds(sync, tempoBpm_) * sampleRate_, longest)
                                    : static_cast<double>(values_[kTimeMs]) * sampleRate_ / 1000.0;
    return std::clamp(static_cast<uint32_t>(std::lround(samples)), 1u, maxDelay_);
}

uint32_t Delay::tailSamples() const noexcept {
    const double delay = std::max({tap_, nextTap_, targetDelaySamples()});
    const double feedback = values_[kFeedback];
    const double maxTail = kMaxTailSeconds * sampleRate_;
    double repeats = 1.0;
    if (feedback >= 1.0) return static_cast<uint32_t>(maxTail);
    // The damping filter and the limiter only ever lower the loop gain, so this bounds the real decay.
    if (feedback > 0.0) repeats += std::ceil(std::log(kTailFloor) / std::log(feedback));
    return static_cast<uint32_t>(std::min(delay * repeats, maxTail));
}

void Delay::updateCoefficients() noexcept {
    const double cutoff = std::min<double>(highcutHz_.current(), kMaxHighcutRatio * sampleRate_);
    const double g = std::tan(std::numbers::pi * cutoff / sampleRate_);
    dampG_ = static_cast<float>(g / (1.0 + g));

    if (snapTap_) {
        // The first grid point after reset() knows the tempo: a synced time starts where it belongs.
        tap_ = nextTap_ = targetDelaySamples();
        fadeLeft_ = 0;
        snapTap_ = false;
    }
    if (fadeLeft_ == 0) {
        const uint32_t target = targetDelaySamples();
        if (target != tap_) {
            nextTap_ = target;
            fadeLeft_ = fadeLength_;
        }
    }
    // A NaN or Inf that got into the loop would circulate for ever: start again from silence.
    if (!std::isfinite(dampStateL_) || !std::isfinite(dampStateR_)) clearState();
}

void Delay::process(StereoBlock& block, const ProcessContext& ctx) noexcept {
    if (lineL_.empty()) return; // not prepared: pass the dry signal through
    // Read here, used on the grid points: a tempo change starts a tap crossfade like a time change.
    if (std::isfinite(ctx.tempoBpm) && ctx.tempoBpm > 0.0) tempoBpm_ = ctx.tempoBpm;
    dsp::forEachGridChunk<kGrid>(
        gridLeft_, block.frames, [this] { updateCoefficients(); },
        [&](uint32_t offset, uint32_t n) {
            processChunk(block.left + offset, block.right + offset, n);
            // Only grid points read the cutoff, so advancing it per chunk equals
            // advancing it per sample.
            for (uint32_t i = 0; i < n && highcutHz_.smoothing(); ++i)
                highcutHz_.next();
        });
}

void Delay::processChunk(float* left, float* right, uint32_t frames) noexcept {
    float* const lineL = lineL_.data();
    float* const lineR = lineR_.data();
    for (uint32_t i = 0; i < frames; ++i) {
        const float feedback = feedback_.next();
        const float mix = mix_.next();
        const float pingpong = pingpong_.next();
        const float inL = left[i];
        const float inR = right[i];

        float tapL = lineL[(write_ - tap_) & mask_];
        float tapR = lineR[(write_ - tap_) & mask_];
        if (fadeLeft_ > 0) {
            --fadeLeft_;
            const float x = 1.f - static_cast<float>(fadeLeft_) * fadeStep_;
            // Weighted sum, not a + x*(b-a): exactly the new tap when the fade ends.
            tapL = (1.f - x) * tapL + x * lineL[(write_ - nextTap_) & mask_];
            tapR = (1.f - x) * tapR + x * lineR[(write_ - nextTap_) & mask_];
            if (fadeLeft_ == 0) tap_ = nextTap_;
        }

        // The wet output is the raw tap (first echo full range); only what goes round again is damped.
        const float backL = limitFeedback(feedback * dampOnePole(tapL, dampStateL_, dampG_));
        const float backR = limitFeedback(feedback * dampOnePole(tapR, dampStateR_, dampG_));
        const float straightL = inL + backL;
        const float straightR = inR + backR;
        // Ping-pong: the mono input enters the left line, left feeds right and right feeds left.
        const float crossL = 0.5f * (inL + inR) + backR;
        const float crossR = backL;
        lineL[write_] = flushTiny((1.f - pingpong) * straightL + pingpong * crossL);
        lineR[write_] = flushTiny((1.f - pingpong) * straightR + pingpong * crossR);
        write_ = (write_ + 1) & mask_;

        left[i] = inL * (1.f - mix) + tapL * mix;
        right[i] = inR * (1.f - mix) + tapR * mix;
    }
}

} // namespace stagerack::fx
