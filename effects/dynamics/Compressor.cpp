#include "effects/dynamics/Compressor.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace stagerack::fx {

namespace {

constexpr float kDbPerLog2 = 6.0205999f;  // 20 log10(2)
constexpr float kLog2PerDb = 0.16609640f; // 1 / kDbPerLog2
// Detector levels above this are clipped: a NaN or Inf sample (which reads as about +770 dB) must not
// leave seconds of deep gain reduction behind it.
constexpr float kMaxLevelDb = 60.f;
// Gain reduction this small is zero, so that a released compressor is bit-transparent again.
constexpr double kReductionSnapDb = 1e-6;
// Mean squares below this are silence (-200 dB); keeps the RMS detector out of denormals.
constexpr float kMeanSquareFloor = 1e-20f;

// Four lanes of floats with GCC/Clang vector extensions: element-wise only (so the result of a sample never
// depends on its lane or on the block size), and free of the branches that keep GCC from vectorising the
// equivalent scalar code (min/max/select on floats are not if-converted under the default -ftrapping-math).
using Vf = float __attribute__((vector_size(16)));
using Vi = int32_t __attribute__((vector_size(16)));
using Vu = uint32_t __attribute__((vector_size(16)));
constexpr uint32_t kLanes = 4;

inline Vf splat(float v) noexcept {
    return Vf{v, v, v, v};
}
inline Vf select(Vi mask, Vf a, Vf b) noexcept {
    return reinterpret_cast<Vf>((mask & reinterpret_cast<Vi>(a)) | (~mask & reinterpret_cast<Vi>(b)));
}
inline Vf vmax(Vf a, Vf b) noexcept {
    return select(a > b, a, b);
}
inline Vf vmin(Vf a, Vf b) noexcept {
    return select(a < b, a, b);
}
inline Vf load(const float* p) noexcept {
    Vf v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store(float* p, Vf v) noexcept {
    std::memcpy(p, &v, sizeof v);
}

// log2(x) for x >= 0 to within 1.6e-5 (1e-4 dB): exponent from the bits, mantissa by a polynomial fitted
// (least squares on Chebyshev nodes, ends pinned) on [1, 2). The pinned ends keep it continuous at every
// power of two. Zero reads as -127 (-765 dB). Replaces std::log2, which costs several times more per sample.
inline Vf fastLog2(Vf x) noexcept {
    const auto bits = reinterpret_cast<Vu>(x);
    const Vf exponent = __builtin_convertvector(reinterpret_cast<Vi>(bits >> 23) - 127, Vf);
    const Vf t = reinterpret_cast<Vf>((bits & 0x007fffffu) | 0x3f800000u) - 1.f;
    return exponent +
           t * (1.441917019f +
                t * (-0.7090962652f + t * (0.4156055387f + t * (-0.1935751073f + t * 0.04514881428f))));
}

// 2^x to within 4.8e-6 relative (4e-5 dB), exactly 1 at x = 0 and continuous at integers; the same kind of
// fit on [0, 1).
inline Vf fastExp2(Vf x) noexcept {
    x = vmin(vmax(x, splat(-126.f)), splat(126.f));
    Vi whole = __builtin_convertvector(x, Vi);       // towards zero
    whole += __builtin_convertvector(whole, Vf) > x; // -1 where that rounded up: floor
    const Vf f = x - __builtin_convertvector(whole, Vf);
    const Vf p = 1.f + f * (0.6930039236f + f * (0.2415498150f + f * (0.05174426584f + f * 0.01370199547f)));
    return p * reinterpret_cast<Vf>((whole + 127) << 23);
}

// Per-sample coefficient of a one-pole that covers 1 - 1/e of the way in `ms`.
double onePoleCoef(double ms, double sampleRate) noexcept {
    return -std::expm1(-1000.0 / (ms * sampleRate));
}

// In double: a float one-pole with a long time constant at a high rate stalls far short of its target (200 ms
// at 192 kHz moves 2.6e-8 of the distance per sample, below half an ulp of a reduction of a few dB).
inline double smoothReduction(double y, float target, double attack, double release) noexcept {
    const double t = target;
    return y + (t > y ? attack : release) * (t - y);
}

} // namespace

Compressor::Compressor() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    reset();
}

