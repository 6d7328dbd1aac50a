// Algorithmic reverb: hall, room, plate and spring characters on an 8-line feedback delay network whose
// full-band decay time is exact (see FdnCore.h for why).
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/Biquad.h"
#include "effects/dsp/Smoothed.h"
#include "effects/reverb/FdnCore.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace stagerack::fx {

class Reverb {
public:
    enum Param : std::size_t {
        kCharacter,
        kDecayS,
        kPredelayMs,
        kDamping,
        kLowcutHz,
        kWidth,
        kMix,
        kParamCount
    };
    static constexpr std::array<std::string_view, 4> kCharacterLabels{"hall", "room", "plate", "spring"};

    static constexpr std::string_view kId = "reverb";
    static constexpr std::string_view kName = "Reverb";
    static constexpr std::string_view kCategory = "reverb";
    static constexpr int kVersion = 1;

    static constexpr float kMaxPredelayMs = 250.f;
    static constexpr float kPredelayFadeMs = 50.f;  // a pre-delay change crossfades two read taps
    static constexpr float kCharacterFadeMs = 80.f; // a character change crossfades two networks
    // Coefficients (loop gains, filters, taps) are recomputed on this fixed grid of samples, so the
    // output does not depend on the host's block size.
    static constexpr uint32_t kGrid = 32;
    // At damping 1 the decay above the 2.5 kHz shelf is this fraction of decay_s.
    static constexpr float kMinHighRatio = 0.15f;

    static constexpr std::string_view kHelp =
        "Algorithmic reverb on an 8-line feedback delay network (Hadamard mixing, slowly modulated "
        "all-pass-interpolated lines against metallic ringing, input diffusion, per-line absorption), "
        "with an exact decay time. "
        "character picks the voicing: hall (default; long lines, smooth dense tail), room (short lines, "
        "quick build-up), plate (dense immediate diffusion, bright) or spring (dispersive all-passes in "
        "the loop give the chirp of a spring tank, dark); changes crossfade over 80 ms. "
        "decay_s (0.2 to 20 s, default 2 s) is the RT60: the time the tail takes to fall by 60 dB; with "
        "damping 0 it holds at all frequencies (measured within 5 % from 0.3 to 10 s). "
        "predelay_ms (0 to 250 ms, default 10 ms) delays the reverb behind the dry sound; changes crossfade "
        "two read taps over 50 ms. "
        "damping (0 to 1, default 0.4) shortens the decay of high frequencies: 0 is neutral, 1 makes the "
        "decay above about 2.5 kHz 0.15 times decay_s, like absorbent rooms and old plates. "
        "lowcut_hz (20 to 1000 Hz, default 100 Hz) high-passes what enters the reverb (12 dB/octave) so low "
        "notes do not boom. "
        "width (0 to 1, default 1) is the stereo width of the reverb: 0 is mono. "
        "mix (0 to 1, default 0.25) is the wet fraction: out = dry * (1 - mix) + wet * mix; 0 is the dry "
        "signal, untouched. The input is summed to mono before the reverb. "
        "Typical: hall 2-3 s, mix 0.2-0.3 for leads; room 0.6-1 s, mix 0.2 for rhythm; spring 2.5 s, mix "
        "0.3 after a clean amp for surf.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "character",
         .name = "Character",
         .min = 0.f,
         .max = 3.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = kCharacterLabels,
         .help = "hall, room, plate or spring; changes crossfade over 80 ms."},
        {.id = "decay_s",
         .name = "Decay",
         .min = 0.2f,
         .max = 20.f,
         .def = 2.f,
         .unit = Unit::Seconds,
         .taper = Taper::Log,
         .smoothMs = 100.f,
         .help = "RT60, 0.2 to 20 s: the time the tail takes to fall by 60 dB."},
        {.id = "predelay_ms",
         .name = "Pre-delay",
         .min = 0.f,
         .max = kMaxPredelayMs,
         .def = 10.f,
         .unit = Unit::Milliseconds,
         .taper = Taper::Linear,
         .smoothMs = kPredelayFadeMs,
         .help = "Delay before the reverb starts, 0 to 250 ms."},
        {.id = "damping",
         .name = "Damping",
         .min = 0.f,
         .max = 1.f,
         .def = 0.4f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 50.f,
         .help = "High-frequency damping, 0 (neutral) to 1 (highs decay in 0.15 x decay_s)."},
        {.id = "lowcut_hz",
         .name = "Low Cut",
         .min = 20.f,
         .max = 1000.f,
         .def = 100.f,
         .unit = Unit::Hertz,
         .taper = Taper::Log,
         .smoothMs = 50.f,
         .help = "High-pass on the reverb input, 20 to 1000 Hz, 12 dB/octave."},
        {.id = "width",
         .name = "Width",
         .min = 0.f,
         .max = 1.f,
         .def = 1.f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Stereo width of the reverb, 0 (mono) to 1."},
        {.id = "mix",
         .name = "Mix",
         .min = 0.f,
         .max = 1.f,
         .def = 0.25f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Wet fraction, 0 to 1: out = dry * (1 - mix) + wet * mix."},
    }};

    Reverb() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return 0; }
    uint32_t tailSamples() const noexcept;

private:
    void onGrid() noexcept;
    void processChunk(float* left, float* right, uint32_t n) noexcept;
    uint32_t targetPredelay() const noexcept;
    ReverbCharacter requestedCharacter() const noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;

    std::array<FdnCore, 2> cores_;
    int active_ = 0;
    uint32_t charFadeLen_ = 1, charFadePos_ = 0;
    bool charFading_ = false;

    std::vector<float> predelay_;
    uint32_t preMask_ = 0, preWrite_ = 0, maxPredelay_ = 0;
    uint32_t tap_ = 0, nextTap_ = 0, tapFadeLen_ = 1, tapFadeLeft_ = 0;

    dsp::SvfCoeffs lowcut_{};
    dsp::SvfState<float> lowcutState_{};

    dsp::MultiplicativeSmoothed decay_, lowcutHz_;
    dsp::LinearSmoothed damping_, width_, mix_;
    double appliedDecay_ = -1.0, appliedRatio_ = -1.0;
    uint32_t gridLeft_ = 0;

    std::array<float, kGrid> wetIn_{}, wetL_{}, wetR_{}, fadeL_{}, fadeR_{};
};

static_assert(Effect<Reverb>);

} // namespace stagerack::fx
