// Per-sample parameter smoothing: linear ramps for gains and mixes, multiplicative ramps for
// frequencies and times (JUCE's SmoothedValue idea; our own code). Audio-safe: no allocation.
#pragma once

#include <cmath>
#include <cstdint>

namespace stagerack::dsp {

inline float dbToGain(float db) noexcept {
    return std::pow(10.f, db * 0.05f);
}
// A level knob whose bottom means off: at or below `floorDb` the gain is exactly 0.
inline float dbToGainOrOff(float db, float floorDb) noexcept {
    return db <= floorDb ? 0.f : dbToGain(db);
}
inline float gainToDb(float g) noexcept {
    return 20.f * std::log10(g);
}

// Reaches the target exactly after `rampSamples` samples with a constant step.
class LinearSmoothed {
public:
    void prepare(double sampleRate, float rampMs) noexcept {
        rampSamples_ = static_cast<uint32_t>(std::lround(sampleRate * rampMs * 0.001));
        if (rampSamples_ == 0) rampSamples_ = 1;
    }
    void setImmediate(float v) noexcept {
        current_ = target_ = v;
        left_ = 0;
    }
    void setTarget(float v) noexcept {
        if (v == target_) return;
        target_ = v;
        left_ = rampSamples_;
        step_ = (target_ - current_) / static_cast<float>(left_);
    }
    float next() noexcept {
        if (left_ == 0) return current_;
        if (--left_ == 0)
            current_ = target_;
        else
            current_ += step_;
        return current_;
    }
    // Advance n samples at once (for block-rate consumers).
    float skip(uint32_t n) noexcept {
        if (left_ == 0) return current_;
        if (n >= left_) {
            left_ = 0;
            current_ = target_;
        } else {
            left_ -= n;
            current_ += step_ * static_cast<float>(n);
        }
        return current_;
    }
    bool smoothing() const noexcept { return left_ != 0; }
    float current() const noexcept { return current_; }
    float target() const noexcept { return target_; }

private:
    float current_ = 0.f;
    float target_ = 0.f;
    float step_ = 0.f;
    uint32_t left_ = 0;
    uint32_t rampSamples_ = 1;
};

// Ramps geometrically (constant ratio per sample): for positive quantities such as Hz and ms.
class MultiplicativeSmoothed {
public:
    void prepare(double sampleRate, float rampMs) noexcept {
        rampSamples_ = static_cast<uint32_t>(std::lround(sampleRate * rampMs * 0.001));
        if (rampSamples_ == 0) rampSamples_ = 1;
    }
    void setImmediate(float v) noexcept {
        current_ = target_ = v;
        left_ = 0;
    }
    void setTarget(float v) noexcept {
        if (v == target_) return;
        target_ = v;
        left_ = rampSamples_;
        ratio_ = std::exp((std::log(target_) - std::log(current_)) / static_cast<double>(left_));
    }
    float next() noexcept {
        if (left_ == 0) return current_;
        if (--left_ == 0)
            current_ = target_;
        else
            current_ = static_cast<float>(current_ * ratio_);
        return current_;
    }
    bool smoothing() const noexcept { return left_ != 0; }
    float current() const noexcept { return current_; }
    float target() const noexcept { return target_; }

private:
    float current_ = 1.f;
    float target_ = 1.f;
    double ratio_ = 1.0;
    uint32_t left_ = 0;
    uint32_t rampSamples_ = 1;
};

} // namespace stagerack::dsp