void Compressor::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    thresholdDb_.prepare(sampleRate, kParams[kThresholdDb].smoothMs);
    ratio_.prepare(sampleRate, kParams[kRatio].smoothMs);
    kneeDb_.prepare(sampleRate, kParams[kKneeDb].smoothMs);
    attackMs_.prepare(sampleRate, kParams[kAttackMs].smoothMs);
    releaseMs_.prepare(sampleRate, kParams[kReleaseMs].smoothMs);
    makeupDb_.prepare(sampleRate, kParams[kMakeupDb].smoothMs);
    autoMakeup_.prepare(sampleRate, kParams[kAutoMakeup].smoothMs);
    link_.prepare(sampleRate, kParams[kStereoLink].smoothMs);
    rmsFraction_.prepare(sampleRate, kSwitchFadeMs);
    rmsCoef_ = static_cast<float>(onePoleCoef(kRmsMs, sampleRate));
    reset();
}

void Compressor::reset() noexcept {
    thresholdDb_.setImmediate(values_[kThresholdDb]);
    ratio_.setImmediate(values_[kRatio]);
    kneeDb_.setImmediate(values_[kKneeDb]);
    attackMs_.setImmediate(values_[kAttackMs]);
    releaseMs_.setImmediate(values_[kReleaseMs]);
    makeupDb_.setImmediate(values_[kMakeupDb]);
    autoMakeup_.setImmediate(values_[kAutoMakeup] > 0.5f ? 1.f : 0.f);
    link_.setImmediate(values_[kStereoLink]);
    rmsFraction_.setImmediate(values_[kDetector] > 0.5f ? 1.f : 0.f);
    meanSquareL_ = meanSquareR_ = 0.f;
    reductionL_ = reductionR_ = 0.0;
    updateCoefficients();
    makeupStart_ = makeupTarget_; // no ramp from the previous values
    makeupStep_ = 0.f;
    gridLeft_ = 0;
}

void Compressor::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    switch (index) {
    case kThresholdDb:
        thresholdDb_.setTarget(value);
        break;
    case kRatio:
        ratio_.setTarget(value);
        break;
    case kKneeDb:
        kneeDb_.setTarget(value);
        break;
    case kAttackMs:
        attackMs_.setTarget(value);
        break;
    case kReleaseMs:
        releaseMs_.setTarget(value);
        break;
    case kMakeupDb:
        makeupDb_.setTarget(value);
        break;
    case kAutoMakeup:
        autoMakeup_.setTarget(value > 0.5f ? 1.f : 0.f);
        break;
    case kDetector:
        rmsFraction_.setTarget(value > 0.5f ? 1.f : 0.f);
        break;
    case kStereoLink:
        link_.setTarget(value);
        break;
    default:
        break;
    }
}

float Compressor::gainReduction(float levelDb) const noexcept {
    const float over = levelDb - kneeStart_;
    if (over <= 0.f) return 0.f;
    if (over < knee_) return kneeCoef_ * over * over;
    return slope_ * (levelDb - threshold_);
}

void Compressor::updateCoefficients() noexcept {
    threshold_ = thresholdDb_.current();
    knee_ = kneeDb_.current();
    slope_ = 1.f - 1.f / ratio_.current();
    kneeStart_ = threshold_ - 0.5f * knee_;
    kneeCoef_ = knee_ > 0.f ? slope_ / (2.f * knee_) : 0.f;
    attackCoef_ = onePoleCoef(attackMs_.current(), sampleRate_);
    releaseCoef_ = onePoleCoef(releaseMs_.current(), sampleRate_);
    linkNow_ = link_.current();
    rmsNow_ = rmsFraction_.current();
    // Exactly where the last ramp was heading: no drift, and a constant makeup has a step of exactly 0.
    makeupStart_ = makeupTarget_;
    makeupTarget_ = makeupDb_.current() + autoMakeup_.current() * gainReduction(kAutoMakeupRefDb);
    makeupStep_ = (makeupTarget_ - makeupStart_) * (1.f / static_cast<float>(kGrid));

    // Also clears NaN: comparisons with NaN are false.
    if (!(meanSquareL_ >= kMeanSquareFloor)) meanSquareL_ = 0.f;
    if (!(meanSquareR_ >= kMeanSquareFloor)) meanSquareR_ = 0.f;
    if (!(reductionL_ >= kReductionSnapDb)) reductionL_ = 0.0;
    if (!(reductionR_ >= kReductionSnapDb)) reductionR_ = 0.0;
}

