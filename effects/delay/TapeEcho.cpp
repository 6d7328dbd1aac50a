#include "effects/delay/TapeEcho.h"

#include "effects/dsp/Grid.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace stagerack::fx {

namespace {

using echo::V2;

constexpr double kTwoPi = 2.0 * std::numbers::pi;
// The tail is reported until the repeats are 80 dB below the first echo.
constexpr double kTailFloor = 1e-4;
constexpr double kFilterRingSeconds = 0.05;
// How often the random parts of wow and flutter pick a new value to drift towards (seconds), and how fast
// they follow it (one-pole, Hz).
constexpr double kWowDriftEvery = 0.45;
constexpr double kWowDriftHz = 0.8;
constexpr double kFlutterJitterEvery = 0.03;
constexpr double kFlutterJitterHz = 12.0;
// Weights of the parts of the unit-depth signals: each sums to at most 1 in magnitude.
constexpr float kWowSine = 0.8f;
constexpr float kWowRandom = 0.2f;
constexpr float kFlutterMain = 0.6f;
constexpr float kFlutterSecond = 0.25f;
constexpr float kFlutterRandom = 0.15f;

float driveFor(float saturation) noexcept {
    return TapeEcho::kMinDrive *
           std::pow(TapeEcho::kMaxDrive / TapeEcho::kMinDrive, std::clamp(saturation, 0.f, 1.f));
}

} // namespace

TapeEcho::TapeEcho() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    reset();
}

double TapeEcho::toneCutoffHz(float tone) noexcept {
    return kDarkHz * std::pow(kBrightHz / kDarkHz, static_cast<double>(std::clamp(tone, 0.f, 1.f)));
}

void TapeEcho::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    wowSamples_ = kWowPitch / (kTwoPi * kWowHz) * sampleRate;
    flutterSamples_ = kFlutterPitch / (kTwoPi * kFlutterHz) * sampleRate;
    const double longest = kHeads * static_cast<double>(kMaxTimeMs) * sampleRate / 1000.0;
    // The glide can overshoot its target by a hair; wow and flutter swing either way.
    line_.prepare(longest + wowSamples_ + flutterSamples_ + 16.0);
    minDelay_ = 2.0;
    maxDelay_ = line_.maxReadable();
    delay_.prepare(kGlideMs * 0.001 * sampleRate, kMaxHeadSpeed);
    for (auto& h : heads_)
        h.prepare(sampleRate, kSwitchFadeMs);
    feedback_.prepare(sampleRate, kParams[kFeedback].smoothMs);
    wow_.prepare(sampleRate, kParams[kWow].smoothMs);
    flutter_.prepare(sampleRate, kParams[kFlutter].smoothMs);
    drive_.prepare(sampleRate, kParams[kSaturation].smoothMs);
    invDrive_.prepare(sampleRate, kParams[kSaturation].smoothMs);
    tone_.prepare(sampleRate, kParams[kTone].smoothMs);
    mix_.prepare(sampleRate, kParams[kMix].smoothMs);
    lowCutGain_ = echo::onePoleGain(kLowCutHz, sampleRate);
    reset();
}

void TapeEcho::clearState() noexcept {
    line_.clear();
    lowCutState_ = V2{0.f, 0.f};
    toneState_ = {};
}

void TapeEcho::reset() noexcept {
    clearState();
    delay_.snap(targetDelaySamples());
    for (int k = 0; k < kHeads; ++k)
        heads_[k].setImmediate(values_[kHead1 + k] > 0.5f ? 1.f : 0.f);
    feedback_.setImmediate(values_[kFeedback]);
    wow_.setImmediate(values_[kWow]);
    flutter_.setImmediate(values_[kFlutter]);
    const float drive = driveFor(values_[kSaturation]);
    drive_.setImmediate(drive);
    invDrive_.setImmediate(1.f / drive);
    tone_.setImmediate(values_[kTone]);
    mix_.setImmediate(values_[kMix]);
    noise_.reset();
    wowPhase_ = flutterPhase_ = flutter2Phase_ = 0.0;
    wowDrift_ = flutterJitter_ = 0.f;
    wowDriftTarget_ = flutterJitterTarget_ = 0.f;
    wowDriftCount_ = flutterJitterCount_ = 0;
    wowNow_ = wowStep_ = wowEnd_ = flutterNow_ = flutterStep_ = flutterEnd_ = 0.f;
    gridLeft_ = 0;
    snapDelay_ = true;
}

