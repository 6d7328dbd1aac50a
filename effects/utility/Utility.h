// Gain, balance, polarity and mono fold-down: the plainest effect, and the reference for how every
// built-in handles smoothing and switch crossfades.
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/Smoothed.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stagerack::fx {

class Utility {
public:
    enum Param : std::size_t { kLevelDb, kPan, kInvert, kMono, kParamCount };

    static constexpr std::string_view kId = "utility";
    static constexpr std::string_view kName = "Utility";
    static constexpr std::string_view kCategory = "utility";
    static constexpr int kVersion = 1;
    // Invert and mono are switches; they still must not click, so each fades over this time.
    static constexpr float kSwitchFadeMs = 20.f;

    static constexpr std::string_view kHelp =
        "Gain, balance, polarity and mono fold-down for the stereo bus. "
        "Level (level_db, -60 to +24 dB, default 0 dB) scales both channels; a change ramps over 20 ms in "
        "equal dB steps. "
        "Pan (pan, -1 to +1, default 0) is a balance control: at the centre both sides pass at unity; moving "
        "right attenuates only the left side (gain 1 - pan) and moving left only the right side (gain 1 + "
        "pan), "
        "so -1 mutes the right channel and +1 mutes the left. "
        "Invert (invert, off/on) flips the polarity of both channels, fading through zero over 20 ms so the "
        "flip never clicks. "
        "Mono (mono, off/on) crossfades both sides to (L+R)/2 over 20 ms. "
        "Typical uses: trim a hot pickup by -6 to -12 dB before a drive, fix a polarity-swapped cable or "
        "microphone, or check a stereo chain in mono.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "level_db",
         .name = "Level",
         .min = -60.f,
         .max = 24.f,
         .def = 0.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Output level in dB, -60 to +24 dB; 0 dB leaves the signal unchanged."},
        {.id = "pan",
         .name = "Pan",
         .min = -1.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Balance, -1 (left only) to +1 (right only); 0 passes both sides at unity."},
        {.id = "invert",
         .name = "Invert",
         .min = 0.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Toggle,
         .smoothMs = 0.f,
         .help = "Flip the polarity of both channels (crossfaded over 20 ms)."},
        {.id = "mono",
         .name = "Mono",
         .min = 0.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Toggle,
         .smoothMs = 0.f,
         .help = "Sum to mono: both sides become (L+R)/2 (crossfaded over 20 ms)."},
    }};

    Utility() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return 0; }
    uint32_t tailSamples() const noexcept { return 0; }

private:
    bool smoothing() const noexcept {
        return level_.smoothing() || pan_.smoothing() || polarity_.smoothing() || mono_.smoothing();
    }
    void processSmoothing(float* left, float* right, uint32_t frames) noexcept;
    void processSteady(float* left, float* right, uint32_t frames) noexcept;

    std::array<float, kParamCount> values_{};
    dsp::MultiplicativeSmoothed level_; // linear gain; geometric steps are equal dB steps
    dsp::LinearSmoothed pan_;
    dsp::LinearSmoothed polarity_; // +1 normal, -1 inverted
    dsp::LinearSmoothed mono_;     // 0 stereo, 1 mono
};

static_assert(Effect<Utility>);

} // namespace stagerack::fx
