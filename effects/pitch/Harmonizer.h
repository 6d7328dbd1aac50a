// Harmonizer: one or two voices that follow what you play at a fixed interval, at a diatonic interval in a
// chosen key and scale, or at the pitches of held MIDI notes.
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/Smoothed.h"
#include "effects/pitch/AntiAliasFilter.h"
#include "effects/pitch/PitchTracker.h"
#include "effects/pitch/SampleRing.h"
#include "effects/pitch/Scales.h"
#include "effects/pitch/SpliceVoice.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace stagerack::fx {

class Harmonizer {
public:
    // New parameters go at the end: presets and MIDI maps address them by id, the engine by index.
    enum Param : std::size_t {
        kMode,
        kKey,
        kScale,
        kVoices,
        kV1Interval,
        kV1Semitones,
        kV1Level,
        kV1Pan,
        kV2Interval,
        kV2Semitones,
        kV2Level,
        kV2Pan,
        kDryLevel,
        kGlideMs,
        kParamCount
    };
    enum Mode : int { kFixed = 0, kDiatonic = 1, kMidi = 2, kModeCount };
    static constexpr std::size_t kVoiceCount = 2;
    static constexpr std::size_t kVoiceStride = kV2Interval - kV1Interval;

    static constexpr std::string_view kId = "harmonizer";
    static constexpr std::string_view kName = "Harmonizer";
    static constexpr std::string_view kCategory = "pitch";
    static constexpr int kVersion = 1;

    static constexpr float kOffDb = -60.f;
    static constexpr float kSmoothMs = 20.f;
    static constexpr float kGateMs = 10.f;
    static constexpr uint32_t kGrid = 16;
    // A played note must move this far (semitones) closer to another scale note than to the current one
    // before the harmony follows it: bends and vibrato across the half-way point do not flicker.
    static constexpr double kHysteresis = 0.2;
    static constexpr double kMaxOctaves = 2.0; // ratios between 1/4 and 4
    // MIDI mode: a held note out of that range is moved by whole octaves into it. The octave chosen is
    // kept while it stays within this much (octaves) beyond the range, and given up for one nearer the
    // played note only when that is this much inside it: vibrato across the boundary does not flip it.
    static constexpr double kFoldMargin = 0.5 / 12.0;
    static constexpr std::size_t kMaxHeld = 16;
    static constexpr float kSafeInMs = 2.f;   // a running voice moves to the safe line this fast
    static constexpr float kSafeOutMs = 20.f; // and back
    // A ratio this close to what the line was filtered for is covered by it (a third of a semitone: the
    // tracker's jitter does not send a voice to the safe line and back).
    static constexpr double kSafeTolerance = 1.02;

    static constexpr std::array<std::string_view, kModeCount> kModeLabels{"fixed", "diatonic", "midi"};

