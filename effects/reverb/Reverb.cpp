#include "effects/reverb/Reverb.h"

#include <algorithm>
#include <cmath>

namespace stagerack::fx {

Reverb::Reverb() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
}

void Reverb::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    for (auto& core : cores_)
        core.prepare(sampleRate);
    maxPredelay_ = static_cast<uint32_t>(std::ceil(kMaxPredelayMs * sampleRate / 1000.0)) + 1;
    uint32_t size = 1;
    while (size <= maxPredelay_)
        size <<= 1;
    predelay_.assign(size, 0.f);
    preMask_ = size - 1;
    tapFadeLen_ =
        std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(kPredelayFadeMs * 0.001 * sampleRate)));
    charFadeLen_ =
        std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(kCharacterFadeMs * 0.001 * sampleRate)));
    decay_.prepare(sampleRate, kParams[kDecayS].smoothMs);
    lowcutHz_.prepare(sampleRate, kParams[kLowcutHz].smoothMs);
    damping_.prepare(sampleRate, kParams[kDamping].smoothMs);
    width_.prepare(sampleRate, kParams[kWidth].smoothMs);
    mix_.prepare(sampleRate, kParams[kMix].smoothMs);
    reset();
}

ReverbCharacter Reverb::requestedCharacter() const noexcept {
    return static_cast<ReverbCharacter>(std::clamp(static_cast<int>(std::lround(values_[kCharacter])), 0, 3));
}

uint32_t Reverb::targetPredelay() const noexcept {
    const double samples = static_cast<double>(values_[kPredelayMs]) * sampleRate_ / 1000.0;
    return std::min(static_cast<uint32_t>(std::lround(samples)), maxPredelay_);
}

void Reverb::reset() noexcept {
    active_ = 0;
    charFading_ = false;
    cores_[0].configure(requestedCharacter());
    std::fill(predelay_.begin(), predelay_.end(), 0.f);
    preWrite_ = 0;
    tap_ = nextTap_ = targetPredelay();
    tapFadeLeft_ = 0;
    lowcutState_ = {};
    decay_.setImmediate(values_[kDecayS]);
    lowcutHz_.setImmediate(values_[kLowcutHz]);
    damping_.setImmediate(values_[kDamping]);
    width_.setImmediate(values_[kWidth]);
    mix_.setImmediate(values_[kMix]);
    appliedDecay_ = appliedRatio_ = -1.0;
    lowcut_ = dsp::SvfCoeffs::from(dsp::SvfDesign::design(dsp::FilterKind::HighPass, sampleRate_,
                                                          lowcutHz_.current(), dsp::kButterworthQ));
    gridLeft_ = 0;
}

void Reverb::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    switch (index) {
    case kDecayS:
        decay_.setTarget(value);
        break;
    case kLowcutHz:
        lowcutHz_.setTarget(value);
        break;
    case kDamping:
        damping_.setTarget(value);
        break;
    case kWidth:
        width_.setTarget(value);
        break;
    case kMix:
        mix_.setTarget(value);
        break;
    default:
        break; // character and pre-delay are picked up on the next grid point
    }
}

uint32_t Reverb::tailSamples() const noexcept {
    // 120 dB of decay plus the pre-delay.
    const double seconds = 2.0 * std::max(values_[kDecayS], decay_.current()) + values_[kPredelayMs] / 1000.0;
    return static_cast<uint32_t>(seconds * sampleRate_);
}

