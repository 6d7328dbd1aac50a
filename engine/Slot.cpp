#include "engine/Slot.h"

#include "engine/BlockOps.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

namespace stagerack::engine {

Slot::Slot(uint32_t id, std::unique_ptr<Processor> processor)
    : id_(id)
    , processor_(std::move(processor)) {}

void Slot::setMix(float m) noexcept {
    if (!std::isfinite(m)) return;
    mix_.store(std::clamp(m, 0.f, 1.f), std::memory_order_relaxed);
}

void Slot::prepare(double sampleRate, uint32_t maxBlock) {
    processor_->prepare(sampleRate, maxBlock);
    latency_ = processor_->latency();
    maxLatency_ = std::max(latency_, processor_->maxLatency());
    latencyNow_.store(latency_, std::memory_order_relaxed);
    dryRingL_.assign(maxLatency_ + 1, 0.f);
    dryRingR_.assign(maxLatency_ + 1, 0.f);
    dryWrite_ = 0;
    dryBack_ = dryFrom_ = std::min(latency_, maxLatency_);
    dryFadePos_ = 0;
    dryFadeLen_ = std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(kDryFadeMs * 0.001 * sampleRate)));
    mixSmooth_.prepare(sampleRate, kMixSmoothMs);
    mixSmooth_.setImmediate(mix_.load(std::memory_order_relaxed));
    enable_ = bypass_.load(std::memory_order_relaxed) ? 0.f : 1.f;
    bypassedAtStart_ = enable_ == 0.f;
}

void Slot::delayDry(float* dryL, float* dryR, uint32_t n) noexcept {
    if (maxLatency_ == 0) return;
    const auto size = static_cast<uint32_t>(dryRingL_.size());
    const uint32_t latency = std::min(latency_, maxLatency_);
    // A fade in progress finishes first; the next one starts from where it arrived.
    if (dryFadePos_ == 0 && latency != dryBack_) {
        dryFrom_ = dryBack_;
        dryBack_ = latency;
        dryFadePos_ = 1;
    }
    const auto behind = [&](uint32_t back) {
        return dryWrite_ >= back ? dryWrite_ - back : dryWrite_ + size - back;
    };
    for (uint32_t i = 0; i < n; ++i) {
        // Write, then read the cell `back` samples behind it (the ring holds maxLatency_ + 1 cells).
        dryRingL_[dryWrite_] = dryL[i];
        dryRingR_[dryWrite_] = dryR[i];
        const uint32_t read = behind(dryBack_);
        if (dryFadePos_ > 0) {
            const uint32_t from = behind(dryFrom_);
            const float t = static_cast<float>(dryFadePos_) / static_cast<float>(dryFadeLen_);
            const float g = 0.5f - 0.5f * std::cos(std::numbers::pi_v<float> * t);
            dryL[i] = dryRingL_[from] + g * (dryRingL_[read] - dryRingL_[from]);
            dryR[i] = dryRingR_[from] + g * (dryRingR_[read] - dryRingR_[from]);
            if (++dryFadePos_ > dryFadeLen_) dryFadePos_ = 0;
        } else {
            dryL[i] = dryRingL_[read];
            dryR[i] = dryRingR_[read];
        }
        if (++dryWrite_ == size) dryWrite_ = 0;
    }
}

bool Slot::process(fx::StereoBlock& block, const fx::ProcessContext& ctx, float* dryL, float* dryR) noexcept {
    const uint32_t n = block.frames;
    const float enableTarget = bypass_.load(std::memory_order_relaxed) ? 0.f : 1.f;
    mixSmooth_.setTarget(mix_.load(std::memory_order_relaxed));

    // Latency may follow a parameter (a limiter's lookahead): the dry path follows it.
    latency_ = processor_->latency();
    latencyNow_.store(latency_, std::memory_order_relaxed);
    std::memcpy(dryL, block.left, n * sizeof(float));
    std::memcpy(dryR, block.right, n * sizeof(float));
    delayDry(dryL, dryR, n);

    if (enable_ == 0.f && enableTarget == 0.f) {
        // Fully bypassed: the processor sleeps; the dry path keeps the chain's latency constant.
        bypassedAtStart_ = true;
        std::memcpy(block.left, dryL, n * sizeof(float));
        std::memcpy(block.right, dryR, n * sizeof(float));
        mixSmooth_.skip(n);
        return true;
    }
    if (bypassedAtStart_) {
        processor_->reset(); // wake with clean state, faded in from silence of the wet path
        bypassedAtStart_ = false;
    }

    processor_->process(block, ctx);
    if (!ops::allFinite(block.left, n) || !ops::allFinite(block.right, n)) {
        processor_->reset();
        std::memset(block.left, 0, n * sizeof(float));
        std::memset(block.right, 0, n * sizeof(float));
        return false;
    }

    const bool steady = enable_ == enableTarget && !mixSmooth_.smoothing();
    if (steady && enable_ == 1.f && mixSmooth_.current() == 1.f) return true; // fully wet

    constexpr float kStep = 1.f / kBypassFadeSamples;
    for (uint32_t i = 0; i < n; ++i) {
        if (enable_ < enableTarget)
            enable_ = std::min(enableTarget, enable_ + kStep);
        else if (enable_ > enableTarget)
            enable_ = std::max(enableTarget, enable_ - kStep);
        const float shaped = 0.5f - 0.5f * std::cos(std::numbers::pi_v<float> * enable_);
        const float w = shaped * mixSmooth_.next();
        block.left[i] = dryL[i] + w * (block.left[i] - dryL[i]);
        block.right[i] = dryR[i] + w * (block.right[i] - dryR[i]);
    }
    if (enable_ == 0.f) bypassedAtStart_ = true;
    return true;
}

} // namespace stagerack::engine
