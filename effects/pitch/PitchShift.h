// Pitch shifter: transposes the input by -24..+24 semitones plus cents, mixed with the dry signal. Two
// engines: "live" (the pitch-synchronous splicing read head of SpliceVoice, under 10 ms of latency, for
// playing) and "quality" (the phase-locked phase vocoder of PhaseVocoder, 88.5 ms, for chords).
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/Smoothed.h"
#include "effects/pitch/AntiAliasFilter.h"
#include "effects/pitch/PhaseVocoder.h"
#include "effects/pitch/PitchTracker.h"
#include "effects/pitch/SampleRing.h"
#include "effects/pitch/SpliceVoice.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stagerack::fx {

class PitchShift {
public:
    // New parameters go at the end: presets and MIDI maps address them by id, the engine by index.
    enum Param : std::size_t { kSemitones, kCents, kMix, kMode, kParamCount };
    enum Mode : int { kLive = 0, kQuality = 1, kModeCount };

    static constexpr std::string_view kId = "pitch_shift";
    static constexpr std::string_view kName = "Pitch Shifter";
    static constexpr std::string_view kCategory = "pitch";
    static constexpr int kVersion = 1;

    static constexpr float kGlideMs = 30.f;
    static constexpr float kMixMs = 20.f;
    static constexpr float kModeFadeMs = 40.f;
    static constexpr uint32_t kGrid = 16; // the anti-alias filter follows the ratio on this grid

    static constexpr std::array<std::string_view, kModeCount> kModeLabels{"live", "quality"};

    static constexpr std::string_view kHelp =
        "Pitch shifter: the input transposed by a fixed interval, alone or mixed with the dry signal, for "
        "octave-up and octave-down doubling, drop tunings, whammy-style shifts and detuned doubles. "
        "semitones (-24 to +24, default +12) and cents (-100 to +100, default 0) set the interval: the "
        "output frequency is the input's times 2^((semitones + cents/100) / 12), exactly, for any input; "
        "changes glide over 30 ms. "
        "mix (0 to 1, default 0.5) is the shifted fraction: out = dry * (1 - mix) + shifted * mix; the dry "
        "signal is delayed by the same latency as the shifted one, so at zero shift any mix is the clean "
        "delayed input and never combs. "
        "mode picks the engine (a change crossfades over 40 ms; a change to quality first lets the live "
        "engine play on for 43 ms while the phase vocoder catches up with the input). live: a read head "
        "plays the input faster or "
        "slower and jumps back or forward by whole periods of the note found by a pitch tracker (70 Hz to "
        "1.4 kHz, aligned to the sample by correlation), so single notes come out seamless; latency 9.7 ms "
        "(the delay of any moment of the shifted sound wanders between 0.1 and 19.3 ms around it); best for "
        "single notes and "
        "riffs, and the choice for playing live. quality: a phase vocoder with phase locking moves every "
        "partial separately, so chords and double stops stay clean; latency 88.5 ms (96 ms at 44.1 kHz); for "
        "chords, pads and "
        "studio use. Shifting up, content that would fold above Nyquist is filtered out first. "
        "Typical settings: +12 at mix 0.5 for a 12-string-like octave; -12 at mix 0.4 for a bass line "
        "under a riff; -1 or -2 at mix 1 to play in a lower tuning; +7 or +5 at mix 0.5 for power-chord "
        "fifths; cents +-8 at mix 0.5 for a wide detuned double.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "semitones",
         .name = "Semitones",
         .min = -24.f,
         .max = 24.f,
         .def = 12.f,
         .unit = Unit::Semitones,
         .taper = Taper::Integer,
         .smoothMs = kGlideMs,
         .help = "Transposition in semitones, -24 to +24 (two octaves each way); glides over 30 ms."},
        {.id = "cents",
         .name = "Cents",
         .min = -100.f,
         .max = 100.f,
         .def = 0.f,
         .unit = Unit::Cents,
         .taper = Taper::Linear,
         .smoothMs = kGlideMs,
         .help = "Fine transposition added to the semitones, -100 to +100 cents."},
        {.id = "mix",
         .name = "Mix",
         .min = 0.f,
         .max = 1.f,
         .def = 0.5f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = kMixMs,
         .help = "Shifted fraction, 0 to 1: out = dry * (1 - mix) + shifted * mix (dry latency-aligned)."},
        {.id = "mode",
         .name = "Mode",
         .min = 0.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = kModeLabels,
         .help = "live (9.7 ms latency, single notes) or quality (phase vocoder, 88.5 ms, chords); "
                 "crossfaded over 40 ms (to quality after 43 ms of catching up)."},
    }};

    PitchShift();
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept;
    // The most latencySamples() can report at this rate (the quality engine's): the engine sizes the
    // slot's latency-compensated dry path by it, so a later change of mode finds room.
    uint32_t maxLatencySamples() const noexcept { return std::max(liveLatency_, vocoder_.latency()); }
    uint32_t tailSamples() const noexcept;

    // Diagnostics for tests: read-head splices of the live engine since reset.
    uint64_t liveSplices() const noexcept { return voice_.splices(); }
    // Diagnostics for tests: FFTs the quality engine has executed, and its hop.
    uint64_t qualityFfts() const noexcept { return vocoder_.fftCount(); }
    std::size_t qualityHop() const noexcept { return vocoder_.hopSize(); }
    // How long a change to quality waits before its crossfade starts (the vocoder catching up), at most.
    uint32_t qualityWarmUpSamples() const noexcept {
        return static_cast<uint32_t>(PhaseVocoder::kWarmUpHops * vocoder_.hopSize());
    }

private:
    double targetSemitones() const noexcept;
    int mode() const noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;
    SpliceGeometry geometry_;
    uint32_t liveLatency_ = 0;

    SampleRing rawL_, rawR_;   // the input: dry path and the phase vocoder
    SampleRing lineL_, lineR_; // anti-aliased input for the live read head
    AntiAliasFilter<2> antiAlias_;
    PitchTracker tracker_;
    SpliceVoice voice_;
    PhaseVocoder vocoder_;
    int64_t now_ = -1;
    uint32_t gridLeft_ = 0;

    dsp::LinearSmoothed semitones_;
    dsp::LinearSmoothed mix_;
    dsp::LinearSmoothed quality_; // 0 live, 1 quality
    double ratio_ = 1.0;
    double ratioFor_ = 0.0; // the semitone value ratio_ was computed for
    bool liveRunning_ = true;
    bool vocoderRunning_ = false;
};

static_assert(Effect<PitchShift>);

} // namespace stagerack::fx
