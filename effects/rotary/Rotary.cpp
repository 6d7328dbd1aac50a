#include "effects/rotary/Rotary.h"

#include "effects/dsp/Biquad.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>

namespace stagerack::fx {

namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;
// Preamp input gain from -12 dB (clean) to +24 dB (heavy), bias (asymmetry) growing with the drive, and
// the level a -12 dBFS peak keeps.
constexpr double kPreMinDb = -12.0;
constexpr double kPreSpanDb = 36.0;
constexpr double kPreBias = 0.4;
constexpr double kPreRefPeak = 0.25;
constexpr double kDcHz = 10.0;

double sigmoid(double x) noexcept {
    return x / std::sqrt(1.0 + x * x);
}

template <typename Smoother>
void stepSamples(Smoother& s, uint32_t frames) noexcept {
    for (uint32_t i = 0; i < frames && s.smoothing(); ++i)
        s.next();
}

double approachCoef(double seconds, double rate) noexcept {
    return 1.0 - std::exp(-static_cast<double>(Rotary::kGrid) / (seconds * rate));
}

} // namespace

Rotary::Rotary() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    drum_.direction = -1.f;
    reset();
}

void Rotary::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    drive_.prepare(sampleRate, kSmoothMs);
    balance_.prepare(sampleRate, kSmoothMs);
    distance_.prepare(sampleRate, kSmoothMs);
    width_.prepare(sampleRate, kSmoothMs);
    mix_.prepare(sampleRate, kSmoothMs);
    auto setupRotor = [&](Rotor& r, double swingSeconds, double up, double down) {
        r.swing = static_cast<float>(swingSeconds * sampleRate);
        r.centre = r.swing + dsp::ModDelay::kMinDelay;
        r.line.prepare(static_cast<uint32_t>(std::ceil(r.centre + r.swing)) + 2);
        r.upCoef = approachCoef(up, sampleRate);
        r.downCoef = approachCoef(down, sampleRate);
    };
    setupRotor(horn_, kHornSwingSeconds, kHornUpSeconds, kHornDownSeconds);
    setupRotor(drum_, kDrumSwingSeconds, kDrumUpSeconds, kDrumDownSeconds);
    tail_ = static_cast<uint32_t>(std::ceil(horn_.centre + horn_.swing)) + 1;
    dcCoef_ = static_cast<float>(std::exp(-kTwoPi * kDcHz / sampleRate));
    // Linkwitz-Riley 2nd order: a Butterworth pair at Q = 0.5 (k = 2), the high side inverted.
    const double g = std::tan(std::numbers::pi * kCrossoverHz / sampleRate);
    const double k = 2.0;
    const double a1 = 1.0 / (1.0 + g * (g + k));
    xa1_ = static_cast<float>(a1);
    xa2_ = static_cast<float>(g * a1);
    xa3_ = static_cast<float>(g * g * a1);
    xk_ = static_cast<float>(k);
    reset();
}

void Rotary::reset() noexcept {
    drive_.setImmediate(values_[kDrive]);
    balance_.setImmediate(values_[kBalance]);
    distance_.setImmediate(values_[kMicDistance]);
    width_.setImmediate(values_[kWidth]);
    mix_.setImmediate(values_[kMix]);
    for (Rotor* r : {&horn_, &drum_}) {
        r->line.clear();
        r->phase = 0.0;
    }
    dcX_ = dcY_ = 0.f;
    ic1_ = ic2_ = 0.f;
    startGridStep(true);
    gridLeft_ = kGrid;
}

void Rotary::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    if (index == kSpeed) value = std::round(value);
    values_[index] = value;
    switch (index) {
    case kDrive:
        drive_.setTarget(value);
        break;
    case kBalance:
        balance_.setTarget(value);
        break;
    case kMicDistance:
        distance_.setTarget(value);
        break;
    case kWidth:
        width_.setTarget(value);
        break;
    case kMix:
        mix_.setTarget(value);
        break;
    default:
        break; // speed and the rotor rates: the rotors' inertia is their smoothing
    }
}

void Rotary::stepRotor(Rotor& r, double target, bool snap) noexcept {
    if (snap)
        r.rateHz = target;
    else
        r.rateHz += (target - r.rateHz) * (target > r.rateHz ? r.upCoef : r.downCoef);
    // The phasor starts each step exactly on the accumulated angle, so rotating it per sample in float
    // never drifts.
    const double angle = kTwoPi * r.phase;
    r.cos = static_cast<float>(std::cos(angle));
    r.sin = static_cast<float>(r.direction * std::sin(angle));
    const double delta = kTwoPi * r.rateHz / sampleRate_;
    r.rotCos = static_cast<float>(std::cos(delta));
    r.rotSin = static_cast<float>(r.direction * std::sin(delta));
    r.phase += r.rateHz * kGrid / sampleRate_;
    r.phase -= std::floor(r.phase);
}

