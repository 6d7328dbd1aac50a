// Octaver: one and two octaves down and one octave up from a monophonic input, each voice with its own
// level, mixed with the dry signal.
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/Biquad.h"
#include "effects/dsp/Smoothed.h"
#include "effects/pitch/AntiAliasFilter.h"
#include "effects/pitch/PitchTracker.h"
#include "effects/pitch/SampleRing.h"
#include "effects/pitch/SpliceVoice.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stagerack::fx {

class Octaver {
public:
    // New parameters go at the end: presets and MIDI maps address them by id, the engine by index.
    enum Param : std::size_t { kSub2Level, kSub1Level, kUp1Level, kDryLevel, kSubToneHz, kParamCount };
    enum Voice : std::size_t { kSub2, kSub1, kUp1, kVoiceCount };

    static constexpr std::string_view kId = "octaver";
    static constexpr std::string_view kName = "Octaver";
    static constexpr std::string_view kCategory = "pitch";
    static constexpr int kVersion = 1;

    static constexpr float kOffDb = -60.f; // a level at the bottom of its range is silence
    static constexpr float kSmoothMs = 20.f;
    static constexpr uint32_t kGrid = 16;
    static constexpr std::array<double, kVoiceCount> kRatios{0.25, 0.5, 2.0};

    static constexpr std::string_view kHelp =
        "Octaver: adds voices one and two octaves below and one octave above what you play, like the "
        "classic octave pedals but clean: each voice is the input itself played at a quarter, half or twice "
        "its speed (so a note's attack, decay and vibrato all carry over), kept in real time by jumping "
        "whole periods of the note, which a monophonic pitch tracker follows from 70 Hz (below a guitar's "
        "low E at 82.4 Hz) to 1.4 kHz. On a single note the voices are exact octaves (the sub-octave of "
        "110 Hz is 55 Hz) with nothing in between; play one note at a time, since chords have no single "
        "period and come out warbled. "
        "sub2_level (-60 to +6 dB, default off) is the voice two octaves down; -60 dB is off. "
        "sub1_level (-60 to +6 dB, default 0 dB) is the voice one octave down. "
        "up1_level (-60 to +6 dB, default off) is the voice one octave up (shifting up, content that would "
        "fold above Nyquist is filtered out first). "
        "dry_level (-60 to +6 dB, default 0 dB) is the unprocessed signal, delayed by the same 9.7 ms "
        "latency as the voices so that they line up. "
        "sub_tone_hz (100 to 12000 Hz, default 12000 Hz) is a 12 dB/octave low-pass on the two sub-octave "
        "voices: lower it for the round, dark sub of an analog octaver. "
        "Typical settings: sub1 0 dB, dry 0 dB, sub_tone 1000 Hz for a bass-like doubling; sub2 -6 dB and "
        "sub1 -3 dB with dry -6 dB for a synth-like low end; up1 -3 dB over dry 0 dB (after a fuzz) for "
        "octave-up leads; everything at 0 dB for an organ-like stack.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "sub2_level",
         .name = "Sub 2",
         .min = kOffDb,
         .max = 6.f,
         .def = kOffDb,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Level of the voice two octaves down, -60 (off) to +6 dB."},
        {.id = "sub1_level",
         .name = "Sub 1",
         .min = kOffDb,
         .max = 6.f,
         .def = 0.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Level of the voice one octave down, -60 (off) to +6 dB."},
        {.id = "up1_level",
         .name = "Up 1",
         .min = kOffDb,
         .max = 6.f,
         .def = kOffDb,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Level of the voice one octave up, -60 (off) to +6 dB."},
        {.id = "dry_level",
         .name = "Dry",
         .min = kOffDb,
         .max = 6.f,
         .def = 0.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Level of the dry signal (latency-aligned with the voices), -60 (off) to +6 dB."},
        {.id = "sub_tone_hz",
         .name = "Sub Tone",
         .min = 100.f,
         .max = 12000.f,
         .def = 12000.f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Cutoff of the 12 dB/octave low-pass on the sub-octave voices, 100 to 12000 Hz."},
    }};

    Octaver();
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return latency_; }
    uint32_t tailSamples() const noexcept { return geometry_.tailFrames(); }

private:
    static float levelGain(float db) noexcept { return dsp::dbToGainOrOff(db, kOffDb); }
    void updateTone() noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;
    SpliceGeometry geometry_;
    uint32_t latency_ = 0;

    SampleRing dryL_, dryR_;
    SampleRing mono_;   // (L + R) / 2: the sub voices and every splice search
    SampleRing monoUp_; // the same, anti-aliased for the octave-up voice
    AntiAliasFilter<1> antiAlias_;
    PitchTracker tracker_;
    std::array<SpliceVoice, kVoiceCount> voices_;
    std::array<bool, kVoiceCount> running_{};
    int64_t now_ = -1;
    uint32_t gridLeft_ = 0;

    std::array<dsp::LinearSmoothed, kVoiceCount> gains_;
    dsp::LinearSmoothed dry_;
    dsp::MultiplicativeSmoothed toneHz_;
    dsp::SvfCoeffs tone_{};
    dsp::SvfState<float> toneState_{};
};

static_assert(Effect<Octaver>);

} // namespace stagerack::fx
