#include "effects/vocoder/VocoderBank.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace stagerack::fx {

namespace {

using Vec = VocoderBank::Vec;
using Veci = int32_t __attribute__((vector_size(16)));

// Mean |x| / RMS of a Gaussian signal: what an envelope follower of |x| reads of band-limited noise.
constexpr double kGaussMeanAbs = 0.79788456080286536; // sqrt(2 / pi)
// The bands overlap: summed over the bank, the products of analysis and synthesis power responses add up
// to about this times `width` inside the span (measured on white noise, see VocoderTest's level test).
constexpr double kOverlap = 1.7;

inline Vec splat(float v) noexcept {
    return Vec{v, v, v, v};
}

inline Vec absv(Vec x) noexcept {
    return reinterpret_cast<Vec>(reinterpret_cast<Veci>(x) & 0x7fffffff);
}

// Zero for NaN, +-Inf and magnitudes below 1e-20 (as dsp::sanitizeState, four lanes at once).
inline Vec sanitize(Vec x) noexcept {
    const Vec a = absv(x);
    return (a >= 1e-20f && a <= 1e20f) ? x : Vec{};
}

struct SectionDesign {
    float d, c1, e1, b1, b2;
};

// A 0 dB-peak band-pass SVF section at prewarped frequency g = tan(pi f / rate) with damping k = 1 / Q,
// its output scaled by `scale`, in the recursion's coefficients (see the header).
SectionDesign bandPass(double g, double k, double scale) noexcept {
    const double a1 = 1.0 / (1.0 + g * (g + k));
    const double a2 = g * a1;
    const double a3 = g * a2;
    const double m1 = k * scale;
    return {static_cast<float>(m1 * a2), static_cast<float>(m1 * a1), static_cast<float>(2.0 * a1 - 1.0),
            static_cast<float>(2.0 * a2), static_cast<float>(2.0 * a3)};
}

template <typename Section>
void setLane(Section& s, int lane, const SectionDesign& d) noexcept {
    s.d[lane] = d.d;
    s.c1[lane] = d.c1;
    s.e1[lane] = d.e1;
    s.b1[lane] = d.b1;
    s.b2[lane] = d.b2;
}

// One sample through a section; s1 and s2 are updated.
inline Vec tick(Vec x, Vec& s1, Vec& s2, Vec d, Vec c1, Vec e1, Vec b1, Vec b2) noexcept {
    const Vec u = x - s2;
    const Vec y = d * u + c1 * s1;
    s2 += b1 * s1 + b2 * u;
    s1 = e1 * s1 + b1 * u;
    return y;
}

} // namespace

void VocoderBank::prepare(double sampleRate) noexcept {
    auto coef = [&](double ms) { return static_cast<float>(1.0 - std::exp(-1000.0 / (ms * sampleRate))); };
    carrierAttack_ = splat(coef(kCarrierAttackMs));
    carrierRelease_ = splat(coef(kCarrierReleaseMs));
}

void VocoderBank::setLayout(int bands, BandSpacing spacing) noexcept {
    bands_ = std::clamp(bands, BandPlan::kMinBands, BandPlan::kMaxBands);
    spacing_ = spacing;
    clear();
}

void VocoderBank::clear() noexcept {
    for (Group& grp : g_) {
        for (int s = 0; s < 2; ++s) {
            grp.as1[s] = grp.as2[s] = grp.ss1[s] = grp.ss2[s] = Vec{};
        }
        grp.env = grp.envCarrier = Vec{};
    }
}

void VocoderBank::snapFlatten(float flatten) noexcept {
    flattenStart_ = flatten;
    flattenStep_ = 0.f;
    subPos_ = 0;
}

void VocoderBank::design(const BandShape& shape, double sampleRate) noexcept {
    plan_ = BandPlan::make(bands_, spacing_, shape, sampleRate);
    // Analysis output scale: with a carrier of kRefRms within the span, the output has about the level the
    // modulator has within the span.
    const double analysisScale =
        1.0 / (kGaussMeanAbs * kRefRms * std::sqrt(kOverlap * std::max(shape.width, 0.01)));
    const double pi = std::numbers::pi;
    for (int b = 0; b < BandPlan::kMaxBands; ++b) {
        Group& grp = g_[static_cast<std::size_t>(b / kLanes)];
        const int lane = b % kLanes;
        if (b >= plan_.bands) {
            const SectionDesign off{0.f, 0.f, 0.f, 0.f, 0.f};
            for (int s = 0; s < 2; ++s) {
                setLane(grp.ana[s], lane, off);
                setLane(grp.syn[s], lane, off);
            }
            continue;
        }
        const auto i = static_cast<std::size_t>(b);
        const double q = plan_.sectionQ[i];
        const double k = 1.0 / q;
        const double ga = std::tan(pi * plan_.analysisHz[i] / sampleRate);
        const double gs = std::tan(pi * plan_.synthesisHz[i] / sampleRate);
        // Noise bandwidth (Hz) of the synthesis cascade: the analog integral of |H|^4 is pi g / (2 Q)
        // (Glasser), the bilinear map weights it by 2 / (1 + g^2); as a fraction of the whole band that is
        // g / ((1 + g^2) Q). Each band is scaled to pass the power that a carrier spread evenly over the
        // bank's span puts into the whole span: that depends on the carrier's spectrum, not on the rate.
        const double noiseHz = gs / ((1.0 + gs * gs) * q) * 0.5 * sampleRate;
        const double synthScale = std::sqrt((plan_.spanHighHz - plan_.spanLowHz) / noiseHz);
        // Every other band inverted: neighbours add without notches (see the header).
        const double polarity = b % 2 != 0 ? -1.0 : 1.0;
        setLane(grp.ana[0], lane, bandPass(ga, k, 1.0));
        setLane(grp.ana[1], lane, bandPass(ga, k, analysisScale));
        setLane(grp.syn[0], lane, bandPass(gs, k, 1.0));
        setLane(grp.syn[1], lane, bandPass(gs, k, polarity * synthScale));
    }
}