void Rotary::startGridStep(bool snap) noexcept {
    const bool fast = values_[kSpeed] > 0.5f;
    stepRotor(horn_, fast ? values_[kHornFastHz] : values_[kHornSlowHz], snap);
    stepRotor(drum_, fast ? values_[kDrumFastHz] : values_[kDrumSlowHz], snap);

    const double alpha = 0.5 * std::numbers::pi * width_.current();
    const float distance = distance_.current();
    const float amScale = 1.f - 0.5f * distance;
    const double drive = drive_.current();
    const double gain = std::pow(10.0, (kPreMinDb + kPreSpanDb * drive) / 20.0);
    const auto bias = static_cast<float>(kPreBias * drive);
    // The resting output in the audio path's own float arithmetic: silence in is exactly silence out.
    const float rest = bias / std::sqrt(1.f + bias * bias);
    const double makeup = kPreRefPeak / (sigmoid(kPreRefPeak * gain + bias) - rest);
    const std::array<std::pair<Ramp*, float>, 9> targets{{
        {&micCos_, static_cast<float>(std::cos(alpha))},
        {&micSin_, static_cast<float>(std::sin(alpha))},
        {&hornAm_, kHornAm * amScale},
        {&drumAm_, kDrumAm * amScale},
        {&bleed_, kMaxBleed * distance},
        {&preGain_, static_cast<float>(gain)},
        {&preBias_, bias},
        {&preRest_, rest},
        {&preMakeup_, static_cast<float>(makeup)},
    }};
    for (const auto& [ramp, target] : targets) {
        if (snap)
            ramp->snap(target);
        else
            ramp->aim(target);
    }
    dcY_ = dsp::sanitizeState(dcY_);
    ic1_ = dsp::sanitizeState(ic1_);
    ic2_ = dsp::sanitizeState(ic2_);
}

void Rotary::processChunk(float* left, float* right, uint32_t frames) noexcept {
    Rotor& h = horn_;
    Rotor& d = drum_;
    for (uint32_t i = 0; i < frames; ++i) {
        const float l = left[i];
        const float r = right[i];

        // Preamp: a biased algebraic sigmoid, its resting output removed, then a DC blocker (the bias makes
        // some DC at high drive, which the rotors would otherwise turn into a rotor-rate thump).
        const float v = preGain_.next() * (0.5f * (l + r)) + preBias_.next();
        const float shaped = (v / std::sqrt(1.f + v * v) - preRest_.next()) * preMakeup_.next();
        const float x = shaped - dcX_ + dcCoef_ * dcY_;
        dcX_ = shaped;
        dcY_ = x;

        const float v3 = x - ic2_;
        const float v1 = xa1_ * ic1_ + xa2_ * v3;
        const float v2 = ic2_ + xa2_ * ic1_ + xa3_ * v3;
        ic1_ = v1 + v1 - ic1_;
        ic2_ = v2 + v2 - ic2_;
        const float low = v2;
        const float high = v2 + xk_ * v1 - x; // minus the high-pass: LR2 sums to an all-pass

        // Each microphone sees the rotor's angle offset by -/+ alpha: cos(angle +/- alpha).
        const float ca = micCos_.next();
        const float sa = micSin_.next();
        const float hmL = h.cos * ca - h.sin * sa;
        const float hmR = h.cos * ca + h.sin * sa;
        const float dmL = d.cos * ca - d.sin * sa;
        const float dmR = d.cos * ca + d.sin * sa;
        const float ham = hornAm_.next();
        const float dam = drumAm_.next();
        // Facing a microphone the rotor is nearest (shortest delay) and loudest.
        const float hornL = h.line.read(h.centre - h.swing * hmL) * (1.f + ham * hmL);
        const float hornR = h.line.read(h.centre - h.swing * hmR) * (1.f + ham * hmR);
        const float drumL = d.line.read(d.centre - d.swing * dmL) * (1.f + dam * dmL);
        const float drumR = d.line.read(d.centre - d.swing * dmR) * (1.f + dam * dmR);
        h.line.push(high);
        d.line.push(low);
        for (Rotor* rr : {&h, &d}) {
            const float c = rr->cos * rr->rotCos - rr->sin * rr->rotSin;
            rr->sin = rr->sin * rr->rotCos + rr->cos * rr->rotSin;
            rr->cos = c;
        }

        const float balance = balance_.next();
        const float hornGain = std::min(1.f, 1.f + balance);
        const float drumGain = std::min(1.f, 1.f - balance);
        const float wetL = hornGain * hornL + drumGain * drumL;
        const float wetR = hornGain * hornR + drumGain * drumR;
        const float bleed = bleed_.next();
        const float outL = wetL + bleed * (wetR - wetL);
        const float outR = wetR + bleed * (wetL - wetR);
        const float mix = mix_.next();
        left[i] = l + mix * (outL - l);
        right[i] = r + mix * (outR - r);
    }
}

void Rotary::process(StereoBlock& block, const ProcessContext& /*ctx*/) noexcept {
    uint32_t done = 0;
    while (done < block.frames) {
        if (gridLeft_ == 0) {
            startGridStep(false);
            gridLeft_ = kGrid;
        }
        const uint32_t n = std::min(block.frames - done, gridLeft_);
        processChunk(block.left + done, block.right + done, n);
        stepSamples(drive_, n);
        stepSamples(distance_, n);
        stepSamples(width_, n);
        done += n;
        gridLeft_ -= n;
    }
}

} // namespace stagerack::fx
