#include "effects/drive/DriveCore.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace stagerack::fx {

namespace {

// State values below this are set to zero on the grid: a decaying filter reaches exact silence instead of
// running in denormals (the engine sets FTZ/DAZ; a test or another host may not).
constexpr float kFlushBelow = 1e-20f;

inline float flushTiny(float x) noexcept {
    return std::fabs(x) < kFlushBelow ? 0.f : x;
}

// Topology-preserving one-pole low-pass (bilinear, prewarped); the high-pass is x minus it.
inline float onePole(float x, float& state, float g) noexcept {
    const float v = (x - state) * g;
    const float y = v + state;
    state = y + v;
    return y;
}

float onePoleGain(double cornerHz, double sampleRate) noexcept {
    const double g = std::tan(std::numbers::pi * std::min(cornerHz, 0.45 * sampleRate) / sampleRate);
    return static_cast<float>(g / (1.0 + g));
}

} // namespace

template <typename Fn>
void DriveCore::visit(DriveCharacter c, Fn&& fn) const noexcept {
    switch (c) {
    case DriveCharacter::Soft:
        fn(shapers_.soft);
        break;
    case DriveCharacter::Triode:
        fn(shapers_.triode);
        break;
    case DriveCharacter::Diode:
        fn(shapers_.diode);
        break;
    case DriveCharacter::Germanium:
        fn(shapers_.germanium);
        break;
    case DriveCharacter::Silicon:
        fn(shapers_.silicon);
        break;
    case DriveCharacter::Rectifier:
        fn(shapers_.rectifier);
        break;
    case DriveCharacter::Foldback:
        fn(shapers_.foldback);
        break;
    }
}

DriveCore::DriveCore(const DriveVoicing& voicing) noexcept
    : voicing_(voicing) {
    values_ = {0.5f, 0.5f, 0.f, 0.f};
}

uint32_t DriveCore::factorFor(double sampleRate) noexcept {
    // About 350-400 kHz inside the shaper at any base rate.
    return sampleRate <= 50000.0 ? 8 : sampleRate <= 100000.0 ? 4 : 2;
}

void DriveCore::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    factor_ = factorFor(sampleRate);
    left_.os.prepare(factor_);
    right_.os.prepare(factor_);
    latency_ = left_.os.latencySamples();
    drive_.prepare(sampleRate, kSmoothMs);
    tone_.prepare(sampleRate, kSmoothMs);
    levelDb_.prepare(sampleRate, kSmoothMs);
    preG_ = onePoleGain(voicing_.preCornerHz, sampleRate);
    deG_ = onePoleGain(voicing_.deCornerHz, sampleRate);
    tiltG_ = onePoleGain(voicing_.tiltPivotHz, sampleRate);
    dcR_ = static_cast<float>(std::exp(-2.0 * std::numbers::pi * kDcCornerHz / sampleRate));
    fadeLength_ = std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(kFadeMs * 0.001 * sampleRate)));
    relinkSamples_ = static_cast<uint32_t>(kRelinkSeconds * sampleRate);

    // Level compensation: the inverse of the curve's RMS gain on a -18 dBFS sine (DC removed, as the DC
    // blocker will), at the gain the shaper sees for each drive. The gain leg lifts a guitar's mids and
    // highs by about G, so G stands for the whole stage.
    constexpr int kPhases = 256;
    for (std::size_t c = 0; c < 3; ++c) {
        const double scale = std::pow(10.0, voicing_.inputScaleDb[c] / 20.0);
        for (uint32_t j = 0; j < kCompPoints; ++j) {
            const double drive = static_cast<double>(j) / (kCompPoints - 1);
            const double g = std::pow(10.0, drive * voicing_.maxDriveDb / 20.0) * scale;
            double sum = 0.0;
            double sum2 = 0.0;
            visit(voicing_.characters[c], [&](const auto& s) {
                for (int k = 0; k < kPhases; ++k) {
                    const double y = s.f(g * kCompRefLevel * std::sin(2.0 * std::numbers::pi * k / kPhases));
                    sum += y;
                    sum2 += y * y;
                }
            });
            const double mean = sum / kPhases;
            const double rmsOut = std::sqrt(std::max(1e-30, sum2 / kPhases - mean * mean));
            compDb_[c][j] = static_cast<float>(20.0 * std::log10(kCompRefLevel / std::sqrt(2.0) / rmsOut));
        }
    }
    reset();
}

float DriveCore::compDbAt(std::size_t character, float drive) const noexcept {
    const float x = std::clamp(drive, 0.f, 1.f) * static_cast<float>(kCompPoints - 1);
    const auto i = std::min<std::size_t>(static_cast<std::size_t>(x), kCompPoints - 2);
    const float t = x - static_cast<float>(i);
    return compDb_[character][i] + t * (compDb_[character][i + 1] - compDb_[character][i]);
}

