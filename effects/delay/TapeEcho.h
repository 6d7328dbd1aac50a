// A multi-head tape echo in the manner of a Roland Space Echo: one tape loop, a record head, three playback
// heads at 1, 2 and 3 times the base delay, wow and flutter, tape saturation and high-frequency loss.
#pragma once

#include "effects/Effect.h"
#include "effects/delay/EchoDsp.h"
#include "effects/dsp/Biquad.h"
#include "effects/dsp/Smoothed.h"
#include "effects/dsp/TempoSync.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stagerack::fx {

class TapeEcho {
public:
    enum Param : std::size_t {
        kTimeMs,
        kSync,
        kHead1,
        kHead2,
        kHead3,
        kFeedback,
        kWow,
        kFlutter,
        kSaturation,
        kTone,
        kMix,
        kParamCount
    };

    static constexpr std::string_view kId = "tape_echo";
    static constexpr std::string_view kName = "Tape Echo";
    static constexpr std::string_view kCategory = "delay";
    static constexpr int kVersion = 1;

    static constexpr float kMinTimeMs = 20.f;
    static constexpr float kMaxTimeMs = 1000.f;
    static constexpr int kHeads = 3;
    // The motor: a time change glides (critically damped) with this time constant, and head 1 never moves
    // faster than kMaxHeadSpeed samples per sample, so a long jump travels at that speed (its pitch stays
    // within 0.5x..1.5x; heads 2 and 3 bend two and three times as far).
    static constexpr float kGlideMs = 250.f;
    static constexpr double kMaxHeadSpeed = 0.5;
    static constexpr float kSwitchFadeMs = 20.f;
    // Feedback 1 is a loop gain of 1.1 in the passband: above about 0.9 the echo self-oscillates, and the
    // tape saturation is what holds it, as on the real machine.
    static constexpr float kMaxLoopGain = 1.1f;
    // Saturation drives the record head from kMinDrive to kMaxDrive (small signals stay at unity gain;
    // the tape's ceiling is 1 / drive, so +3.5 dBFS at saturation 0 and -12 dBFS at 1).
    static constexpr float kMinDrive = 2.f / 3.f;
    static constexpr float kMaxDrive = 4.f;
    // Tone: the tape's high-frequency loss, a 12 dB/octave low-pass from kDarkHz (0) to kBrightHz (1), log.
    static constexpr double kDarkHz = 1500.0;
    static constexpr double kBrightHz = 12000.0;
    // A fixed one-pole low cut in the record path keeps rumble and DC from building up in the loop.
    static constexpr double kLowCutHz = 40.0;
    // Wow: a ~0.7 Hz drift; flutter: ~7 Hz and ~10.7 Hz capstan/pinch-roller wobble, both with fixed-seed
    // randomness. At depth 1 the pitch swings by about +-0.6 % (wow) and +-0.3 % (flutter).
    static constexpr double kWowHz = 0.7;
    static constexpr double kFlutterHz = 7.0;
    static constexpr double kFlutter2Hz = 10.7;
    static constexpr double kWowPitch = 0.006;
    static constexpr double kFlutterPitch = 0.003;
    static constexpr uint32_t kGrid = 32;
    static constexpr double kMaxTailSeconds = 60.0;

