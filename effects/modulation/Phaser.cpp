#include "effects/modulation/Phaser.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace stagerack::fx {

Phaser::Phaser() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
}

void Phaser::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    lfo_.prepare(sampleRate, kGrid);
    rateHz_.prepare(sampleRate, kSmoothMs);
    depth_.prepare(sampleRate, kSweepSmoothMs);
    centerHz_.prepare(sampleRate, kSweepSmoothMs);
    feedback_.prepare(sampleRate, kSmoothMs);
    stereoPhase_.prepare(sampleRate, kSmoothMs);
    mix_.prepare(sampleRate, kSmoothMs);
    for (auto& w : tapWeight_)
        w.prepare(sampleRate, kSwitchFadeMs);
    reset();
}

std::size_t Phaser::syncIndex() const noexcept {
    return static_cast<std::size_t>(std::lround(values_[kSync]));
}

uint32_t Phaser::tailSamples() const noexcept {
    // The all-passes ring for about a period of the lowest corner; feedback stretches it.
    const double fb = std::fabs(values_[kFeedback]);
    const double passes = fb > 0.0 ? 1.0 + std::log(1e-3) / std::log(fb) : 1.0;
    return static_cast<uint32_t>(std::ceil(passes * kMaxStages * sampleRate_ / 20.0));
}

// First-order all-pass (a + z^-1) / (1 + a z^-1) with its 90-degree point at f: a = (t - 1) / (t + 1),
// t = tan(pi f / rate) (prewarped, so the 90-degree point lands exactly on f). Computed once per grid step
// per channel and ramped linearly in between: |a| < 1 throughout, so the ramp stays stable.
float Phaser::coefficientAt(double phase) const noexcept {
    const double f =
        std::clamp(centerHz_.current() * std::exp2(0.5 * depth_.current() * dsp::sineCycles(phase)), 20.0,
                   0.45 * sampleRate_);
    const double t = std::tan(std::numbers::pi * f / sampleRate_);
    return static_cast<float>((t - 1.0) / (t + 1.0));
}

void Phaser::reset() noexcept {
    rateHz_.setImmediate(values_[kRateHz]);
    depth_.setImmediate(values_[kDepth]);
    centerHz_.setImmediate(values_[kCenterHz]);
    feedback_.setImmediate(values_[kFeedback]);
    stereoPhase_.setImmediate(values_[kStereoPhase]);
    mix_.setImmediate(values_[kMix]);
    const int stages = static_cast<int>(std::lround(values_[kStages]));
    for (int s = 0; s < kStageChoices; ++s) {
        tapWeight_[static_cast<std::size_t>(s)].setImmediate(s == stages ? 1.f : 0.f);
        tapGain_[static_cast<std::size_t>(s)] = s == stages ? 1.f : 0.f;
        tapStep_[static_cast<std::size_t>(s)] = 0.f;
    }
    runStages_ = 4 + 2 * stages;
    lfo_.reset(rateHz_.current(), syncIndex());
    coef_ = V2{coefficientAt(0.0), coefficientAt(-stereoPhase_.current() / 360.0)};
    coefStep_ = V2{};
    state_.fill(V2{});
    last_ = V2{};
    feedbackRamp_.snap(feedback_.current());
    mixRamp_.snap(mix_.current());
    gridLeft_ = 0;
}

void Phaser::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    switch (index) {
    case kStages: {
        const int stages = static_cast<int>(std::lround(value));
        for (int s = 0; s < kStageChoices; ++s)
            tapWeight_[static_cast<std::size_t>(s)].setTarget(s == stages ? 1.f : 0.f);
        break;
    }
    case kRateHz:
        rateHz_.setTarget(value);
        break;
    case kDepth:
        depth_.setTarget(value);
        break;
    case kCenterHz:
        centerHz_.setTarget(value);
        break;
    case kFeedback:
        feedback_.setTarget(value);
        break;
    case kStereoPhase:
        stereoPhase_.setTarget(value);
        break;
    case kMix:
        mix_.setTarget(value);
        break;
    default:
        break;
    }
}

void Phaser::startGrid(uint32_t frameInBlock) noexcept {
    dsp::advanceSmoother(rateHz_, kGrid);
    dsp::advanceSmoother(depth_, kGrid);
    dsp::advanceSmoother(centerHz_, kGrid);
    dsp::advanceSmoother(feedback_, kGrid);
    dsp::advanceSmoother(stereoPhase_, kGrid);
    dsp::advanceSmoother(mix_, kGrid);
    lfo_.step(rateHz_.current(), frameInBlock);
    const V2 target{coefficientAt(lfo_.phase()),
                    coefficientAt(lfo_.phase() - stereoPhase_.current() / 360.0)};
    coefStep_ = (target - coef_) / static_cast<float>(kGrid);
    runStages_ = 4;
    for (int s = 0; s < kStageChoices; ++s) {
        auto& w = tapWeight_[static_cast<std::size_t>(s)];
        const float before = w.current();
        tapGain_[static_cast<std::size_t>(s)] = before; // restart exactly where the smoother is
        dsp::advanceSmoother(w, kGrid);
        tapStep_[static_cast<std::size_t>(s)] = (w.current() - before) / static_cast<float>(kGrid);
        if (before != 0.f || w.current() != 0.f) runStages_ = 4 + 2 * s;
    }
    feedbackRamp_.retarget(feedback_.current(), kGrid);
    mixRamp_.retarget(mix_.current(), kGrid);
    // A NaN in the loop would ring for ever; tiny states are flushed so silence is reached exactly.
    bool bad = !std::isfinite(last_[0]) || !std::isfinite(last_[1]);
    for (auto& s : state_) {
        bad = bad || !std::isfinite(s[0]) || !std::isfinite(s[1]);
        s = V2{dsp::sanitizeState(s[0]), dsp::sanitizeState(s[1])};
    }
    if (bad) {
        state_.fill(V2{});
        last_ = V2{};
    }
    last_ = V2{dsp::sanitizeState(last_[0]), dsp::sanitizeState(last_[1])};
}

void Phaser::processChunk(float* left, float* right, uint32_t frames) noexcept {
    const int stages = runStages_;
    for (uint32_t i = 0; i < frames; ++i) {
        coef_ += coefStep_;
        const float feedback = feedbackRamp_.next();
        const float mix = mixRamp_.next();
        const V2 in{left[i], right[i]};
        V2 x = in + feedback * last_;
        V2 wet{};
        for (int s = 0; s < stages; ++s) {
            const V2 y = coef_ * x + state_[static_cast<std::size_t>(s)];
            state_[static_cast<std::size_t>(s)] = x - coef_ * y;
            x = y;
            if ((s & 1) && s >= 3) {
                const auto tap = static_cast<std::size_t>((s - 3) / 2);
                tapGain_[tap] += tapStep_[tap];
                wet += tapGain_[tap] * y;
            }
        }
        last_ = wet;
        const V2 out = in + mix * (wet - in);
        left[i] = out[0];
        right[i] = out[1];
    }
}

void Phaser::process(StereoBlock& block, const ProcessContext& ctx) noexcept {
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