void TapeEcho::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    switch (index) {
    case kHead1:
    case kHead2:
    case kHead3:
        heads_[index - kHead1].setTarget(value > 0.5f ? 1.f : 0.f);
        break;
    case kFeedback:
        feedback_.setTarget(value);
        break;
    case kWow:
        wow_.setTarget(value);
        break;
    case kFlutter:
        flutter_.setTarget(value);
        break;
    case kSaturation: {
        const float drive = driveFor(value);
        drive_.setTarget(drive);
        invDrive_.setTarget(1.f / drive);
        break;
    }
    case kTone:
        tone_.setTarget(value);
        break;
    case kMix:
        mix_.setTarget(value);
        break;
    default:
        break; // time and sync: the glide picks them up on the next grid point
    }
}

double TapeEcho::targetDelaySamples() const noexcept {
    const auto sync = static_cast<std::size_t>(std::lround(values_[kSync]));
    // ms * rate / 1000 and seconds * rate: exact whenever the delay is a whole number of samples (375 ms
    // at 48 kHz is 18000).
    const double samples = sync > 0 ? dsp::syncSeconds(sync, tempoBpm_) * sampleRate_
                                    : static_cast<double>(values_[kTimeMs]) * sampleRate_ / 1000.0;
    return std::clamp(samples, static_cast<double>(kMinTimeMs) * sampleRate_ / 1000.0,
                      static_cast<double>(kMaxTimeMs) * sampleRate_ / 1000.0);
}

uint32_t TapeEcho::tailSamples() const noexcept {
    int longestHead = 0;
    for (int k = 0; k < kHeads; ++k)
        if (values_[kHead1 + k] > 0.5f) longestHead = k + 1;
    const double maxTail = kMaxTailSeconds * sampleRate_;
    if (longestHead == 0) return 0;
    const double loop = static_cast<double>(kMaxLoopGain) * values_[kFeedback];
    if (loop >= 1.0) return static_cast<uint32_t>(maxTail);
    double repeats = 1.0;
    // The filters and the tape only ever lower the loop gain, so this bounds the real decay.
    if (loop > 0.0) repeats += std::ceil(std::log(kTailFloor) / std::log(loop));
    const double delay =
        longestHead * std::max(delay_.value(), targetDelaySamples()) + wowSamples_ + flutterSamples_;
    // Plus the ring of the record path's filters (the 40 Hz low cut is the slowest: 37 ms to -80 dB).
    return static_cast<uint32_t>(std::min(delay * repeats + kFilterRingSeconds * sampleRate_, maxTail));
}

void TapeEcho::updateGrid() noexcept {
    // The first grid point after reset() knows the tempo: a synced time starts where it belongs.
    if (snapDelay_)
        delay_.snap(targetDelaySamples());
    else
        delay_.setTarget(targetDelaySamples());
    snapDelay_ = false;

    const double fc = std::min(toneCutoffHz(tone_.current()), 0.45 * sampleRate_);
    toneCoeffs_ = dsp::SvfCoeffs::from(
        dsp::SvfDesign::design(dsp::FilterKind::LowPass, sampleRate_, fc, dsp::kButterworthQ));

    // Wow and flutter at the end of this grid segment; the samples in between ramp linearly (the pitch,
    // their slope, changes only every kGrid samples, by far less than a cent).
    const double dt = static_cast<double>(kGrid) / sampleRate_;
    if (wowDriftCount_ == 0) {
        wowDriftTarget_ = noise_.next();
        wowDriftCount_ = static_cast<uint32_t>(kWowDriftEvery / dt) + 1;
    }
    --wowDriftCount_;
    if (flutterJitterCount_ == 0) {
        flutterJitterTarget_ = noise_.next();
        flutterJitterCount_ = static_cast<uint32_t>(kFlutterJitterEvery / dt) + 1;
    }
    --flutterJitterCount_;
    wowDrift_ +=
        static_cast<float>(1.0 - std::exp(-kTwoPi * kWowDriftHz * dt)) * (wowDriftTarget_ - wowDrift_);
    flutterJitter_ += static_cast<float>(1.0 - std::exp(-kTwoPi * kFlutterJitterHz * dt)) *
                      (flutterJitterTarget_ - flutterJitter_);
    // The drift also pulls the wow's speed a little, so it never settles into a plain sine.
    wowPhase_ += kTwoPi * kWowHz * (1.0 + 0.3 * wowDrift_) * dt;
    flutterPhase_ += kTwoPi * kFlutterHz * dt;
    flutter2Phase_ += kTwoPi * kFlutter2Hz * dt;
    wowPhase_ -= wowPhase_ >= kTwoPi ? kTwoPi : 0.0;
    flutterPhase_ -= flutterPhase_ >= kTwoPi ? kTwoPi : 0.0;
    flutter2Phase_ -= flutter2Phase_ >= kTwoPi ? kTwoPi : 0.0;
    const float wowEnd = kWowSine * static_cast<float>(std::sin(wowPhase_)) + kWowRandom * wowDrift_;
    const float flutterEnd = kFlutterMain * static_cast<float>(std::sin(flutterPhase_)) +
                             kFlutterSecond * static_cast<float>(std::sin(flutter2Phase_)) +
                             kFlutterRandom * flutterJitter_;
    wowNow_ = wowEnd_;
    flutterNow_ = flutterEnd_;
    wowStep_ = (wowEnd - wowNow_) / static_cast<float>(kGrid);
    flutterStep_ = (flutterEnd - flutterNow_) / static_cast<float>(kGrid);
    wowEnd_ = wowEnd;
    flutterEnd_ = flutterEnd;

    // A NaN or Inf that got into the loop would circulate for ever: start again from silence.
    if (!echo::finite2(lowCutState_) || !echo::finite2(toneState_.ic1) || !echo::finite2(toneState_.ic2)) {
        clearState();
    } else {
        lowCutState_ = echo::sanitize(lowCutState_);
        toneState_.ic1 = echo::sanitize(toneState_.ic1);
        toneState_.ic2 = echo::sanitize(toneState_.ic2);
    }
}

