#include "effects/modulation/Chorus.h"

#include <algorithm>
#include <cmath>

namespace stagerack::fx {

Chorus::Chorus() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
}

void Chorus::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    const auto maxDelay = static_cast<uint32_t>(std::ceil(kMaxDelayMs * sampleRate / 1000.0)) + 4;
    lineL_.prepare(maxDelay);
    lineR_.prepare(maxDelay);
    lfo_.prepare(sampleRate, kGrid);
    rateHz_.prepare(sampleRate, kSmoothMs);
    delayMs_.prepare(sampleRate, kDelaySmoothMs);
    depthMs_.prepare(sampleRate, kDelaySmoothMs);
    spread_.prepare(sampleRate, kSmoothMs);
    mix_.prepare(sampleRate, kSmoothMs);
    feedback_.prepare(sampleRate, kSmoothMs);
    for (auto& g : gate_)
        g.prepare(sampleRate, kVoiceFadeMs);
    reset();
}

std::size_t Chorus::syncIndex() const noexcept {
    return static_cast<std::size_t>(std::lround(values_[kSync]));
}

uint32_t Chorus::tailSamples() const noexcept {
    const double maxDelay = (values_[kDelayMs] + values_[kDepthMs]) * sampleRate_ / 1000.0;
    // Feedback 0.7 decays by 60 dB in log(1e-3) / log(0.7) = 19.4 passes.
    const double passes =
        values_[kFeedback] > 0.f ? 1.0 + std::log(1e-3) / std::log(values_[kFeedback]) : 1.0;
    return static_cast<uint32_t>(std::ceil(maxDelay * passes)) + 4;
}

void Chorus::reset() noexcept {
    rateHz_.setImmediate(values_[kRateHz]);
    delayMs_.setImmediate(values_[kDelayMs]);
    depthMs_.setImmediate(values_[kDepthMs]);
    spread_.setImmediate(values_[kSpread]);
    mix_.setImmediate(values_[kMix]);
    feedback_.setImmediate(values_[kFeedback]);
    const int voices = static_cast<int>(std::lround(values_[kVoices]));
    for (int v = 0; v < kMaxVoices; ++v)
        gate_[static_cast<std::size_t>(v)].setImmediate(v < voices ? 1.f : 0.f);
    lfo_.reset(rateHz_.current(), syncIndex());
    lineL_.clear();
    lineR_.clear();
    targets(delayL_, delayR_, weight_);
    delayStepL_ = delayStepR_ = weightStep_ = V4{};
    mixRamp_.snap(mix_.current());
    feedbackRamp_.snap(feedback_.current());
    wetL_ = wetR_ = 0.f;
    gridLeft_ = 0;
}

void Chorus::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    switch (index) {
    case kVoices: {
        const int voices = static_cast<int>(std::lround(value));
        for (int v = 0; v < kMaxVoices; ++v)
            gate_[static_cast<std::size_t>(v)].setTarget(v < voices ? 1.f : 0.f);
        break;
    }
    case kDelayMs:
        delayMs_.setTarget(value);
        break;
    case kDepthMs:
        depthMs_.setTarget(value);
        break;
    case kRateHz:
        rateHz_.setTarget(value);
        break;
    case kSpread:
        spread_.setTarget(value);
        break;
    case kMix:
        mix_.setTarget(value);
        break;
    case kFeedback:
        feedback_.setTarget(value);
        break;
    default:
        break;
    }
}

void Chorus::targets(V4& delayL, V4& delayR, V4& weights) const noexcept {
    const double toSamples = sampleRate_ / 1000.0;
    const double centre = delayMs_.current();
    const double depth = depthMs_.current();
    const double lo = std::max(kMinDelayMs * toSamples, static_cast<double>(dsp::ModDelay::kMinDelay));
    const double rightLag = 0.25 * spread_.current();
    float total = 0.f;
    for (int v = 0; v < kMaxVoices; ++v) {
        const auto u = static_cast<std::size_t>(v);
        const double p = lfo_.phase() + kVoicePhase[u];
        delayL[v] = static_cast<float>(std::max(lo, (centre + depth * dsp::sineCycles(p)) * toSamples));
        delayR[v] =
            static_cast<float>(std::max(lo, (centre + depth * dsp::sineCycles(p - rightLag)) * toSamples));
        weights[v] = gate_[u].current();
        total += weights[v];
    }
    weights /= total; // voices 1 and 2 are always on: total >= 2
}

