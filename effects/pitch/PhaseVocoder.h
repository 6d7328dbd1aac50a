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
// Latency: N - 1 samples (the frame is complete when its last sample arrives; its first output sample is
// due then). At ratio 1 the engine is the identity (a delay of N - 1 samples).
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

    void prepare(double sampleRate); // control thread
    void reset() noexcept;
    uint32_t latency() const noexcept { return static_cast<uint32_t>(size_ - 1); }
    std::size_t frameSize() const noexcept { return size_; }
    // History the input rings must keep.
    std::size_t ringFrames() const noexcept { return 3 * size_; }

    // After input sample `now` is in the rings: computes a frame when one ends here, then returns the
    // output due at `now` (the input of now - latency(), shifted).
    void process(const SampleRing& inL, const SampleRing& inR, int64_t now, double ratio, float& outL,
                 float& outR) noexcept;
    // Rebuilds the overlap-add state from the history in the rings, as if the engine had been running:
    // called before process() at `now` when the engine was idle.
    void warmStart(const SampleRing& inL, const SampleRing& inR, int64_t now, double ratio) noexcept;

private:
    void frame(const SampleRing& inL, const SampleRing& inR, int64_t end, double ratio, bool output) noexcept;
    static double scallop(double bins) noexcept;

    std::size_t size_ = 4096;
    std::size_t hop_ = 1024;
    std::size_t bins_ = 2049;
    std::vector<float> window_;
    RealFft fftL_, fftR_;
    std::vector<std::complex<float>> yL_, yR_;
    std::vector<std::complex<float>> previous_; // last frame's sum spectrum
    std::vector<double> theta_, nextTheta_;     // rotation of the region each bin belonged to
    std::vector<float> power_;
    std::vector<std::size_t> peaks_;
    std::vector<float> accL_, accR_; // overlap-add, indexed by input sample
    std::size_t accMask_ = 0;
    double outScale_ = 1.0;
};

} // namespace stagerack::fx
