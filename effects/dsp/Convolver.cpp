#include "effects/dsp/Convolver.h"

#include "effects/dsp/FftwPlanner.h"

#include <zita-convolver.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <sched.h>
#include <stdexcept>

namespace stagerack::dsp {

Convolver::Convolver() = default;

Convolver::~Convolver() {
    if (tail_) {
        std::lock_guard lock(fftwPlannerMutex()); // cleanup() destroys FFTW plans
        tail_->stop_process();
        tail_->cleanup();
    }
}

void Convolver::build(const std::vector<float>& left, const std::vector<float>& rightIn) {
    const std::vector<float>& right = rightIn.empty() ? left : rightIn;
    length_ = std::max(left.size(), right.size());
    headL_.fill(0.f);
    headR_.fill(0.f);
    for (uint32_t j = 0; j < kHead; ++j) {
        if (j < left.size()) headL_[kHead - 1 - j] = left[j];
        if (j < right.size()) headR_[kHead - 1 - j] = right[j];
    }
    {
        std::lock_guard lock(fftwPlannerMutex()); // destroying a Convproc destroys FFTW plans
        tail_.reset();
    }
    if (length_ > kHead) {
        // FFTW's planner (inside zita's configure) is not thread-safe: one planner at a time.
        std::lock_guard lock(fftwPlannerMutex());
        auto conv = std::make_unique<Convproc>();
        conv->set_options(Convproc::OPT_VECTOR_MODE); // SIMD multiply-accumulate of the partitions
        const auto tailLen = static_cast<uint32_t>(length_ - kHead);
        if (conv->configure(2, 2, tailLen, kHead, kHead, kHead, 0.f) != 0)
            throw std::runtime_error("convolver: cannot configure for " + std::to_string(length_) + " taps");
        std::vector<float> l(tailLen, 0.f), r(tailLen, 0.f);
        for (std::size_t i = kHead; i < left.size(); ++i)
            l[i - kHead] = left[i];
        for (std::size_t i = kHead; i < right.size(); ++i)
            r[i - kHead] = right[i];
        conv->impdata_create(0, 0, 1, l.data(), 0, static_cast<int32_t>(tailLen));
        conv->impdata_create(1, 1, 1, r.data(), 0, static_cast<int32_t>(tailLen));
        if (conv->start_process(0, SCHED_OTHER) != 0) throw std::runtime_error("convolver: cannot start");
        tail_ = std::move(conv);
    }
    reset();
}

void Convolver::reset() noexcept {
    histL_.fill(0.f);
    histR_.fill(0.f);
    histPos_ = 0;
    tailOutL_.fill(0.f);
    tailOutR_.fill(0.f);
    fill_ = 0;
    if (tail_) {
        // Convproc::reset() rewinds its partition level but not its input offset, which leaves the tail
        // one partition late after an odd number of partitions; a stop/start cycle rewinds both. With a
        // single level processed in the caller's thread this starts no thread and posts no semaphore
        // (the RT-safety proof interposes pthread_create and the semaphore calls).
        tail_->stop_process();
        tail_->check_stop();
        tail_->reset();
        tail_->start_process(0, SCHED_OTHER);
    }
}

float Convolver::head(const std::array<float, kHead>& taps, const float* window) const noexcept {
    // Eight partial sums: vectorises without reassociation flags.
    float acc[8]{};
    for (uint32_t j = 0; j < kHead; j += 8)
        for (uint32_t k = 0; k < 8; ++k)
            acc[k] += taps[j + k] * window[j + k];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

void Convolver::process(const float* inL, const float* inR, float* outL, float* outR, uint32_t n) noexcept {
    for (uint32_t i = 0; i < n; ++i) {
        const float xl = inL[i], xr = inR[i];
        // Mirrored history: the last kHead inputs, oldest first, are histX_[histPos_ + 1 .. histPos_ +
        // kHead].
        histL_[histPos_] = histL_[histPos_ + kHead] = xl;
        histR_[histPos_] = histR_[histPos_ + kHead] = xr;
        float yl = head(headL_, histL_.data() + histPos_ + 1);
        float yr = head(headR_, histR_.data() + histPos_ + 1);
        if (++histPos_ == kHead) histPos_ = 0;
        if (tail_) {
            tail_->inpdata(0)[fill_] = xl;
            tail_->inpdata(1)[fill_] = xr;
            yl += tailOutL_[fill_];
            yr += tailOutR_[fill_];
            if (++fill_ == kHead) {
                tail_->process(false);
                std::memcpy(tailOutL_.data(), tail_->outdata(0), kHead * sizeof(float));
                std::memcpy(tailOutR_.data(), tail_->outdata(1), kHead * sizeof(float));
                fill_ = 0;
            }
        }
        outL[i] = yl;
        outR[i] = yr;
    }
}

} // namespace stagerack::dsp
