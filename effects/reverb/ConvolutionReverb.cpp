#include "effects/reverb/ConvolutionReverb.h"

#include "effects/dsp/ImpulseResponse.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

namespace stagerack::fx {

ConvolutionReverb::ConvolutionReverb() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
}

ConvolutionReverb::~ConvolutionReverb() {
    delete pending_.exchange(nullptr);
    delete next_;
    delete current_;
    collectGarbage();
}

void ConvolutionReverb::prepare(double sampleRate, uint32_t maxBlock) {
    sampleRate_ = sampleRate;
    delete pending_.exchange(nullptr);
    delete next_;
    next_ = nullptr;
    delete current_;
    current_ = nullptr;
    fading_ = false;
    if (!userPath_.empty()) {
        // The response is resampled for the new rate; if the file has gone since, start without it.
        const std::string path = userPath_;
        try {
            setProperty(0, path);
            current_ = pending_.exchange(nullptr);
        } catch (const std::runtime_error&) {
            userPath_.clear();
        }
    }
    clear_.store(false);
    maxPredelay_ = static_cast<uint32_t>(std::ceil(kMaxPredelayMs * sampleRate / 1000.0)) + 1;
    uint32_t size = 1;
    while (size <= maxPredelay_)
        size <<= 1;
    predelayL_.assign(size, 0.f);
    predelayR_.assign(size, 0.f);
    preMask_ = size - 1;
    tapFadeLen_ =
        std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(kPredelayFadeMs * 0.001 * sampleRate)));
    fadeLen_ = std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(kFadeMs * 0.001 * sampleRate)));
    for (auto* v : {&inL_, &inR_, &wetL_, &wetR_, &nextL_, &nextR_})
        v->assign(maxBlock, 0.f);
    mix_.prepare(sampleRate, kParams[kMix].smoothMs);
    level_.prepare(sampleRate, kParams[kLevelDb].smoothMs);
    reset();
}

uint32_t ConvolutionReverb::targetPredelay() const noexcept {
    const double samples = static_cast<double>(values_[kPredelayMs]) * sampleRate_ / 1000.0;
    return std::min(static_cast<uint32_t>(std::lround(samples)), maxPredelay_);
}

void ConvolutionReverb::reset() noexcept {
    if (fading_) {
        // Snap to what should be playing.
        if (retired_.try_enqueue(current_)) {
            current_ = next_;
            next_ = nullptr;
            fading_ = false;
        }
    }
    if (current_) current_->reset();
    std::fill(predelayL_.begin(), predelayL_.end(), 0.f);
    std::fill(predelayR_.begin(), predelayR_.end(), 0.f);
    preWrite_ = 0;
    tap_ = nextTap_ = targetPredelay();
    tapFadeLeft_ = 0;
    mix_.setImmediate(values_[kMix]);
    level_.setImmediate(dsp::dbToGain(values_[kLevelDb]));
}

void ConvolutionReverb::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    if (index == kMix) mix_.setTarget(value);
    if (index == kLevelDb) level_.setTarget(dsp::dbToGain(value));
}

uint32_t ConvolutionReverb::tailSamples() const noexcept {
    const std::size_t ir = std::max(current_ ? current_->length() : 0, next_ ? next_->length() : 0);
    return static_cast<uint32_t>(ir) + std::max(tap_, nextTap_);
}

void ConvolutionReverb::setProperty(std::size_t index, std::string_view value) {
    if (index != 0) throw std::runtime_error("no such property");
    if (value.empty()) {
        userPath_.clear();
        delete pending_.exchange(nullptr);
        clear_.store(true);
        return;
    }
    const std::string path(value);
    auto ir = dsp::loadImpulseResponse(path, sampleRate_, kMaxIrSeconds); // throws: previous IR stays
    auto conv = std::make_unique<LongConvolver>();
    conv->build(ir.left, ir.stereo ? ir.right : std::vector<float>{});
    // A response the audio thread has not taken yet is ours again.
    delete pending_.exchange(conv.release());
    clear_.store(false);
    userPath_ = path;
}

