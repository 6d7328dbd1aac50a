// Small vectorisable kernels the engine runs on every block (compiled with -O3 and reassociation, in
// BlockOps.cpp, so the reductions vectorise; NaN/Inf checks use the bit pattern and stay exact).
#pragma once

#include <cstdint>

namespace stagerack::engine::ops {

// True when no sample is NaN or +-Inf.
bool allFinite(const float* x, uint32_t n) noexcept;
// Largest |x| and sum of x^2 of the block, accumulated into peak and sumSq.
void peakAndEnergy(const float* x, uint32_t n, float& peak, float& sumSq) noexcept;
void scale(float* x, uint32_t n, float gain) noexcept;
void copyScaled(const float* in, float* out, uint32_t n, float gain) noexcept;

} // namespace stagerack::engine::ops