float DriveCore::compensationDb(std::size_t character, float drive) const noexcept {
    return compDbAt(std::min<std::size_t>(character, 2), drive);
}

void DriveCore::Channel::clear() noexcept {
    preLp = deLp = dcX = dcY = tiltLp = 0.f;
    os.reset();
    for (auto& a : adaa)
        a = dsp::shapers::Adaa1{};
    lastUp = 0.0;
}

bool DriveCore::Channel::finite() const noexcept {
    return std::isfinite(preLp) && std::isfinite(deLp) && std::isfinite(dcY) && std::isfinite(tiltLp) &&
           std::isfinite(lastUp) && adaa[0].finite() && adaa[1].finite();
}

void DriveCore::reset() noexcept {
    drive_.setImmediate(values_[kDrive]);
    tone_.setImmediate(values_[kTone]);
    levelDb_.setImmediate(values_[kLevelDb]);
    left_.clear();
    right_.clear();
    linked_ = true;
    identicalRun_ = 0;
    a_ = 0;
    fadeLeft_ = 0;
    fade_ = 0.f;
    fadeStep_ = 1.f / static_cast<float>(fadeLength_);
    startVoice(0, static_cast<std::size_t>(values_[kCharacter]));
    gridLeft_ = 0;
    // Start the ramps where the first grid point will aim them: no ramp from zero after a reset.
    const float drive = drive_.current();
    gain_.snap(dsp::dbToGain(drive * voicing_.maxDriveDb) - 1.f);
    de_.snap(drive);
    level_.snap(dsp::dbToGain(levelDb_.current()));
    comp_[0].snap(dsp::dbToGain(compDbAt(voiceCharacter_[0], drive)));
    comp_[1].snap(comp_[0].value);
    const float tilt = (tone_.current() - 0.5f) * voicing_.tiltRangeDb;
    tiltLow_.snap(dsp::dbToGain(-0.5f * tilt));
    tiltHigh_.snap(dsp::dbToGain(0.5f * tilt));
}

void DriveCore::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    const float lo = index == kLevelDb ? -40.f : 0.f;
    const float hi = index == kLevelDb ? 12.f : index == kCharacter ? 2.f : 1.f;
    value = std::clamp(value, lo, hi);
    if (index == kCharacter) value = std::round(value);
    values_[index] = value;
    switch (index) {
    case kDrive:
        drive_.setTarget(value);
        break;
    case kTone:
        tone_.setTarget(value);
        break;
    case kLevelDb:
        levelDb_.setTarget(value);
        break;
    default:
        break; // the character is picked up on the grid, where it starts a crossfade
    }
}

void DriveCore::startVoice(std::size_t voice, std::size_t character) noexcept {
    character = std::min<std::size_t>(character, 2);
    voiceCharacter_[voice] = character;
    voiceScale_[voice] = std::pow(10.0, voicing_.inputScaleDb[character] / 20.0);
    comp_[voice].snap(dsp::dbToGain(compDbAt(character, drive_.current())));
    // The new curve starts from the input it would have seen last: its first output is not a step from 0.
    visit(voicing_.characters[character], [&](const auto& s) {
        left_.adaa[voice].reset(s, left_.lastUp * voiceScale_[voice]);
        right_.adaa[voice].reset(s, right_.lastUp * voiceScale_[voice]);
    });
}

void DriveCore::updateGrid() noexcept {
    if (!left_.finite() || !right_.finite()) {
        // A NaN got in (bad input): start again from silence rather than output NaN for ever.
        left_.clear();
        right_.clear();
        linked_ = true;
        identicalRun_ = 0;
    }
    for (Channel* ch : {&left_, &right_}) {
        ch->preLp = flushTiny(ch->preLp);
        ch->deLp = flushTiny(ch->deLp);
        ch->dcX = flushTiny(ch->dcX);
        ch->dcY = flushTiny(ch->dcY);
        ch->tiltLp = flushTiny(ch->tiltLp);
    }
    if (!linked_ && identicalRun_ >= relinkSamples_) {
        // A second of identical input: the channels' filters agree to float precision, run one of them.
        right_ = left_;
        linked_ = true;
    }

    // The smoothers move a whole grid period at a time, and the ramps head for where they will be at the next
    // grid point: the same arithmetic whatever the block size, so the output is bit-identical.
    drive_.skip(kGrid);
    tone_.skip(kGrid);
    levelDb_.skip(kGrid);
    const float drive = drive_.current();
    gain_.aim(dsp::dbToGain(drive * voicing_.maxDriveDb) - 1.f);
    de_.aim(drive);
    level_.aim(dsp::dbToGain(levelDb_.current()));

    const auto wanted = static_cast<std::size_t>(values_[kCharacter]);
    if (fadeLeft_ == 0 && wanted != voiceCharacter_[a_]) {
        startVoice(1 - a_, wanted);
        fadeLeft_ = fadeLength_;
        fade_ = 0.f;
    }
    comp_[a_].aim(dsp::dbToGain(compDbAt(voiceCharacter_[a_], drive)));
    if (fadeLeft_ > 0) comp_[1 - a_].aim(dsp::dbToGain(compDbAt(voiceCharacter_[1 - a_], drive)));

    // Tilt: +-tiltRange/2 across the pivot, equal and opposite in dB on either side (0.5 is flat).
    const float tilt = (tone_.current() - 0.5f) * voicing_.tiltRangeDb;
    tiltLow_.aim(dsp::dbToGain(-0.5f * tilt));
    tiltHigh_.aim(dsp::dbToGain(0.5f * tilt));
}

