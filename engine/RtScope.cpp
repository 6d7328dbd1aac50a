#include "engine/RtScope.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace stagerack::rt {

#if defined(__x86_64__) || defined(__i386__)
ScopedFlushDenormals::ScopedFlushDenormals() noexcept
    : saved_(_mm_getcsr()) {
    _mm_setcsr(saved_ | 0x8040u); // FTZ (bit 15) | DAZ (bit 6)
}
ScopedFlushDenormals::~ScopedFlushDenormals() {
    _mm_setcsr(saved_);
}
#elif defined(__aarch64__)
ScopedFlushDenormals::ScopedFlushDenormals() noexcept {
    uint64_t fpcr;
    asm volatile("mrs %0, fpcr" : "=r"(fpcr));
    saved_ = static_cast<unsigned>(fpcr);
    asm volatile("msr fpcr, %0" ::"r"(fpcr | (1u << 24)));
}
ScopedFlushDenormals::~ScopedFlushDenormals() {
    uint64_t fpcr = saved_;
    asm volatile("msr fpcr, %0" ::"r"(fpcr));
}
#else
ScopedFlushDenormals::ScopedFlushDenormals() noexcept {}
ScopedFlushDenormals::~ScopedFlushDenormals() {}
#endif

} // namespace stagerack::rt
