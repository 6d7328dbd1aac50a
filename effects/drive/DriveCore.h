// The engine shared by the overdrive, distortion and fuzz effects: a pre-emphasised gain stage, an
// oversampled ADAA waveshaper with three selectable characters, drive-dependent de-emphasis, a DC blocker,
// a tilt tone control and level compensation. The effects differ only in their DriveVoicing and metadata.
//
// Per base-rate sample and channel:
//   p = x + (G - 1) * HP(x)          Tube Screamer gain-leg topology: only what lies above the voicing's
//                                    corner is amplified, so at drive 0 (G = 1) the stage is exactly clean
//   u = upsample(p)                  Oversampler, 8x at 44.1/48 kHz (4x at 96, 2x at 192)
//   v = comp * ADAA(f)(scale * u)    f the character's curve, scale a fixed per-character input gain
//   d = downsample(v)
//   d = d + w * (LP(d) - d)          de-emphasis: a low-pass that fades in with drive (w = drive)
//   y = tilt(DCblock(d)) * level
// Gains (G, comp, w, level, the tilt's two band gains) ramp linearly between points of a fixed 32-sample
// grid counted from reset(), where the smoothers advance a whole period: the output does not depend on the
// block size.
// A channel runs a whole chunk (at most one grid period) through each step in turn: the gain leg, the
// oversampler's stages, the curve over all the oversampled samples four at a time (float ADAA), the
// decimation and the output filters. Every sample goes through the same operations whatever chunk it falls
// in, so the output is bit-identical for any host block size and any point where the channels unlink.
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/Oversampler.h"
#include "effects/dsp/Smoothed.h"
#include "effects/dsp/Waveshapers.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stagerack::fx {

enum class DriveCharacter : uint8_t { Soft, Triode, Diode, Germanium, Silicon, Rectifier, Foldback };

struct DriveVoicing {
    std::array<DriveCharacter, 3> characters{};
    // Fixed gain into the shaper per character (dB): sets where in the drive range each curve bites.
    std::array<float, 3> inputScaleDb{};
    float maxDriveDb = 40.f;   // pre-clip gain G at drive 1 (0 dB at drive 0)
    float preCornerHz = 720.f; // corner of the gain leg's high-pass
    float deCornerHz = 4000.f; // de-emphasis low-pass corner (fully in at drive 1)
    float tiltPivotHz = 800.f; // tone: pivot of the tilt
    float tiltRangeDb = 12.f;  // tone 0 / 1: this much darker / brighter, end to end
};

class DriveCore {
public:
    enum Param : std::size_t { kDrive, kTone, kLevelDb, kCharacter, kParamCount };

    static constexpr uint32_t kGrid = 32;
    static constexpr float kFadeMs = 20.f;         // character crossfade
    static constexpr float kSmoothMs = 20.f;       // continuous parameters
    static constexpr float kDcCornerHz = 10.f;     // DC blocker after the asymmetric curves
    static constexpr double kCompRefLevel = 0.125; // -18 dBFS peak: the level compensation's reference sine
    static constexpr uint32_t kCompPoints = 33;    // drive points of each compensation table
    // Identical L/R input for this long (and the channels are re-linked: one shaper run serves both).
    static constexpr double kRelinkSeconds = 1.0;

    explicit DriveCore(const DriveVoicing& voicing) noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block) noexcept;
    uint32_t latencySamples() const noexcept { return latency_; }
    uint32_t oversampling() const noexcept { return factor_; }
    // Level compensation (dB) the engine applies for `character` (0..2) at drive 0..1, for tests.
    float compensationDb(std::size_t character, float drive) const noexcept;
    static uint32_t factorFor(double sampleRate) noexcept;

    // TPT one-pole low-pass coefficients: G = g / (1 + g), and 1 - 2 G and 2 G for its state update.
    struct OnePole {
        float g = 0.f;
        float keep = 1.f;
        float in = 0.f;
    };

