#include "effects/pitch/Octaver.h"

#include <algorithm>
#include <cmath>

namespace stagerack::fx {

Octaver::Octaver() {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    prepare(sampleRate_, 0);
}

void Octaver::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    geometry_ = SpliceGeometry::forRate(sampleRate);
    latency_ = static_cast<uint32_t>(geometry_.centre);
    tracker_.prepare(sampleRate);
    for (SampleRing* r : {&dryL_, &dryR_, &mono_, &monoUp_})
        r->prepare(geometry_.ringFrames());
    antiAlias_.prepare(sampleRate);
    for (auto& g : gains_)
        g.prepare(sampleRate, kSmoothMs);
    dry_.prepare(sampleRate, kSmoothMs);
    toneHz_.prepare(sampleRate, kSmoothMs);
    reset();
}

void Octaver::reset() noexcept {
    for (SampleRing* r : {&dryL_, &dryR_, &mono_, &monoUp_})
        r->clear();
    tracker_.reset();
    antiAlias_.reset();
    antiAlias_.setRatio(kRatios[kUp1]);
    for (std::size_t v = 0; v < kVoiceCount; ++v) {
        voices_[v].reset(geometry_.centre);
        gains_[v].setImmediate(levelGain(values_[kSub2Level + v]));
        running_[v] = gains_[v].current() > 0.f;
    }
    dry_.setImmediate(levelGain(values_[kDryLevel]));
    toneHz_.setImmediate(values_[kSubToneHz]);
    toneState_ = {};
    updateTone();
    now_ = -1;
    gridLeft_ = 0;
}

void Octaver::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    switch (index) {
    case kSub2Level:
    case kSub1Level:
    case kUp1Level:
        gains_[index - kSub2Level].setTarget(levelGain(value));
        break;
    case kDryLevel:
        dry_.setTarget(levelGain(value));
        break;
    case kSubToneHz:
        toneHz_.setTarget(value);
        break;
    default:
        break;
    }
}

void Octaver::updateTone() noexcept {
    tone_ = dsp::SvfCoeffs::from(
        dsp::SvfDesign::design(dsp::FilterKind::LowPass, sampleRate_, toneHz_.current(), dsp::kButterworthQ));
}

void Octaver::process(StereoBlock& block, const ProcessContext& /*ctx*/) noexcept {
    const auto delay = static_cast<int64_t>(latency_);
    auto mono = [this](int64_t i) noexcept { return mono_.at(i); };
    for (uint32_t n = 0; n < block.frames; ++n) {
        float xl = block.left[n], xr = block.right[n];
        if (!std::isfinite(xl)) xl = 0.f;
        if (!std::isfinite(xr)) xr = 0.f;
        ++now_;
        if (gridLeft_ == 0) {
            // The tone filter follows its knob on a grid (block-size invariant), and a voice whose level
            // rests at zero stops (its head restarts at the centre when it comes back, from silence).
            for (uint32_t i = 0; i < kGrid && toneHz_.smoothing(); ++i)
                toneHz_.next();
            updateTone();
            toneState_.ic1 = dsp::sanitizeState(toneState_.ic1);
            toneState_.ic2 = dsp::sanitizeState(toneState_.ic2);
            antiAlias_.sanitize();
            for (std::size_t v = 0; v < kVoiceCount; ++v) {
                const bool needed = gains_[v].current() > 0.f || gains_[v].target() > 0.f;
                if (needed && !running_[v]) voices_[v].reset(geometry_.centre);
                running_[v] = needed;
            }
            gridLeft_ = kGrid;
        }
        --gridLeft_;
        const float m = 0.5f * (xl + xr);
        dryL_.write(now_, xl);
        dryR_.write(now_, xr);
        mono_.write(now_, m);
        monoUp_.write(now_, antiAlias_.process(0, m));
        tracker_.push(m);

        float sub = 0.f, up = 0.f;
        for (std::size_t v = 0; v < kVoiceCount; ++v) {
            const float g = gains_[v].next();
            if (!running_[v]) continue;
            SpliceVoice& voice = voices_[v];
            voice.advance(kRatios[v], now_, mono, tracker_, geometry_);
            const SampleRing& line = v == kUp1 ? monoUp_ : mono_;
            float y = line.hermite(static_cast<double>(now_) - voice.delay()) * voice.newGain();
            if (voice.fading())
                y += line.hermite(static_cast<double>(now_) - voice.oldDelay()) * voice.oldGain();
            (v == kUp1 ? up : sub) += g * y;
        }
        const float wet = dsp::svfTick(toneState_, sub, tone_) + up;
        const float d = dry_.next();
        block.left[n] = d * dryL_.at(now_ - delay) + wet;
        block.right[n] = d * dryR_.at(now_ - delay) + wet;
    }
}

} // namespace stagerack::fx
