#include "effects/wah/Wah.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace stagerack::fx {

namespace {

float onePoleCoef(double ms, double rate) noexcept {
    return static_cast<float>(1.0 - std::exp(-1000.0 / (ms * rate)));
}

template <typename Smoother>
void stepSamples(Smoother& s, uint32_t frames) noexcept {
    // Sample by sample (not skip(n)) so every block size rounds identically.
    for (uint32_t i = 0; i < frames && s.smoothing(); ++i)
        s.next();
}

} // namespace

Wah::Wah() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    reset();
}

void Wah::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    pedal_.prepare(sampleRate, kSmoothMs);
    sensitivityDb_.prepare(sampleRate, kSmoothMs);
    attackMs_.prepare(sampleRate, kSmoothMs);
    releaseMs_.prepare(sampleRate, kSmoothMs);
    lfoHz_.prepare(sampleRate, kSmoothMs);
    rangeLowHz_.prepare(sampleRate, kSmoothMs);
    rangeHighHz_.prepare(sampleRate, kSmoothMs);
    q_.prepare(sampleRate, kSmoothMs);
    for (auto& w : modeWeight_)
        w.prepare(sampleRate, kModeFadeMs);
    // Bilinear one-pole (prewarped): g / (1 + g) with g = tan(pi f / rate).
    const double g = std::tan(std::numbers::pi * kLeakHz / sampleRate);
    leakCoef_ = static_cast<float>(g / (1.0 + g));
    reset();
}

void Wah::reset() noexcept {
    pedal_.setImmediate(values_[kPedal]);
    sensitivityDb_.setImmediate(values_[kSensitivity]);
    attackMs_.setImmediate(values_[kAttackMs]);
    releaseMs_.setImmediate(values_[kReleaseMs]);
    lfoHz_.setImmediate(values_[kLfoHz]);
    rangeLowHz_.setImmediate(values_[kRangeLowHz]);
    rangeHighHz_.setImmediate(values_[kRangeHighHz]);
    q_.setImmediate(values_[kQ]);
    const int mode = static_cast<int>(std::lround(values_[kMode]));
    for (int m = 0; m < kModeCount; ++m)
        modeWeight_[static_cast<std::size_t>(m)].setImmediate(m == mode ? 1.f : 0.f);
    envelope_ = 0.f;
    lfoPhase_ = 0.0;
    leakL_ = leakR_ = 0.f;
    position_ = targetPosition();
    filter_.reset({designAt(position_)});
    designedPosition_ = position_;
    designDirty_ = false;
    gridLeft_ = 0;
}

void Wah::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    switch (index) {
    case kPedal:
        pedal_.setTarget(value);
        break;
    case kMode: {
        const int mode = static_cast<int>(std::lround(value));
        for (int m = 0; m < kModeCount; ++m)
            modeWeight_[static_cast<std::size_t>(m)].setTarget(m == mode ? 1.f : 0.f);
        break;
    }
    case kSensitivity:
        sensitivityDb_.setTarget(value);
        break;
    case kAttackMs:
        attackMs_.setTarget(value);
        break;
    case kReleaseMs:
        releaseMs_.setTarget(value);
        break;
    case kLfoHz:
        lfoHz_.setTarget(value);
        break;
    case kRangeLowHz:
        rangeLowHz_.setTarget(value);
        designDirty_ = true;
        break;
    case kRangeHighHz:
        rangeHighHz_.setTarget(value);
        designDirty_ = true;
        break;
    case kQ:
        q_.setTarget(value);
        designDirty_ = true;
        break;
    default:
        break;
    }
}

double Wah::frequencyAt(double position) const noexcept {
    const double lo = rangeLowHz_.current();
    const double hi = rangeHighHz_.current();
    return lo * std::pow(hi / lo, position);
}

dsp::SvfDesign Wah::designAt(double position) const noexcept {
    const double q = q_.current() * (kQHeel - kQSpan * position);
    return dsp::SvfDesign::design(dsp::FilterKind::BandPass, sampleRate_, frequencyAt(position), q)
        .scaled(kPeakGain);
}

