#include "engine/BlockOps.h"

#include <cmath>
#include <cstring>

namespace stagerack::engine::ops {

bool allFinite(const float* x, uint32_t n) noexcept {
    // Exponent all ones <=> NaN or Inf. An integer OR-reduction vectorises without fast-math.
    uint32_t bad = 0;
    for (uint32_t i = 0; i < n; ++i) {
        uint32_t bits;
        std::memcpy(&bits, x + i, sizeof bits);
        bad |= static_cast<uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
    }
    return bad == 0;
}

void peakAndEnergy(const float* x, uint32_t n, float& peak, float& sumSq) noexcept {
    // |x| as bits: for non-negative floats the integer order is the float order, and an unsigned max
    // reduction vectorises (std::fmax would be a libm call per sample with NaN semantics kept).
    uint32_t p;
    std::memcpy(&p, &peak, sizeof p);
    float s = 0.f;
    for (uint32_t i = 0; i < n; ++i) {
        uint32_t bits;
        std::memcpy(&bits, x + i, sizeof bits);
        bits &= 0x7fffffffu;
        p = bits > p ? bits : p;
        s += x[i] * x[i];
    }
    std::memcpy(&peak, &p, sizeof p);
    sumSq += s;
}

void scale(float* x, uint32_t n, float gain) noexcept {
    for (uint32_t i = 0; i < n; ++i)
        x[i] *= gain;
}

void copyScaled(const float* in, float* out, uint32_t n, float gain) noexcept {
    for (uint32_t i = 0; i < n; ++i)
        out[i] = in[i] * gain;
}

} // namespace stagerack::engine::ops
