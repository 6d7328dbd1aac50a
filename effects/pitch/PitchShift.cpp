#include "effects/pitch/PitchShift.h"

#include <algorithm>
#include <cmath>

namespace stagerack::fx {

PitchShift::PitchShift() {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    prepare(sampleRate_, 0);
}

void PitchShift::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    geometry_ = SpliceGeometry::forRate(sampleRate);
    liveLatency_ = static_cast<uint32_t>(geometry_.centre);
    tracker_.prepare(sampleRate);
    vocoder_.prepare(sampleRate);
    const std::size_t frames = std::max(geometry_.ringFrames(), vocoder_.ringFrames());
    for (SampleRing* r : {&rawL_, &rawR_, &lineL_, &lineR_})
        r->prepare(frames);
    antiAlias_.prepare(sampleRate);
    semitones_.prepare(sampleRate, kGlideMs);
    mix_.prepare(sampleRate, kMixMs);
    quality_.prepare(sampleRate, kModeFadeMs);
    reset();
}

double PitchShift::targetSemitones() const noexcept {
    return static_cast<double>(values_[kSemitones]) + 0.01 * static_cast<double>(values_[kCents]);
}

int PitchShift::mode() const noexcept {
    return std::lround(values_[kMode]) == kQuality ? kQuality : kLive;
}

void PitchShift::reset() noexcept {
    for (SampleRing* r : {&rawL_, &rawR_, &lineL_, &lineR_})
        r->clear();
    tracker_.reset();
    vocoder_.reset();
    antiAlias_.reset();
    voice_.reset(geometry_.centre);
    now_ = -1;
    gridLeft_ = 0;
    semitones_.setImmediate(static_cast<float>(targetSemitones()));
    mix_.setImmediate(values_[kMix]);
    const bool quality = mode() == kQuality;
    quality_.setImmediate(quality ? 1.f : 0.f);
    ratio_ = std::exp2(semitones_.current() / 12.0);
    ratioFor_ = semitones_.current();
    liveRunning_ = !quality;
    // The history is silence: the vocoder's output is complete from the first sample.
    vocoderRunning_ = quality;
}

void PitchShift::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    if (kParams[index].taper == Taper::Integer || kParams[index].taper == Taper::Enum)
        value = std::round(value);
    values_[index] = value;
    switch (index) {
    case kSemitones:
    case kCents:
        semitones_.setTarget(static_cast<float>(targetSemitones()));
        break;
    case kMix:
        mix_.setTarget(value);
        break;
    case kMode:
        // To quality: process() starts the fade once the vocoder's output is complete.
        if (mode() != kQuality) quality_.setTarget(0.f);
        break;
    default:
        break;
    }
}

uint32_t PitchShift::latencySamples() const noexcept {
    return mode() == kQuality ? vocoder_.latency() : liveLatency_;
}

uint32_t PitchShift::tailSamples() const noexcept {
    return std::max(geometry_.tailFrames(), vocoder_.latency() + static_cast<uint32_t>(vocoder_.frameSize()));
}

void PitchShift::process(StereoBlock& block, const ProcessContext& /*ctx*/) noexcept {
    const auto liveDelay = static_cast<int64_t>(liveLatency_);
    const auto vocoderDelay = static_cast<int64_t>(vocoder_.latency());
    auto mono = [this](int64_t i) noexcept { return lineL_.at(i) + lineR_.at(i); };
    const bool wantQuality = mode() == kQuality;
    for (uint32_t n = 0; n < block.frames; ++n) {
        float xl = block.left[n], xr = block.right[n];
        if (!std::isfinite(xl)) xl = 0.f;
        if (!std::isfinite(xr)) xr = 0.f;
        ++now_;
        if (semitones_.smoothing() || semitones_.current() != ratioFor_) {
            const float s = semitones_.next();
            ratio_ = std::exp2(static_cast<double>(s) / 12.0);
            ratioFor_ = s;
        }
        if (gridLeft_ == 0) {
            antiAlias_.sanitize();
            antiAlias_.setRatio(ratio_);
            gridLeft_ = kGrid;
        }
        --gridLeft_;
        rawL_.write(now_, xl);
        rawR_.write(now_, xr);
        lineL_.write(now_, antiAlias_.process(0, xl));
        lineR_.write(now_, antiAlias_.process(1, xr));
        tracker_.push(0.5f * (xl + xr));

        if (wantQuality) {
            if (!vocoderRunning_) {
                // Its missed frames are worked off over the next hops; the live engine plays meanwhile.
                vocoder_.start(now_);
                vocoderRunning_ = true;
            }
            if (quality_.target() < 1.f && now_ >= vocoder_.readyAt()) quality_.setTarget(1.f);
        }
        const float mix = mix_.next();
        const float q = quality_.next();
        float outL = 0.f, outR = 0.f;
        if (q < 1.f || !wantQuality) {
            if (!liveRunning_) {
                voice_.reset(geometry_.centre);
                liveRunning_ = true;
            }
            voice_.advance(ratio_, now_, mono, tracker_, geometry_);
            const double p = static_cast<double>(now_) - voice_.delay();
            float wl = lineL_.hermite(p) * voice_.newGain();
            float wr = lineR_.hermite(p) * voice_.newGain();
            if (voice_.fading()) {
                const double po = static_cast<double>(now_) - voice_.oldDelay();
                wl += lineL_.hermite(po) * voice_.oldGain();
                wr += lineR_.hermite(po) * voice_.oldGain();
            }
            const float dl = rawL_.at(now_ - liveDelay), dr = rawR_.at(now_ - liveDelay);
            const float w = 1.f - q;
            outL += w * (dl + mix * (wl - dl));
            outR += w * (dr + mix * (wr - dr));
        } else {
            liveRunning_ = false;
        }
        if (q > 0.f || wantQuality) {
            float vl = 0.f, vr = 0.f;
            vocoder_.process(rawL_, rawR_, now_, ratio_, vl, vr);
            const float dl = rawL_.at(now_ - vocoderDelay), dr = rawR_.at(now_ - vocoderDelay);
            outL += q * (dl + mix * (vl - dl));
            outR += q * (dr + mix * (vr - dr));
        } else {
            vocoderRunning_ = false;
        }
        block.left[n] = outL;
        block.right[n] = outR;
    }
}

} // namespace stagerack::fx