double Wah::targetPosition() const noexcept {
    const double pedal = pedal_.current();
    const double manual = pedal;
    const double drive = static_cast<double>(envelope_) * std::pow(10.0, sensitivityDb_.current() / 20.0);
    const double automatic = pedal + (1.0 - pedal) * std::min(1.0, drive);
    const double lfo = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * lfoPhase_);
    const double p = modeWeight_[kManual].current() * manual + modeWeight_[kAuto].current() * automatic +
                     modeWeight_[kLfo].current() * lfo;
    return std::clamp(p, 0.0, 1.0);
}

void Wah::startSubBlock() noexcept {
    attackCoef_ = onePoleCoef(attackMs_.current(), sampleRate_);
    releaseCoef_ = onePoleCoef(releaseMs_.current(), sampleRate_);
    // At most one octave of resonance frequency per grid step (the x42 habit: 2x per sub-block), however
    // fast the envelope, the LFO or a mode change asks.
    const double octaves = std::log2(rangeHighHz_.current() / rangeLowHz_.current());
    const double maxStep = 1.0 / octaves;
    const double target = targetPosition();
    position_ += std::clamp(target - position_, -maxStep, maxStep);
    // A pedal at rest costs no redesign (tan and pow are most of the manual mode's cost); one more after a
    // control stops moving lands the filter exactly.
    const bool moving = q_.smoothing() || rangeLowHz_.smoothing() || rangeHighHz_.smoothing();
    if (position_ != designedPosition_ || moving || designDirty_) {
        filter_.retarget(0, designAt(position_), kGrid);
        designedPosition_ = position_;
        designDirty_ = moving;
    }
    filter_.beginSubBlock();
    if (!(std::fabs(envelope_) < 1e3f)) envelope_ = 0.f; // NaN or runaway input: start again
    leakL_ = dsp::sanitizeState(leakL_);
    leakR_ = dsp::sanitizeState(leakR_);
    // Advanced by whole grid steps, so the phase is the same for every block size.
    lfoPhase_ += static_cast<double>(lfoHz_.current()) * kGrid / sampleRate_;
    lfoPhase_ -= std::floor(lfoPhase_);
}

void Wah::advanceSmoothers(uint32_t frames) noexcept {
    stepSamples(pedal_, frames);
    stepSamples(sensitivityDb_, frames);
    stepSamples(attackMs_, frames);
    stepSamples(releaseMs_, frames);
    stepSamples(lfoHz_, frames);
    stepSamples(rangeLowHz_, frames);
    stepSamples(rangeHighHz_, frames);
    stepSamples(q_, frames);
    for (auto& w : modeWeight_)
        stepSamples(w, frames);
}

void Wah::processChunk(float* left, float* right, uint32_t frames) noexcept {
    std::array<float, kGrid> leakL;
    std::array<float, kGrid> leakR;
    const float leakGain = static_cast<float>(kLeakGain);
    for (uint32_t i = 0; i < frames; ++i) {
        const float l = left[i];
        const float r = right[i];
        const float level = std::max(std::fabs(l), std::fabs(r));
        envelope_ += (level - envelope_) * (level > envelope_ ? attackCoef_ : releaseCoef_);
        // Trapezoidal one-pole low-pass.
        const float vl = (l - leakL_) * leakCoef_;
        const float yl = vl + leakL_;
        leakL_ = yl + vl;
        const float vr = (r - leakR_) * leakCoef_;
        const float yr = vr + leakR_;
        leakR_ = yr + vr;
        leakL[i] = leakGain * yl;
        leakR[i] = leakGain * yr;
    }
    filter_.process(left, right, frames);
    for (uint32_t i = 0; i < frames; ++i) {
        left[i] += leakL[i];
        right[i] += leakR[i];
    }
}

void Wah::process(StereoBlock& block, const ProcessContext& /*ctx*/) noexcept {
    uint32_t done = 0;
    while (done < block.frames) {
        if (gridLeft_ == 0) {
            startSubBlock();
            gridLeft_ = kGrid;
        }
        const uint32_t n = std::min(block.frames - done, gridLeft_);
        processChunk(block.left + done, block.right + done, n);
        advanceSmoothers(n);
        done += n;
        gridLeft_ -= n;
    }
}

} // namespace stagerack::fx