    static constexpr std::string_view kHelp =
        "Harmonizer: one or two voices that play along with a single-note line, each the input itself "
        "transposed (its attack, dynamics and vibrato carry over), with the dry signal. A monophonic pitch "
        "tracker (70 Hz to 1.4 kHz) reads the note under each voice's read head, so the interval changes "
        "exactly when the note it belongs to is heard. "
        "mode picks how the intervals are chosen. fixed: each voice is a constant number of semitones away "
        "(v1_semitones, v2_semitones). diatonic: each voice stays in the key: the played note is taken as "
        "the nearest note of the scale (with 0.2 semitone of hysteresis so bends do not flicker) and the "
        "voice sounds the scale note v1_interval / v2_interval scale steps away, transposed by the exact "
        "equal-tempered ratio between the two (so an in-tune note gives an in-tune harmony, and a bend bends "
        "it too). midi: the voices play the pitches of held MIDI notes (any channel): voice 1 the most "
        "recent one, voice 2 the one held before it; with no note held they fade out over 10 ms. A voice "
        "reaches two octaves either way from the played note: a held note farther away sounds in the nearest "
        "octave within reach, so it keeps its name (E2 played with A5 held gives A3); the octave is kept "
        "while the played note wanders up to half a semitone past that limit, so vibrato does not flip it. "
        "key (C to B, default C) and scale (major, natural_minor, dorian, phrygian, lydian, mixolydian, "
        "locrian, harmonic_minor; default major) define the diatonic mode's notes. "
        "voices (1 or 2, default 1) turns voice 2 on or off (faded over 20 ms). "
        "v1_interval and v2_interval (-14 to +14 scale steps; defaults +2 and +4) are diatonic intervals: "
        "+2 is a third above, +4 a fifth, +7 an octave, -2 a third below. "
        "v1_semitones and v2_semitones (-24 to +24; defaults +4 and +7) are the fixed intervals. "
        "v1_level and v2_level (-60 to +6 dB, default 0 dB; -60 is off) are the voices' levels, and v1_pan "
        "and v2_pan (-1 left to +1 right, default 0) place them with a constant-power law: centred, a voice "
        "is at its level in both channels; panned hard, 3 dB louder on one side. "
        "dry_level (-60 to +6 dB, default 0 dB) is the unprocessed signal, delayed by the same 9.7 ms "
        "latency "
        "as the voices. "
        "glide_ms (0 to 200 ms, default 20 ms) is how long a voice takes to slide to a new interval. "
        "Typical settings: diatonic, the song's key, one voice +2 (thirds) for twin-guitar leads; two "
        "voices +2 and +4 for triads; -3 (a fourth below) for a darker harmony; fixed +12 and -12 for an "
        "octave stack; midi with a keyboard or pedal holding chords for vocoder-style harmonies.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "mode",
         .name = "Mode",
         .min = 0.f,
         .max = 2.f,
         .def = 1.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = kModeLabels,
         .help = "fixed (semitone intervals), diatonic (scale steps in the key) or midi (held notes); a "
                 "change glides the voices."},
        {.id = "key",
         .name = "Key",
         .min = 0.f,
         .max = 11.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = kKeyLabels,
         .help = "Tonic of the diatonic mode's scale, C to B."},
        {.id = "scale",
         .name = "Scale",
         .min = 0.f,
         .max = static_cast<float>(kScaleCount - 1),
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = kScaleLabels,
         .help = "Scale of the diatonic mode: major, natural minor, the church modes or harmonic minor."},
        {.id = "voices",
         .name = "Voices",
         .min = 1.f,
         .max = 2.f,
         .def = 1.f,
         .unit = Unit::None,
         .taper = Taper::Integer,
         .smoothMs = kSmoothMs,
         .help = "Number of harmony voices, 1 or 2; voice 2 fades in or out over 20 ms."},
        {.id = "v1_interval",
         .name = "Voice 1 Interval",
         .min = -14.f,
         .max = 14.f,
         .def = 2.f,
         .unit = Unit::None,
         .taper = Taper::Integer,
         .smoothMs = kSmoothMs,
         .help = "Voice 1's diatonic interval in scale steps, -14 to +14 (+2 = a third up); glides."},
        {.id = "v1_semitones",
         .name = "Voice 1 Semitones",
         .min = -24.f,
         .max = 24.f,
         .def = 4.f,
         .unit = Unit::Semitones,
         .taper = Taper::Integer,
         .smoothMs = kSmoothMs,
         .help = "Voice 1's fixed interval in semitones, -24 to +24 (fixed mode); glides."},
        {.id = "v1_level",
         .name = "Voice 1 Level",
         .min = kOffDb,
         .max = 6.f,
         .def = 0.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Voice 1's level, -60 (off) to +6 dB."},
        {.id = "v1_pan",
         .name = "Voice 1 Pan",
         .min = -1.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Voice 1's position, -1 (left) to +1 (right), constant power."},
        {.id = "v2_interval",
         .name = "Voice 2 Interval",
         .min = -14.f,
         .max = 14.f,
         .def = 4.f,
         .unit = Unit::None,
         .taper = Taper::Integer,
         .smoothMs = kSmoothMs,
         .help = "Voice 2's diatonic interval in scale steps, -14 to +14 (+4 = a fifth up); glides."},
        {.id = "v2_semitones",
         .name = "Voice 2 Semitones",
         .min = -24.f,
         .max = 24.f,
         .def = 7.f,
         .unit = Unit::Semitones,
         .taper = Taper::Integer,
         .smoothMs = kSmoothMs,
         .help = "Voice 2's fixed interval in semitones, -24 to +24 (fixed mode); glides."},
        {.id = "v2_level",
         .name = "Voice 2 Level",
         .min = kOffDb,
         .max = 6.f,
         .def = 0.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Voice 2's level, -60 (off) to +6 dB."},
        {.id = "v2_pan",
         .name = "Voice 2 Pan",
         .min = -1.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Voice 2's position, -1 (left) to +1 (right), constant power."},
        {.id = "dry_level",
         .name = "Dry",
         .min = kOffDb,
         .max = 6.f,
         .def = 0.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Level of the dry signal (latency-aligned with the voices), -60 (off) to +6 dB."},
        {.id = "glide_ms",
         .name = "Glide",
         .min = 0.f,
         .max = 200.f,
         .def = 20.f,
         .unit = Unit::Milliseconds,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Time a voice takes to slide to a new interval, 0 to 200 ms."},
    }};

    Harmonizer();
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return latency_; }
    uint32_t tailSamples() const noexcept { return geometry_.tailFrames(); }

private:
    struct Voice {
        SpliceVoice head;
        bool running = false;
        double logRatio = 0.0; // octaves
        double logTarget = 0.0;
        double logStep = 0.0;
        int64_t glideLeft = 0;
        double ratio = 1.0;
        ScaleNote source{};
        bool hasSource = false;
        dsp::LinearSmoothed level;
        dsp::LinearSmoothed enabled;
        dsp::LinearSmoothed gate;
        dsp::LinearSmoothed pan;
        float panL = 1.f, panR = 1.f;
        float panFor = 0.f;
        double targetRatio = 1.0; // exp2(logTarget)
        float safe = 0.f;         // fraction read from `safe_`
        int fold = 0;      // MIDI mode: octaves the held note is moved down (negative: up) to be in reach
        int foldNote = -1; // the held note `fold` was chosen for
    };

    static float levelGain(float db) noexcept { return dsp::dbToGainOrOff(db, kOffDb); }
    int mode() const noexcept;
    float param(std::size_t voice, std::size_t first) const noexcept {
        return values_[first + voice * kVoiceStride];
    }
    void midi(const MidiEvent& e) noexcept;
    void retarget(std::size_t v) noexcept;
    void setLogTarget(Voice& voice, double target) noexcept;
    static double foldIntoRange(Voice& voice, int note, double octaves) noexcept;
    void startVoice(Voice& voice) noexcept;
    void noteLineRatio(float ratio) noexcept;
    static double safeRatio() noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;
    SpliceGeometry geometry_;
    uint32_t latency_ = 0;

    SampleRing dryL_, dryR_;
    SampleRing line_; // (L + R) / 2, anti-aliased for the fastest voice
    AntiAliasFilter<1> antiAlias_;
    // The same, anti-aliased for the fastest ratio any voice can reach: a voice whose ratio is more than
    // `line_` was filtered for over the stretch a head can read (written before the voice started or
    // rose) reads this instead, and crossfades back once `line_` has caught up.
    SampleRing safe_;
    AntiAliasFilter<1> safeFilter_;
    std::vector<float> lineRatios_; // the line filter's ratio for each of the last grid steps
    std::size_t lineRatioHead_ = 0;
    double lineGuaranteed_ = 1.0; // what every sample a head can read in `line_` was filtered for
    PitchTracker tracker_;
    std::array<Voice, kVoiceCount> voices_;
    dsp::LinearSmoothed dry_;
    dsp::LinearSmoothed glideMs_;
    dsp::MultiplicativeSmoothed filterRatio_; // the anti-alias filter glides when a voice starts or stops
    std::array<int, kMaxHeld> held_{};
    std::size_t heldCount_ = 0;
    int64_t now_ = -1;
    uint32_t gridLeft_ = 0;
};

static_assert(Effect<Harmonizer>);

} // namespace stagerack::fx
