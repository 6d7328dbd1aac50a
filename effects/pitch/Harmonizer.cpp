#include "effects/pitch/Harmonizer.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace stagerack::fx {

Harmonizer::Harmonizer() {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    prepare(sampleRate_, 0);
}

void Harmonizer::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    geometry_ = SpliceGeometry::forRate(sampleRate);
    latency_ = static_cast<uint32_t>(geometry_.centre);
    tracker_.prepare(sampleRate);
    for (SampleRing* r : {&dryL_, &dryR_, &line_, &safe_})
        r->prepare(geometry_.ringFrames());
    antiAlias_.prepare(sampleRate);
    safeFilter_.prepare(sampleRate);
    safeFilter_.setRatio(safeRatio());
    // The oldest sample a head reads (its farthest delay plus the interpolator's reach), plus a margin for
    // the filter's memory of its previous coefficients.
    lineRatios_.assign(static_cast<std::size_t>(std::ceil((geometry_.maxSafeDelay + 4.0) / kGrid)) + 3, 1.f);
    for (Voice& v : voices_) {
        v.level.prepare(sampleRate, kSmoothMs);
        v.enabled.prepare(sampleRate, kSmoothMs);
        v.gate.prepare(sampleRate, kGateMs);
        v.pan.prepare(sampleRate, kSmoothMs);
    }
    dry_.prepare(sampleRate, kSmoothMs);
    glideMs_.prepare(sampleRate, kSmoothMs);
    filterRatio_.prepare(sampleRate, kSmoothMs);
    reset();
}

int Harmonizer::mode() const noexcept {
    return std::clamp(static_cast<int>(std::lround(values_[kMode])), 0, kModeCount - 1);
}

void Harmonizer::reset() noexcept {
    for (SampleRing* r : {&dryL_, &dryR_, &line_, &safe_})
        r->clear();
    tracker_.reset();
    antiAlias_.reset();
    safeFilter_.reset();
    heldCount_ = 0;
    now_ = -1;
    gridLeft_ = 0;
    dry_.setImmediate(levelGain(values_[kDryLevel]));
    glideMs_.setImmediate(values_[kGlideMs]);
    filterRatio_.setImmediate(1.f);
    for (std::size_t i = 0; i < kVoiceCount; ++i) {
        Voice& v = voices_[i];
        v.hasSource = false;
        v.level.setImmediate(levelGain(param(i, kV1Level)));
        v.enabled.setImmediate(i < static_cast<std::size_t>(std::lround(values_[kVoices])) ? 1.f : 0.f);
        v.gate.setImmediate(mode() == kMidi ? 0.f : 1.f);
        v.pan.setImmediate(param(i, kV1Pan));
        v.panFor = 2.f; // not a pan value: the law is computed at the first sample
        v.fold = 0;
        v.foldNote = -1;
        v.glideLeft = 0;
        v.logTarget = v.logRatio = 0.0;
        v.targetRatio = 1.0;
        retarget(i);
        v.logRatio = v.logTarget;
        v.glideLeft = 0;
        v.ratio = std::exp2(v.logRatio);
        v.head.reset(geometry_.centre);
        v.running = false;
        v.safe = 0.f;
    }
    // The filter starts where the voices that will sound need it; the history is silence, which is safe
    // at any ratio.
    double fastest = 1.0;
    for (const Voice& v : voices_)
        if (v.level.target() * v.enabled.target() * v.gate.target() > 0.f)
            fastest = std::max(fastest, v.targetRatio);
    filterRatio_.setImmediate(static_cast<float>(fastest));
    std::fill(lineRatios_.begin(), lineRatios_.end(), static_cast<float>(safeRatio()));
    lineRatioHead_ = 0;
    lineGuaranteed_ = safeRatio();
}

double Harmonizer::safeRatio() noexcept {
    return std::exp2(kMaxOctaves + kFoldMargin);
}

// Called at every grid step with the ratio the line is filtered for until the next one.
void Harmonizer::noteLineRatio(float ratio) noexcept {
    lineRatioHead_ = lineRatioHead_ + 1 == lineRatios_.size() ? 0 : lineRatioHead_ + 1;
    lineRatios_[lineRatioHead_] = ratio;
    float lowest = ratio;
    for (float r : lineRatios_)
        lowest = std::min(lowest, r);
    lineGuaranteed_ = lowest;
}

void Harmonizer::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    if (kParams[index].taper == Taper::Integer || kParams[index].taper == Taper::Enum)
        value = std::round(value);
    values_[index] = value;
    switch (index) {
    case kVoices:
        for (std::size_t i = 0; i < kVoiceCount; ++i)
            voices_[i].enabled.setTarget(i < static_cast<std::size_t>(value) ? 1.f : 0.f);
        break;
    case kV1Level:
    case kV2Level:
        voices_[(index - kV1Level) / kVoiceStride].level.setTarget(levelGain(value));
        break;
    case kV1Pan:
    case kV2Pan:
        voices_[(index - kV1Pan) / kVoiceStride].pan.setTarget(value);
        break;
    case kDryLevel:
        dry_.setTarget(levelGain(value));
        break;
    case kGlideMs:
        glideMs_.setTarget(value);
        break;
    default:
        break; // intervals, key and scale are read when the targets are recomputed (every grid step)
    }
}

