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

// Topology-preserving one-pole low-pass (bilinear, prewarped; the high-pass is x minus it), written so that
// the recursion is one multiply and one add: y = s + G (x - s), s' = 2 y - s = (1 - 2 G) s + 2 G x.
inline float onePole(float x, float& state, const DriveCore::OnePole& c) noexcept {
    const float y = state + c.g * (x - state);
    state = c.keep * state + c.in * x;
    return y;
}

DriveCore::OnePole onePoleFor(double cornerHz, double sampleRate) noexcept {
    const double g = std::tan(std::numbers::pi * std::min(cornerHz, 0.45 * sampleRate) / sampleRate);
    const double G = g / (1.0 + g);
    return {static_cast<float>(G), static_cast<float>(1.0 - 2.0 * G), static_cast<float>(2.0 * G)};
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
    pre_ = onePoleFor(voicing_.preCornerHz, sampleRate);
    de1_ = onePoleFor(voicing_.deCornerHz, sampleRate);
    tilt1_ = onePoleFor(voicing_.tiltPivotHz, sampleRate);
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
        a = dsp::shapers::AdaaState{};
    lastUp = 0.f;
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
    voiceScale_[voice] = static_cast<float>(std::pow(10.0, voicing_.inputScaleDb[character] / 20.0));
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

void DriveCore::runVoice(Channel& ch, std::size_t voice, const float* in, std::size_t n,
                         float* out) noexcept {
    visit(voicing_.characters[voiceCharacter_[voice]],
          [&](const auto& s) { dsp::shapers::adaaBlock(s, ch.adaa[voice], in, n, voiceScale_[voice], out); });
}

void DriveCore::fillFrames(uint32_t frames) noexcept {
    Frames& f = frames_;
    for (uint32_t i = 0; i < frames; ++i) {
        f.gain[i] = gain_.next();
        f.comp[0][i] = comp_[0].next();
        f.comp[1][i] = comp_[1].next();
        f.de[i] = de_.next();
        f.level[i] = level_.next();
        f.tiltLow[i] = tiltLow_.next();
        f.tiltHigh[i] = tiltHigh_.next();
    }
    // Crossfade: sample i mixes while fadeLeft_ - (i + 1) > 0; where that reaches 0 the new voice takes over.
    if (fadeLeft_ > 0) {
        f.old = a_;
        f.voice = 1 - a_;
        f.mixed = std::min(frames, fadeLeft_ - 1);
        for (uint32_t i = 0; i < f.mixed; ++i)
            f.fade[i] = 1.f - static_cast<float>(fadeLeft_ - i - 1) * fadeStep_;
        if (fadeLeft_ <= frames) {
            fadeLeft_ = 0;
            a_ = f.voice;
        } else {
            fadeLeft_ -= frames;
        }
    } else {
        f.voice = f.old = a_;
        f.mixed = 0;
    }
}

void DriveCore::runChannel(Channel& ch, const float* in, float* out, uint32_t begin, uint32_t end) noexcept {
    const Frames& f = frames_;
    const uint32_t n = end - begin;
    const uint32_t factor = factor_;
    const std::size_t top = static_cast<std::size_t>(n) * factor;

    // Filter states live in locals inside the loops (out may alias ch as far as the compiler knows).
    float p[kGrid];
    float preLp = ch.preLp;
    for (uint32_t i = 0; i < n; ++i) {
        const float x = in[i];
        const float hp = x - onePole(x, preLp, pre_);
        p[i] = x + f.gain[begin + i] * hp;
    }
    ch.preLp = preLp;
    ch.os.upsample(p, n, up_.data());
    ch.lastUp = up_[top - 1];

    float* shaped = shaped_.data();
    runVoice(ch, f.voice, up_.data(), top, shaped);
    const float* comp = f.comp[f.voice].data() + begin;
    const uint32_t mixEnd = std::max(begin, std::min(end, f.mixed)) - begin;
    if (mixEnd > 0) {
        // The fading-out voice on the mixed samples: old + fade (new - old), each with its compensation.
        float* other = other_.data();
        runVoice(ch, f.old, up_.data(), static_cast<std::size_t>(mixEnd) * factor, other);
        const float* compOld = f.comp[f.old].data() + begin;
        const float* fade = f.fade.data() + begin;
        for (uint32_t i = 0; i < mixEnd; ++i)
            for (uint32_t k = 0; k < factor; ++k) {
                const std::size_t j = static_cast<std::size_t>(i) * factor + k;
                const float a = compOld[i] * other[j];
                shaped[j] = a + fade[i] * (comp[i] * shaped[j] - a);
            }
    }
    for (uint32_t i = mixEnd; i < n; ++i)
        for (uint32_t k = 0; k < factor; ++k)
            shaped[static_cast<std::size_t>(i) * factor + k] *= comp[i];

    float d[kGrid];
    ch.os.downsample(shaped, n, d);

    float deLp = ch.deLp;
    float dcX = ch.dcX;
    float dcY = ch.dcY;
    float tiltLp = ch.tiltLp;
    for (uint32_t i = 0; i < n; ++i) {
        const uint32_t t = begin + i;
        float y = d[i];
        y += f.de[t] * (onePole(y, deLp, de1_) - y);
        const float dc = y - dcX + dcR_ * dcY;
        dcX = y;
        dcY = dc;
        const float lp = onePole(dc, tiltLp, tilt1_);
        out[i] = (f.tiltHigh[t] * dc + (f.tiltLow[t] - f.tiltHigh[t]) * lp) * f.level[t];
    }
    ch.deLp = deLp;
    ch.dcX = dcX;
    ch.dcY = dcY;
    ch.tiltLp = tiltLp;
}

void DriveCore::processChunk(float* left, float* right, uint32_t frames) noexcept {
    fillFrames(frames);
    uint32_t begin = 0;
    if (linked_) {
        uint32_t same = 0;
        while (same < frames && left[same] == right[same])
            ++same;
        if (same > 0) {
            runChannel(left_, left, left, 0, same);
            std::copy(left, left + same, right);
        }
        if (same == frames) return;
        right_ = left_; // the right channel's state is the left one's: take it over exactly
        linked_ = false;
        identicalRun_ = 0;
        begin = same;
    }
    for (uint32_t i = begin; i < frames; ++i)
        identicalRun_ = left[i] == right[i] ? std::min(identicalRun_ + 1, relinkSamples_) : 0;
    runChannel(left_, left + begin, left + begin, begin, frames);
    runChannel(right_, right + begin, right + begin, begin, frames);
}

} // namespace stagerack::fx