void Chorus::startGrid(uint32_t frameInBlock) noexcept {
    dsp::advanceSmoother(rateHz_, kGrid);
    dsp::advanceSmoother(delayMs_, kGrid);
    dsp::advanceSmoother(depthMs_, kGrid);
    dsp::advanceSmoother(spread_, kGrid);
    dsp::advanceSmoother(mix_, kGrid);
    dsp::advanceSmoother(feedback_, kGrid);
    for (auto& g : gate_)
        dsp::advanceSmoother(g, kGrid);
    lfo_.step(rateHz_.current(), frameInBlock);
    V4 dl, dr, w;
    targets(dl, dr, w);
    const float inv = 1.f / static_cast<float>(kGrid);
    delayStepL_ = (dl - delayL_) * inv;
    delayStepR_ = (dr - delayR_) * inv;
    weightStep_ = (w - weight_) * inv;
    mixRamp_.retarget(mix_.current(), kGrid);
    feedbackRamp_.retarget(feedback_.current(), kGrid);
    activeVoices_ = 2;
    for (int v = 2; v < kMaxVoices; ++v)
        if (w[v] != 0.f || weight_[v] != 0.f) activeVoices_ = v + 1;
    // A NaN that reached the loop would circulate for ever: start again from silence.
    if (!std::isfinite(wetL_) || !std::isfinite(wetR_)) {
        lineL_.clear();
        lineR_.clear();
        wetL_ = wetR_ = 0.f;
    }
}

namespace {

// The per-sample voice loop with the count known at compile time, so it unrolls.
template <int Voices>
inline void chorusVoices(const dsp::ModDelay& lineL, const dsp::ModDelay& lineR, dsp::ModDelay::V4 delayL,
                         dsp::ModDelay::V4 delayR, dsp::ModDelay::V4 weight, float& wetL,
                         float& wetR) noexcept {
    dsp::ModDelay::V4 accL{}, accR{};
    for (int v = 0; v < Voices; ++v) {
        const auto wholeL = static_cast<uint32_t>(delayL[v]);
        const auto wholeR = static_cast<uint32_t>(delayR[v]);
        accL +=
            weight[v] * (lineL.taps(wholeL) * dsp::ModDelay::weights(delayL[v] - static_cast<float>(wholeL)));
        accR +=
            weight[v] * (lineR.taps(wholeR) * dsp::ModDelay::weights(delayR[v] - static_cast<float>(wholeR)));
    }
    wetL = dsp::ModDelay::sum(accL);
    wetR = dsp::ModDelay::sum(accR);
}

} // namespace

void Chorus::processChunk(float* left, float* right, uint32_t frames) noexcept {
    for (uint32_t i = 0; i < frames; ++i) {
        delayL_ += delayStepL_;
        delayR_ += delayStepR_;
        weight_ += weightStep_;
        const float mix = mixRamp_.next();
        const float feedback = feedbackRamp_.next();
        float wetL = 0.f, wetR = 0.f;
        if (activeVoices_ == 2)
            chorusVoices<2>(lineL_, lineR_, delayL_, delayR_, weight_, wetL, wetR);
        else if (activeVoices_ == 3)
            chorusVoices<3>(lineL_, lineR_, delayL_, delayR_, weight_, wetL, wetR);
        else
            chorusVoices<4>(lineL_, lineR_, delayL_, delayR_, weight_, wetL, wetR);
        const float inL = left[i];
        const float inR = right[i];
        lineL_.push(inL + feedback * wetL);
        lineR_.push(inR + feedback * wetR);
        left[i] = inL + mix * (wetL - inL);
        right[i] = inR + mix * (wetR - inR);
        wetL_ = wetL;
        wetR_ = wetR;
    }
}

void Chorus::process(StereoBlock& block, const ProcessContext& ctx) noexcept {
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