void ConvolutionReverb::collectGarbage() {
    LongConvolver* c = nullptr;
    while (retired_.try_dequeue(c))
        delete c;
}

void ConvolutionReverb::process(StereoBlock& block, const ProcessContext& /*ctx*/) noexcept {
    const auto chunk = static_cast<uint32_t>(inL_.size());
    if (chunk == 0) return; // not prepared: dry
    // Adopt a new response (or its removal) at a block boundary, while there is room to retire the old
    // one. The new convolver was built clean, so it fades in as if the sound had just started through it.
    if (!fading_ && retired_.size_approx() < 12) {
        if (LongConvolver* p = pending_.exchange(nullptr)) {
            next_ = p;
            fading_ = true;
            fadePos_ = 0;
        } else if (clear_.exchange(false) && current_) {
            next_ = nullptr;
            fading_ = true;
            fadePos_ = 0;
        }
    }

    for (uint32_t done = 0; done < block.frames;) {
        const uint32_t n = std::min(chunk, block.frames - done);
        processChunk(block.left + done, block.right + done, n);
        done += n;
    }
}

void ConvolutionReverb::processChunk(float* left, float* right, uint32_t n) noexcept {
    float* const pl = predelayL_.data();
    float* const pr = predelayR_.data();
    const float fadeStep = 1.f / static_cast<float>(tapFadeLen_);
    for (uint32_t i = 0; i < n; ++i) {
        // Checked every sample (not per block) so the output does not depend on the block size.
        if (tapFadeLeft_ == 0 && targetPredelay() != tap_) {
            nextTap_ = targetPredelay();
            tapFadeLeft_ = tapFadeLen_;
        }
        pl[preWrite_] = left[i];
        pr[preWrite_] = right[i];
        float xl = pl[(preWrite_ - tap_) & preMask_];
        float xr = pr[(preWrite_ - tap_) & preMask_];
        if (tapFadeLeft_ > 0) {
            --tapFadeLeft_;
            const float t = 1.f - static_cast<float>(tapFadeLeft_) * fadeStep;
            xl = (1.f - t) * xl + t * pl[(preWrite_ - nextTap_) & preMask_];
            xr = (1.f - t) * xr + t * pr[(preWrite_ - nextTap_) & preMask_];
            if (tapFadeLeft_ == 0) tap_ = nextTap_;
        }
        preWrite_ = (preWrite_ + 1) & preMask_;
        inL_[i] = xl;
        inR_[i] = xr;
    }

    if (current_) {
        current_->process(inL_.data(), inR_.data(), wetL_.data(), wetR_.data(), n);
    } else {
        std::fill(wetL_.begin(), wetL_.begin() + n, 0.f);
        std::fill(wetR_.begin(), wetR_.begin() + n, 0.f);
    }
    if (fading_) {
        if (next_) {
            next_->process(inL_.data(), inR_.data(), nextL_.data(), nextR_.data(), n);
        } else {
            std::fill(nextL_.begin(), nextL_.begin() + n, 0.f);
            std::fill(nextR_.begin(), nextR_.begin() + n, 0.f);
        }
        const float len = static_cast<float>(fadeLen_);
        for (uint32_t i = 0; i < n; ++i) {
            const float t = std::min(1.f, static_cast<float>(fadePos_ + i + 1) / len);
            const float g = t * t * (3.f - 2.f * t); // smoothstep: no slope jump at either end
            wetL_[i] = (1.f - g) * wetL_[i] + g * nextL_[i];
            wetR_[i] = (1.f - g) * wetR_[i] + g * nextR_[i];
        }
        fadePos_ += n;
        if (fadePos_ >= fadeLen_ && (current_ == nullptr || retired_.try_enqueue(current_))) {
            current_ = next_;
            next_ = nullptr;
            fading_ = false;
        }
    }

    for (uint32_t i = 0; i < n; ++i) {
        const float mix = mix_.next();
        const float wet = mix * level_.next();
        left[i] = left[i] * (1.f - mix) + wetL_[i] * wet;
        right[i] = right[i] * (1.f - mix) + wetR_[i] * wet;
    }
}

} // namespace stagerack::fx
