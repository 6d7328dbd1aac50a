// The amp's private resampling filters (1x <-> 2x <-> 4x <-> 8x). Private rather than shared because the
// amp needs one thing a general half-band chain does not give: the last 2x -> 1x step must stop everything
// from 24 kHz up (a half-band is only -6 dB at fs/2 of the base rate, so harmonics just above it fold back
// into 20-24 kHz). That step is a 10th-order elliptic low-pass at the 2x rate (pass 0-19.5 kHz within
// 0.05 dB, at least 92 dB down from 24 kHz at a 48 kHz session; scaled with the rate), also used for the
// 1x -> 2x images. The 2x <-> 4x and 4x <-> 8x steps are linear-phase half-band FIRs (equiripple, 23 and 11
// taps: 104 dB and 94 dB of stopband where images or aliases could land below 24 kHz).
// Coefficients were designed offline (scipy.signal.ellip / remez) and are fixed in normalised frequency.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace stagerack::fx::amp {

// Cascade of biquads (transposed direct form II) with the elliptic design.
class EllipticLowpass {
public:
    void reset() noexcept { state_ = {}; }
    float process(float x) noexcept {
        for (std::size_t i = 0; i < kSections; ++i) {
            const auto& c = kCoef[i];
            auto& s = state_[i];
            const float y = c[0] * x + s[0];
            s[0] = c[1] * x - c[3] * y + s[1];
            s[1] = c[2] * x - c[4] * y;
            x = y;
        }
        return x;
    }
    void flushDenormals() noexcept {
        for (auto& s : state_)
            for (float& v : s)
                if (!(v > 1e-25f || v < -1e-25f)) v = 0.f; // also clears NaN
    }
    // Group delay at low frequencies, in samples of the rate it runs at (measured from the design).
    static constexpr double kLowFrequencyDelay = 4.33;

private:
    static constexpr std::size_t kSections = 5;
    // b0, b1, b2, a1, a2 per section (a0 = 1).
    static constexpr std::array<std::array<float, 5>, kSections> kCoef{{
        {0.0014529871344761153f, 0.0027120385340087417f, 0.0014529871344761151f, -1.1244077454426302f,
         0.35179510641432965f},
        {1.0f, 1.148758680809522f, 1.0f, -0.9544358073945276f, 0.49160598755050283f},
        {1.0f, 0.5214344644563513f, 1.0f, -0.7441346592406917f, 0.672934407601709f},
        {1.0f, 0.17638194707351484f, 1.0f, -0.5922936422663133f, 0.8262214189935637f},
        {1.0f, 0.03302950025722587f, 1.0f, -0.5274456928121051f, 0.9453879179793367f},
    }};
    std::array<std::array<float, 2>, kSections> state_{};
};

// Half-band FIR of length 4K - 1 given by its K nonzero side taps c_j = h[center + 2j - 1] (the centre tap is
// 0.5, the other even offsets are zero). Up: one input gives two outputs. Down: two inputs give one output.
template <std::size_t K>
class HalfbandFir {
public:
    explicit constexpr HalfbandFir(const std::array<float, K>& taps) noexcept
        : taps_(taps) {}

    void reset() noexcept {
        hist_ = {};
        pos_ = 0;
    }

    // Delay in samples of the higher rate, for both directions.
    static constexpr std::size_t kDelay = 2 * K - 1;

    // Upsample `n` inputs into 2n outputs.
    void up(const float* in, float* out, std::size_t n) noexcept {
        for (std::size_t k = 0; k < n; ++k) {
            push(in[k]);
            const float* h = hist_.data() + pos_; // h[i] = x[k - i]
            // The pair nearest the centre straddles input time k - K + 1/2.
            float acc = 0.f;
            for (std::size_t j = 0; j < K; ++j)
                acc += taps_[j] * (h[K - 1 - j] + h[K + j]);
            out[2 * k] = 2.f * acc;
            out[2 * k + 1] = h[K - 1];
        }
    }

    // Downsample `2n` inputs into n outputs.
    void down(const float* in, float* out, std::size_t n) noexcept {
        for (std::size_t k = 0; k < n; ++k) {
            push(in[2 * k]);
            push(in[2 * k + 1]);
            const float* h = hist_.data() + pos_; // newest first, at the 2x rate
            float acc = 0.5f * h[2 * K - 1];
            for (std::size_t j = 0; j < K; ++j)
                acc += taps_[j] * (h[2 * K - 1 - (2 * j + 1)] + h[2 * K - 1 + (2 * j + 1)]);
            out[k] = acc;
        }
    }

private:
    // History of the last kLen samples, newest at hist_[pos_], stored twice so every window is contiguous.
    static constexpr std::size_t kLen = 4 * K;
    void push(float x) noexcept {
        pos_ = pos_ == 0 ? kLen - 1 : pos_ - 1;
        hist_[pos_] = x;
        hist_[pos_ + kLen] = x;
    }

    std::array<float, K> taps_;
    std::array<float, 2 * kLen> hist_{};
    std::size_t pos_ = 0;
};

inline constexpr std::array<float, 6> kHalfband23{0.30941974964882f,      -0.08198360231392726f,
                                                  0.030554571174536922f,  -0.01016035819382307f,
                                                  0.0025138161054690266f, -0.0003470657563306517f};
inline constexpr std::array<float, 3> kHalfband11{0.29519896473693996f, -0.05230308056243471f,
                                                  0.007113621939943209f};

} // namespace stagerack::fx::amp
