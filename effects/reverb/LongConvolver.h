// Zero-latency convolution with long impulse responses (up to seconds), all in the caller's thread:
// a non-uniform partition scheme built from single-level pieces, each of which runs synchronously (no
// worker threads, no semaphores, no system calls on the audio thread).
//
//   taps [0, 64)         direct FIR (answers in the same sample)
//   taps [64, 1024)      zita, 64-sample partitions
//   taps [1024, 4096)    zita, 256-sample partitions
//   taps [4096, 16384)   zita, 1024-sample partitions
//   taps [16384, end)    zita, 4096-sample partitions, split into up to 8 segments of whole partitions
//
// A zita level with partition P, fed P samples at a time through a FIFO, hands back the output of a block
// once the block is complete: its response comes out exactly P samples late. A segment covering taps
// [S, E) therefore convolves with h[S..E) and reads its input from a shared history delayed by S - P
// samples (S >= 4 P for every segment), so that its output lands exactly at tap S: the sum of all pieces
// is the exact response with zero latency.
//
// Cost: every piece does all its multiply-accumulates in the sample that completes its block. The
// FIFOs are staggered (256-partition blocks end at 128 mod 256, 1024-partition at 256 mod 1024, the
// 4096-partition segments 512 apart), so no two heavy calls fall into the same 64-sample period; the
// largest single call is one 4096-partition segment, at most about an eighth of the tail's work.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

class Convproc;

namespace stagerack::fx {

class LongConvolver {
public:
    struct Piece {
        uint32_t begin = 0;     // first tap
        uint32_t end = 0;       // one past the last tap
        uint32_t partition = 0; // 0 for the direct head
        uint32_t phase = 0;     // the FIFO's block ends when (sample count - phase) % partition == 0
    };

    LongConvolver();
    ~LongConvolver();
    LongConvolver(const LongConvolver&) = delete;
    LongConvolver& operator=(const LongConvolver&) = delete;

    // Control thread. `right` may be empty (mono: the same response on both sides). Throws
    // std::runtime_error. Leaves the convolver clean (as after reset()).
    void build(const std::vector<float>& left, const std::vector<float>& right);
    std::size_t length() const noexcept { return length_; }
    const std::vector<Piece>& layout() const noexcept { return layout_; }
    // The pieces that would be used for a response of `taps` taps.
    static std::vector<Piece> planLayout(std::size_t taps);

    // Audio thread. reset() clears the whole input history (memory proportional to the response).
    void reset() noexcept;
    void process(const float* inL, const float* inR, float* outL, float* outR, uint32_t n) noexcept;

private:
    struct Segment {
        std::unique_ptr<Convproc> conv;
        uint32_t mask = 0;  // partition - 1
        uint32_t phase = 0; // see Piece
        uint32_t delay = 0; // input delay: begin - partition
        float* inL = nullptr;
        float* inR = nullptr;
        std::vector<float> outL, outR;
    };
    static constexpr uint32_t kDirect = 64;
    void refreshPointers(Segment& s) noexcept;

    // Direct head, reversed (headX_[j] = h[kDirect - 1 - j]) over a mirrored input history.
    alignas(16) std::array<float, kDirect> headL_{}, headR_{};
    alignas(16) std::array<float, 2 * kDirect> dirL_{}, dirR_{};
    uint32_t dirPos_ = 0;
    std::vector<Segment> segments_;
    std::vector<Piece> layout_;
    std::vector<float> histL_, histR_;
    uint32_t histMask_ = 0;
    uint32_t histPos_ = 0;
    uint32_t count_ = 0;
    std::size_t length_ = 0;
};

} // namespace stagerack::fx