void Harmonizer::midi(const MidiEvent& e) noexcept {
    if (e.size < 1) return;
    const int status = e.data[0] & 0xF0;
    const int note = e.size > 1 ? e.data[1] & 0x7F : 0;
    const int velocity = e.size > 2 ? e.data[2] & 0x7F : 0;
    auto release = [&](int n) {
        for (std::size_t i = 0; i < heldCount_; ++i) {
            if (held_[i] != n) continue;
            for (std::size_t j = i + 1; j < heldCount_; ++j)
                held_[j - 1] = held_[j];
            --heldCount_;
            return;
        }
    };
    if (status == 0x90 && velocity > 0) {
        release(note); // a repeated note moves to the top
        if (heldCount_ == kMaxHeld) release(held_[0]);
        held_[heldCount_++] = note;
    } else if (status == 0x80 || status == 0x90) {
        release(note);
    } else if (status == 0xB0 && (note == 120 || note == 123)) { // all sound off, all notes off
        heldCount_ = 0;
    }
}

void Harmonizer::setLogTarget(Voice& voice, double target) noexcept {
    target = std::clamp(target, -kMaxOctaves - kFoldMargin, kMaxOctaves + kFoldMargin);
    if (target == voice.logTarget) return;
    voice.logTarget = target;
    voice.targetRatio = std::exp2(target);
    const auto glide = static_cast<int64_t>(std::lround(glideMs_.current() * 0.001 * sampleRate_));
    if (glide <= 0) {
        voice.logRatio = target;
        voice.glideLeft = 0;
        voice.ratio = std::exp2(target);
        return;
    }
    voice.glideLeft = glide;
    voice.logStep = (target - voice.logRatio) / static_cast<double>(glide);
}

namespace {

// The fewest whole octaves to take from `octaves` to bring it within +-limit.
int minimalFold(double octaves, double limit) noexcept {
    if (octaves > limit) return static_cast<int>(std::ceil(octaves - limit));
    if (octaves < -limit) return static_cast<int>(std::floor(octaves + limit));
    return 0;
}

} // namespace

// `octaves` (held note over played note) moved by whole octaves into the voice's reach, so the held note
// keeps its name: the nearest octave for a new note, then kept with kFoldMargin of hysteresis.
double Harmonizer::foldIntoRange(Voice& voice, int note, double octaves) noexcept {
    if (note != voice.foldNote) {
        voice.foldNote = note;
        voice.fold = minimalFold(octaves, kMaxOctaves);
    } else if (std::fabs(octaves - voice.fold) > kMaxOctaves + kFoldMargin) {
        voice.fold = minimalFold(octaves, kMaxOctaves);
    } else {
        const int nearer = minimalFold(octaves, kMaxOctaves - kFoldMargin);
        if (std::abs(nearer) < std::abs(voice.fold)) voice.fold = nearer;
    }
    return octaves - voice.fold;
}

// The interval voice `v` should have now, from the mode, the parameters, the held notes and the pitch of
// the audio under its read head.
void Harmonizer::retarget(std::size_t v) noexcept {
    Voice& voice = voices_[v];
    const double heard = tracker_.frequencyAt(static_cast<double>(now_) - voice.head.delay());
    switch (mode()) {
    case kFixed:
        voice.gate.setTarget(1.f);
        setLogTarget(voice, param(v, kV1Semitones) / 12.0);
        break;
    case kDiatonic: {
        voice.gate.setTarget(1.f);
        const auto& scale = kScaleDegrees[static_cast<std::size_t>(std::lround(values_[kScale]))];
        const auto steps = static_cast<int>(std::lround(param(v, kV1Interval)));
        if (heard > 0.0) {
            // Semitones above the key's tonic (octave numbering does not matter).
            const double played = 12.0 * std::log2(heard / 440.0) + 9.0 - std::lround(values_[kKey]);
            const ScaleNote nearest = nearestScaleNote(scale, played);
            if (!voice.hasSource ||
                std::fabs(played - voice.source.semitones(scale)) >
                    std::fabs(played - nearest.semitones(scale)) + kHysteresis ||
                std::fabs(played - voice.source.semitones(scale)) > 2.0)
                voice.source = nearest;
            voice.hasSource = true;
        }
        // Before the first note the harmony is built on the tonic.
        const ScaleNote from = voice.hasSource ? voice.source : ScaleNote{0};
        setLogTarget(voice, diatonicShift(scale, from, steps) / 12.0);
        break;
    }
    case kMidi: {
        if (heldCount_ > v) {
            voice.gate.setTarget(1.f);
            const int note = held_[heldCount_ - 1 - v];
            if (heard > 0.0) {
                const double octaves = std::log2(440.0 * std::exp2((note - 69) / 12.0) / heard);
                setLogTarget(voice, foldIntoRange(voice, note, octaves));
            }
        } else {
            voice.gate.setTarget(0.f);
        }
        break;
    }
    default:
        break;
    }
}

