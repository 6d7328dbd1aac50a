// Vocoder: the spectral envelope of the main input (the modulator: a voice, a guitar) imposed on a carrier
// (the carrier_in port, or an internal 8-voice synth played from MIDI), through a bank of 8 to 32
// band-pass channels; sibilants pass straight through so consonants stay intelligible.
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/Biquad.h"
#include "effects/dsp/Lfo.h"
#include "effects/dsp/Smoothed.h"
#include "effects/vocoder/BandPlan.h"
#include "effects/vocoder/CarrierSynth.h"
#include "effects/vocoder/VocoderBank.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stagerack::fx {

class Vocoder {
public:
    enum Param : std::size_t {
        kCarrier,
        kWaveform,
        kPulseWidth,
        kMidiChannel,
        kBands,
        kSpacing,
        kLowHz,
        kHighHz,
        kWidth,
        kAttackMs,
        kReleaseMs,
        kFormantShift,
        kFlatten,
        kUnvoiced,
        kCarrierDb,
        kOutputDb,
        kDryMix,
        kParamCount
    };
    enum CarrierMode : int { kAuto = 0, kExternal = 1, kSynth = 2, kCarrierModeCount };

    static constexpr std::string_view kId = "vocoder";
    static constexpr std::string_view kName = "Vocoder";
    static constexpr std::string_view kCategory = "vocoder";
    static constexpr int kVersion = 1;

    static constexpr uint32_t kGrid = 16;
    static constexpr float kSmoothMs = 20.f;
    // The bank's range and width glide slower: sweeping the bands past a partial moves its phase, and a
    // fast sweep rings.
    static constexpr float kBankSmoothMs = 100.f;
    static constexpr float kCarrierFadeMs = 10.f;
    // A change of band count or spacing crossfades the old bank into a new one over this long.
    static constexpr double kLayoutFadeMs = 50.0;
    // Unvoiced detection: the modulator's power above kUnvoicedHz over its whole power, followed over
    // kDetectMs; the high band passes fully above kSibilantHigh of the power and not at all below
    // kSibilantLow (voiced sounds and guitar stay far below; an "s" or white noise is above 0.6).
    static constexpr double kUnvoicedHz = 5000.0;
    static constexpr double kDetectMs = 5.0;
    static constexpr float kSibilantLow = 0.2f;
    static constexpr float kSibilantHigh = 0.5f;

    static constexpr std::array<std::string_view, kCarrierModeCount> kCarrierLabels{"auto", "external",
                                                                                    "synth"};
    static constexpr std::array<std::string_view, CarrierSynth::kWaveformCount> kWaveformLabels{
        "saw", "pulse", "noise"};

