#include "effects/vocoder/VocoderBank.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>

namespace stagerack::fx {

namespace {

using Vec = VocoderBank::Vec;
using Veci = int32_t __attribute__((vector_size(16)));

// Mean |x| / RMS of a Gaussian signal: what an envelope follower of |x| reads of band-limited noise.
constexpr double kGaussMeanAbs = 0.79788456080286536; // sqrt(2 / pi)
// What the coherent level leaves out, measured on white noise (VocoderTest's level tests): the output
// power is this much above the model's (the followers' fast attack reads noise above its mean |x|).
constexpr double kFollowerExcess = 1.55;

// The coherent level table (see the header): ln of the mean power over a grid of ln s and ln rho, where
// rho = q / q1(s) and q1(s) is the Q of width 1 at spacing s (neighbours crossing at -3 dB).
constexpr int kTableS = 24;
constexpr int kTableRho = 24;
constexpr double kTableMinS = 0.05; // below this the bank is scale-invariant: the level depends on rho
constexpr double kTableMaxS = 2.0;
constexpr double kTableMinRho = 0.2;
constexpr double kTableMaxRho = 4.0;
// Three slices: alternating (+ -), halfway between (1, 0, 0, -1: the bands that change are at zero) and
// + + - -. A bank part-way, a fraction m from one pattern to the other, has a mean power quadratic in m:
// the three slices give it exactly.
constexpr int kSlices = 3;
using LevelTable = std::array<float, kSlices * kTableS * kTableRho>;

double widthOneQ(double s) noexcept {
    return BandPlan::kCascadeHalfPower / (2.0 * std::sinh(0.5 * s));
}

// A band's polarity in the alternating pattern and in + + - - (they agree on bands 0 and 3 of every 4).
float alternatingSign(int band) noexcept {
    return (band & 1) != 0 ? -1.f : 1.f;
}
float quadratureSign(int band) noexcept {
    return (band & 2) != 0 ? -1.f : 1.f;
}

// The mean over one period of the pattern of |sum over c of p_c H(u - c s)|^2, H(d) = 1 / (1 + j 2 q
// sinh d)^2 the cascade at log distance d from its centre, for p_c = (1 - m) alternating + m quadrature
// at m = 0, 1/2 and 1 (into level[0..2]); bands whose |H| stays below 1e-3 are left out. The function of u
// is smooth and periodic, so a few points per band spacing give its mean to well within 0.1 dB.
void infiniteBankLevels(double s, double q, std::array<double, kSlices>& level) {
    constexpr int kPeriod = 4;
    constexpr int kPointsPerBand = 8;
    constexpr int kPoints = kPointsPerBand * kPeriod;
    const int reach = static_cast<int>(std::ceil(std::asinh(16.0 / q) / s)) + kPeriod;
    const double shrink = std::exp(-s);
    level = {};
    for (int i = 0; i < kPoints; ++i) {
        const double u = s * (i + 0.5) / kPointsPerBand;
        std::complex<double> alternating{}, quadrature{};
        double e = std::exp(u + reach * s); // e^(u - c s), from c = -reach up
        for (int c = -reach; c <= reach + kPeriod; ++c, e *= shrink) {
            const double x = q * (e - 1.0 / e);
            const std::complex<double> h = 1.0 / std::complex<double>(1.0 - x * x, 2.0 * x);
            const int band = c + kPeriod * reach; // >= 0, at the same place in the pattern
            alternating += static_cast<double>(alternatingSign(band)) * h;
            quadrature += static_cast<double>(quadratureSign(band)) * h;
        }
        level[0] += std::norm(alternating);
        level[1] += std::norm(0.5 * (alternating + quadrature));
        level[2] += std::norm(quadrature);
    }
    for (double& l : level)
        l /= kPoints;
}

LevelTable buildLevelTable() {
    LevelTable t{};
    std::array<double, kSlices> level{};
    for (int i = 0; i < kTableS; ++i)
        for (int j = 0; j < kTableRho; ++j) {
            const double s = kTableMinS * std::pow(kTableMaxS / kTableMinS, i / (kTableS - 1.0));
            const double rho = kTableMinRho * std::pow(kTableMaxRho / kTableMinRho, j / (kTableRho - 1.0));
            infiniteBankLevels(s, rho * widthOneQ(s), level);
            for (int w = 0; w < kSlices; ++w)
                t[static_cast<std::size_t>((w * kTableS + i) * kTableRho + j)] =
                    static_cast<float>(std::log(level[static_cast<std::size_t>(w)]));
        }
    return t;
}

// Built once per process, on the first call: VocoderBank::prepare() makes that call on a control thread.
const LevelTable& levelTable() {
    static const LevelTable table = buildLevelTable();
    return table;
}

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

double VocoderBank::coherentLevel(int slice, double s, double q) noexcept {
    const LevelTable& t = levelTable();
    const double rho = q / widthOneQ(std::max(s, 1e-9));
    auto position = [](double v, double lo, double hi, int n) {
        const double p = std::log(v / lo) / std::log(hi / lo) * (n - 1);
        return std::clamp(std::isfinite(p) ? p : 0.0, 0.0, n - 1.0);
    };
    const double x = position(s, kTableMinS, kTableMaxS, kTableS);
    const double y = position(rho, kTableMinRho, kTableMaxRho, kTableRho);
    const int i = std::min(static_cast<int>(x), kTableS - 2);
    const int j = std::min(static_cast<int>(y), kTableRho - 2);
    const double fx = x - i, fy = y - j;
    auto at = [&](int a, int b) {
        return static_cast<double>(t[static_cast<std::size_t>((slice * kTableS + a) * kTableRho + b)]);
    };
    const double lnLevel = (1.0 - fx) * ((1.0 - fy) * at(i, j) + fy * at(i, j + 1)) +
                           fx * ((1.0 - fy) * at(i + 1, j) + fy * at(i + 1, j + 1));
    return std::exp(lnLevel);
}

void VocoderBank::prepare(double sampleRate) noexcept {
    auto coef = [&](double ms) { return static_cast<float>(1.0 - std::exp(-1000.0 / (ms * sampleRate))); };
    carrierAttack_ = splat(coef(kCarrierAttackMs));
    carrierRelease_ = splat(coef(kCarrierReleaseMs));
    mixRate_ = static_cast<float>(1.0 / std::max(1.0, kPolarityFadeMs * 0.001 * sampleRate));
    levelTable(); // built here, on the control thread, before design() needs it
}

void VocoderBank::setLayout(int bands, BandSpacing spacing) noexcept {
    bands_ = std::clamp(bands, BandPlan::kMinBands, BandPlan::kMaxBands);
    spacing_ = spacing;
    freshLayout_ = true;
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

void VocoderBank::snap(float flatten) noexcept {
    flattenStart_ = flatten;
    flattenStep_ = 0.f;
    subPos_ = 0;
    mix_ = wide_ ? 1.f : 0.f;
    for (int gi = 0; gi < kMaxGroups; ++gi) {
        Group& grp = g_[static_cast<std::size_t>(gi)];
        grp.weight = weightTargets(gi);
        grp.weightStep = Vec{};
    }
}

Vec VocoderBank::weightTargets(int group) const noexcept {
    Vec w{};
    const float m = mix_;
    for (int lane = 0; lane < kLanes; ++lane) {
        const int b = group * kLanes + lane;
        if (b >= plan_.bands) break;
        const auto i = static_cast<std::size_t>(b);
        // The quadratic in m through the three slices (floored against interpolation error near a zero).
        const float l0 = coherent_[0][i], lh = coherent_[1][i], l1 = coherent_[2][i];
        const float level = l0 + m * (-3.f * l0 + 4.f * lh - l1) + m * m * (2.f * l0 - 4.f * lh + 2.f * l1);
        const float polarity = (1.f - m) * alternatingSign(b) + m * quadratureSign(b);
        w[lane] = polarity / std::sqrt(std::max(level, 0.1f * std::min(l0, l1)));
    }
    return w;
}

void VocoderBank::design(const BandShape& shape, double sampleRate) noexcept {
    plan_ = BandPlan::make(bands_, spacing_, shape, sampleRate);
    // Analysis output scale: with a carrier of kRefRms within the span, the output has about the level the
    // modulator has within the span (with the band gains below).
    const double analysisScale = 1.0 / (kGaussMeanAbs * kRefRms * std::sqrt(kFollowerExcess));
    const double pi = std::numbers::pi;
    if (freshLayout_)
        wide_ = shape.width > 0.5 * (kWideAbove + kWideBelow);
    else if (wide_ ? shape.width < kWideBelow : shape.width > kWideAbove)
        wide_ = !wide_;
    freshLayout_ = false;
    // Each band's neighbourhood: its log spacing among the prewarped synthesis centres (the end bands take
    // their inner neighbour's, whose surroundings the infinite bank describes better) and its Q.
    std::array<double, BandPlan::kMaxBands> lnG{};
    for (int b = 0; b < plan_.bands; ++b) {
        const auto i = static_cast<std::size_t>(b);
        lnG[i] = std::log(std::tan(pi * plan_.synthesisHz[i] / sampleRate));
    }
    for (int b = 0; b < plan_.bands; ++b) {
        const auto i = static_cast<std::size_t>(b);
        const auto m = static_cast<std::size_t>(std::clamp(b, 1, plan_.bands - 2));
        const double s = 0.5 * (lnG[m + 1] - lnG[m - 1]);
        for (int slice = 0; slice < 3; ++slice)
            coherent_[static_cast<std::size_t>(slice)][i] =
                static_cast<float>(coherentLevel(slice, s, plan_.sectionQ[m]));
    }
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
        // The polarity and the level correction are the band's gain (applied with the envelope, so that
        // flattening measures the carrier itself).
        setLane(grp.ana[0], lane, bandPass(ga, k, 1.0));
        setLane(grp.ana[1], lane, bandPass(ga, k, analysisScale));
        setLane(grp.syn[0], lane, bandPass(gs, k, 1.0));
        setLane(grp.syn[1], lane, bandPass(gs, k, synthScale));
    }
}

void VocoderBank::setFollowers(float attack, float release) noexcept {
    attack_ = splat(attack);
    release_ = splat(release);
}

void VocoderBank::beginSubBlock(float flatten, uint32_t grid) noexcept {
    flattenStart_ += static_cast<float>(subPos_) * flattenStep_; // where the last ramp ended
    flattenStep_ = (flatten - flattenStart_) / static_cast<float>(grid);
    // The pattern moves toward its target (the bands that change ramp through zero, the level correction
    // with them); the band gains follow linearly across the sub-block from where the last ramp ended.
    const float move = mixRate_ * static_cast<float>(grid);
    mix_ += std::clamp((wide_ ? 1.f : 0.f) - mix_, -move, move);
    const Vec pos = splat(static_cast<float>(subPos_));
    const Vec inv = splat(1.f / static_cast<float>(grid));
    for (int gi = 0; gi < kMaxGroups; ++gi) {
        Group& grp = g_[static_cast<std::size_t>(gi)];
        grp.weight += pos * grp.weightStep;
        grp.weightStep = (weightTargets(gi) - grp.weight) * inv;
    }
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
        const Vec w0 = grp.weight, dw = grp.weightStep;
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
            gain[i] = env * (w0 + splat(static_cast<float>(subPos_ + i + 1)) * dw);
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
