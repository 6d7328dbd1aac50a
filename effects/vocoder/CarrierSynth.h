// The vocoder's internal carrier: an 8-voice synth played from MIDI, with band-limited saw and pulse
// (polyBLEP: the naive waveform minus a two-sample polynomial step residual at each jump) or noise.
//
// Timing is sample-exact: the owner renders up to an event's offset, hands the event over, and renders
// on, so a note's first non-zero sample is the sample of its note-on. Each note fades in over
// kAttackMs (linear, the first sample already at 1 / attack length) and out over kReleaseMs after its
// note-off. Voices: a note-on takes a free voice, else steals the oldest releasing one, else the oldest
// held one; a stolen voice's sound moves to a free shadow slot (of kShadows) and fades out over
// kStealFadeMs, so stealing does not click, even in bursts. Velocity does not change the level (the modulator
// sets the vocoder's dynamics). MIDI understood: note on/off (note-on with velocity 0 is a note-off), pitch
// bend (+-2 semitones), sustain pedal (CC 64), all sound off (CC 120), reset controllers (CC 121), all notes
// off (CC 123); on one channel or all (omni); changing the channel releases the notes held so far.
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/Smoothed.h"

#include <array>
#include <cstdint>

namespace stagerack::fx {

class CarrierSynth {
public:
    enum Waveform : int { kSaw = 0, kPulse = 1, kNoise = 2, kWaveformCount };
    static constexpr int kVoices = 8;
    // Slots for stolen voices while they fade: twice the voices, so that 16 steals within kStealFadeMs
    // (24 note-ons) all fade; beyond that the quietest fading one is cut.
    static constexpr int kShadows = 2 * kVoices;
    static constexpr uint32_t kMaxRender = 64;
    static constexpr double kAttackMs = 1.0;
    static constexpr double kReleaseMs = 15.0;
    static constexpr double kStealFadeMs = 3.0;
    static constexpr float kWaveFadeMs = 10.f;
    static constexpr float kPulseWidthSmoothMs = 20.f;
    static constexpr double kBendRangeSemitones = 2.0;
    // Every waveform (and pulse width) plays one voice at this RMS: the vocoder's reference level.
    static constexpr double kVoiceRms = 0.25;
    // Where a voice's phase starts (in cycles): the saw and the pulse are non-zero there.
    static constexpr float kStartPhase = 0.25f;

    void prepare(double sampleRate) noexcept;
    void reset() noexcept; // all voices silent, bend and sustain released

    void setWaveform(int waveform) noexcept;
    void setPulseWidth(float width) noexcept; // 0.05..0.95
    // 0 = omni, 1..16. A real change releases every held note (as all-notes-off): their note-offs may
    // come on a channel that is no longer heard.
    void setChannel(int channel) noexcept;

    // Applies one MIDI message now (between two rendered samples).
    void handle(const MidiEvent& event) noexcept;
    // n <= kMaxRender samples of the sum of the voices.
    void render(float* out, uint32_t n) noexcept;
    // Whether anything can sound: false means render() would write zeros.
    bool active() const noexcept;
    int heldNotes() const noexcept;

private:
    enum class Stage : uint8_t { Idle, Attack, Sustain, Release };
    struct Voice {
        float phase = 0.f;
        float inc = 0.f; // cycles per sample
        float level = 0.f;
        float step = 0.f; // per-sample level change, toward 1 (attack) or 0 (release)
        Stage stage = Stage::Idle;
        bool pedalHeld = false; // note-off arrived while the sustain pedal was down
        int note = -1;
        uint64_t age = 0;
    };

    void noteOn(int note) noexcept;
    void noteOff(int note) noexcept;
    void releaseVoice(Voice& v) noexcept;
    void releaseAll() noexcept;
    float incrementOf(int note) const noexcept;
    void renderVoice(Voice& v, float* out, uint32_t n) noexcept;

    double sampleRate_ = 48000.0;
    std::array<Voice, kVoices> voices_{};
    std::array<Voice, kShadows> fading_{}; // stolen voices fading out
    int channel_ = 0;
    int waveform_ = kSaw;
    float pulseWidthTarget_ = 0.5f;
    bool pedal_ = false;
    double bendSemitones_ = 0.0;
    uint64_t nextAge_ = 1;
    uint32_t noise_ = 0x9e3779b9u;
    float attackStep_ = 0.f;
    float releaseSamples_ = 1.f;
    float stealSamples_ = 1.f;
    std::array<dsp::LinearSmoothed, kWaveformCount> waveWeight_;
    dsp::LinearSmoothed pulseWidth_;
    // Per-sample shared values of the current render: weights, pulse width, pulse level, noise.
    std::array<float, kMaxRender> wSaw_{};
    std::array<float, kMaxRender> wPulse_{};
    std::array<float, kMaxRender> wNoise_{};
    std::array<float, kMaxRender> width_{};
    std::array<float, kMaxRender> pulseGain_{};
    std::array<float, kMaxRender> noiseSample_{};
    bool anyNoise_ = false;
    bool anyPulse_ = false;
    bool anySaw_ = false;
};

} // namespace stagerack::fx
