// The vocoder's channel bank: up to 32 bands, each an analysis band-pass on the modulator (whose envelope
// follower sets the band's gain) and a synthesis band-pass on the carrier at the same centre (or a shifted
// one), summed.
//
// Every band is two identical trapezoidal SVF band-pass sections in cascade (4th order, 0 dB peak), with
// the section Q chosen so that the cascade's -3 dB points sit half a band spacing (times `width`) either
// side of the centre: neighbours cross at -3 dB. The sections use the two-state recursion of
// eq/SvfCascade.h reduced to a band-pass (u = x - s2; y = d u + c1 s1; s1 = e1 s1 + b1 u;
// s2 += b1 s1_old + b2 u), which is the SVF exactly in real arithmetic.
//
// Layout for speed: bands are processed four at a time in SSE-sized vectors (GCC/Clang vector extension),
// the samples of a sub-block in the inner loop so that a group's states stay in registers; the groups'
// outputs accumulate per sample and are summed across lanes once per sample. Unused lanes have all-zero
// coefficients (their states stay zero). Storage is fixed for 32 bands: nothing here allocates, so the
// layout can change on the audio thread.
//
// Levels. The synthesis sections are scaled so that each band passes the same power of a white carrier
// (the bilinear noise bandwidth of a band is about g / ((1 + g^2) Q) of the full band for g = tan(pi f /
// rate)), so a white carrier gives back the modulator's spectral envelope; the analysis output is scaled so
// that a modulator and a white carrier at kRefRms give about the modulator's own level. Carrier flattening
// divides each band's gain by the carrier band's own level (a fast-attack, slow-release follower, so a
// carrier that starts from silence is not boosted for long; boost at most kMaxFlattenDb), blended by
// `flatten`, so a saw or a chord comes out as bright as white noise would.
#pragma once

#include "effects/vocoder/BandPlan.h"

#include <array>
#include <cstddef>
#include <cstdint>

namespace stagerack::fx {

class VocoderBank {
public:
    using Vec = float __attribute__((vector_size(16)));
    static constexpr int kLanes = 4;
    static constexpr int kMaxGroups = BandPlan::kMaxBands / kLanes;
    static constexpr uint32_t kMaxChunk = 64;
    // The carrier and modulator level at which the vocoder has unity gain.
    static constexpr double kRefRms = 0.25;
    static constexpr double kCarrierAttackMs = 1.0;
    static constexpr double kCarrierReleaseMs = 30.0;
    static constexpr double kMaxFlattenDb = 24.0;

    void prepare(double sampleRate) noexcept;
    // Which bands (count and spacing) this bank runs; clears every state.
    void setLayout(int bands, BandSpacing spacing) noexcept;
    int bands() const noexcept { return bands_; }
    BandSpacing spacing() const noexcept { return spacing_; }

    // New coefficients for the current layout (states kept: called as the range, width or shift glide).
    void design(const BandShape& shape, double sampleRate) noexcept;
    // Modulator envelope follower coefficients (fraction of the gap closed per sample).
    void setFollowers(float attack, float release) noexcept;
    void clear() noexcept;

    // At a grid point, before the sub-block: the flattening gains ramp to their new values over `grid`
    // samples; tiny or broken states are flushed.
    void beginSubBlock(float flatten, uint32_t grid) noexcept;
    // n <= kMaxChunk samples: out[i] = the vocoded sample for modulator mod[i] and carrier car[i].
    void process(const float* mod, const float* car, float* out, uint32_t n) noexcept;

    // For tests: the plan the last design() used.
    const BandPlan& plan() const noexcept { return plan_; }

private:
    struct Section {
        Vec d, c1, e1, b1, b2;
    };
    struct Group {
        Section ana[2];
        Section syn[2];
        Vec as1[2], as2[2]; // analysis states
        Vec ss1[2], ss2[2]; // synthesis states
        Vec env;            // modulator band envelope (the band's gain)
        Vec envCarrier;     // carrier band level, for flattening
        Vec norm;           // flattening factor, ramped across a sub-block
        Vec normStep;
    };

    int groups() const noexcept { return (bands_ + kLanes - 1) / kLanes; }

    std::array<Group, kMaxGroups> g_{};
    BandPlan plan_{};
    int bands_ = 16;
    BandSpacing spacing_ = BandSpacing::Log;
    Vec attack_{};
    Vec release_{};
    Vec carrierAttack_{};
    Vec carrierRelease_{};
};

} // namespace stagerack::fx