void DriveCore::process(StereoBlock& block) noexcept {
    uint32_t done = 0;
    while (done < block.frames) {
        if (gridLeft_ == 0) {
            updateGrid();
            gridLeft_ = kGrid;
        }
        const uint32_t n = std::min(block.frames - done, gridLeft_);
        processChunk(block.left + done, block.right + done, n);
        done += n;
        gridLeft_ -= n;
    }
}

void DriveCore::runVoice(Channel& ch, std::size_t voice, const float* in, float comp, float* out) noexcept {
    const double scale = voiceScale_[voice];
    dsp::shapers::Adaa1& adaa = ch.adaa[voice];
    const uint32_t n = factor_;
    visit(voicing_.characters[voiceCharacter_[voice]], [&](const auto& s) {
        for (uint32_t i = 0; i < n; ++i)
            out[i] = comp * static_cast<float>(adaa.process(s, scale * static_cast<double>(in[i])));
    });
}

float DriveCore::tick(Channel& ch, float x, const Frame& fr) noexcept {
    const float hp = x - onePole(x, ch.preLp, preG_);
    const float p = x + fr.gain * hp;

    float up[dsp::Oversampler::kMaxFactor];
    float shaped[dsp::Oversampler::kMaxFactor];
    ch.os.upsample(p, up);
    runVoice(ch, a_, up, fr.comp[a_], shaped);
    if (fadeLeft_ > 0) {
        float other[dsp::Oversampler::kMaxFactor];
        runVoice(ch, 1 - a_, up, fr.comp[1 - a_], other);
        for (uint32_t i = 0; i < factor_; ++i)
            shaped[i] += fr.fade * (other[i] - shaped[i]);
    }
    ch.lastUp = up[factor_ - 1];
    float y = ch.os.downsample(shaped);

    y += fr.de * (onePole(y, ch.deLp, deG_) - y);
    const float dc = y - ch.dcX + dcR_ * ch.dcY;
    ch.dcX = y;
    ch.dcY = dc;
    const float lp = onePole(dc, ch.tiltLp, tiltG_);
    return (fr.tiltHigh * dc + (fr.tiltLow - fr.tiltHigh) * lp) * fr.level;
}

void DriveCore::processChunk(float* left, float* right, uint32_t frames) noexcept {
    for (uint32_t i = 0; i < frames; ++i) {
        Frame fr;
        fr.gain = gain_.next();
        fr.comp[0] = comp_[0].next();
        fr.comp[1] = comp_[1].next();
        fr.de = de_.next();
        fr.level = level_.next();
        fr.tiltLow = tiltLow_.next();
        fr.tiltHigh = tiltHigh_.next();
        if (fadeLeft_ > 0) {
            if (--fadeLeft_ == 0)
                a_ = 1 - a_; // the new voice is now the only one
            else
                fade_ = 1.f - static_cast<float>(fadeLeft_) * fadeStep_;
        }
        fr.fade = fade_;

        const float xl = left[i];
        const float xr = right[i];
        if (linked_) {
            if (xl == xr) {
                const float y = tick(left_, xl, fr);
                left[i] = y;
                right[i] = y;
                continue;
            }
            right_ = left_; // the right channel's state is the left one's: take it over exactly
            linked_ = false;
            identicalRun_ = 0;
        }
        left[i] = tick(left_, xl, fr);
        right[i] = tick(right_, xr, fr);
        identicalRun_ = xl == xr ? std::min(identicalRun_ + 1, relinkSamples_) : 0;
    }
}

} // namespace stagerack::fx
