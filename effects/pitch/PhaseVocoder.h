// The quality engine of pitch_shift: a phase vocoder that moves every spectral peak by the ratio and locks
// the phases of its neighbouring bins to it (Laroche and Dolson's peak shifting with identity phase
// locking), so chords and their beating survive and nothing is resampled in time.
//
// Frames of N samples (N = the power of two nearest 85 ms: 4096 at 44.1/48 kHz, 8192 at 96 kHz) every
// N/8 samples, Hann analysis and synthesis windows (their product overlap-adds to exactly 3). Both
// channels are transformed; peaks, their true frequencies (from the phase advance since the previous frame)
// and the regions they own (down to the lowest bin between two peaks) come from the sum of the channels,
// and each region of both channels is moved by the same whole number of bins and rotated by the same
// angle, so the stereo image stays put. A peak at w moves to ratio x w: its region shifts by
// round((ratio - 1) w N / 2 pi) bins and its phase, referred to the frame centre, advances by
// (ratio - 1) w per sample of hop on top of the input's own advance. The fraction of a bin that rounding
// leaves (at most 1/2) makes each frame's sinusoid slightly off the frequency its phase advance implies;
// overlap-adding such frames keeps the implied (exact) frequency and loses W(e)/W(0) of amplitude, where W
// is the spectrum of the product window, which is divided back out; what is left are sidebands at
// multiples of rate / hop, W(8 - e) down: an eighth-frame hop puts them below -75 dB (a quarter-frame
// hop left them at -47 dB). Shifting up, whatever lands above
// Nyquist is dropped, so nothing aliases.
// Work is spread over time so that no host block carries a whole frame (four FFTs of up to 16384 points and
// the moving of up to 8193 bins at 192 kHz): a frame is done in kStages stages (forward FFT left, forward
// FFT right, peak picking, the regions in four parts, inverse left, inverse right, overlap-add), one per
// slot, on a grid of kSlotsPerHop slots per hop counted on the engine's own sample clock (so the host's
// block size never matters; at 192 kHz the slots are 68 samples apart, more than a 64-frame block). In the
// steady state a frame takes the first kStages slots after its last sample; the others stay free for
// catching up. Latency: N + floor(9 hop / 30) samples (the frame's first output sample is due once its
// overlap-add, at its tenth slot, is done). At ratio 1 the engine is the identity (a delay of latency()).
// Starting while the input runs (start()): the engine goes back into the history far enough to have
// complete output kWarmUpHops hops later and works through the missed frames three per hop (every slot) until
// it is back on time; readyAt() says from when its output is complete.
#pragma once

#include "effects/pitch/RealFft.h"
#include "effects/pitch/SampleRing.h"

#include <complex>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace stagerack::fx {

class PhaseVocoder {
public:
    static constexpr double kFrameSeconds = 0.085;
    static constexpr int kOverlap = 8;
    static constexpr int kRegionStages = 4; // moving the regions costs most: it is split in four
    static constexpr int kStages = 6 + kRegionStages;
    static constexpr int kSlotsPerHop = 3 * kStages;
    static constexpr int kWarmUpHops = 4;

    void prepare(double sampleRate); // control thread
    // Clears everything: the input history is silence from sample 0 on, and the output is complete at once.
    void reset() noexcept;
    uint32_t latency() const noexcept { return latency_; }
    std::size_t frameSize() const noexcept { return size_; }
    std::size_t hopSize() const noexcept { return hop_; }
    // History the input rings must keep.
    std::size_t ringFrames() const noexcept { return 3 * size_; }

    // The engine was idle and starts at sample `now` with the input's history in the rings (call before
    // process() at `now`). Cheap: the missed frames are worked off in the following slots.
    void start(int64_t now) noexcept;
    // The first sample from which process()'s output is the complete shifted signal.
    int64_t readyAt() const noexcept { return readyAt_; }
    // Diagnostics for tests: FFTs executed since prepare().
    uint64_t fftCount() const noexcept { return ffts_; }

    // After input sample `now` is in the rings: does the stage of a frame due at this slot, if any, then
    // returns the output due at `now` (the input of now - latency(), shifted).
    void process(const SampleRing& inL, const SampleRing& inR, int64_t now, double ratio, float& outL,
                 float& outR) noexcept;

private:
    bool isSlot(int64_t now) const noexcept;
    void stage(const SampleRing& inL, const SampleRing& inR, int64_t now, double ratio) noexcept;
    void analyse(double ratio, std::size_t from, std::size_t until) noexcept;
    void overlapAdd(int64_t now) noexcept;
    static double scallop(double bins) noexcept;

    std::size_t size_ = 4096;
    std::size_t hop_ = 512;
    std::size_t bins_ = 2049;
    uint32_t latency_ = 0;
    std::vector<float> window_;
    RealFft fftL_, fftR_;
    std::vector<std::complex<float>> yL_, yR_;
    std::vector<std::complex<float>> previous_; // last frame's sum spectrum
    std::vector<double> theta_, nextTheta_;     // rotation of the region each bin belonged to
    std::vector<float> power_;
    std::vector<std::size_t> peaks_;
    std::size_t peakCount_ = 0;
    std::size_t regionLo_ = 0;       // first bin of the next region
    std::vector<float> accL_, accR_; // overlap-add, indexed by input sample
    std::size_t accMask_ = 0;
    double outScale_ = 1.0;

    int64_t frameEnd_ = 0;   // last input sample of the frame in work (or next due)
    int stage_ = 0;          // its next stage
    int64_t outputFrom_ = 0; // frames ending before this only set the phase reference (after start())
    int64_t readyAt_ = 0;
    int64_t promised_ = 0; // start() + kWarmUpHops hops: readyAt() is exactly this when the catch-up works
    bool late_ = false;    // working off missed frames
    uint64_t ffts_ = 0;
};

} // namespace stagerack::fx