void VocoderBank::setFollowers(float attack, float release) noexcept {
    attack_ = splat(attack);
    release_ = splat(release);
}

void VocoderBank::beginSubBlock(float flatten, uint32_t grid) noexcept {
    flattenStart_ += static_cast<float>(subPos_) * flattenStep_; // where the last ramp ended
    flattenStep_ = (flatten - flattenStart_) / static_cast<float>(grid);
    subPos_ = 0;
    for (int gi = 0; gi < groups(); ++gi) {
        Group& grp = g_[static_cast<std::size_t>(gi)];
        for (int s = 0; s < 2; ++s) {
            grp.as1[s] = sanitize(grp.as1[s]);
            grp.as2[s] = sanitize(grp.as2[s]);
            grp.ss1[s] = sanitize(grp.ss1[s]);
            grp.ss2[s] = sanitize(grp.ss2[s]);
        }
        grp.env = sanitize(grp.env);
        grp.envCarrier = sanitize(grp.envCarrier);
    }
}

void VocoderBank::process(const float* mod, const float* car, float* out, uint32_t n) noexcept {
    const int count = groups();
    // The bank: per group, the samples in the inner loop (the states stay in registers).
    for (int gi = 0; gi < count; ++gi) {
        Group& grp = g_[static_cast<std::size_t>(gi)];
        auto& gain = gain_[static_cast<std::size_t>(gi)];
        auto& band = band_[static_cast<std::size_t>(gi)];
        auto& level = level_[static_cast<std::size_t>(gi)];
        const Section a0 = grp.ana[0], a1 = grp.ana[1], s0 = grp.syn[0], s1 = grp.syn[1];
        Vec as10 = grp.as1[0], as20 = grp.as2[0], as11 = grp.as1[1], as21 = grp.as2[1];
        Vec ss10 = grp.ss1[0], ss20 = grp.ss2[0], ss11 = grp.ss1[1], ss21 = grp.ss2[1];
        Vec env = grp.env, envC = grp.envCarrier;
        const Vec att = attack_, rel = release_, cAtt = carrierAttack_, cRel = carrierRelease_;
        for (uint32_t i = 0; i < n; ++i) {
            const Vec x = splat(mod[i]);
            const Vec ya = tick(x, as10, as20, a0.d, a0.c1, a0.e1, a0.b1, a0.b2);
            const Vec yb = tick(ya, as11, as21, a1.d, a1.c1, a1.e1, a1.b1, a1.b2);
            const Vec m = absv(yb);
            env += (m > env ? att : rel) * (m - env);
            const Vec c = splat(car[i]);
            const Vec sa = tick(c, ss10, ss20, s0.d, s0.c1, s0.e1, s0.b1, s0.b2);
            const Vec sb = tick(sa, ss11, ss21, s1.d, s1.c1, s1.e1, s1.b1, s1.b2);
            const Vec cm = absv(sb);
            envC += (cm > envC ? cAtt : cRel) * (cm - envC);
            gain[i] = env;
            band[i] = sb;
            level[i] = envC;
        }
        grp.as1[0] = as10;
        grp.as2[0] = as20;
        grp.as1[1] = as11;
        grp.as2[1] = as21;
        grp.ss1[0] = ss10;
        grp.ss2[0] = ss20;
        grp.ss1[1] = ss11;
        grp.ss2[1] = ss21;
        grp.env = env;
        grp.envCarrier = envC;
    }
    // The sum over the bands, flattened where asked.
    const float boostFloor = static_cast<float>(std::pow(10.0, -kMaxFlattenDb / 20.0));
    // Keeps the factor at 1 where the carrier is silent (so its first sample after silence passes).
    constexpr float kTiny = 1e-9f;
    const float invBands = 1.f / static_cast<float>(bands_);
    const bool flat = flattenStart_ != 0.f || flattenStep_ != 0.f;
    for (uint32_t i = 0; i < n; ++i) {
        Vec acc{};
        if (!flat) {
            for (int gi = 0; gi < count; ++gi) {
                const auto g = static_cast<std::size_t>(gi);
                acc += gain_[g][i] * band_[g][i];
            }
        } else {
            const float amount = flattenStart_ + static_cast<float>(subPos_ + i + 1) * flattenStep_;
            Vec power{};
            for (int gi = 0; gi < count; ++gi) {
                const Vec l = level_[static_cast<std::size_t>(gi)][i];
                power += l * l; // unused lanes stay at zero
            }
            // The carrier's average band level (power mean), and each band's factor toward it.
            const float mean = std::sqrt(((power[0] + power[1]) + (power[2] + power[3])) * invBands);
            const Vec least = splat(mean * boostFloor + kTiny);
            const Vec keep = splat(1.f - amount);
            const Vec towards = splat(amount * (mean + kTiny));
            for (int gi = 0; gi < count; ++gi) {
                const auto g = static_cast<std::size_t>(gi);
                const Vec l = level_[g][i] + kTiny;
                const Vec factor = keep + towards / (l > least ? l : least);
                acc += gain_[g][i] * band_[g][i] * factor;
            }
        }
        out[i] = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    }
    subPos_ += n;
}

} // namespace stagerack::fx