void Harmonizer::startVoice(Voice& voice) noexcept {
    // From silence: the head starts at the centre and the interval where it is going.
    voice.head.reset(geometry_.centre);
    voice.logRatio = voice.logTarget;
    voice.glideLeft = 0;
    voice.ratio = std::exp2(voice.logRatio);
    voice.running = true;
}

void Harmonizer::process(StereoBlock& block, const ProcessContext& ctx) noexcept {
    const auto delay = static_cast<int64_t>(latency_);
    auto mono = [this](int64_t i) noexcept { return line_.at(i); };
    const auto safeIn = static_cast<float>(1.0 / (kSafeInMs * 0.001 * sampleRate_));
    const auto safeOut = static_cast<float>(1.0 / (kSafeOutMs * 0.001 * sampleRate_));
    std::size_t event = 0;
    for (uint32_t n = 0; n < block.frames; ++n) {
        float xl = block.left[n], xr = block.right[n];
        if (!std::isfinite(xl)) xl = 0.f;
        if (!std::isfinite(xr)) xr = 0.f;
        ++now_;
        bool dirty = false;
        while (event < ctx.midi.size() && ctx.midi[event].offset <= n) {
            midi(ctx.midi[event]); // notes are followed in every mode, so a mode change finds them right
            ++event;
            dirty = true;
        }
        if (gridLeft_ == 0) {
            double fastest = 1.0;
            for (const Voice& v : voices_)
                if (v.running) fastest = std::max(fastest, std::exp2(std::max(v.logRatio, v.logTarget)));
            filterRatio_.setTarget(static_cast<float>(fastest));
            for (uint32_t i = 0; i < kGrid; ++i) {
                glideMs_.next();
                filterRatio_.next();
            }
            antiAlias_.sanitize();
            safeFilter_.sanitize();
            antiAlias_.setRatio(filterRatio_.current());
            noteLineRatio(filterRatio_.current());
            gridLeft_ = kGrid;
            dirty = true;
        }
        --gridLeft_;

        const float m = 0.5f * (xl + xr);
        dryL_.write(now_, xl);
        dryR_.write(now_, xr);
        line_.write(now_, antiAlias_.process(0, m));
        safe_.write(now_, safeFilter_.process(0, m));
        tracker_.push(m);

        float outL = 0.f, outR = 0.f;
        for (std::size_t v = 0; v < kVoiceCount; ++v) {
            Voice& voice = voices_[v];
            if (dirty) retarget(v);
            const float gain = voice.level.next() * voice.enabled.next() * voice.gate.next();
            const float pan = voice.pan.next();
            const bool needed =
                gain > 0.f || voice.level.target() * voice.enabled.target() * voice.gate.target() > 0.f;
            if (!needed) {
                voice.running = false;
                continue;
            }
            // Faster than what the line was filtered for over the stretch a head can read: the safe line.
            const double need = std::max(voice.ratio, voice.targetRatio);
            const bool wantSafe = need > lineGuaranteed_ * kSafeTolerance;
            if (!voice.running) {
                startVoice(voice);
                voice.safe = wantSafe ? 1.f : 0.f; // it starts silent: no fade needed
            } else if (wantSafe) {
                voice.safe = std::min(1.f, voice.safe + safeIn);
            } else if (voice.safe > 0.f) {
                voice.safe = std::max(0.f, voice.safe - safeOut);
            }
            if (voice.glideLeft > 0) {
                voice.logRatio = --voice.glideLeft == 0 ? voice.logTarget : voice.logRatio + voice.logStep;
                voice.ratio = std::exp2(voice.logRatio);
            }
            voice.head.advance(voice.ratio, now_, mono, tracker_, geometry_);
            auto read = [&](double position) noexcept {
                const float x = line_.hermite(position);
                return voice.safe > 0.f ? x + voice.safe * (safe_.hermite(position) - x) : x;
            };
            float y = read(static_cast<double>(now_) - voice.head.delay()) * voice.head.newGain();
            if (voice.head.fading())
                y += read(static_cast<double>(now_) - voice.head.oldDelay()) * voice.head.oldGain();
            if (pan != voice.panFor) {
                // Constant power, unity in both channels at the centre.
                const double angle = (pan + 1.0) * 0.25 * std::numbers::pi;
                voice.panL = static_cast<float>(std::numbers::sqrt2 * std::cos(angle));
                voice.panR = static_cast<float>(std::numbers::sqrt2 * std::sin(angle));
                voice.panFor = pan;
            }
            outL += gain * voice.panL * y;
            outR += gain * voice.panR * y;
        }
        const float d = dry_.next();
        block.left[n] = d * dryL_.at(now_ - delay) + outL;
        block.right[n] = d * dryR_.at(now_ - delay) + outR;
    }
}

} // namespace stagerack::fx