void Compressor::advanceSmoothers() noexcept {
    // Only grid points read the smoothers, so they move a whole grid period at once: the same arithmetic
    // whatever the block size (skipping per chunk would round differently for different chunkings).
    thresholdDb_.skip(kGrid);
    kneeDb_.skip(kGrid);
    makeupDb_.skip(kGrid);
    autoMakeup_.skip(kGrid);
    link_.skip(kGrid);
    rmsFraction_.skip(kGrid);
    for (uint32_t i = 0; i < kGrid && (ratio_.smoothing() || attackMs_.smoothing() || releaseMs_.smoothing());
         ++i) {
        ratio_.next();
        attackMs_.next();
        releaseMs_.next();
    }
}

void Compressor::process(StereoBlock& block, const ProcessContext& /*ctx*/) noexcept {
    uint32_t done = 0;
    while (done < block.frames) {
        if (gridLeft_ == 0) {
            updateCoefficients();
            advanceSmoothers();
            gridLeft_ = kGrid;
        }
        const uint32_t n = std::min(block.frames - done, gridLeft_);
        float* const left = block.left + done;
        float* const right = block.right + done;
        const bool linked = linkNow_ >= 1.f;
        const uint32_t offset = kGrid - gridLeft_;
        if (rmsNow_ <= 0.f)
            linked ? processChunk<Mode::Peak, true>(left, right, n, offset)
                   : processChunk<Mode::Peak, false>(left, right, n, offset);
        else if (rmsNow_ >= 1.f)
            linked ? processChunk<Mode::Rms, true>(left, right, n, offset)
                   : processChunk<Mode::Rms, false>(left, right, n, offset);
        else
            linked ? processChunk<Mode::Blend, true>(left, right, n, offset)
                   : processChunk<Mode::Blend, false>(left, right, n, offset);
        done += n;
        gridLeft_ -= n;
    }
}