void Reverb::onGrid() noexcept {
    if (!charFading_ && requestedCharacter() != cores_[static_cast<std::size_t>(active_)].character()) {
        // The idle network takes the new voicing from silence and fades in while the old one fades out
        // (both keep listening to the input).
        cores_[static_cast<std::size_t>(1 - active_)].configure(requestedCharacter());
        charFading_ = true;
        charFadePos_ = 0;
    }
    if (tapFadeLeft_ == 0) {
        const uint32_t target = targetPredelay();
        if (target != tap_) {
            nextTap_ = target;
            tapFadeLeft_ = tapFadeLen_;
        }
    }
    if (lowcutHz_.smoothing() || appliedDecay_ < 0.0)
        lowcut_ = dsp::SvfCoeffs::from(dsp::SvfDesign::design(dsp::FilterKind::HighPass, sampleRate_,
                                                              lowcutHz_.current(), dsp::kButterworthQ));
    lowcutState_.ic1 = dsp::sanitizeState(lowcutState_.ic1);
    lowcutState_.ic2 = dsp::sanitizeState(lowcutState_.ic2);
    const double decay = decay_.current();
    const double ratio = 1.0 - (1.0 - kMinHighRatio) * static_cast<double>(damping_.current());
    appliedDecay_ = decay;
    appliedRatio_ = ratio;
    cores_[static_cast<std::size_t>(active_)].setDecay(decay, ratio);
    if (charFading_) cores_[static_cast<std::size_t>(1 - active_)].setDecay(decay, ratio);
}

void Reverb::process(StereoBlock& block, const ProcessContext& /*ctx*/) noexcept {
    if (predelay_.empty()) return; // not prepared: dry
    uint32_t done = 0;
    while (done < block.frames) {
        if (gridLeft_ == 0) {
            onGrid();
            gridLeft_ = kGrid;
        }
        const uint32_t n = std::min(block.frames - done, gridLeft_);
        processChunk(block.left + done, block.right + done, n);
        // Only grid points read these, so advancing them per chunk equals advancing them per sample.
        for (uint32_t i = 0; i < n; ++i) {
            decay_.next();
            lowcutHz_.next();
            damping_.next();
        }
        done += n;
        gridLeft_ -= n;
    }
}

void Reverb::processChunk(float* left, float* right, uint32_t n) noexcept {
    float* const pre = predelay_.data();
    const float fadeStep = 1.f / static_cast<float>(tapFadeLen_);
    for (uint32_t i = 0; i < n; ++i) {
        pre[preWrite_] = 0.5f * (left[i] + right[i]);
        float x = pre[(preWrite_ - tap_) & preMask_];
        if (tapFadeLeft_ > 0) {
            --tapFadeLeft_;
            const float t = 1.f - static_cast<float>(tapFadeLeft_) * fadeStep;
            x = (1.f - t) * x + t * pre[(preWrite_ - nextTap_) & preMask_];
            if (tapFadeLeft_ == 0) tap_ = nextTap_;
        }
        preWrite_ = (preWrite_ + 1) & preMask_;
        wetIn_[i] = dsp::svfTick(lowcutState_, x, lowcut_);
    }

    FdnCore& current = cores_[static_cast<std::size_t>(active_)];
    current.process(wetIn_.data(), wetL_.data(), wetR_.data(), n);
    if (charFading_) {
        FdnCore& next = cores_[static_cast<std::size_t>(1 - active_)];
        next.process(wetIn_.data(), fadeL_.data(), fadeR_.data(), n);
        const float len = static_cast<float>(charFadeLen_);
        for (uint32_t i = 0; i < n; ++i) {
            const float t = std::min(1.f, static_cast<float>(charFadePos_ + i + 1) / len);
            const float g = t * t * (3.f - 2.f * t); // smoothstep: no slope jump at either end
            // Weighted sum, not a + g * (b - a): exactly the new network once g reaches 1.
            wetL_[i] = (1.f - g) * wetL_[i] + g * fadeL_[i];
            wetR_[i] = (1.f - g) * wetR_[i] + g * fadeR_[i];
        }
        charFadePos_ += n;
        if (charFadePos_ >= charFadeLen_) {
            charFading_ = false;
            active_ = 1 - active_;
        }
    }

    for (uint32_t i = 0; i < n; ++i) {
        const float width = width_.next();
        const float mix = mix_.next();
        const float mid = 0.5f * (wetL_[i] + wetR_[i]);
        const float side = 0.5f * (wetL_[i] - wetR_[i]) * width;
        left[i] = left[i] * (1.f - mix) + (mid + side) * mix;
        right[i] = right[i] * (1.f - mix) + (mid - side) * mix;
    }
}

} // namespace stagerack::fx
