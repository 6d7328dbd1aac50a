// Up/down sampling by 2, 4 or 8 for nonlinear processing (drives, amps), built from linear-phase FIR
// stages that are designed in prepare() (Kaiser-windowed sinc) and hold all their state in fixed arrays:
// no allocation anywhere, and the whole object can be copied (the drives copy one channel's state into
// the other).
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
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace stagerack::dsp {

class Oversampler {
public:
    static constexpr uint32_t kMaxFactor = 8;
    // Passband edge as a fraction of the base rate: 19.2 kHz at 48 kHz, 17.6 kHz at 44.1 kHz.
    static constexpr double kPassband = 0.4;
    // Design stopband attenuation of every stage (Kaiser window); measured in OversamplerTest.
    static constexpr double kStopbandDb = 90.0;
    // Array sizes: tap counts are rounded up to a multiple of kLanes so the dot products vectorise.
    static constexpr std::size_t kLanes = 8;
    static constexpr std::size_t kMaxHalfbandTaps = 40; // odd-phase taps of one half-band stage
    static constexpr std::size_t kMaxSharpTaps = 128;

    // factor is 1 (pass-through), 2, 4 or 8; other values are rounded down to one of those.
    void prepare(uint32_t factor);
    void reset() noexcept;

    uint32_t factor() const noexcept { return factor_; }
    // Delay of upsample() followed by downsample(), in base-rate samples (exact).
    uint32_t latencySamples() const noexcept { return latency_; }
    // Filter lengths, for reports and tests: taps of the first up stage and of the final decimator.
    std::size_t firstUpTaps() const noexcept { return 4 * up_[0].half - 1; }
    std::size_t finalDownTaps() const noexcept { return sharp_.taps; }

    // One base-rate sample in, factor() samples out (in time order).
    void upsample(float x, float* out) noexcept {
        if (factor_ == 1) {
            out[0] = x;
            return;
        }
        float a[kMaxFactor];
        float b[kMaxFactor];
        up_[0].process(x, stages_ == 1 ? out : a);
        if (stages_ == 1) return;
        for (uint32_t i = 0; i < 2; ++i)
            up_[1].process(a[i], stages_ == 2 ? out + 2 * i : b + 2 * i);
        if (stages_ == 2) return;
        for (uint32_t i = 0; i < 4; ++i)
            up_[2].process(b[i], out + 2 * i);
    }

    // factor() samples in (in time order), one base-rate sample out.
    float downsample(const float* in) noexcept {
        if (factor_ == 1) return in[0];
        float a[kMaxFactor];
        float b[kMaxFactor];
        const float* src = in;
        if (pad_ > 0) {
            for (uint32_t i = 0; i < factor_; ++i) {
                padLine_[padPos_] = in[i];
                a[i] = padLine_[(padPos_ + kPadSize - pad_) % kPadSize];
                padPos_ = (padPos_ + 1) % kPadSize;
            }
            src = a;
        }
        if (stages_ == 3) {
            for (uint32_t i = 0; i < 4; ++i)
                b[i] = down_[2].process(src[2 * i], src[2 * i + 1]);
            src = b;
        }
        if (stages_ >= 2) {
            float c[2];
            for (uint32_t i = 0; i < 2; ++i)
                c[i] = down_[1].process(src[2 * i], src[2 * i + 1]);
            return sharp_.process(c[0], c[1]);
        }
        return sharp_.process(src[0], src[1]);
    }

private:
    static constexpr uint32_t kPadSize = 16;

    // Interpolating half-band, rate r -> 2r. With 2 * half odd-phase taps (filter length 4 half - 1) the
    // even outputs are a dot product of the last 2 * half inputs and the odd ones the input half - 1
    // samples ago; delay 2 half - 1 samples at 2r.
    struct HalfbandUp {
        std::size_t half = 1;
        std::size_t taps = kLanes; // padded
        alignas(32) std::array<float, kMaxHalfbandTaps> coef{};
        alignas(32) std::array<float, 2 * kMaxHalfbandTaps> hist{};
        std::size_t pos = 0;
        void process(float x, float* out) noexcept;
        void clear() noexcept;
    };
    // Decimating half-band, rate 2r -> r (same filter shape as HalfbandUp, gain 1 instead of 2).
    struct HalfbandDown {
        std::size_t half = 1;
        std::size_t taps = kLanes;
        alignas(32) std::array<float, kMaxHalfbandTaps> coef{};
        alignas(32) std::array<float, 2 * kMaxHalfbandTaps> even{};
        alignas(32) std::array<float, 2 * kMaxHalfbandTaps> odd{};
        std::size_t pos = 0;
        float process(float v0, float v1) noexcept;
        void clear() noexcept;
    };
    // Decimating full low-pass, rate 2r -> r; odd length, delay (taps - 1) / 2 samples at 2r.
    struct SharpDown {
        std::size_t taps = 1;
        std::size_t padded = kLanes;
        alignas(32) std::array<float, kMaxSharpTaps> coef{};
        alignas(32) std::array<float, 2 * kMaxSharpTaps> hist{};
        std::size_t pos = 0;
        float process(float v0, float v1) noexcept;
        void clear() noexcept;
    };

    uint32_t factor_ = 1;
    uint32_t stages_ = 0;
    uint32_t latency_ = 0;
    uint32_t pad_ = 0;
    std::array<HalfbandUp, 3> up_{};
    std::array<HalfbandDown, 3> down_{}; // index 0 unused: the last decimation is sharp_
    SharpDown sharp_{};
    std::array<float, kPadSize> padLine_{};
    uint32_t padPos_ = 0;
};

// Dot product of two arrays whose length is a multiple of Oversampler::kLanes, written as lanes of
// independent partial sums so that the compiler vectorises it without -ffast-math.
inline float dotLanes(const float* a, const float* b, std::size_t n) noexcept {
    constexpr std::size_t kL = Oversampler::kLanes;
    float acc[kL] = {};
    for (std::size_t i = 0; i < n; i += kL)
        for (std::size_t l = 0; l < kL; ++l)
            acc[l] += a[i + l] * b[i + l];
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

inline void Oversampler::HalfbandUp::process(float x, float* out) noexcept {
    pos = pos == 0 ? taps - 1 : pos - 1;
    hist[pos] = x;
    hist[pos + taps] = x;
    out[0] = dotLanes(coef.data(), hist.data() + pos, taps);
    out[1] = hist[pos + half - 1];
}

inline float Oversampler::HalfbandDown::process(float v0, float v1) noexcept {
    pos = pos == 0 ? taps - 1 : pos - 1;
    even[pos] = v0;
    even[pos + taps] = v0;
    odd[pos] = v1;
    odd[pos + taps] = v1;
    // odd[pos + j] is the odd input of j pairs ago; the centre tap wants v[2n - (2 half - 1)].
    return dotLanes(coef.data(), even.data() + pos, taps) + 0.5f * odd[pos + half];
}

inline float Oversampler::SharpDown::process(float v0, float v1) noexcept {
    // hist[pos + k] is v[2n - k]: the output is aligned to the even input, v1 enters afterwards.
    pos = pos == 0 ? padded - 1 : pos - 1;
    hist[pos] = v0;
    hist[pos + padded] = v0;
    const float y = dotLanes(coef.data(), hist.data() + pos, padded);
    pos = pos == 0 ? padded - 1 : pos - 1;
    hist[pos] = v1;
    hist[pos + padded] = v1;
    return y;
}

} // namespace stagerack::dsp
