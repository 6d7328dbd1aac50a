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
// Neighbouring synthesis bands are driven by the same carrier and add coherently, so the sum depends on
// their polarities and on how far they overlap. Up to width 1.5 every other band is inverted: at width 1
// neighbours cross about 130 degrees apart and would notch the sum by 10-15 dB, inverted they are 50
// degrees apart and the bank is flat within about 1 dB. Wider bands overlap their second neighbours too;
// alternating, they would cancel (width 2: 9 dB quieter, and 9 dB of ripple where the end bands lack a
// neighbour), so above width 1.5 the polarities go + + - - (neighbours in quadrature on average: the
// bank is flat within about 1-2 dB at widths 1.5 to 2). The choice has hysteresis (back to alternating
// below 1.4); the bands whose polarity changes ramp through zero over kPolarityFadeMs.
//
// Then the level: the power a flat carrier gives through the summed bank is the mean of |sum of p_b H_b|^2,
// which depends on the pattern, the spacing and the width. It is tabulated once per process for an
// infinite bank of equal log-spaced bands (over the log spacing s and the section Q), and each band's
// gain is divided by the square root of the value for its own neighbourhood (its local spacing, in the
// prewarped frequencies, and its Q), so the level stays put as the width, range or band count change.
// The band gains (polarity over that root) ramp linearly across each sub-block.
//
// Layout for speed: bands are processed four at a time in SSE-sized vectors (GCC/Clang vector extension).
// A first pass runs each group of four over the samples of a sub-block (its states stay in registers) and
// keeps the bands' gains, outputs and carrier levels; a second pass, sample by sample, forms the carrier's
// average band level, flattens and sums across the groups and lanes. Unused lanes have all-zero
// coefficients (their states stay zero). Storage is fixed for 32 bands: nothing here allocates, so the
// layout can change on the audio thread.
//
// Levels. The synthesis sections are scaled so that each band passes the same power of a carrier that is
// white across the bank's span (the bilinear noise bandwidth of a band is about g / ((1 + g^2) Q) of the
// full band for g = tan(pi f / rate)), so such a carrier gives back the modulator's spectral envelope; the
// analysis output and the band gains above are scaled so that a carrier with kRefRms inside the span
// gives about the level the modulator has inside it.
//
// Carrier flattening whitens the carrier without touching its loudness: each band is scaled by the
// carrier's average band level (the power mean over the bands) over the carrier's own level in that band
// (boost at most kMaxFlattenDb), blended by `flatten`. A saw or a chord then comes out as bright as white
// noise would, while the carrier's dynamics (a fade, a note's release, carrier_db) pass unchanged; a
// white carrier is not changed at all. Levels and factors are computed per sample (fast attack, slower
// release on each band's level; the average over the bands at the same sample), so a carrier that starts
// or changes its balance is scaled consistently from its first sample.
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
    static constexpr uint32_t kMaxChunk = 16;
    // The carrier and modulator level at which the vocoder has unity gain.
    static constexpr double kRefRms = 0.25;
    static constexpr double kCarrierAttackMs = 0.5;
    static constexpr double kCarrierReleaseMs = 30.0;
    static constexpr double kMaxFlattenDb = 24.0;
    // The polarity pattern changes to + + - - above kWideAbove and back below kWideBelow (widths).
    static constexpr double kWideAbove = 1.5;
    static constexpr double kWideBelow = 1.4;
    static constexpr double kPolarityFadeMs = 50.0;

    void prepare(double sampleRate) noexcept;
    // Which bands (count and spacing) this bank runs; clears every state. The next design() picks the
    // polarity pattern from its width alone (no hysteresis).
    void setLayout(int bands, BandSpacing spacing) noexcept;
    int bands() const noexcept { return bands_; }
    BandSpacing spacing() const noexcept { return spacing_; }

    // New coefficients for the current layout (states kept: called as the range, width or shift glide),
    // and new targets for the band gains (reached over the next sub-block; a polarity change ramps).
    void design(const BandShape& shape, double sampleRate) noexcept;
    // Modulator envelope follower coefficients (fraction of the gap closed per sample).
    void setFollowers(float attack, float release) noexcept;
    void clear() noexcept;
    // Flattening jumps to `flatten` and the band gains to their targets (after a reset, or for a bank that
    // starts a crossfade).
    void snap(float flatten) noexcept;

    // At a grid point, before the sub-block: flattening moves to `flatten` and the band gains toward their
    // targets, linearly over the `grid` samples that follow; tiny or broken states are flushed.
    void beginSubBlock(float flatten, uint32_t grid) noexcept;
    // n <= kMaxChunk samples: out[i] = the vocoded sample for modulator mod[i] and carrier car[i].
    void process(const float* mod, const float* car, float* out, uint32_t n) noexcept;

    // For tests: the plan the last design() used, and whether it chose the + + - - pattern.
    const BandPlan& plan() const noexcept { return plan_; }
    bool widePattern() const noexcept { return wide_; }

    // The mean power of the summed response of an infinite bank of equal bands, spaced s apart in log
    // frequency, of section Q q, relative to one band's peak, with every other band inverted (slice 0),
    // the pattern + + - - (slice 2) or halfway between (slice 1: 1, 0, 0, -1): from the table (built on
    // first use), interpolated.
    static double coherentLevel(int slice, double s, double q) noexcept;

private:
    struct Section {
        Vec d, c1, e1, b1, b2;
    };
    struct Group {
        Section ana[2];
        Section syn[2];
        Vec as1[2], as2[2]; // analysis states
        Vec ss1[2], ss2[2]; // synthesis states
        Vec env;            // modulator band envelope
        Vec envCarrier;     // carrier band level, for flattening
        Vec weight;         // the band gains (polarity / sqrt(coherent level)) at the grid point,
        Vec weightStep;     // and their change per sample over the sub-block
    };

    int groups() const noexcept { return (bands_ + kLanes - 1) / kLanes; }

    std::array<Group, kMaxGroups> g_{};
    BandPlan plan_{};
    // The band gains at the current pattern mix, for the four bands of a group (zero for unused ones).
    Vec weightTargets(int group) const noexcept;

    // Per band: the coherent level of its neighbourhood at the three table slices (see coherentLevel).
    std::array<std::array<float, BandPlan::kMaxBands>, 3> coherent_{};
    bool wide_ = false;       // the pattern aimed at: + + - - (else alternating)
    bool freshLayout_ = true; // the next design() chooses the pattern without hysteresis
    float mix_ = 0.f;         // 0 alternating .. 1 + + - -, moving toward wide_
    float mixRate_ = 1.f;     // its change per sample
    int bands_ = 16;
    BandSpacing spacing_ = BandSpacing::Log;
    Vec attack_{};
    Vec release_{};
    Vec carrierAttack_{};
    Vec carrierRelease_{};
    // The flattening amount ramps across a sub-block, evaluated as start + position * step (position =
    // samples since the grid point), so that any split of a sub-block computes the same values.
    float flattenStart_ = 0.f;
    float flattenStep_ = 0.f;
    uint32_t subPos_ = 0;
    // Per-sample band values of the current chunk, between the bank pass and the flattening pass.
    std::array<std::array<Vec, kMaxChunk>, kMaxGroups> gain_{};
    std::array<std::array<Vec, kMaxChunk>, kMaxGroups> band_{};
    std::array<std::array<Vec, kMaxChunk>, kMaxGroups> level_{};
};

} // namespace stagerack::fx
