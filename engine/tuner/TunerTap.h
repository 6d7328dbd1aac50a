// The tuner's audio tap: a fixed-capacity single-producer single-consumer ring of samples. The audio
// thread pushes the selected input; the tuner thread pops and analyses. A full ring drops and counts.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace stagerack::tuner {

class TunerTap {
public:
    explicit TunerTap(std::size_t capacityPow2 = std::size_t{1} << 17) // 2.7 s at 48 kHz
        : capacity_(capacityPow2)
        , mask_(capacityPow2 - 1)
        , data_(std::make_unique<float[]>(capacityPow2)) {}

    // Audio thread. Writes what fits; returns the number dropped.
    std::size_t push(const float* x, std::size_t n) noexcept {
        const std::size_t w = write_.load(std::memory_order_relaxed);
        const std::size_t r = read_.load(std::memory_order_acquire);
        const std::size_t room = capacity_ - (w - r);
        const std::size_t take = n < room ? n : room;
        for (std::size_t i = 0; i < take; ++i)
            data_[(w + i) & mask_] = x[i];
        write_.store(w + take, std::memory_order_release);
        if (take < n) dropped_.fetch_add(n - take, std::memory_order_relaxed);
        return n - take;
    }
    // Audio thread: the sum of two inputs, halved (so a mono source on both stays at its level).
    std::size_t pushSum(const float* a, const float* b, std::size_t n) noexcept {
        const std::size_t w = write_.load(std::memory_order_relaxed);
        const std::size_t r = read_.load(std::memory_order_acquire);
        const std::size_t room = capacity_ - (w - r);
        const std::size_t take = n < room ? n : room;
        for (std::size_t i = 0; i < take; ++i)
            data_[(w + i) & mask_] = 0.5f * (a[i] + b[i]);
        write_.store(w + take, std::memory_order_release);
        if (take < n) dropped_.fetch_add(n - take, std::memory_order_relaxed);
        return n - take;
    }
    // Tuner thread. Reads up to `max` samples; returns how many.
    std::size_t pop(float* out, std::size_t max) noexcept {
        const std::size_t r = read_.load(std::memory_order_relaxed);
        const std::size_t w = write_.load(std::memory_order_acquire);
        const std::size_t avail = w - r;
        const std::size_t take = avail < max ? avail : max;
        for (std::size_t i = 0; i < take; ++i)
            out[i] = data_[(r + i) & mask_];
        read_.store(r + take, std::memory_order_release);
        return take;
    }
    uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
    std::size_t capacity() const noexcept { return capacity_; }

private:
    const std::size_t capacity_, mask_;
    std::unique_ptr<float[]> data_;
    alignas(64) std::atomic<std::size_t> write_{0};
    alignas(64) std::atomic<std::size_t> read_{0};
    std::atomic<uint64_t> dropped_{0};
};

} // namespace stagerack::tuner
