// Zero-latency stereo convolution for any block size: the first kHead taps run as a direct FIR, the rest
// through zita-convolver with uniform partitions of kHead samples, processed in the caller's thread (one
// partition level, so zita starts no worker threads and posts no semaphores on the audio thread). The
// tail's kHead-sample block delay is exactly absorbed by starting it at tap kHead.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

class Convproc;

namespace stagerack::dsp {

class Convolver {
public:
    static constexpr uint32_t kHead = 64; // zita's smallest partition

    Convolver();
    ~Convolver();
    Convolver(const Convolver&) = delete;
    Convolver& operator=(const Convolver&) = delete;

    // Control thread. `right` may be empty (mono IR for both sides). Throws std::runtime_error.
    void build(const std::vector<float>& left, const std::vector<float>& right);
    std::size_t length() const noexcept { return length_; }

    // Audio thread.
    void reset() noexcept;
    void process(const float* inL, const float* inR, float* outL, float* outR, uint32_t n) noexcept;

private:
    float head(const std::array<float, kHead>& taps, const float* window) const noexcept;

    std::array<float, kHead> headL_{}, headR_{}; // reversed: headX_[j] = h[kHead - 1 - j]
    std::array<float, 2 * kHead> histL_{}, histR_{};
    uint32_t histPos_ = 0;
    std::unique_ptr<Convproc> tail_;
    std::array<float, kHead> tailOutL_{}, tailOutR_{};
    uint32_t fill_ = 0;
    std::size_t length_ = 0;
};

} // namespace stagerack::dsp