    static constexpr std::string_view kHelp =
        "Channel vocoder: the main input is the modulator (a voice through a mic, a guitar), whose spectral "
        "envelope is measured in a bank of band-pass channels and imposed on a carrier, which supplies the "
        "pitch and the harmonics: the carrier_in port (a synth, an organ, any sound), or the internal synth "
        "played from MIDI. The modulator is the sum of the two input channels; the output is the same on "
        "both sides. "
        "carrier chooses the carrier: auto takes carrier_in while it is connected and the synth otherwise, "
        "external always carrier_in (silence when it is not connected), synth always the internal synth; "
        "switches crossfade over 10 ms. "
        "The synth has 8 voices played by MIDI note on/off at their exact sample, with pitch bend (+-2 "
        "semitones), the sustain pedal and all-notes-off; velocity does not change the level (the "
        "modulator sets the dynamics); a ninth note steals the oldest voice (fading it out over 3 ms); "
        "notes fade in over 1 ms and out over 15 ms; the synth is silent while no note is held, and so is "
        "the vocoder. "
        "waveform picks the synth's sound: saw (bright, the classic vocoder buzz), pulse (hollower, with "
        "pulse_width from 0.05 to 0.95, 0.5 is a square) or noise (a whisper); every waveform plays at the "
        "same loudness and changes crossfade over 10 ms. "
        "midi_channel: 0 answers every channel (omni), 1 to 16 only that channel; changing it releases the "
        "notes held so far (their note-offs might never be heard). "
        "bands (8 to 32, default 16) is the number of channels: few bands sound robotic and blurred, many "
        "bands sharper and more intelligible; spacing places their centres equally on a log (musical), "
        "bark (hearing's critical bands) or mel scale; both switch by a 50 ms crossfade. "
        "low_hz and high_hz are the centres of the lowest and highest bands (default 100 Hz and 8 kHz; the "
        "range is at least an octave and stops at 0.45 of the sample rate). "
        "width scales every band's bandwidth: 1 makes neighbours cross at -3 dB, 0.5 gives narrow, ringing "
        "bands, 2 smooth overlapping ones; the level stays the same (within about 1 dB with a noise "
        "carrier): the bands' polarities and gains follow the overlap, the polarity pattern changing by a "
        "50 ms crossfade between widths 1.4 and 1.5. "
        "attack_ms and release_ms are the time constants of the band envelope followers: short (1-5 ms, "
        "20-50 ms) for crisp speech, long for a smeared, pad-like sound. "
        "formant_shift (-12 to +12 semitones) moves the carrier bands up or down against the analysis "
        "bands, so the spectral envelope moves by that interval: up sounds smaller and brighter, down "
        "larger and darker. "
        "flatten (0 to 1, default 1) whitens the carrier: each band is scaled by the carrier's average "
        "band level over its own level in that band (at most 24 dB of boost), so at 1 a saw, a chord or "
        "any carrier is as bright as white noise and the output follows the modulator's spectrum, while "
        "the carrier's loudness and dynamics are kept; at 0 the carrier's own tilt stays (a saw sounds "
        "darker). "
        "unvoiced (0 to 1, default 0.5) passes the modulator's content above 5 kHz straight to the output "
        "while the modulator is sibilant (most of its power above 5 kHz: s, sh, t, f), so consonants stay "
        "intelligible; voiced sounds, whose power lies lower, do not open it (a guitar through a pickup "
        "opens it for a millisecond at most; a very bright, noisy pluck may for some tens of "
        "milliseconds). "
        "carrier_db is the carrier's gain (external or synth) and output_db the vocoded output's; dry_mix "
        "adds the unprocessed input. A NaN or infinite input sample (main input or carrier_in) counts as "
        "silence. "
        "With a carrier of -12 dBFS RMS within the bank's span (one synth voice is about that) the output "
        "is about as loud as the modulator's content within that span (within about 4 dB: flattening moves "
        "the carrier's power toward the bands where the modulator is strong). "
        "Typical settings: 16 log bands, 100 Hz to 8 kHz, attack 5 ms and release 50 ms, saw chords, "
        "unvoiced 0.5 for a classic talking synth; 32 bands and width 1 for intelligibility; 8 bands and "
        "release 300 ms for a robotic pad; formant_shift +-5 semitones for a cartoon or giant voice.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "carrier",
         .name = "Carrier",
         .min = 0.f,
         .max = 2.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = kCarrierLabels,
         .help = "auto (carrier_in when connected, else the synth), external (carrier_in) or synth; "
                 "crossfaded over 10 ms."},
        {.id = "waveform",
         .name = "Waveform",
         .min = 0.f,
         .max = 2.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = kWaveformLabels,
         .help = "Internal synth waveform: saw, pulse or noise (equal loudness); crossfaded over 10 ms."},
        {.id = "pulse_width",
         .name = "Pulse Width",
         .min = 0.05f,
         .max = 0.95f,
         .def = 0.5f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = CarrierSynth::kPulseWidthSmoothMs,
         .help = "Duty cycle of the pulse waveform: 0.5 is a square, towards 0.05 or 0.95 thinner."},
        {.id = "midi_channel",
         .name = "MIDI Channel",
         .min = 0.f,
         .max = 16.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Integer,
         .smoothMs = 0.f,
         .help = "MIDI channel the synth plays from: 0 = all channels (omni), 1 to 16 one channel; a change "
                 "releases the held notes."},
        {.id = "bands",
         .name = "Bands",
         .min = 8.f,
         .max = 32.f,
         .def = 16.f,
         .unit = Unit::None,
         .taper = Taper::Integer,
         .smoothMs = 0.f,
         .help = "Number of band channels, 8 to 32; a change crossfades to the new bank over 50 ms."},
        {.id = "spacing",
         .name = "Spacing",
         .min = 0.f,
         .max = 2.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = kBandSpacingLabels,
         .help = "Band centres equally spaced on a log, bark or mel scale; crossfaded over 50 ms."},
        {.id = "low_hz",
         .name = "Low",
         .min = 40.f,
         .max = 1000.f,
         .def = 100.f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kBankSmoothMs,
         .help = "Centre of the lowest band."},
        {.id = "high_hz",
         .name = "High",
         .min = 1000.f,
         .max = 16000.f,
         .def = 8000.f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = kBankSmoothMs,
         .help = "Centre of the highest band (at least an octave above low_hz, at most 0.45 of the "
                 "sample rate)."},
        {.id = "width",
         .name = "Width",
         .min = 0.5f,
         .max = 2.f,
         .def = 1.f,
         .unit = Unit::None,
         .taper = Taper::Log,
         .smoothMs = kBankSmoothMs,
         .help = "Bandwidth relative to the band spacing: 1 = neighbours cross at -3 dB; the level does not "
                 "change with it."},
        {.id = "attack_ms",
         .name = "Attack",
         .min = 0.5f,
         .max = 200.f,
         .def = 5.f,
         .unit = Unit::Milliseconds,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Time constant with which a band's envelope rises."},
        {.id = "release_ms",
         .name = "Release",
         .min = 5.f,
         .max = 2000.f,
         .def = 50.f,
         .unit = Unit::Milliseconds,
         .taper = Taper::Log,
         .smoothMs = kSmoothMs,
         .help = "Time constant with which a band's envelope falls."},
        {.id = "formant_shift",
         .name = "Formant Shift",
         .min = -12.f,
         .max = 12.f,
         .def = 0.f,
         .unit = Unit::Semitones,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Moves the carrier bands against the analysis bands: the spectral envelope moves by "
                 "this interval."},
        {.id = "flatten",
         .name = "Flatten",
         .min = 0.f,
         .max = 1.f,
         .def = 1.f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "How far the carrier is whitened: 0 keeps its tilt, 1 makes any carrier as bright as "
                 "white noise (each band scaled toward the average band level; at most 24 dB of boost)."},
        {.id = "unvoiced",
         .name = "Unvoiced",
         .min = 0.f,
         .max = 1.f,
         .def = 0.5f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Level of the modulator above 5 kHz passed straight through while it is sibilant."},
        {.id = "carrier_db",
         .name = "Carrier Level",
         .min = -24.f,
         .max = 24.f,
         .def = 0.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Gain on the carrier (external or synth) before the bank."},
        {.id = "output_db",
         .name = "Output",
         .min = -24.f,
         .max = 24.f,
         .def = 0.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Level of the vocoded output (bands and unvoiced)."},
        {.id = "dry_mix",
         .name = "Dry Mix",
         .min = 0.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = kSmoothMs,
         .help = "Amount of the unprocessed input added to the output."},
    }};

    Vocoder() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return 0; }
    uint32_t tailSamples() const noexcept;

private:
    int intValue(Param p) const noexcept;
    BandShape currentShape() const noexcept;
    void updateFollowers() noexcept;
    void startGrid() noexcept;
    void renderSynth(const ProcessContext& ctx, uint32_t offset, uint32_t frames,
                     std::size_t& event) noexcept;
    void processChunk(StereoBlock& block, const ProcessContext& ctx, uint32_t offset, uint32_t frames,
                      std::size_t& event) noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;
    CarrierSynth synth_;
    std::array<VocoderBank, 2> banks_;
    int active_ = 0;
    bool fading_ = false;
    uint32_t fadePos_ = 0;
    uint32_t fadeLength_ = kGrid;
    BandShape shape_{};
    float attackCoef_ = 0.f;
    float releaseCoef_ = 0.f;

    dsp::MultiplicativeSmoothed lowHz_;
    dsp::MultiplicativeSmoothed highHz_;
    dsp::MultiplicativeSmoothed width_;
    dsp::LinearSmoothed shift_;
    dsp::MultiplicativeSmoothed attackMs_;
    dsp::MultiplicativeSmoothed releaseMs_;
    dsp::LinearSmoothed flatten_;
    dsp::LinearSmoothed unvoiced_;
    dsp::LinearSmoothed carrierGain_;
    dsp::LinearSmoothed outputGain_;
    dsp::LinearSmoothed dry_;
    dsp::LinearSmoothed external_; // 0 synth, 1 carrier_in
    bool fresh_ = true;            // no block since reset: the carrier choice snaps

    // Unvoiced path: a 4th-order Butterworth high-pass on the modulator and the power followers of the
    // detector.
    std::array<dsp::SvfCoeffs, 2> highPass_{};
    std::array<dsp::SvfState<float>, 2> highPassState_{};
    float detectCoef_ = 0.f;
    float highPower_ = 0.f;
    float allPower_ = 0.f;
    dsp::GridRamp gate_;

    uint32_t gridLeft_ = 0;
    std::array<float, kGrid> mod_{};
    std::array<float, kGrid> car_{};
    std::array<float, kGrid> synthOut_{};
    std::array<float, kGrid> bankOut_{};
    std::array<float, kGrid> fadeOut_{};
};

static_assert(Effect<Vocoder>);
static_assert(Vocoder::kGrid <= VocoderBank::kMaxChunk, "the bank takes at most a sub-block at a time");

} // namespace stagerack::fx
