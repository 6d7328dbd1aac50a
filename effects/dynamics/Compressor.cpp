#include "effects/dynamics/Compressor.h"

#include <algorithm>
#include <bit>
#include <cmath>

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

// log2(x) for x >= 0 to within 1.6e-5 (1e-4 dB): exponent from the bits, mantissa by a polynomial fitted
// (least squares on Chebyshev nodes, ends pinned) on [1, 2). The pinned ends keep it continuous at every
// power of two. Zero reads as -127 (-765 dB). Replaces std::log2, which costs several times more per sample.
inline float fastLog2(float x) noexcept {
    const auto bits = std::bit_cast<uint32_t>(x);
    const auto exponent = static_cast<float>(static_cast<int32_t>(bits >> 23) - 127);
    const float t = std::bit_cast<float>((bits & 0x007fffffu) | 0x3f800000u) - 1.f;
    const float p =
        t * (1.441917019f +
             t * (-0.7090962652f + t * (0.4156055387f + t * (-0.1935751073f + t * 0.04514881428f))));
    return exponent + p;
}

// 2^x to within 4.8e-6 relative (4e-5 dB), exactly 1 at x = 0 and continuous at integers; the same kind of
// fit on [0, 1).
inline float fastExp2(float x) noexcept {
    x = std::clamp(x, -126.f, 126.f);
    auto whole = static_cast<int32_t>(x);
    whole -= static_cast<int32_t>(static_cast<float>(whole) > x); // floor for negative x
    const float f = x - static_cast<float>(whole);
    const float p =
        1.f + f * (0.6930039236f + f * (0.2415498150f + f * (0.05174426584f + f * 0.01370199547f)));
    return p * std::bit_cast<float>(static_cast<uint32_t>(whole + 127) << 23);
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
    makeup_.settle(); // no ramp from the previous values
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
    makeup_.retarget(makeupDb_.current() + autoMakeup_.current() * gainReduction(kAutoMakeupRefDb));

    // Also clears NaN: comparisons with NaN are false.
    if (!(meanSquareL_ >= kMeanSquareFloor)) meanSquareL_ = 0.f;
    if (!(meanSquareR_ >= kMeanSquareFloor)) meanSquareR_ = 0.f;
    if (!(reductionL_ >= kReductionSnapDb)) reductionL_ = 0.0;
    if (!(reductionR_ >= kReductionSnapDb)) reductionR_ = 0.0;
}

void Compressor::advanceSmoothers(uint32_t frames) noexcept {
    // Only grid points read these, so advancing them per chunk equals advancing them per sample.
    thresholdDb_.skip(frames);
    kneeDb_.skip(frames);
    makeupDb_.skip(frames);
    autoMakeup_.skip(frames);
    link_.skip(frames);
    rmsFraction_.skip(frames);
    for (uint32_t i = 0;
         i < frames && (ratio_.smoothing() || attackMs_.smoothing() || releaseMs_.smoothing()); ++i) {
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
            gridLeft_ = kGrid;
        }
        const uint32_t n = std::min(block.frames - done, gridLeft_);
        float* const left = block.left + done;
        float* const right = block.right + done;
        const bool linked = linkNow_ >= 1.f;
        if (rmsNow_ <= 0.f)
            linked ? processChunk<Mode::Peak, true>(left, right, n)
                   : processChunk<Mode::Peak, false>(left, right, n);
        else if (rmsNow_ >= 1.f)
            linked ? processChunk<Mode::Rms, true>(left, right, n)
                   : processChunk<Mode::Rms, false>(left, right, n);
        else
            linked ? processChunk<Mode::Blend, true>(left, right, n)
                   : processChunk<Mode::Blend, false>(left, right, n);
        advanceSmoothers(n);
        done += n;
        gridLeft_ -= n;
    }
}

template <Compressor::Mode kMode, bool kLinked>
void Compressor::processChunk(float* left, float* right, uint32_t frames) noexcept {
    const double attack = attackCoef_;
    const double release = releaseCoef_;
    const float rmsCoef = rmsCoef_;
    const float link = linkNow_;
    const float rmsMix = rmsNow_;
    float msL = meanSquareL_;
    float msR = meanSquareR_;
    double yL = reductionL_;
    double yR = reductionR_;

    // Gain reduction wanted by a peak (|x|) and an rms (mean square) level.
    auto fromPeak = [this](float a) {
        return gainReduction(std::min(kDbPerLog2 * fastLog2(a), kMaxLevelDb));
    };
    auto fromMeanSquare = [this](float ms) {
        return gainReduction(std::min(0.5f * kDbPerLog2 * fastLog2(ms), kMaxLevelDb));
    };
    auto wanted = [&](float a, float ms) {
        if constexpr (kMode == Mode::Peak)
            return fromPeak(a);
        else if constexpr (kMode == Mode::Rms)
            return fromMeanSquare(ms);
        else {
            const float p = fromPeak(a);
            return p + rmsMix * (fromMeanSquare(ms) - p);
        }
    };

    for (uint32_t i = 0; i < frames; ++i) {
        const float l = left[i];
        const float r = right[i];
        // The mean squares run in every mode, so a detector switch starts from a settled rms level.
        msL += rmsCoef * (l * l - msL);
        msR += rmsCoef * (r * r - msR);
        const float makeup = makeup_.next();
        if constexpr (kLinked) {
            // The static curve rises with the level, so the larger level gives the larger reduction.
            yL = smoothReduction(yL, wanted(std::max(std::fabs(l), std::fabs(r)), std::max(msL, msR)), attack,
                                 release);
            const float g = fastExp2((makeup - static_cast<float>(yL)) * kLog2PerDb);
            left[i] = l * g;
            right[i] = r * g;
        } else {
            const float wl = wanted(std::fabs(l), msL);
            const float wr = wanted(std::fabs(r), msR);
            const float both = std::max(wl, wr);
            yL = smoothReduction(yL, wl + link * (both - wl), attack, release);
            yR = smoothReduction(yR, wr + link * (both - wr), attack, release);
            left[i] = l * fastExp2((makeup - static_cast<float>(yL)) * kLog2PerDb);
            right[i] = r * fastExp2((makeup - static_cast<float>(yR)) * kLog2PerDb);
        }
    }
    if constexpr (kLinked) yR = yL; // unlinking later continues from the shared reduction
    meanSquareL_ = msL;
    meanSquareR_ = msR;
    reductionL_ = yL;
    reductionR_ = yR;
}

} // namespace stagerack::fx
