// A delay line for modulated (fractional, moving) delays: 4-point, 3rd-order Lagrange interpolation.
// A delay that moves every sample reads a smooth curve through the stored samples instead of stepping
// between them (no zipper noise, no images of whole-sample jumps); at whole-sample delays the read is
// exact (the interpolator passes the sample through unchanged), so a fixed integer tap is a pure delay.
//
// Reads happen before the current input is pushed: read(d) returns x[n - d] for the x[n] about to be
// pushed, which lets feedback paths use the read. Valid delays are kMinDelay .. maxDelay.
// The buffer stores every sample twice (at w and w + size), so the four taps are one contiguous load.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace stagerack::dsp {

class ModDelay {
public:
    using V4 = float __attribute__((vector_size(16)));

    // The interpolator reads the samples at delays floor(d) - 1 .. floor(d) + 2; the newest stored one
    // is at delay 1.
    static constexpr float kMinDelay = 2.f;

    // Control thread: room for delays up to `maxDelaySamples`.
    void prepare(uint32_t maxDelaySamples) {
        uint32_t size = 4;
        while (size < maxDelaySamples + 4)
            size <<= 1;
        buffer_.assign(2 * static_cast<std::size_t>(size), 0.f);
        mask_ = size - 1;
        maxDelay_ = static_cast<float>(size - 4);
        write_ = 0;
    }
    void clear() noexcept {
        std::fill(buffer_.begin(), buffer_.end(), 0.f);
        write_ = 0;
    }
    float maxDelay() const noexcept { return maxDelay_; }

    void push(float x) noexcept {
        buffer_[write_] = x;
        buffer_[write_ + mask_ + 1] = x;
        write_ = (write_ + 1) & mask_;
    }

    // The four stored samples around delay `whole` (at delays whole + 2, + 1, whole, whole - 1).
    V4 taps(uint32_t whole) const noexcept {
        V4 v;
        std::memcpy(&v, buffer_.data() + ((write_ - whole - 2) & mask_), sizeof v);
        return v;
    }

    // Lagrange weights for the taps() order at fraction f in [0, 1) of the delay whole + f.
    static V4 weights(float f) noexcept {
        constexpr V4 kA{0.f, 0.f, 1.f, 0.f};
        constexpr V4 kB{-1.f / 6, 1.f, -0.5f, -1.f / 3};
        constexpr V4 kC{0.f, 0.5f, -1.f, 0.5f};
        constexpr V4 kD{1.f / 6, -0.5f, 0.5f, -1.f / 6};
        const V4 fv = V4{} + f;
        return kA + fv * (kB + fv * (kC + fv * kD));
    }

    static float sum(V4 v) noexcept { return (v[0] + v[1]) + (v[2] + v[3]); }

    // x[n - delay] for kMinDelay <= delay <= maxDelay() (clamped).
    float read(float delay) const noexcept {
        const float d = std::clamp(delay, kMinDelay, maxDelay_);
        const auto whole = static_cast<uint32_t>(d);
        return sum(taps(whole) * weights(d - static_cast<float>(whole)));
    }
    // The exact sample at a whole delay (1 <= delay <= maxDelay()).
    float at(uint32_t delay) const noexcept { return buffer_[(write_ - delay) & mask_]; }

private:
    std::vector<float> buffer_ = std::vector<float>(8, 0.f);
    uint32_t mask_ = 3;
    uint32_t write_ = 0;
    float maxDelay_ = kMinDelay;
};

} // namespace stagerack::dsp
