// A bucket-brigade (BBD) style analog delay: dark, soft-clipped repeats whose bandwidth falls as the delay
// time rises (a BBD clocked slower for a longer delay needs lower anti-alias and reconstruction filters), a
// chorus-like modulation of the delay, and a read head that glides (pitch-bends) when the time changes.
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

class AnalogDelay {
public:
    enum Param : std::size_t { kTimeMs, kSync, kFeedback, kTone, kModDepth, kModRateHz, kMix, kParamCount };

    static constexpr std::string_view kId = "analog_delay";
    static constexpr std::string_view kName = "Analog Delay";
    static constexpr std::string_view kCategory = "delay";
    static constexpr int kVersion = 1;

    // The span of the classic BBD pedals (one or two 4096-stage chips).
    static constexpr float kMinTimeMs = 20.f;
    static constexpr float kMaxTimeMs = 600.f;
    // A time change glides the read head (critically damped, this time constant), moving at most
    // kMaxHeadSpeed samples per sample (pitch 0.5x..1.5x): the re-clocked BBD's pitch bend.
    static constexpr float kGlideMs = 100.f;
    static constexpr double kMaxHeadSpeed = 0.5;
    // Feedback 1 is a loop gain of 1.1 in the passband: it self-oscillates, and the clipper holds it.
    static constexpr float kMaxLoopGain = 1.1f;
    // The BBD's headroom: the soft clipper's output never exceeds this.
    static constexpr float kClipLevel = 1.f;
    // Filter cutoff (both 12 dB/octave Butterworth low-passes) at tone 0.5 is kRefCutoffHz * kRefTimeMs /
    // time, tone shifts it by -1..+1 octave, and it stays in [kMinCutoffHz, kMaxCutoffHz].
    static constexpr double kRefCutoffHz = 3000.0;
    static constexpr double kRefTimeMs = 300.0;
    static constexpr double kMinCutoffHz = 400.0;
    static constexpr double kMaxCutoffHz = 16000.0;
    // Modulation: the delay swings by up to +-kModMs (depth 1), sine LFO.
    static constexpr double kModMs = 1.5;
    static constexpr uint32_t kGrid = 32;
    static constexpr double kMaxTailSeconds = 60.0;

    static constexpr std::string_view kHelp =
        "A bucket-brigade analog delay in the manner of the classic BBD pedals: warm, darker repeats that "
        "soften and smear as they go round, with an optional chorus-like wobble. "
        "time_ms (20 to 600 ms, the range of one or two 4096-stage BBD chips; default 300 ms) is the echo "
        "spacing; a change glides the read head (about 100 ms, critically damped) so the repeats bend in "
        "pitch "
        "like a re-clocked BBD rather than click. "
        "sync (off, 1/1 ... 1/32, dotted, triplet, 2/1; default off) sets the time to that note value at the "
        "global tempo instead (limited to 20-600 ms); tempo changes glide the same way. "
        "feedback (0 to 1, default 0.4) is the level of each repeat; 1 is a loop gain of 1.1, so from about "
        "0.9 "
        "up it self-oscillates and the soft clipper (a compander-like limit at 0 dBFS) holds it. "
        "tone (0 to 1, default 0.5) moves the anti-alias and reconstruction filters: both are 12 dB/octave "
        "low-passes at 3 kHz * 300 ms / time at 0.5 (so 1.5 kHz at 600 ms, 9 kHz at 100 ms), one octave "
        "lower "
        "at 0 and one higher at 1, within 400 Hz to 16 kHz; every repeat passes both once more, so repeats "
        "get "
        "darker, and longer times are darker, like a BBD clocked slower. "
        "mod_depth (0 to 1, default 0.2) is the chorus-like modulation of the delay, up to +-1.5 ms; "
        "mod_rate_hz (0.1 to 8 Hz, default 0.8 Hz) is its speed (a sine). "
        "mix (0 to 1, default 0.35) is the wet fraction: out = dry * (1 - mix) + echo * mix. "
        "Typical guitar settings: slapback 80-120 ms, feedback 0.1-0.2; warm lead echo 300-450 ms, feedback "
        "0.35-0.5, tone 0.4-0.6, mod_depth 0.2-0.3 at 0.5-1 Hz; oscillation swells with feedback 0.9-1 while "
        "turning time_ms.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "time_ms",
         .name = "Time",
         .min = kMinTimeMs,
         .max = kMaxTimeMs,
         .def = 300.f,
         .unit = Unit::Milliseconds,
         .taper = Taper::Log,
         .smoothMs = kGlideMs,
         .help = "Echo spacing, 20 to 600 ms; changes glide the read head (a pitch bend, like a BBD)."},
        {.id = "sync",
         .name = "Sync",
         .min = 0.f,
         .max = static_cast<float>(dsp::kSyncLabels.size() - 1),
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = dsp::kSyncLabels,
         .help = "Echo spacing as a note value at the global tempo (off = use time_ms), 20 to 600 ms."},
        {.id = "feedback",
         .name = "Feedback",
         .min = 0.f,
         .max = 1.f,
         .def = 0.4f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Level of each repeat, 0 to 1 (loop gain 0 to 1.1; self-oscillates from about 0.9)."},
        {.id = "tone",
         .name = "Tone",
         .min = 0.f,
         .max = 1.f,
         .def = 0.5f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Shifts the BBD filters by -1 (0) to +1 (1) octave around 3 kHz * 300 ms / time."},
        {.id = "mod_depth",
         .name = "Mod Depth",
         .min = 0.f,
         .max = 1.f,
         .def = 0.2f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Chorus-like delay modulation, 0 to 1 (up to +-1.5 ms)."},
        {.id = "mod_rate_hz",
         .name = "Mod Rate",
         .min = 0.1f,
         .max = 8.f,
         .def = 0.8f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = 20.f,
         .help = "Speed of the modulation, 0.1 to 8 Hz."},
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

    AnalogDelay() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return 0; }
    uint32_t tailSamples() const noexcept;

    // The cutoff of both BBD filters for a delay time and tone (the tests predict the darkening from it).
    static double filterCutoffHz(double timeMs, float tone, double sampleRate) noexcept;

private:
    double targetDelaySamples() const noexcept;
    void updateGrid() noexcept;
    void processChunk(float* left, float* right, uint32_t frames) noexcept;
    void clearState() noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;
    double tempoBpm_ = 120.0;

    echo::StereoLine line_;
    echo::Glide delay_; // in samples
    bool snapDelay_ = true;
    double minDelay_ = 2.0;
    double maxDelay_ = 2.0;
    double modSamples_ = 0.0; // delay swing at depth 1

    dsp::LinearSmoothed feedback_;
    dsp::LinearSmoothed tone_;
    dsp::LinearSmoothed modDepth_;
    dsp::MultiplicativeSmoothed modRate_;
    dsp::LinearSmoothed mix_;

    // The LFO on the grid, ramped linearly in between.
    double lfoPhase_ = 0.0;
    float lfoNow_ = 0.f;
    float lfoStep_ = 0.f;
    float lfoEnd_ = 0.f;

    uint32_t gridLeft_ = 0;
    dsp::SvfCoeffs filter_;
    dsp::SvfState<echo::V2> antiAlias_;
    dsp::SvfState<echo::V2> reconstruction_;
};

static_assert(Effect<AnalogDelay>);

} // namespace stagerack::fx
