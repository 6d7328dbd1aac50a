// The low-pass in front of a read head that plays faster than real time: reading at speed r folds
// everything above rate / (2 r) back into the audio band, so it is removed first (4th-order Butterworth at
// 0.45 rate / r, two trapezoidal SVF sections that tolerate moving cutoffs). At r <= 1 nothing can fold:
// the filter fades to a wire between r = 1.25 and r = 1 and is skipped below, so unshifted and
// down-shifted sound is untouched (and a zero shift stays an exact delay).
#pragma once

#include "effects/dsp/Biquad.h"

#include <algorithm>
#include <array>
#include <cstddef>

namespace stagerack::fx {

template <std::size_t Channels>
class AntiAliasFilter {
public:
    static constexpr double kCutoffRatio = 0.45;
    static constexpr double kFullFrom = 1.25;

    void prepare(double sampleRate) noexcept { sampleRate_ = sampleRate; }
    void reset() noexcept {
        for (auto& ch : state_)
            for (auto& s : ch)
                s = {};
    }
    // `ratio`: the fastest read speed that will play the filtered signal. Call on a fixed grid.
    void setRatio(double ratio) noexcept {
        const double blend = std::clamp((ratio - 1.0) / (kFullFrom - 1.0), 0.0, 1.0);
        const double cutoff = kCutoffRatio * sampleRate_ / std::max(ratio, 1.0);
        coeffs_[0] = dsp::SvfCoeffs::from(
            dsp::SvfDesign::design(dsp::FilterKind::LowPass, sampleRate_, cutoff, dsp::kButterworth4QLow)
                .blendedWithWire(blend));
        coeffs_[1] = dsp::SvfCoeffs::from(
            dsp::SvfDesign::design(dsp::FilterKind::LowPass, sampleRate_, cutoff, dsp::kButterworth4QHigh)
                .blendedWithWire(blend));
    }
    float process(std::size_t channel, float x) noexcept {
        auto& s = state_[channel];
        return dsp::svfTick(s[1], dsp::svfTick(s[0], x, coeffs_[0]), coeffs_[1]);
    }
    // Called at grid points: no denormals, no NaN kept ringing.
    void sanitize() noexcept {
        for (auto& ch : state_)
            for (auto& s : ch) {
                s.ic1 = dsp::sanitizeState(s.ic1);
                s.ic2 = dsp::sanitizeState(s.ic2);
            }
    }

private:
    double sampleRate_ = 48000.0;
    std::array<dsp::SvfCoeffs, 2> coeffs_{};
    std::array<std::array<dsp::SvfState<float>, 2>, Channels> state_{};
};

} // namespace stagerack::fx
