#include "effects/vocoder/Vocoder.h"

#include "effects/dsp/Grid.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace stagerack::fx {

namespace {

float followerCoef(double ms, double sampleRate) noexcept {
    return static_cast<float>(1.0 - std::exp(-1000.0 / (ms * sampleRate)));
}

// An input sample as the vocoder takes it: NaN and +-Inf count as silence (tested on the exponent bits, so
// that no compiler flag can assume them away), and anything beyond +-kMaxInput (+120 dBFS) is clamped, so
// that no product along the bank can overflow. A broken sample thus never reaches the dry term or the
// bank's states.
constexpr float kMaxInput = 1e6f;
inline float tameInput(float x) noexcept {
    const bool finite = (std::bit_cast<uint32_t>(x) & 0x7f800000u) != 0x7f800000u;
    return std::clamp(finite ? x : 0.f, -kMaxInput, kMaxInput);
}

bool sameShape(const BandShape& a, const BandShape& b) noexcept {
    return a.lowHz == b.lowHz && a.highHz == b.highHz && a.width == b.width &&
           a.shiftSemitones == b.shiftSemitones;
}

} // namespace

Vocoder::Vocoder() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    prepare(sampleRate_, 0);
}

void Vocoder::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    synth_.prepare(sampleRate);
    for (VocoderBank& b : banks_)
        b.prepare(sampleRate);
    for (auto* s : {&lowHz_, &highHz_, &width_})
        s->prepare(sampleRate, kBankSmoothMs);
    for (auto* s : {&attackMs_, &releaseMs_})
        s->prepare(sampleRate, kSmoothMs);
    for (auto* s : {&shift_, &flatten_, &unvoiced_, &carrierGain_, &outputGain_, &dry_})
        s->prepare(sampleRate, kSmoothMs);
    external_.prepare(sampleRate, kCarrierFadeMs);
    const auto fadeGrids = static_cast<uint32_t>(std::lround(kLayoutFadeMs * 0.001 * sampleRate / kGrid));
    fadeLength_ = std::max<uint32_t>(1, fadeGrids) * kGrid;
    const double hpHz = std::min(kUnvoicedHz, 0.4 * sampleRate);
    highPass_[0] = dsp::SvfCoeffs::from(
        dsp::SvfDesign::design(dsp::FilterKind::HighPass, sampleRate, hpHz, dsp::kButterworth4QLow));
    highPass_[1] = dsp::SvfCoeffs::from(
        dsp::SvfDesign::design(dsp::FilterKind::HighPass, sampleRate, hpHz, dsp::kButterworth4QHigh));
    detectCoef_ = followerCoef(kDetectMs, sampleRate);
    for (std::size_t i = 0; i < kParamCount; ++i)
        setParam(i, values_[i]);
    reset();
}

int Vocoder::intValue(Param p) const noexcept {
    return static_cast<int>(std::lround(values_[p]));
}

BandShape Vocoder::currentShape() const noexcept {
    return {lowHz_.current(), highHz_.current(), width_.current(), shift_.current()};
}

void Vocoder::updateFollowers() noexcept {
    attackCoef_ = followerCoef(attackMs_.current(), sampleRate_);
    releaseCoef_ = followerCoef(releaseMs_.current(), sampleRate_);
    for (VocoderBank& b : banks_)
        b.setFollowers(attackCoef_, releaseCoef_);
}

void Vocoder::reset() noexcept {
    synth_.reset();
    for (auto* s : {&lowHz_, &highHz_, &width_, &attackMs_, &releaseMs_})
        s->setImmediate(s->target());
    for (auto* s : {&shift_, &flatten_, &unvoiced_, &carrierGain_, &outputGain_, &dry_, &external_})
        s->setImmediate(s->target());
    shape_ = currentShape();
    active_ = 0;
    fading_ = false;
    fadePos_ = 0;
    banks_[0].setLayout(intValue(kBands), static_cast<BandSpacing>(intValue(kSpacing)));
    banks_[0].design(shape_, sampleRate_);
    banks_[0].snap(flatten_.current());
    updateFollowers();
    highPassState_ = {};
    highPower_ = allPower_ = 0.f;
    gate_.snap(0.f);
    gridLeft_ = 0;
    fresh_ = true;
}

