// Building blocks shared by the modulated echoes (tape_echo, analog_delay, reverse_delay): a stereo delay
// line stored as interleaved frames so both channels move through one 2-lane vector, a cubic read for
// fractional (moving) read heads, a bounded soft clipper, a motor-like glide for delay times and a small
// fixed-seed noise source. Header-only and audio-safe: nothing here allocates after prepare().
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numbers>
#include <vector>

namespace stagerack::fx::echo {

// Left and right in the two lanes of one register (GCC/Clang vector extension, as in Waveshapers.h).
using V2 = float __attribute__((vector_size(8)));

inline V2 splat2(float v) noexcept {
    return V2{v, v};
}

// Values below this are written as zero: a decaying loop reaches exact silence instead of spending minutes
// in denormals (the engine sets FTZ/DAZ, a test or a host may not).
inline constexpr float kFlushBelow = 1e-20f;

inline V2 flushTiny(V2 x) noexcept {
    const V2 a = x < 0.f ? -x : x;
    return a < kFlushBelow ? splat2(0.f) : x;
}

inline bool finite2(V2 x) noexcept {
    return std::isfinite(x[0]) && std::isfinite(x[1]);
}

// Zero for NaN, Inf and magnitudes below 1e-20 (called on the coefficient grid for filter states).
inline V2 sanitize(V2 x) noexcept {
    V2 out;
    for (int i = 0; i < 2; ++i) {
        const float a = std::fabs(x[i]);
        out[i] = (a >= kFlushBelow && a <= 1e20f) ? x[i] : 0.f;
    }
    return out;
}

// A tanh-like soft clipper: the (3,2) Pade approximant of tanh, x (27 + x^2) / (27 + 9 x^2), which meets
// +-1 with zero slope at |x| = 3 and is held there. Slope 1 at zero, odd, monotonic, |out| <= 1 for any
// input (NaN aside), one division and no transcendental function.
inline V2 softClip(V2 x) noexcept {
    x = x > 3.f ? splat2(3.f) : x;
    x = x < -3.f ? splat2(-3.f) : x;
    const V2 x2 = x * x;
    return x * (27.f + x2) / (27.f + 9.f * x2);
}

// Two channels of delay memory, frame-interleaved, with a power-of-two length so indices wrap with a mask.
class StereoLine {
public:
    // Room for delays up to `maxDelay` samples (plus the cubic read's look-around).
    void prepare(double maxDelay) {
        const auto need = static_cast<uint32_t>(std::ceil(maxDelay)) + 4;
        uint32_t size = 1;
        while (size < need)
            size <<= 1;
        data_.assign(2 * static_cast<std::size_t>(size), 0.f);
        mask_ = size - 1;
        write_ = 0;
    }
    void clear() noexcept {
        std::fill(data_.begin(), data_.end(), 0.f);
        write_ = 0;
    }
    bool empty() const noexcept { return data_.empty(); }
    // Largest delay that reads only valid history (the cubic needs one sample beyond the integer part).
    double maxReadable() const noexcept { return static_cast<double>(mask_) - 3.0; }

    // The frame written `delay` samples ago (delay >= 1: reads happen before this sample's write).
    V2 at(uint32_t delay) const noexcept { return load((write_ - delay) & mask_); }

    // Catmull-Rom cubic between the frames `n` and `n + 1` samples old, `delay` = n + t. Exact at t = 0
    // (whole-sample delays pass untouched), continuous in value and slope as the head moves (no zipper).
    // Needs delay >= 2.
    V2 read(double delay) const noexcept {
        const auto n = static_cast<uint32_t>(delay);
        const float t = static_cast<float>(delay - static_cast<double>(n));
        const uint32_t base = write_ - n;
        const V2 xm1 = load((base + 1) & mask_); // one sample newer
        const V2 x0 = load(base & mask_);
        const V2 x1 = load((base - 1) & mask_);
        const V2 x2 = load((base - 2) & mask_);
        const V2 c1 = 0.5f * (x1 - xm1);
        const V2 c2 = xm1 - 2.5f * x0 + 2.f * x1 - 0.5f * x2;
        const V2 c3 = 0.5f * (x2 - xm1) + 1.5f * (x0 - x1);
        return ((c3 * t + c2) * t + c1) * t + x0;
    }

