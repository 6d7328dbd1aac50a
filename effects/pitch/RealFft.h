// A real-input FFT of one fixed size with its buffers, for the pitch family (tracker autocorrelation,
// phase vocoder). Plans are made in prepare() and destroyed in the destructor, both under the one
// project-wide FFTW planner lock (effects/dsp/FftwPlanner.h); forward() and inverse() only execute the
// prepared plans on the prepared buffers, which FFTW allows on the audio thread (no allocation, no lock).
#pragma once

#include <complex>
#include <cstddef>

namespace stagerack::fx {

class RealFft {
public:
    RealFft() = default;
    ~RealFft();
    RealFft(const RealFft&) = delete;
    RealFft& operator=(const RealFft&) = delete;

    // Control thread: (re)allocates and plans for `size` points (even). Buffers start zeroed.
    void prepare(std::size_t size);
    std::size_t size() const noexcept { return size_; }
    float* time() noexcept { return time_; }
    // size / 2 + 1 bins. std::complex<float> is layout-compatible with fftwf_complex.
    std::complex<float>* spectrum() noexcept { return spectrum_; }
    // time() -> spectrum(); time() is preserved.
    void forward() noexcept;
    // spectrum() -> time(), unnormalised (a forward/inverse pair scales by size); spectrum() is destroyed.
    void inverse() noexcept;

private:
    void release() noexcept;

    std::size_t size_ = 0;
    float* time_ = nullptr;
    std::complex<float>* spectrum_ = nullptr;
    float* scratch_ = nullptr; // forward() runs on a copy: FFTW's r2c may not overwrite, but c2r does
    void* forwardPlan_ = nullptr;
    void* inversePlan_ = nullptr;
};

} // namespace stagerack::fx