void TapeEcho::process(StereoBlock& block, const ProcessContext& ctx) noexcept {
    if (line_.empty()) return; // not prepared: pass the dry signal through
    if (std::isfinite(ctx.tempoBpm) && ctx.tempoBpm > 0.0) tempoBpm_ = ctx.tempoBpm;
    dsp::forEachGridChunk<kGrid>(
        gridLeft_, block.frames, [this] { updateGrid(); },
        [&](uint32_t offset, uint32_t n) { processChunk(block.left + offset, block.right + offset, n); });
}

void TapeEcho::processChunk(float* left, float* right, uint32_t frames) noexcept {
    const bool headsMoving = heads_[0].smoothing() || heads_[1].smoothing() || heads_[2].smoothing();
    float g[kHeads] = {heads_[0].current(), heads_[1].current(), heads_[2].current()};
    float sumG = std::max(1.f, g[0] + g[1] + g[2]);
    float wetNorm = 1.f / std::sqrt(sumG);
    float fbNorm = kMaxLoopGain / sumG;
    for (uint32_t i = 0; i < frames; ++i) {
        if (headsMoving) {
            for (int k = 0; k < kHeads; ++k)
                g[k] = heads_[k].next();
            sumG = std::max(1.f, g[0] + g[1] + g[2]);
            wetNorm = 1.f / std::sqrt(sumG);
            fbNorm = kMaxLoopGain / sumG;
        }
        const double d = delay_.next();
        const double mod = static_cast<double>(wow_.next() * wowNow_) * wowSamples_ +
                           static_cast<double>(flutter_.next() * flutterNow_) * flutterSamples_;
        wowNow_ += wowStep_;
        flutterNow_ += flutterStep_;

        V2 played{0.f, 0.f};
        for (int k = 0; k < kHeads; ++k) {
            if (g[k] == 0.f) continue; // a head that is off (and not fading) costs nothing
            const double at = std::clamp(static_cast<double>(k + 1) * d + mod, minDelay_, maxDelay_);
            played += g[k] * line_.read(at);
        }

        const V2 in{left[i], right[i]};
        V2 rec = in + played * (feedback_.next() * fbNorm);
        rec -= echo::onePoleLow(rec, lowCutState_, lowCutGain_);
        rec = dsp::svfTick(toneState_, rec, toneCoeffs_);
        rec = echo::softClip(rec * drive_.next()) * invDrive_.next();
        line_.push(echo::flushTiny(rec));
        tone_.next(); // read on the grid points only

        const float mix = mix_.next();
        const V2 out = in * (1.f - mix) + played * (wetNorm * mix);
        left[i] = out[0];
        right[i] = out[1];
    }
}

} // namespace stagerack::fx