void Vocoder::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    switch (index) {
    case kWaveform:
        synth_.setWaveform(intValue(kWaveform));
        break;
    case kPulseWidth:
        synth_.setPulseWidth(value);
        break;
    case kMidiChannel:
        synth_.setChannel(intValue(kMidiChannel));
        break;
    case kLowHz:
        lowHz_.setTarget(value);
        break;
    case kHighHz:
        highHz_.setTarget(value);
        break;
    case kWidth:
        width_.setTarget(value);
        break;
    case kAttackMs:
        attackMs_.setTarget(value);
        break;
    case kReleaseMs:
        releaseMs_.setTarget(value);
        break;
    case kFormantShift:
        shift_.setTarget(value);
        break;
    case kFlatten:
        flatten_.setTarget(value);
        break;
    case kUnvoiced:
        unvoiced_.setTarget(value);
        break;
    case kCarrierDb:
        carrierGain_.setTarget(dsp::dbToGain(value));
        break;
    case kOutputDb:
        outputGain_.setTarget(dsp::dbToGain(value));
        break;
    case kDryMix:
        dry_.setTarget(value);
        break;
    default:
        break; // carrier is read per block; bands and spacing at grid points
    }
}

uint32_t Vocoder::tailSamples() const noexcept {
    // The envelopes fall 60 dB in ln(1000) ~ 6.9 time constants; the synth's release and the bands'
    // ringing come on top.
    const double ms = 7.0 * values_[kReleaseMs] + CarrierSynth::kReleaseMs + 20.0;
    return static_cast<uint32_t>(std::ceil(ms * 0.001 * sampleRate_));
}

void Vocoder::startGrid() noexcept {
    for (auto* s : {&lowHz_, &highHz_, &width_})
        dsp::advanceSmoother(*s, kGrid);
    dsp::advanceSmoother(shift_, kGrid);
    const BandShape shape = currentShape();
    if (!sameShape(shape, shape_)) {
        shape_ = shape;
        banks_[static_cast<std::size_t>(active_)].design(shape_, sampleRate_);
        if (fading_) banks_[static_cast<std::size_t>(1 - active_)].design(shape_, sampleRate_);
    }
    if (attackMs_.smoothing() || releaseMs_.smoothing()) {
        dsp::advanceSmoother(attackMs_, kGrid);
        dsp::advanceSmoother(releaseMs_, kGrid);
        updateFollowers();
    }
    if (!fading_) {
        const int bands = intValue(kBands);
        const auto spacing = static_cast<BandSpacing>(intValue(kSpacing));
        const VocoderBank& current = banks_[static_cast<std::size_t>(active_)];
        if (bands != current.bands() || spacing != current.spacing()) {
            VocoderBank& next = banks_[static_cast<std::size_t>(1 - active_)];
            next.setLayout(bands, spacing);
            next.design(shape_, sampleRate_);
            next.snap(flatten_.current());
            fading_ = true;
            fadePos_ = 0;
        }
    }
    dsp::advanceSmoother(flatten_, kGrid);
    banks_[static_cast<std::size_t>(active_)].beginSubBlock(flatten_.current(), kGrid);
    if (fading_) banks_[static_cast<std::size_t>(1 - active_)].beginSubBlock(flatten_.current(), kGrid);

    highPower_ = dsp::sanitizeState(highPower_);
    allPower_ = dsp::sanitizeState(allPower_);
    for (auto& s : highPassState_) {
        s.ic1 = dsp::sanitizeState(s.ic1);
        s.ic2 = dsp::sanitizeState(s.ic2);
    }
    const float ratio = allPower_ > 1e-12f ? highPower_ / allPower_ : 0.f;
    const float t = std::clamp((ratio - kSibilantLow) / (kSibilantHigh - kSibilantLow), 0.f, 1.f);
    gate_.retarget(t * t * (3.f - 2.f * t), kGrid);
}

