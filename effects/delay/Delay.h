// Stereo digital delay with a damped, soft-limited feedback loop and a ping-pong mode.
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/Smoothed.h"
#include "effects/dsp/TempoSync.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace stagerack::fx {

class Delay {
public:
    // New parameters go at the end: presets and MIDI maps address them by id, the engine by index.
    enum Param : std::size_t { kTimeMs, kFeedback, kMix, kHighcutHz, kPingpong, kSync, kParamCount };

    static constexpr std::string_view kId = "delay";
    static constexpr std::string_view kName = "Delay";
    static constexpr std::string_view kCategory = "delay";
    static constexpr int kVersion = 1;

    static constexpr float kMaxTimeMs = 2000.f;
    // A time change crossfades from the old read tap to the new one over this long.
    static constexpr float kTimeFadeMs = 50.f;
    static constexpr float kSwitchFadeMs = 20.f;
    // The feedback signal is exact up to the knee and then bends smoothly towards the limit, so even
    // feedback 1.0 over a sustained input cannot run away.
    static constexpr float kFeedbackKnee = 1.f;
    static constexpr float kFeedbackLimit = 2.f;
    // The damping filter's cutoff never goes above this fraction of the sample rate (tan() blows up at 0.5).
    static constexpr double kMaxHighcutRatio = 0.49;
    static constexpr uint32_t kGrid = 32;
    static constexpr double kMaxTailSeconds = 60.0;

    static constexpr std::string_view kHelp =
        "A stereo digital delay with a filtered feedback loop. "
        "time_ms (1 to 2000 ms, default 375 ms) is the spacing of the echoes; it is rounded to whole "
        "samples, "
        "and a change crossfades from the old read tap to the new one over 50 ms, so moving the knob never "
        "clicks or bends the pitch. "
        "feedback (0 to 1, default 0.35) is the level of each repeat relative to the one before; the "
        "feedback "
        "signal is soft-limited to +6 dBFS, so 1.0 sustains without running away. "
        "mix (0 to 1, default 0.3) is the wet fraction: out = dry * (1 - mix) + wet * mix; 0 is the dry "
        "signal, untouched. "
        "highcut_hz (200 to 20000 Hz, default 8000 Hz) is a one-pole low-pass (6 dB per octave, -3 dB at the "
        "setting) inside the feedback loop only: the first echo is full range and every later repeat is "
        "darker than the one before, like tape or analog delays. "
        "pingpong (off/on) sums the input to mono and bounces the repeats: the first echo on the left, the "
        "second on the right, and so on. "
        "sync (off, 1/1 ... 1/32, dotted, triplet, 2/1; default off) follows the global tempo instead of "
        "time_ms: the echo spacing is that note value at the current BPM (a dotted eighth at 120 BPM is "
        "375 ms), rounded to whole samples and capped at 2000 ms; a tempo change crossfades to the new "
        "spacing over 50 ms like a time change. "
        "Typical settings: slapback 80-140 ms with feedback 0-0.15 and mix 0.3; a dotted eighth at 120 BPM "
        "(375 ms) with feedback 0.3-0.45 and mix 0.25 for rhythmic leads; 600-1200 ms with feedback 0.5-0.7, "
        "highcut 2000-4000 Hz and ping-pong for ambient pads.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "time_ms",
         .name = "Time",
         .min = 1.f,
         .max = kMaxTimeMs,
         .def = 375.f,
         .unit = Unit::Milliseconds,
         .taper = Taper::Log,
         .smoothMs = kTimeFadeMs,
         .help = "Delay time, 1 to 2000 ms; changes crossfade between read taps over 50 ms."},
        {.id = "feedback",
         .name = "Feedback",
         .min = 0.f,
         .max = 1.f,
         .def = 0.35f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Level of each repeat relative to the previous one, 0 to 1 (0 = a single echo)."},
        {.id = "mix",
         .name = "Mix",
         .min = 0.f,
         .max = 1.f,
         .def = 0.3f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Wet fraction, 0 to 1: out = dry * (1 - mix) + wet * mix."},
        {.id = "highcut_hz",
         .name = "High Cut",
         .min = 200.f,
         .max = 20000.f,
         .def = 8000.f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = 20.f,
         .help =
             "Cutoff of the one-pole low-pass in the feedback loop, 200 to 20000 Hz; each repeat passes it "
             "once more."},
        {.id = "pingpong",
         .name = "Ping-Pong",
         .min = 0.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Toggle,
         .smoothMs = 0.f,
         .help = "Bounce the repeats between left and right (input summed to mono; crossfaded over 20 ms)."},
        {.id = "sync",
         .name = "Sync",
         .min = 0.f,
         .max = static_cast<float>(dsp::kSyncLabels.size() - 1),
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = dsp::kSyncLabels,
         .help = "Echo spacing as a note value at the global tempo (off = use time_ms); at most 2000 ms."},
    }};

    Delay() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return 0; }
    uint32_t tailSamples() const noexcept;

private:
    uint32_t targetDelaySamples() const noexcept;
    std::size_t syncIndex() const noexcept;
    void updateCoefficients() noexcept;
    void processChunk(float* left, float* right, uint32_t frames) noexcept;
    void clearState() noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;
    double tempoBpm_ = 120.0; // from the last ProcessContext

    std::vector<float> lineL_;
    std::vector<float> lineR_;
    uint32_t mask_ = 0;
    uint32_t maxDelay_ = 1;
    uint32_t write_ = 0;

    // Read taps: `tap_` is current; during a time change `nextTap_` fades in over `fadeLength_` samples.
    uint32_t tap_ = 1;
    uint32_t nextTap_ = 1;
    uint32_t fadeLength_ = 1;
    uint32_t fadeLeft_ = 0;
    float fadeStep_ = 1.f;
    bool snapTap_ = true;

    dsp::LinearSmoothed feedback_;
    dsp::LinearSmoothed mix_;
    dsp::MultiplicativeSmoothed highcutHz_;
    dsp::LinearSmoothed pingpong_; // 0 straight, 1 ping-pong routing

    uint32_t gridLeft_ = 0;
    float dampG_ = 1.f; // TPT one-pole gain g / (1 + g), per grid
    float dampStateL_ = 0.f;
    float dampStateR_ = 0.f;
};

static_assert(Effect<Delay>);

} // namespace stagerack::fx
