// A reverse delay: the input is cut into chunks of time_ms, and each chunk is played backwards while the next
// one is recorded. Two read heads take turns; where one chunk hands over to the next they overlap and
// crossfade (raised cosine, weights summing to exactly one), so the chunk edges never click.
#pragma once

#include "effects/Effect.h"
#include "effects/delay/EchoDsp.h"
#include "effects/dsp/Smoothed.h"
#include "effects/dsp/TempoSync.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stagerack::fx {

class ReverseDelay {
public:
    enum Param : std::size_t { kTimeMs, kSync, kFeedback, kMix, kParamCount };

    static constexpr std::string_view kId = "reverse_delay";
    static constexpr std::string_view kName = "Reverse Delay";
    static constexpr std::string_view kCategory = "delay";
    static constexpr int kVersion = 1;

    static constexpr float kMinTimeMs = 50.f;
    static constexpr float kMaxTimeMs = 2000.f;
    // The hand-over crossfade: this long, or a quarter of the shorter chunk if that is less.
    static constexpr float kFadeMs = 20.f;
    // The feedback signal is exact up to the knee and then bends smoothly towards the limit (as in `delay`),
    // so feedback 1 sustains without running away.
    static constexpr float kFeedbackKnee = 1.f;
    static constexpr float kFeedbackLimit = 2.f;
    static constexpr double kMaxTailSeconds = 60.0;

    static constexpr std::string_view kHelp =
        "A reverse delay: the guitar is recorded in chunks of time_ms and every chunk is played back "
        "backwards while the next one is recorded, so notes swell in before they fade (the backwards-tape "
        "sound). A sample is heard between 0 and 2 * time_ms after it was played: the end of a chunk comes "
        "back first. Two read heads take turns and crossfade over 20 ms (or a quarter of the chunk if that "
        "is "
        "shorter) with raised-cosine windows whose weights sum to one, so the chunk edges do not click. "
        "time_ms (50 to 2000 ms, default 500 ms) is the chunk length, rounded to whole samples; a change "
        "takes "
        "effect at the next chunk boundary, which is crossfaded like every other. "
        "sync (off, 1/1 ... 1/32, dotted, triplet, 2/1; default off) sets the chunk length to that note "
        "value "
        "at the global tempo instead (limited to 50-2000 ms), also from the next chunk on. "
        "feedback (0 to 1, default 0.3) sends the reversed output back into the recording, so the next pass "
        "plays it forwards again, and so on; the feedback signal is soft-limited to +6 dBFS, so 1 sustains "
        "without running away. "
        "mix (0 to 1, default 0.5) is the wet fraction: out = dry * (1 - mix) + reversed * mix. "
        "Typical guitar settings: time_ms 400-800 ms (or sync 1/4 or 1/2), feedback 0.2-0.4, mix 0.4-0.6 for "
        "psychedelic leads; mix 1 with a volume swell for a fully backwards part.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "time_ms",
         .name = "Time",
         .min = kMinTimeMs,
         .max = kMaxTimeMs,
         .def = 500.f,
         .unit = Unit::Milliseconds,
         .taper = Taper::Log,
         .smoothMs = kFadeMs,
         .help = "Chunk length, 50 to 2000 ms; a change applies from the next (crossfaded) chunk boundary."},
        {.id = "sync",
         .name = "Sync",
         .min = 0.f,
         .max = static_cast<float>(dsp::kSyncLabels.size() - 1),
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = dsp::kSyncLabels,
         .help = "Chunk length as a note value at the global tempo (off = use time_ms), 50 to 2000 ms."},
        {.id = "feedback",
         .name = "Feedback",
         .min = 0.f,
         .max = 1.f,
         .def = 0.3f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Reversed output sent back into the recording, 0 to 1 (soft-limited at +6 dBFS)."},
        {.id = "mix",
         .name = "Mix",
         .min = 0.f,
         .max = 1.f,
         .def = 0.5f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Wet fraction, 0 to 1: out = dry * (1 - mix) + reversed * mix."},
    }};

    ReverseDelay() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return 0; }
    uint32_t tailSamples() const noexcept;

    // Chunk length in samples for the current settings and tempo.
    uint32_t chunkSamples() const noexcept;

private:
    void startChunk() noexcept;
    void clearState() noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;
    double tempoBpm_ = 120.0;

    echo::StereoLine line_;
    uint32_t maxFade_ = 1;

    // The head playing the current chunk backwards: `pos_` samples into it, `length_` long.
    uint32_t pos_ = 0;
    uint32_t length_ = 1;
    // The head finishing the previous chunk (the last `fade_` samples of it, overlapping ours).
    uint32_t oldPos_ = 0;
    uint32_t fade_ = 1;
    uint32_t fadeDone_ = 0; // == fade_ when no crossfade is running
    // sin and cos of the crossfade angle, advanced by a rotation per sample: the new head's weight is sin^2,
    // the old head's 1 - sin^2.
    double fadeSin_ = 0.0;
    double fadeCos_ = 1.0;
    double rotSin_ = 0.0;
    double rotCos_ = 1.0;
    bool started_ = false;

    dsp::LinearSmoothed feedback_;
    dsp::LinearSmoothed mix_;
};

static_assert(Effect<ReverseDelay>);

} // namespace stagerack::fx