    static constexpr std::string_view kHelp =
        "A tape echo modelled on the multi-head machines of the 1970s (Roland Space Echo style): one tape "
        "loop, three playback heads at 1, 2 and 3 times the base delay, wow and flutter, tape saturation and "
        "the dulling of each pass over the heads. "
        "time_ms (20 to 1000 ms, default 300 ms) is the motor speed: the delay of head 1 (head 2 is twice, "
        "head 3 three times as long); a change glides like a motor changing speed (about 250 ms, critically "
        "damped, head 1 moving at most half a sample per sample, so its pitch stays within 0.5x to 1.5x), so "
        "the "
        "echoes bend in pitch as on a real tape machine instead of clicking. "
        "sync (off, 1/1 ... 1/32, dotted, triplet, 2/1; default off) sets the head 1 delay to that note "
        "value at the global tempo instead (limited to 20-1000 ms); tempo changes glide the same way. "
        "head1, head2 and head3 (off/on; default head 1 only) switch the playback heads, each crossfaded "
        "over 20 ms; several heads give the Space Echo's rhythmic patterns, and their sum is scaled by "
        "1 / sqrt(heads on) so the level stays even. "
        "feedback (0 to 1, default 0.4) is the intensity: what the heads play goes back to the record head, "
        "averaged over the heads that are on; 1 is a loop gain of 1.1, so from about 0.9 up the echo "
        "self-oscillates and the tape saturation holds it. "
        "wow (0 to 1, default 0.2) is a slow (about 0.7 Hz) wandering pitch drift, up to about +-0.6 %; "
        "flutter (0 to 1, default 0.2) a faster (7 to 11 Hz) wobble, up to about +-0.3 %; both have some "
        "randomness, always the same (fixed seed). "
        "saturation (0 to 1, default 0.3) is the record level: small signals stay at unity, loud ones are "
        "softly compressed by the tape, whose ceiling falls from +3.5 dBFS at 0 to -12 dBFS at 1. "
        "tone (0 to 1, default 0.5) is the age of the tape: a 12 dB/octave high-frequency loss on every "
        "pass, from 1.5 kHz (0, old and dark) to 12 kHz (1, new and bright), 4.2 kHz at 0.5; a fixed "
        "40 Hz low cut keeps the loop free of rumble. "
        "mix (0 to 1, default 0.35) is the wet fraction: out = dry * (1 - mix) + echo * mix. "
        "Typical guitar settings: slapback with head 1 at 90-150 ms, feedback 0-0.2; the classic "
        "multi-head pattern with heads 2 and 3 at 150-250 ms, feedback 0.4-0.6, wow and flutter 0.2-0.4; "
        "dub swells with feedback 0.9-1 and tone 0.2-0.4 (turn time_ms while it oscillates).";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "time_ms",
         .name = "Time",
         .min = kMinTimeMs,
         .max = kMaxTimeMs,
         .def = 300.f,
         .unit = Unit::Milliseconds,
         .taper = Taper::Log,
         .smoothMs = kGlideMs,
         .help = "Delay of head 1 (the motor speed), 20 to 1000 ms; heads 2 and 3 are 2x and 3x. Changes "
                 "glide and bend the pitch like tape."},
        {.id = "sync",
         .name = "Sync",
         .min = 0.f,
         .max = static_cast<float>(dsp::kSyncLabels.size() - 1),
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = dsp::kSyncLabels,
         .help = "Head 1 delay as a note value at the global tempo (off = use time_ms), 20 to 1000 ms."},
        {.id = "head1",
         .name = "Head 1",
         .min = 0.f,
         .max = 1.f,
         .def = 1.f,
         .unit = Unit::None,
         .taper = Taper::Toggle,
         .smoothMs = 0.f,
         .help = "Playback head at 1x the time (crossfaded over 20 ms)."},
        {.id = "head2",
         .name = "Head 2",
         .min = 0.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Toggle,
         .smoothMs = 0.f,
         .help = "Playback head at 2x the time (crossfaded over 20 ms)."},
        {.id = "head3",
         .name = "Head 3",
         .min = 0.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Toggle,
         .smoothMs = 0.f,
         .help = "Playback head at 3x the time (crossfaded over 20 ms)."},
        {.id = "feedback",
         .name = "Feedback",
         .min = 0.f,
         .max = 1.f,
         .def = 0.4f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Intensity, 0 to 1 (loop gain 0 to 1.1; self-oscillates from about 0.9)."},
        {.id = "wow",
         .name = "Wow",
         .min = 0.f,
         .max = 1.f,
         .def = 0.2f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Slow pitch drift (about 0.7 Hz), 0 to 1 (up to about +-0.6 %)."},
        {.id = "flutter",
         .name = "Flutter",
         .min = 0.f,
         .max = 1.f,
         .def = 0.2f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Fast pitch wobble (7 to 11 Hz), 0 to 1 (up to about +-0.3 %)."},
        {.id = "saturation",
         .name = "Saturation",
         .min = 0.f,
         .max = 1.f,
         .def = 0.3f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Record level into the tape's soft clipping, 0 to 1 (ceiling +3.5 to -12 dBFS)."},
        {.id = "tone",
         .name = "Tone",
         .min = 0.f,
         .max = 1.f,
         .def = 0.5f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Tape age: high-frequency loss per pass, 12 dB/octave from 1.5 kHz (0) to 12 kHz (1)."},
        {.id = "mix",
         .name = "Mix",
         .min = 0.f,
         .max = 1.f,
         .def = 0.35f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Wet fraction, 0 to 1: out = dry * (1 - mix) + echo * mix."},
    }};

    TapeEcho() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return 0; }
    uint32_t tailSamples() const noexcept;

    // The tone filter's cutoff for a `tone` setting (the tests predict the loss per repeat from it).
    static double toneCutoffHz(float tone) noexcept;

private:
    double targetDelaySamples() const noexcept;
    void updateGrid() noexcept;
    void processChunk(float* left, float* right, uint32_t frames) noexcept;
    void clearState() noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;
    double tempoBpm_ = 120.0;

    echo::StereoLine line_;
    echo::Glide delay_; // head 1, in samples
    bool snapDelay_ = true;
    double minDelay_ = 2.0;
    double maxDelay_ = 2.0;

    std::array<dsp::LinearSmoothed, kHeads> heads_;
    dsp::LinearSmoothed feedback_;
    dsp::LinearSmoothed wow_;
    dsp::LinearSmoothed flutter_;
    dsp::MultiplicativeSmoothed drive_;    // into the clipper
    dsp::MultiplicativeSmoothed invDrive_; // back out (so small signals stay at unity)
    dsp::LinearSmoothed tone_;
    dsp::LinearSmoothed mix_;

    // Wow and flutter in samples of delay, computed on the grid and ramped linearly between grid points.
    echo::NoiseSource noise_;
    double wowPhase_ = 0.0;
    double flutterPhase_ = 0.0;
    double flutter2Phase_ = 0.0;
    float wowDrift_ = 0.f; // random values in [-1, 1] followed by a one-pole
    float wowDriftTarget_ = 0.f;
    uint32_t wowDriftCount_ = 0;
    float flutterJitter_ = 0.f;
    float flutterJitterTarget_ = 0.f;
    uint32_t flutterJitterCount_ = 0;
    float wowNow_ = 0.f; // unit-depth wow at the current sample
    float wowStep_ = 0.f;
    float wowEnd_ = 0.f; // ... at the end of the current grid segment
    float flutterNow_ = 0.f;
    float flutterStep_ = 0.f;
    float flutterEnd_ = 0.f;
    double wowSamples_ = 0.0;     // delay swing of wow at depth 1
    double flutterSamples_ = 0.0; // delay swing of flutter at depth 1

    uint32_t gridLeft_ = 0;
    float lowCutGain_ = 0.f;
    dsp::SvfCoeffs toneCoeffs_;
    echo::V2 lowCutState_{};
    dsp::SvfState<echo::V2> toneState_;
};

static_assert(Effect<TapeEcho>);

} // namespace stagerack::fx