template <Compressor::Mode kMode, bool kLinked>
void Compressor::processChunk(float* left, float* right, uint32_t frames, uint32_t offset) noexcept {
    // Passes over at most kGrid samples: the levels and mean squares (serial, cheap), the wanted reductions
    // (independent per sample: four at a time), the attack/release one-pole (the only serial part that
    // costs), and the gains (four at a time again). The scratch is padded to whole vectors with silence.
    const uint32_t padded = (frames + kLanes - 1) / kLanes * kLanes;
    alignas(16) std::array<float, kGrid> absL;
    alignas(16) std::array<float, kGrid> absR;
    alignas(16) std::array<float, kGrid> msL;
    alignas(16) std::array<float, kGrid> msR;

    // The mean squares run in every mode, so a detector switch starts from a settled rms level.
    {
        const float c = rmsCoef_;
        float ml = meanSquareL_;
        float mr = meanSquareR_;
        for (uint32_t i = 0; i < frames; ++i) {
            const float l = left[i];
            const float r = right[i];
            ml += c * (l * l - ml);
            mr += c * (r * r - mr);
            absL[i] = std::fabs(l);
            absR[i] = std::fabs(r);
            msL[i] = ml;
            msR[i] = mr;
        }
        meanSquareL_ = ml;
        meanSquareR_ = mr;
        for (uint32_t i = frames; i < padded; ++i)
            absL[i] = absR[i] = msL[i] = msR[i] = 0.f;
    }

    // The static curve, branch-free: over = max(level - (threshold - knee/2), 0); the quadratic inside the
    // knee, slope * (over - knee/2) = slope * (level - threshold) above it (and 0 below it when knee is 0).
    const Vf kneeStart = splat(kneeStart_);
    const Vf knee = splat(knee_);
    const Vf halfKnee = splat(0.5f * knee_);
    const Vf kneeCoef = splat(kneeCoef_);
    const Vf slope = splat(slope_);
    const Vf rmsMix = splat(rmsNow_);
    const Vf maxLevel = splat(kMaxLevelDb);
    const Vf zero = splat(0.f);
    auto curve = [&](Vf levelDb) {
        const Vf over = vmax(vmin(levelDb, maxLevel) - kneeStart, zero);
        return select(over < knee, kneeCoef * over * over, slope * (over - halfKnee));
    };
    auto fromPeak = [&](Vf a) { return curve(kDbPerLog2 * fastLog2(a)); };
    auto fromMeanSquare = [&](Vf ms) { return curve(0.5f * kDbPerLog2 * fastLog2(ms)); };
    auto wanted = [&](Vf a, Vf ms) {
        if constexpr (kMode == Mode::Peak)
            return fromPeak(a);
        else if constexpr (kMode == Mode::Rms)
            return fromMeanSquare(ms);
        else {
            const Vf p = fromPeak(a);
            return p + rmsMix * (fromMeanSquare(ms) - p);
        }
    };
    // Reuse the level arrays for the wanted, then the smoothed reductions.
    float* const wantL = absL.data();
    float* const wantR = absR.data();
    if constexpr (kLinked) {
        // The static curve rises with the level, so the larger level gives the larger reduction.
        for (uint32_t i = 0; i < padded; i += kLanes)
            store(wantL + i,
                  wanted(vmax(load(&absL[i]), load(&absR[i])), vmax(load(&msL[i]), load(&msR[i]))));
    } else {
        const Vf link = splat(linkNow_);
        for (uint32_t i = 0; i < padded; i += kLanes) {
            const Vf wl = wanted(load(&absL[i]), load(&msL[i]));
            const Vf wr = wanted(load(&absR[i]), load(&msR[i]));
            const Vf both = vmax(wl, wr);
            store(wantL + i, wl + link * (both - wl));
            store(wantR + i, wr + link * (both - wr));
        }
    }

    const double attack = attackCoef_;
    const double release = releaseCoef_;
    double yL = reductionL_;
    double yR = reductionR_;
    for (uint32_t i = 0; i < frames; ++i) {
        yL = smoothReduction(yL, wantL[i], attack, release);
        wantL[i] = static_cast<float>(yL);
        if constexpr (!kLinked) {
            yR = smoothReduction(yR, wantR[i], attack, release);
            wantR[i] = static_cast<float>(yR);
        }
    }
    if constexpr (kLinked) yR = yL; // unlinking later continues from the shared reduction
    reductionL_ = yL;
    reductionR_ = yR;

    // Gains: the makeup, ramping by makeupStep_ per sample from the grid point, minus the reduction, in dB.
    // The sample's position from the grid point is an integer: the same expression whatever the block size.
    const Vi lane{1, 2, 3, 4};
    for (uint32_t i = 0; i < padded; i += kLanes) {
        const Vf index = __builtin_convertvector(lane + static_cast<int32_t>(offset + i), Vf);
        const Vf makeup = splat(makeupStart_) + splat(makeupStep_) * index;
        store(wantL + i, fastExp2((makeup - load(wantL + i)) * kLog2PerDb));
        if constexpr (!kLinked) store(wantR + i, fastExp2((makeup - load(wantR + i)) * kLog2PerDb));
    }
    const float* const gainR = kLinked ? wantL : wantR;
    for (uint32_t i = 0; i < frames; ++i) {
        left[i] *= wantL[i];
        right[i] *= gainR[i];
    }
}

} // namespace stagerack::fx
