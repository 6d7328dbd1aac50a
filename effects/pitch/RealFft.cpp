#include "effects/pitch/RealFft.h"

#include "effects/dsp/FftwPlanner.h"

#include <fftw3.h>

#include <algorithm>
#include <mutex>
#include <new>

namespace stagerack::fx {

RealFft::~RealFft() {
    std::lock_guard lock(dsp::fftwPlannerMutex());
    release();
}

void RealFft::release() noexcept {
    if (forwardPlan_ != nullptr) fftwf_destroy_plan(static_cast<fftwf_plan>(forwardPlan_));
    if (inversePlan_ != nullptr) fftwf_destroy_plan(static_cast<fftwf_plan>(inversePlan_));
    fftwf_free(time_);
    fftwf_free(spectrum_);
    fftwf_free(scratch_);
    forwardPlan_ = inversePlan_ = nullptr;
    time_ = scratch_ = nullptr;
    spectrum_ = nullptr;
    size_ = 0;
}

void RealFft::prepare(std::size_t size) {
    std::lock_guard lock(dsp::fftwPlannerMutex());
    if (size == size_ && time_ != nullptr) {
        std::fill(time_, time_ + size_, 0.f);
        std::fill(spectrum_, spectrum_ + size_ / 2 + 1, std::complex<float>{});
        return;
    }
    release();
    time_ = fftwf_alloc_real(size);
    scratch_ = fftwf_alloc_real(size);
    auto* spectrum = fftwf_alloc_complex(size / 2 + 1);
    if (time_ == nullptr || scratch_ == nullptr || spectrum == nullptr) {
        fftwf_free(spectrum);
        release();
        throw std::bad_alloc();
    }
    spectrum_ = reinterpret_cast<std::complex<float>*>(spectrum);
    const int n = static_cast<int>(size);
    // FFTW_ESTIMATE: planning must not time the machine (it would scribble over buffers and take long).
    forwardPlan_ = fftwf_plan_dft_r2c_1d(n, scratch_, spectrum, FFTW_ESTIMATE);
    inversePlan_ = fftwf_plan_dft_c2r_1d(n, spectrum, time_, FFTW_ESTIMATE);
    size_ = size;
    std::fill(time_, time_ + size_, 0.f);
    std::fill(scratch_, scratch_ + size_, 0.f);
    std::fill(spectrum_, spectrum_ + size_ / 2 + 1, std::complex<float>{});
}

void RealFft::forward() noexcept {
    std::copy(time_, time_ + size_, scratch_);
    fftwf_execute(static_cast<fftwf_plan>(forwardPlan_));
}

void RealFft::inverse() noexcept {
    fftwf_execute(static_cast<fftwf_plan>(inversePlan_));
}

} // namespace stagerack::fx
