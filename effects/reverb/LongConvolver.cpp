#include "effects/reverb/LongConvolver.h"

#include <zita-convolver.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "effects/dsp/FftwPlanner.h"
#include <sched.h>
#include <stdexcept>
#include <string>

namespace stagerack::fx {

namespace {

constexpr uint32_t kHeadTaps = 64;
constexpr uint32_t kMaxSegments = 8;
// Each open-ended segment holds at least this many partitions. Every segment runs its own forward and
// inverse FFTs, so more segments lower the peak call but raise the average; measured at 48 kHz, 8 keeps
// 1 s responses in one segment and the heaviest 64-frame block of a 10 s response near a quarter of the
// period, where 4 costs 20 % less on average for 5-10 s but peaks 1.5 times higher.
constexpr uint32_t kMinPartitionsPerSegment = 8;

using V4 = float __attribute__((vector_size(16)));

struct LevelPlan {
    uint32_t begin, end, partition, phase;
};
// end 0 = to the end of the response. Phases keep the heavy calls in different 64-sample periods.
constexpr LevelPlan kLevels[] = {
    {64, 1024, 64, 32}, {1024, 4096, 256, 128}, {4096, 16384, 1024, 256}, {16384, 0, 4096, 512}};

// 64-tap dot product in four-float vectors (unaligned loads of the history window).
inline float dot64(const float* taps, const float* window) noexcept {
    V4 acc0{}, acc1{};
    for (uint32_t j = 0; j < 64; j += 8) {
        V4 t0, t1, w0, w1;
        std::memcpy(&t0, taps + j, sizeof t0);
        std::memcpy(&t1, taps + j + 4, sizeof t1);
        std::memcpy(&w0, window + j, sizeof w0);
        std::memcpy(&w1, window + j + 4, sizeof w1);
        acc0 += t0 * w0;
        acc1 += t1 * w1;
    }
    const V4 a = acc0 + acc1;
    return (a[0] + a[1]) + (a[2] + a[3]);
}

// One FFTW planner lock for the whole project (effects/dsp/FftwPlanner.h).
std::mutex& plannerMutex() {
    return dsp::fftwPlannerMutex();
}

} // namespace

LongConvolver::LongConvolver() = default;

LongConvolver::~LongConvolver() {
    std::lock_guard lock(plannerMutex()); // cleanup() destroys FFTW plans
    for (auto& s : segments_) {
        s.conv->stop_process();
        s.conv->cleanup();
    }
}

std::vector<LongConvolver::Piece> LongConvolver::planLayout(std::size_t taps) {
    std::vector<Piece> pieces;
    const auto n = static_cast<uint32_t>(taps);
    pieces.push_back({0, std::min(n, kHeadTaps), 0, 0});
    for (const auto& level : kLevels) {
        if (n <= level.begin) break;
        const uint32_t end = level.end == 0 ? n : std::min(n, level.end);
        if (level.end != 0) {
            pieces.push_back({level.begin, end, level.partition, level.phase});
            continue;
        }
        // The open-ended tail: up to eight segments of whole partitions, their blocks ending an eighth of
        // a block apart.
        const uint32_t partitions = (end - level.begin + level.partition - 1) / level.partition;
        const uint32_t segments = std::clamp(partitions / kMinPartitionsPerSegment, 1u, kMaxSegments);
        const uint32_t perSegment = (partitions + segments - 1) / segments;
        for (uint32_t j = 0; j < segments; ++j) {
            const uint32_t b = level.begin + j * perSegment * level.partition;
            if (b >= end) break;
            const uint32_t e = std::min(end, b + perSegment * level.partition);
            pieces.push_back({b, e, level.partition,
                              (level.phase + j * level.partition / kMaxSegments) % level.partition});
        }
    }
    return pieces;
}

void LongConvolver::build(const std::vector<float>& left, const std::vector<float>& rightIn) {
    const std::vector<float>& right = rightIn.empty() ? left : rightIn;
    length_ = std::max(left.size(), right.size());
    if (length_ == 0) throw std::runtime_error("convolver: empty response");
    layout_ = planLayout(length_);
    auto part = [](const std::vector<float>& h, uint32_t b, uint32_t e) {
        std::vector<float> out(e - b, 0.f);
        for (uint32_t i = b; i < e && i < h.size(); ++i)
            out[i - b] = h[i];
        return out;
    };
    headL_.fill(0.f);
    headR_.fill(0.f);
    for (uint32_t j = 0; j < layout_[0].end; ++j) {
        if (j < left.size()) headL_[kDirect - 1 - j] = left[j];
        if (j < right.size()) headR_[kDirect - 1 - j] = right[j];
    }
    {
        std::lock_guard lock(plannerMutex());
        for (auto& s : segments_) {
            s.conv->stop_process();
            s.conv->cleanup();
        }
        segments_.clear();
    }
    uint32_t longestDelay = 0;
    for (std::size_t k = 1; k < layout_.size(); ++k) {
        const Piece& p = layout_[k];
        Segment s;
        s.conv = std::make_unique<Convproc>();
        s.conv->set_options(Convproc::OPT_VECTOR_MODE);
        const uint32_t len = p.end - p.begin;
        {
            std::lock_guard lock(plannerMutex());
            if (s.conv->configure(2, 2, len, p.partition, p.partition, p.partition, 0.f) != 0)
                throw std::runtime_error("convolver: cannot configure for " + std::to_string(length_) +
                                         " taps");
        }
        auto l = part(left, p.begin, p.end);
        auto r = part(right, p.begin, p.end);
        s.conv->impdata_create(0, 0, 1, l.data(), 0, static_cast<int32_t>(len));
        s.conv->impdata_create(1, 1, 1, r.data(), 0, static_cast<int32_t>(len));
        // One level whose partition equals the quantum runs inside process(): no thread is started.
        if (s.conv->start_process(0, SCHED_OTHER) != 0) throw std::runtime_error("convolver: cannot start");
        s.mask = p.partition - 1;
        s.phase = p.phase;
        s.delay = p.begin - p.partition;
        s.outL.assign(p.partition, 0.f);
        s.outR.assign(p.partition, 0.f);
        longestDelay = std::max(longestDelay, s.delay);
        segments_.push_back(std::move(s));
    }
    uint32_t size = 1;
    while (size <= longestDelay)
        size <<= 1;
    histL_.assign(size, 0.f);
    histR_.assign(size, 0.f);
    histMask_ = size - 1;
    reset();
}

void LongConvolver::refreshPointers(Segment& s) noexcept {
    // zita moves its input and output windows after every process() and reset().
    s.inL = s.conv->inpdata(0);
    s.inR = s.conv->inpdata(1);
}

void LongConvolver::reset() noexcept {
    dirL_.fill(0.f);
    dirR_.fill(0.f);
    dirPos_ = 0;
    std::fill(histL_.begin(), histL_.end(), 0.f);
    std::fill(histR_.begin(), histR_.end(), 0.f);
    histPos_ = 0;
    count_ = 0;
    for (auto& s : segments_) {
        // Convproc::reset() leaves its input offset where it was but rewinds the level's, which shifts the
        // response by a block after an odd number of blocks; a stop and restart rewinds both. With one
        // level that runs in process() nothing is started or stopped: no thread, no semaphore.
        s.conv->stop_process();
        s.conv->check_stop();
        s.conv->start_process(0, SCHED_OTHER);
        std::fill(s.outL.begin(), s.outL.end(), 0.f);
        std::fill(s.outR.begin(), s.outR.end(), 0.f);
        refreshPointers(s);
    }
}

void LongConvolver::process(const float* inL, const float* inR, float* outL, float* outR,
                            uint32_t n) noexcept {
    if (length_ == 0) {
        std::fill(outL, outL + n, 0.f);
        std::fill(outR, outR + n, 0.f);
        return;
    }
    float* const hl = histL_.data();
    float* const hr = histR_.data();
    for (uint32_t i = 0; i < n; ++i) {
        // Mirrored history: the last kDirect inputs, oldest first, start at dirX_[dirPos_ + 1].
        dirL_[dirPos_] = dirL_[dirPos_ + kDirect] = inL[i];
        dirR_[dirPos_] = dirR_[dirPos_ + kDirect] = inR[i];
        float yl = dot64(headL_.data(), dirL_.data() + dirPos_ + 1);
        float yr = dot64(headR_.data(), dirR_.data() + dirPos_ + 1);
        if (++dirPos_ == kDirect) dirPos_ = 0;
        hl[histPos_] = inL[i];
        hr[histPos_] = inR[i];
        for (auto& s : segments_) {
            const uint32_t fill = (count_ - s.phase) & s.mask;
            const uint32_t at = (histPos_ - s.delay) & histMask_;
            s.inL[fill] = hl[at];
            s.inR[fill] = hr[at];
            yl += s.outL[fill];
            yr += s.outR[fill];
            if (fill == s.mask) {
                s.conv->process(false);
                const std::size_t bytes = (s.mask + 1) * sizeof(float);
                std::memcpy(s.outL.data(), s.conv->outdata(0), bytes);
                std::memcpy(s.outR.data(), s.conv->outdata(1), bytes);
                refreshPointers(s);
            }
        }
        outL[i] = yl;
        outR[i] = yr;
        histPos_ = (histPos_ + 1) & histMask_;
        ++count_;
    }
}

} // namespace stagerack::fx
