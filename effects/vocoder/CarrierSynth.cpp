#include "effects/vocoder/CarrierSynth.h"

#include <algorithm>
#include <cmath>

namespace stagerack::fx {

namespace {

constexpr float kSqrt3 = 1.7320508075688772f;

// The polyBLEP residual of a unit upward step at phase 0, for a phase t in cycles and dt cycles per
// sample: a two-sample polynomial that, added to a naive jump, rounds its corner (one sample each side).
inline float blep(float t, float dt) noexcept {
    if (t < dt) {
        t /= dt;
        return t + t - t * t - 1.f;
    }
    if (t > 1.f - dt) {
        t = (t - 1.f) / dt;
        return t * t + t + t + 1.f;
    }
    return 0.f;
}

} // namespace

void CarrierSynth::prepare(double sampleRate) noexcept {
    sampleRate_ = sampleRate;
    attackStep_ = static_cast<float>(1.0 / std::max(1.0, kAttackMs * 0.001 * sampleRate));
    releaseSamples_ = static_cast<float>(std::max(1.0, kReleaseMs * 0.001 * sampleRate));
    stealSamples_ = static_cast<float>(std::max(1.0, kStealFadeMs * 0.001 * sampleRate));
    for (auto& w : waveWeight_)
        w.prepare(sampleRate, kWaveFadeMs);
    pulseWidth_.prepare(sampleRate, kPulseWidthSmoothMs);
    setWaveform(waveform_);
    setPulseWidth(pulseWidthTarget_);
    reset();
}

void CarrierSynth::reset() noexcept {
    voices_ = {};
    fading_ = {};
    pedal_ = false;
    bendSemitones_ = 0.0;
    nextAge_ = 1;
    noise_ = 0x9e3779b9u;
    for (auto& w : waveWeight_)
        w.setImmediate(w.target());
    pulseWidth_.setImmediate(pulseWidth_.target());
}

void CarrierSynth::setWaveform(int waveform) noexcept {
    waveform = std::clamp(waveform, 0, kWaveformCount - 1);
    waveform_ = waveform;
    for (int w = 0; w < kWaveformCount; ++w)
        waveWeight_[static_cast<std::size_t>(w)].setTarget(w == waveform ? 1.f : 0.f);
}

void CarrierSynth::setPulseWidth(float width) noexcept {
    pulseWidthTarget_ = std::clamp(width, 0.05f, 0.95f);
    pulseWidth_.setTarget(pulseWidthTarget_);
}

void CarrierSynth::setChannel(int channel) noexcept {
    channel = std::clamp(channel, 0, 16);
    if (channel == channel_) return;
    channel_ = channel;
    // The note-offs (and the pedal release) of the notes held so far may now come on a channel that is
    // filtered out: release them all rather than leave them hanging.
    releaseAll();
}

float CarrierSynth::incrementOf(int note) const noexcept {
    const double hz = 440.0 * std::exp2((note - 69 + bendSemitones_) / 12.0);
    return static_cast<float>(std::min(hz / sampleRate_, 0.45));
}

void CarrierSynth::handle(const MidiEvent& event) noexcept {
    if (event.size < 2) return;
    const uint8_t status = event.data[0];
    if (status < 0x80 || status >= 0xF0) return;
    if (channel_ != 0 && (status & 0x0F) != channel_ - 1) return;
    const int d1 = event.data[1] & 0x7F;
    const int d2 = event.size >= 3 ? event.data[2] & 0x7F : 0;
    switch (status & 0xF0) {
    case 0x90:
        if (event.size < 3) return;
        if (d2 > 0)
            noteOn(d1);
        else
            noteOff(d1);
        break;
    case 0x80:
        noteOff(d1);
        break;
    case 0xE0: {
        if (event.size < 3) return;
        bendSemitones_ = (((d2 << 7) | d1) - 8192) / 8192.0 * kBendRangeSemitones;
        for (Voice& v : voices_)
            if (v.stage != Stage::Idle) v.inc = incrementOf(v.note);
        for (Voice& v : fading_)
            if (v.stage != Stage::Idle) v.inc = incrementOf(v.note);
        break;
    }
    case 0xB0:
        if (event.size < 3) return;
        if (d1 == 64) {
            pedal_ = d2 >= 64;
            if (!pedal_)
                for (Voice& v : voices_)
                    if (v.pedalHeld) releaseVoice(v);
        } else if (d1 == 121) {
            bendSemitones_ = 0.0;
            pedal_ = false;
            for (Voice& v : voices_) {
                if (v.pedalHeld) releaseVoice(v);
                if (v.stage != Stage::Idle) v.inc = incrementOf(v.note);
            }
        } else if (d1 == 120 || d1 == 123) {
            releaseAll();
        }
        break;
    default:
        break;
    }
}

void CarrierSynth::noteOn(int note) noexcept {
    Voice* target = nullptr;
    for (Voice& v : voices_)
        if (v.stage != Stage::Idle && v.note == note) target = &v;
    if (target != nullptr) {
        // The same key again: the voice attacks again from where it is, keeping its phase.
        target->stage = Stage::Attack;
        target->step = attackStep_;
        target->pedalHeld = false;
        target->age = nextAge_++;
        return;
    }
    for (Voice& v : voices_)
        if (target == nullptr && v.stage == Stage::Idle) target = &v;
    if (target == nullptr) {
        for (Voice& v : voices_)
            if (v.stage == Stage::Release && (target == nullptr || v.age < target->age)) target = &v;
        if (target == nullptr)
            for (Voice& v : voices_)
                if (target == nullptr || v.age < target->age) target = &v;
        // Its sound fades out in a free shadow slot while the voice starts the new note. A voice can be
        // stolen again before its first shadow has faded (a burst of 17 note-ons within kStealFadeMs), so
        // shadows are not tied to voices; only when every one is busy does the quietest give way.
        Voice* free = &fading_[0];
        for (Voice& f : fading_) {
            if (f.stage == Stage::Idle) {
                free = &f;
                break;
            }
            if (f.level < free->level) free = &f;
        }
        Voice& shadow = *free;
        shadow = *target;
        shadow.stage = Stage::Release;
        shadow.pedalHeld = false;
        shadow.step = -std::max(shadow.level, 1e-6f) / stealSamples_;
    }
    Voice& v = *target;
    v = Voice{};
    v.phase = kStartPhase;
    v.note = note;
    v.inc = incrementOf(note);
    v.stage = Stage::Attack;
    v.step = attackStep_;
    v.age = nextAge_++;
}

void CarrierSynth::noteOff(int note) noexcept {
    for (Voice& v : voices_) {
        if (v.note != note || (v.stage != Stage::Attack && v.stage != Stage::Sustain)) continue;
        if (pedal_)
            v.pedalHeld = true;
        else
            releaseVoice(v);
    }
}

void CarrierSynth::releaseVoice(Voice& v) noexcept {
    v.pedalHeld = false;
    if (v.stage == Stage::Idle) return;
    v.stage = Stage::Release;
    v.step = -std::max(v.level, 1e-6f) / releaseSamples_;
}

void CarrierSynth::releaseAll() noexcept {
    pedal_ = false;
    for (Voice& v : voices_)
        if (v.stage == Stage::Attack || v.stage == Stage::Sustain) releaseVoice(v);
}

bool CarrierSynth::active() const noexcept {
    const auto sounding = [](const Voice& v) { return v.stage != Stage::Idle; };
    return std::any_of(voices_.begin(), voices_.end(), sounding) ||
           std::any_of(fading_.begin(), fading_.end(), sounding);
}

int CarrierSynth::heldNotes() const noexcept {
    int n = 0;
    for (const Voice& v : voices_)
        n += (v.stage == Stage::Attack || v.stage == Stage::Sustain) ? 1 : 0;
    return n;
}

void CarrierSynth::renderVoice(Voice& v, float* out, uint32_t n) noexcept {
    float phase = v.phase;
    const float dt = v.inc;
    float level = v.level;
    for (uint32_t i = 0; i < n; ++i) {
        level += v.step;
        if (v.step > 0.f && level >= 1.f) {
            level = 1.f;
            v.step = 0.f;
            v.stage = Stage::Sustain;
        } else if (v.step < 0.f && level <= 0.f) {
            v = Voice{};
            return;
        }
        float s = 0.f;
        if (anySaw_) s += wSaw_[i] * (2.f * phase - 1.f - blep(phase, dt));
        if (anyPulse_) {
            const float pw = width_[i];
            float fall = phase - pw;
            fall += fall < 0.f ? 1.f : 0.f;
            const float pulse = (phase < pw ? 1.f : -1.f) + blep(phase, dt) - blep(fall, dt);
            s += wPulse_[i] * pulseGain_[i] * (pulse - (2.f * pw - 1.f));
        }
        if (anyNoise_) s += wNoise_[i] * noiseSample_[i];
        out[i] += level * s;
        phase += dt;
        phase -= phase >= 1.f ? 1.f : 0.f;
    }
    v.phase = phase;
    v.level = level;
}

void CarrierSynth::render(float* out, uint32_t n) noexcept {
    n = std::min(n, kMaxRender);
    std::fill(out, out + n, 0.f);
    // The shared per-sample values advance whether or not a voice sounds, so that they depend only on the
    // sample count since reset (block-size invariance).
    anySaw_ = anyPulse_ = anyNoise_ = false;
    const auto sawGain = static_cast<float>(kVoiceRms) * kSqrt3;
    for (uint32_t i = 0; i < n; ++i) {
        wSaw_[i] = waveWeight_[kSaw].next() * sawGain;
        wPulse_[i] = waveWeight_[kPulse].next();
        wNoise_[i] = waveWeight_[kNoise].next() * sawGain;
        width_[i] = pulseWidth_.next();
        noise_ ^= noise_ << 13;
        noise_ ^= noise_ >> 17;
        noise_ ^= noise_ << 5;
        noiseSample_[i] = static_cast<float>(static_cast<int32_t>(noise_)) * (1.f / 2147483648.f);
        anySaw_ = anySaw_ || wSaw_[i] != 0.f;
        anyPulse_ = anyPulse_ || wPulse_[i] != 0.f;
        anyNoise_ = anyNoise_ || wNoise_[i] != 0.f;
    }
    if (!active()) return;
    if (anyPulse_)
        for (uint32_t i = 0; i < n; ++i) {
            const float pw = width_[i];
            pulseGain_[i] = static_cast<float>(kVoiceRms) / (2.f * std::sqrt(pw * (1.f - pw)));
        }
    for (Voice& v : voices_)
        if (v.stage != Stage::Idle) renderVoice(v, out, n);
    for (Voice& v : fading_)
        if (v.stage != Stage::Idle) renderVoice(v, out, n);
}

} // namespace stagerack::fx
