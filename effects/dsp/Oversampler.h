// Up/down sampling by 2, 4 or 8 for nonlinear processing (drives), built from linear-phase FIR stages that
// are designed in prepare() (Kaiser-windowed sinc) and hold all their state in fixed arrays: no allocation
// anywhere, and the whole object can be copied (the drives copy one channel's state into the other).
//
// Stages (F = factor, fs = base rate):
//   up, every stage:  polyphase half-band (half the taps are zero, one phase is a pure delay).
//   down, 2fs -> fs:  a full (not half-band) low-pass, flat to kPassband * fs and at least kStopbandDb down
//                     from fs / 2: nothing above the base Nyquist frequency folds back. A half-band here
//                     would be only 6 dB down at fs / 2, and the harmonics of a clipped signal just above
//                     it (the 12th of 2011 Hz is 24132 Hz) would come back just below it.
//   down, higher:     half-band stages; what they fold lands above fs / 2 and the last stage removes it.
// The delays of all stages add up to a whole number of base-rate samples (a short pad delay at the top rate
// tops them up), so latencySamples() is exact.
//
// Blocks: every stage runs a whole block at a time (up to kBlock base samples) on a linear history buffer,
// computing four consecutive outputs per step as one vector (the taps folded in symmetric pairs, polyphase:
// no multiplications by the half-bands' zero taps, and the decimators compute only the samples they keep).
// Each output is the same sequence of operations whatever the block it falls in, so the result does not
// depend on how a stream is cut into blocks (bit for bit).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace stagerack::dsp {

class Oversampler {
public:
    using V4 = float __attribute__((vector_size(16)));

    static constexpr uint32_t kMaxFactor = 8;
    // Passband edge as a fraction of the base rate: 19.2 kHz at 48 kHz, 17.6 kHz at 44.1 kHz.
    static constexpr double kPassband = 0.4;
    // Design stopband attenuation of every stage (Kaiser window); measured in OversamplerTest.
    static constexpr double kStopbandDb = 90.0;
    // Base-rate samples per internal block (longer calls are cut into blocks of this size).
    static constexpr std::size_t kBlock = 32;
    static constexpr std::size_t kMaxHalf = 20;       // a half-band's odd phase has 2 half <= 40 taps
    static constexpr std::size_t kMaxSharpTaps = 129; // the final decimator, 4 m + 1 taps

    // factor is 1 (pass-through), 2, 4 or 8; other values are rounded down to one of those.
    void prepare(uint32_t factor);
    void reset() noexcept;

    uint32_t factor() const noexcept { return factor_; }
    // Delay of upsample() followed by downsample(), in base-rate samples (exact).
    uint32_t latencySamples() const noexcept { return latency_; }
    // Filter lengths, for reports and tests: taps of the first up stage and of the final decimator.
    std::size_t firstUpTaps() const noexcept { return 4 * up_[0].half - 1; }
    std::size_t finalDownTaps() const noexcept { return sharp_.taps; }

    // n base-rate samples in, n * factor() out (in time order).
    void upsample(const float* in, std::size_t n, float* out) noexcept;
    // n * factor() samples in (in time order), n base-rate samples out.
    void downsample(const float* in, std::size_t n, float* out) noexcept;

    // One base-rate sample in, factor() samples out.
    void upsample(float x, float* out) noexcept { upsample(&x, 1, out); }
    // factor() samples in, one base-rate sample out.
    float downsample(const float* in) noexcept {
        float y = 0.f;
        downsample(in, 1, &y);
        return y;
    }

private:
    // Largest input block of any stage (per polyphase branch), plus room for the last vector's spare lanes.
    static constexpr std::size_t kMaxIn = kBlock * kMaxFactor / 2;
    static constexpr std::size_t kTail = 4;
    static constexpr std::size_t kHalfFront = 2 * kMaxHalf;
    static constexpr std::size_t kSharpFront = (kMaxSharpTaps - 1) / 2 + 4;
    static constexpr std::size_t kMaxSharpPairs = (kMaxSharpTaps - 1) / 4;

    // A signal with history: x(t) is at[Front + t], t from -Front; a block is t = 0 .. n - 1 (n <= Size).
    template <std::size_t Front, std::size_t Size>
    struct Line {
        alignas(16) std::array<float, Front + Size + kTail> at{};
        float* now() noexcept { return at.data() + Front; }
        const float* now() const noexcept { return at.data() + Front; }
        // Keep the last `keep` samples of a block of n as the history of the next.
        void advance(std::size_t n, std::size_t keep) noexcept;
        void clear() noexcept { at.fill(0.f); }
    };

    // Interpolating half-band, rate r -> 2r. Its odd phase has 2 half taps c_j, symmetric, which make the
    // even outputs; the odd outputs are the input half - 1 samples ago. Delay 2 half - 1 samples at 2r.
    struct HalfbandUp {
        std::size_t half = 1;
        std::array<V4, kMaxHalf> coef{}; // c_j, j < half (c_j = c_{2 half - 1 - j})
        Line<kHalfFront, kMaxIn> in;
        // The block of n inputs in `in` to 2n outputs.
        void run(std::size_t n, float* out) noexcept;
        template <std::size_t P>
        void runFixed(std::size_t n, float* out) noexcept;
    };
    // Decimating half-band, rate 2r -> r (the same filter with gain 1 instead of 2): the even inputs meet
    // the 2 half side taps, the odd ones the centre tap 1/2.
    struct HalfbandDown {
        std::size_t half = 1;
        std::array<V4, kMaxHalf> coef{};
        Line<kHalfFront, kMaxIn> even;
        Line<kHalfFront, kMaxIn> odd;
        void run(const float* in, std::size_t n, float* out) noexcept; // 2n inputs, n outputs
        template <std::size_t P>
        void runFixed(std::size_t n, float* out) noexcept;
    };
    // Decimating full low-pass, rate 2r -> r, 4 m + 1 taps (delay 2 m samples at 2r), split into its even
    // (2 m + 1 taps, centred) and odd (2 m taps) phases, both symmetric.
    struct SharpDown {
        std::size_t taps = 1;
        std::size_t m = 0;
        std::array<V4, kMaxSharpPairs> evenCoef{}; // g_2j, j < m (pairs with 2 m - j; g_2m is the centre)
        std::array<V4, kMaxSharpPairs> oddCoef{};  // g_2j+1, j < m (pairs with 2 m - 1 - j)
        V4 centre{};
        Line<kSharpFront, kBlock> even;
        Line<kSharpFront, kBlock> odd;
        void run(const float* in, std::size_t n, float* out) noexcept;
        template <std::size_t P>
        void runFixed(std::size_t n, float* out) noexcept;
    };

    void upBlock(const float* in, std::size_t n, float* out) noexcept;
    void downBlock(const float* in, std::size_t n, float* out) noexcept;

    uint32_t factor_ = 1;
    uint32_t stages_ = 0;
    uint32_t latency_ = 0;
    uint32_t pad_ = 0;
    std::array<HalfbandUp, 3> up_{};
    std::array<HalfbandDown, 3> down_{}; // index 0 unused: the last decimation is sharp_
    SharpDown sharp_{};
    Line<kMaxFactor, kBlock * kMaxFactor> padLine_; // the top-rate pad delay
};

} // namespace stagerack::dsp