void Vocoder::renderSynth(const ProcessContext& ctx, uint32_t offset, uint32_t frames,
                          std::size_t& event) noexcept {
    float* const out = synthOut_.data();
    uint32_t pos = 0; // rendered so far, relative to offset
    const uint32_t last = ctx.frames > 0 ? ctx.frames - 1 : 0;
    while (event < ctx.midi.size()) {
        // Offsets past the block act at its last sample; out-of-order ones at once.
        const uint32_t at = std::min(ctx.midi[event].offset, last);
        if (at >= offset + frames) break;
        const uint32_t rel = at > offset ? at - offset : 0;
        if (rel > pos) {
            synth_.render(out + pos, rel - pos);
            pos = rel;
        }
        synth_.handle(ctx.midi[event]);
        ++event;
    }
    if (pos < frames) synth_.render(out + pos, frames - pos);
}

void Vocoder::processChunk(StereoBlock& block, const ProcessContext& ctx, uint32_t offset, uint32_t frames,
                           std::size_t& event) noexcept {
    float* const left = block.left + offset;
    float* const right = block.right + offset;
    renderSynth(ctx, offset, frames, event);
    const float* const side = ctx.sidechain != nullptr ? ctx.sidechain + offset : nullptr;
    for (uint32_t i = 0; i < frames; ++i) {
        left[i] = tameInput(left[i]);
        right[i] = tameInput(right[i]);
        mod_[i] = 0.5f * (left[i] + right[i]);
        const float w = external_.next();
        const float ext = side != nullptr ? tameInput(side[i]) : 0.f;
        car_[i] = carrierGain_.next() * (synthOut_[i] + w * (ext - synthOut_[i]));
    }
    banks_[static_cast<std::size_t>(active_)].process(mod_.data(), car_.data(), bankOut_.data(), frames);
    if (fading_) {
        banks_[static_cast<std::size_t>(1 - active_)].process(mod_.data(), car_.data(), fadeOut_.data(),
                                                              frames);
        const float len = static_cast<float>(fadeLength_);
        for (uint32_t i = 0; i < frames; ++i) {
            const float pos = static_cast<float>(std::min(fadePos_ + i + 1, fadeLength_));
            const float w = 0.5f - 0.5f * std::cos(std::numbers::pi_v<float> * pos / len);
            bankOut_[i] += w * (fadeOut_[i] - bankOut_[i]);
        }
        fadePos_ += frames;
        if (fadePos_ >= fadeLength_) {
            active_ = 1 - active_;
            fading_ = false;
        }
    }
    const dsp::SvfCoeffs& h0 = highPass_[0];
    const dsp::SvfCoeffs& h1 = highPass_[1];
    for (uint32_t i = 0; i < frames; ++i) {
        const float x = mod_[i];
        const float hp = dsp::svfTick(highPassState_[1], dsp::svfTick(highPassState_[0], x, h0), h1);
        highPower_ += detectCoef_ * (hp * hp - highPower_);
        allPower_ += detectCoef_ * (x * x - allPower_);
        const float wet = bankOut_[i] + unvoiced_.next() * gate_.next() * hp;
        const float dry = dry_.next();
        const float out = outputGain_.next() * wet;
        left[i] = out + dry * left[i];
        right[i] = out + dry * right[i];
    }
}

void Vocoder::process(StereoBlock& block, const ProcessContext& ctx) noexcept {
    const int mode = intValue(kCarrier);
    const bool external = mode == kExternal || (mode == kAuto && ctx.sidechain != nullptr);
    if (fresh_)
        external_.setImmediate(external ? 1.f : 0.f);
    else
        external_.setTarget(external ? 1.f : 0.f);
    fresh_ = false;
    std::size_t event = 0;
    dsp::forEachGridChunk<kGrid>(
        gridLeft_, block.frames, [&] { startGrid(); },
        [&](uint32_t offset, uint32_t n) { processChunk(block, ctx, offset, n, event); });
}

} // namespace stagerack::fx