    void push(V2 frame) noexcept {
        std::memcpy(&data_[2 * static_cast<std::size_t>(write_)], &frame, sizeof frame);
        write_ = (write_ + 1) & mask_;
    }

private:
    V2 load(uint32_t index) const noexcept {
        V2 v;
        std::memcpy(&v, &data_[2 * static_cast<std::size_t>(index)], sizeof v);
        return v;
    }

    std::vector<float> data_;
    uint32_t mask_ = 0;
    uint32_t write_ = 0;
};

// A delay time that moves like a motor-driven tape or a re-clocked bucket brigade: a critically damped
// second-order glide (in samples, double precision), so the read head accelerates and decelerates smoothly
// and the echoes bend in pitch instead of clicking. `timeConstant` (samples) sets how fast; the head's speed
// is held within +-`maxSpeed` samples per sample (the echo's pitch stays within 1 -+ maxSpeed), so a long
// jump travels at that speed and then settles; the speed stays continuous, only its rate of change jumps
// when the limit is reached. Once it is within 1e-6 of the target it lands exactly, so whole-sample delays
// are exact again.
class Glide {
public:
    void prepare(double timeConstantSamples, double maxSpeed) noexcept {
        omega_ = 1.0 / std::max(1.0, timeConstantSamples);
        maxSpeed_ = maxSpeed;
    }
    void snap(double value) noexcept {
        value_ = target_ = value;
        speed_ = 0.0;
    }
    void setTarget(double target) noexcept { target_ = target; }
    double next() noexcept {
        if (speed_ == 0.0 && value_ == target_) return value_;
        speed_ += omega_ * (omega_ * (target_ - value_) - 2.0 * speed_);
        speed_ = std::clamp(speed_, -maxSpeed_, maxSpeed_);
        value_ += speed_;
        if (std::fabs(target_ - value_) < 1e-6 && std::fabs(speed_) < 1e-6) {
            value_ = target_;
            speed_ = 0.0;
        }
        return value_;
    }
    double value() const noexcept { return value_; }
    double target() const noexcept { return target_; }
    bool moving() const noexcept { return speed_ != 0.0 || value_ != target_; }

private:
    double value_ = 1.0;
    double target_ = 1.0;
    double speed_ = 0.0;
    double omega_ = 1e-3;
    double maxSpeed_ = 0.5;
};

// xorshift32 with a fixed seed: the "random" part of wow and flutter is the same on every run and every
// machine, so renders are reproducible and tests are exact.
class NoiseSource {
public:
    explicit NoiseSource(uint32_t seed = 0x9e3779b9u) noexcept
        : seed_(seed == 0 ? 1u : seed)
        , state_(seed_) {}
    void reset() noexcept { state_ = seed_; }
    // Uniform in [-1, 1).
    float next() noexcept {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 17;
        state_ ^= state_ << 5;
        return static_cast<float>(static_cast<int32_t>(state_)) * (1.f / 2147483648.f);
    }

private:
    uint32_t seed_;
    uint32_t state_;
};

// TPT one-pole gain g / (1 + g) for a cutoff (prewarped, clamped below Nyquist).
inline float onePoleGain(double cutoffHz, double sampleRate) noexcept {
    const double fc = std::clamp(cutoffHz, 1.0, 0.49 * sampleRate);
    const double g = std::tan(std::numbers::pi * fc / sampleRate);
    return static_cast<float>(g / (1.0 + g));
}

// Topology-preserving one-pole: returns the low-pass output; input minus it is the high-pass.
inline V2 onePoleLow(V2 x, V2& state, float gain) noexcept {
    const V2 v = (x - state) * gain;
    const V2 y = v + state;
    state = y + v;
    return y;
}

} // namespace stagerack::fx::echo