private:
    struct Ramp {
        float value = 0.f;
        float end = 0.f;
        float step = 0.f;
        void snap(float v) noexcept { value = end = v, step = 0.f; }
        void aim(float v) noexcept {
            value = end; // arrive exactly, then head for the next grid point
            end = v;
            step = (end - value) / static_cast<float>(kGrid);
        }
        float next() noexcept { return value += step; }
    };
    // Values shared by both channels for one chunk (at most one grid period), per sample.
    struct Frames {
        std::array<float, kGrid> gain; // G - 1
        std::array<std::array<float, kGrid>, 2> comp;
        std::array<float, kGrid> fade; // weight of the fading-in voice, samples < mixed
        std::array<float, kGrid> de;   // de-emphasis weight
        std::array<float, kGrid> level;
        std::array<float, kGrid> tiltLow;
        std::array<float, kGrid> tiltHigh;
        std::size_t voice = 0; // runs on every sample
        std::size_t old = 0;   // fading out: runs on samples < mixed, crossfaded into `voice`
        uint32_t mixed = 0;
    };
    struct Channel {
        float preLp = 0.f; // state of the gain leg's one-pole (HP = x - LP)
        dsp::Oversampler os;
        std::array<dsp::shapers::AdaaState, 2> adaa{};
        float deLp = 0.f;
        float dcX = 0.f;
        float dcY = 0.f;
        float tiltLp = 0.f;
        float lastUp = 0.f; // last oversampled sample (starts a fading-in voice's ADAA)
        bool finite() const noexcept;
        void clear() noexcept;
    };
    struct Shapers {
        dsp::shapers::Soft soft;
        dsp::shapers::Triode triode{0.35, 0.55};
        dsp::shapers::Diode diode{1.0};
        dsp::shapers::Germanium germanium{1.0, 0.6, 0.08, 0.85};
        dsp::shapers::Diode silicon{0.8};
        dsp::shapers::Rectifier rectifier{0.5};
        dsp::shapers::Foldback foldback;
    };
    template <typename Fn>
    void visit(DriveCharacter c, Fn&& fn) const noexcept;

    void updateGrid() noexcept;
    void processChunk(float* left, float* right, uint32_t frames) noexcept;
    void fillFrames(uint32_t frames) noexcept;
    // Samples begin .. end - 1 of the chunk through one channel.
    void runChannel(Channel& ch, const float* in, float* out, uint32_t begin, uint32_t end) noexcept;
    void runVoice(Channel& ch, std::size_t voice, const float* in, std::size_t n, float* out) noexcept;
    void startVoice(std::size_t voice, std::size_t character) noexcept;
    float compDbAt(std::size_t character, float drive) const noexcept;

    DriveVoicing voicing_;
    Shapers shapers_;
    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;
    uint32_t factor_ = 8;
    uint32_t latency_ = 0;

    dsp::LinearSmoothed drive_;
    dsp::LinearSmoothed tone_;
    dsp::LinearSmoothed levelDb_;

    // Fixed coefficients (prepare).
    OnePole pre_; // the gain leg's corner
    OnePole de1_; // de-emphasis
    float dcR_ = 0.f;
    OnePole tilt1_; // tilt pivot
    uint32_t fadeLength_ = 1;
    uint32_t relinkSamples_ = 1;
    std::array<std::array<float, kCompPoints>, 3> compDb_{};

    // Per-grid coefficients and ramps.
    Ramp tiltLow_; // out = high * x + (low - high) * LP(x)
    Ramp tiltHigh_;
    Ramp gain_;
    std::array<Ramp, 2> comp_{};
    Ramp de_;
    Ramp level_;

    // Voices: slot a_ is heard; during a character change slot 1 - a_ fades in.
    std::array<std::size_t, 2> voiceCharacter_{};
    std::array<float, 2> voiceScale_{};
    std::size_t a_ = 0;
    uint32_t fadeLeft_ = 0;
    float fadeStep_ = 0.f;

    Frames frames_{};
    // Oversampled scratch (with the spare lanes the vector code reads and writes).
    static constexpr std::size_t kTop = kGrid * dsp::Oversampler::kMaxFactor + dsp::shapers::kAdaaSpare;
    alignas(16) std::array<float, kTop> up_{};
    alignas(16) std::array<float, kTop> shaped_{};
    alignas(16) std::array<float, kTop> other_{};

    Channel left_;
    Channel right_;
    bool linked_ = true; // right_ is logically a copy of left_ and is not run
    uint32_t identicalRun_ = 0;
    uint32_t gridLeft_ = 0;
};

} // namespace stagerack::fx
