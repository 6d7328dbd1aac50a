// Feed-forward compressor with the gain computer in the log domain (Giannoulis, Massberg and Reiss, "Digital
// Dynamic Range Compressor Design - A Tutorial and Analysis", JAES 2012): static curve with a quadratic soft
// knee, then a smooth branching one-pole on the gain reduction in dB.
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/Smoothed.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stagerack::fx {

class Compressor {
public:
    enum Param : std::size_t {
        kThresholdDb,
        kRatio,
        kKneeDb,
        kAttackMs,
        kReleaseMs,
        kMakeupDb,
        kAutoMakeup,
        kDetector,
        kStereoLink,
        kParamCount
    };
    enum Detector : int { kPeak = 0, kRms = 1 };
    static constexpr float kSwitchFadeMs = 20.f;

    static constexpr std::string_view kId = "compressor";
    static constexpr std::string_view kName = "Compressor";
    static constexpr std::string_view kCategory = "dynamics";
    static constexpr int kVersion = 1;
    // Coefficients are recomputed on this fixed sample grid counted from reset().
    static constexpr uint32_t kGrid = 32;
    // Averaging time constant of the RMS detector: long enough that the mean square of a low E (82 Hz)
    // ripples by less than +-0.5 dB, short enough to follow a pick attack.
    static constexpr float kRmsMs = 10.f;
    // Auto makeup restores the static curve's gain reduction at this detector level (a typical peak level of
    // a guitar at the input of a rack).
    static constexpr float kAutoMakeupRefDb = -12.f;

    static constexpr std::array<std::string_view, 2> kDetectorLabels{"peak", "rms"};

    static constexpr std::string_view kHelp =
        "A feed-forward compressor: evens out the level of picking and adds sustain. "
        "The detector level L in dBFS is compared with threshold_db (-60 to 0 dB, default -20 dB); above it "
        "the output rises only 1/ratio dB per dB of input, ratio being 1 to 20 (log taper, default 4; 1 does "
        "nothing, 20 is almost a limiter). "
        "knee_db (0 to 24 dB, default 6 dB) rounds the corner: within knee_db/2 of the threshold the gain "
        "reduction is (1 - 1/ratio) (L - threshold + knee/2)^2 / (2 knee), the quadratic soft knee, and 0 dB "
        "gives a hard corner. "
        "The gain reduction in dB is then smoothed by a one-pole whose time constant is attack_ms (0.1 to "
        "200 "
        "ms, default 10 ms) while the reduction grows and release_ms (5 to 2000 ms, default 150 ms) while it "
        "shrinks: after a sudden step of level the reduction in dB covers 63.2 % of its change in exactly "
        "that "
        "time. "
        "makeup_db (-12 to 24 dB, default 0 dB) is added after the compression. "
        "auto_makeup (off/on, default off) adds the static curve's gain reduction at a detector level of -12 "
        "dBFS, so that a signal at -12 dBFS comes out at about the same level and everything quieter is "
        "raised; it adds to makeup_db and fades in or out over 20 ms. "
        "detector (peak or rms, default peak) chooses the level: peak is the instantaneous |x| of each "
        "sample (attack and release then do all the following), rms is the root mean square averaged with a "
        "10 ms time constant, which reacts less to pick transients and measures a sine 3 dB lower than peak; "
        "switching crossfades the two detectors' gain reductions over 20 ms. "
        "stereo_link (0 to 1, default 1) blends each channel's gain reduction towards the larger of the two: "
        "0 compresses each side on its own, 1 applies one gain to both so the stereo image stays put, 0.5 is "
        "half way in dB. "
        "Typical settings for guitar: clean sustain with threshold -30 to -20 dB, ratio 4 to 8, attack 5 to "
        "20 ms (lets the pick through), release 100 to 300 ms, knee 6 dB and auto makeup on; a subtle "
        "leveller with ratio 2, knee 12 dB and the rms detector; country squash with ratio 10 to 20 and "
        "attack "
        "1 ms. Put it before drive for sustain, after it for level control.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "threshold_db",
         .name = "Threshold",
         .min = -60.f,
         .max = 0.f,
         .def = -20.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Detector level in dBFS above which the compressor acts, -60 to 0 dB."},
        {.id = "ratio",
         .name = "Ratio",
         .min = 1.f,
         .max = 20.f,
         .def = 4.f,
         .unit = Unit::None,
         .taper = Taper::Log,
         .smoothMs = 20.f,
         .help = "Input dB per output dB above the threshold, 1 to 20 (1 = no compression)."},
        {.id = "knee_db",
         .name = "Knee",
         .min = 0.f,
         .max = 24.f,
         .def = 6.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Width of the quadratic soft knee centred on the threshold, 0 (hard) to 24 dB."},
        {.id = "attack_ms",
         .name = "Attack",
         .min = 0.1f,
         .max = 200.f,
         .def = 10.f,
         .unit = Unit::Milliseconds,
         .taper = Taper::Log,
         .smoothMs = 20.f,
         .help = "Time constant of the gain reduction (in dB) growing, 0.1 to 200 ms."},
        {.id = "release_ms",
         .name = "Release",
         .min = 5.f,
         .max = 2000.f,
         .def = 150.f,
         .unit = Unit::Milliseconds,
         .taper = Taper::Log,
         .smoothMs = 20.f,
         .help = "Time constant of the gain reduction (in dB) shrinking, 5 to 2000 ms."},
        {.id = "makeup_db",
         .name = "Makeup",
         .min = -12.f,
         .max = 24.f,
         .def = 0.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Gain added after compression, -12 to 24 dB."},
        {.id = "auto_makeup",
         .name = "Auto Makeup",
         .min = 0.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Toggle,
         .smoothMs = 20.f,
         .help = "Also add the static gain reduction at a -12 dBFS detector level (faded over 20 ms)."},
        {.id = "detector",
         .name = "Detector",
         .min = 0.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = kDetectorLabels,
         .help = "peak: instantaneous |x|; rms: 10 ms root mean square (a switch crossfades the two over 20 "
                 "ms)."},
        {.id = "stereo_link",
         .name = "Stereo Link",
         .min = 0.f,
         .max = 1.f,
         .def = 1.f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "0 = each channel on its own, 1 = both get the larger reduction; in between blends in dB."},
    }};

    Compressor() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return 0; }
    uint32_t tailSamples() const noexcept { return 0; }

private:
    void updateCoefficients() noexcept;
    void advanceSmoothers() noexcept;
    // Which detector feeds the gain computer in a chunk: one of them, or both while a switch crossfades.
    enum class Mode { Peak, Rms, Blend };
    // `offset`: where the chunk starts in the current grid period.
    template <Mode kMode, bool kLinked>
    void processChunk(float* left, float* right, uint32_t frames, uint32_t offset) noexcept;
    float gainReduction(float levelDb) const noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;

    dsp::LinearSmoothed thresholdDb_;
    dsp::MultiplicativeSmoothed ratio_;
    dsp::LinearSmoothed kneeDb_;
    dsp::MultiplicativeSmoothed attackMs_;
    dsp::MultiplicativeSmoothed releaseMs_;
    dsp::LinearSmoothed makeupDb_;
    dsp::LinearSmoothed autoMakeup_; // 0..1 fade of the toggle
    dsp::LinearSmoothed link_;
    dsp::LinearSmoothed rmsFraction_; // 0 = peak detector, 1 = rms; crossfades a switch

    // Per-grid coefficients of the static curve (dB domain).
    float threshold_ = 0.f;
    float kneeStart_ = 0.f; // threshold - knee / 2
    float knee_ = 0.f;
    float slope_ = 0.f;    // 1 - 1 / ratio
    float kneeCoef_ = 0.f; // slope / (2 knee)
    double attackCoef_ = 1.0;
    double releaseCoef_ = 1.0;
    float linkNow_ = 1.f;
    float rmsCoef_ = 1.f;
    float rmsNow_ = 0.f;
    // Total makeup in dB, recomputed on the grid and ramped linearly to over the next kGrid samples (so a
    // grid-rate value never steps the gain): start + step * (samples since the grid point + 1).
    float makeupStart_ = 0.f;
    float makeupTarget_ = 0.f;
    float makeupStep_ = 0.f;

    // State.
    uint32_t gridLeft_ = 0;
    float meanSquareL_ = 0.f;
    float meanSquareR_ = 0.f;
    double reductionL_ = 0.0; // smoothed gain reduction in dB
    double reductionR_ = 0.0;
};

static_assert(Effect<Compressor>);

} // namespace stagerack::fx
