// Low-frequency oscillator for the modulation effects: a double-precision phase accumulator (the rate is
// exact: the phase after N samples is N * rate / sampleRate cycles), waveshapes evaluated from the phase
// (polynomial sine, triangle, square and saw with smoothed edges), free rate or tempo sync with an
// optional soft lock to the host's beat position.
//
// The oscillator advances on a fixed grid of samples counted from reset (the effects interpolate its
// output linearly across a grid step), so its phase does not depend on how the host cuts blocks.
#pragma once

#include "effects/dsp/TempoSync.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stagerack::dsp {

enum class LfoShape : uint8_t { Sine, Triangle, Square, Saw };
inline constexpr std::array<std::string_view, 4> kLfoShapeLabels{"sine", "triangle", "square", "saw"};

// sin(2 pi phase) for any phase in cycles: fold into a quarter wave, then an 11th-order Taylor polynomial
// (error below 4e-8 on the quarter wave, far below float resolution of the output).
inline float sineCycles(double phase) noexcept {
    const double x = phase - std::floor(phase); // [0, 1)
    const double t = x - 0.5;                   // sin(2 pi x) = -sin(2 pi t), t in [-0.5, 0.5)
    const double a = std::fabs(t);
    const double q = std::min(a, 0.5 - a); // sin(2 pi a) = sin(2 pi (0.5 - a)), q in [0, 0.25]
    const double z = 2.0 * 3.14159265358979323846 * q;
    const double z2 = z * z;
    const double s =
        z * (1.0 +
             z2 * (-1.0 / 6 + z2 * (1.0 / 120 + z2 * (-1.0 / 5040 + z2 * (1.0 / 362880 - z2 / 39916800.0)))));
    return static_cast<float>(t < 0.0 ? s : -s);
}

// Triangle in [-1, 1]: 0 at phase 0, +1 at 1/4, 0 at 1/2, -1 at 3/4 (the same zero crossings as the sine).
inline float triangleCycles(double phase) noexcept {
    const double u = phase + 0.25 - std::floor(phase + 0.25);
    return static_cast<float>(1.0 - 4.0 * std::fabs(u - 0.5));
}

// Square in [-1, 1] (high in the first half cycle) whose edges are C1 smoothsteps `edge` cycles wide
// (0 < edge <= 0.25), centred on phases 0 and 1/2.
inline float squareCycles(double phase, double edge) noexcept {
    const double s = std::clamp(static_cast<double>(triangleCycles(phase)) / (2.0 * edge), -1.0, 1.0);
    return static_cast<float>(0.5 * s * (3.0 - s * s));
}

// Rising saw in [-1, 1] (0 at phase 0) whose fall takes `edge` cycles (0 < edge <= 0.5), centred on 1/2.
inline float sawCycles(double phase, double edge) noexcept {
    const double u = phase - std::floor(phase); // rising from 0 at u = 0
    const double riseEnd = 0.5 - 0.5 * edge;
    if (u < riseEnd) return static_cast<float>(u / riseEnd);
    if (u >= 1.0 - riseEnd) return static_cast<float>((u - 1.0) / riseEnd);
    return static_cast<float>(1.0 - 2.0 * (u - riseEnd) / edge); // the fall: 1 -> -1
}

inline float lfoShape(LfoShape shape, double phase, double edge) noexcept {
    switch (shape) {
    case LfoShape::Sine:
        return sineCycles(phase);
    case LfoShape::Triangle:
        return triangleCycles(phase);
    case LfoShape::Square:
        return squareCycles(phase, std::min(edge, 0.25));
    case LfoShape::Saw:
        return sawCycles(phase, std::min(edge, 0.5));
    }
    return 0.f;
}

// The phase accumulator with rate glide, tempo sync and beat lock.
//  - Rate: the free rate (Hz), or with sync index s > 0 the note value kSyncLabels[s] at the block's tempo.
//    Rate changes (knob, sync switch, tempo) glide geometrically by at most a factor of two per
//    kGlideSeconds, so the modulation never jumps.
//  - Beat lock: while synced and the host's beat position advances exactly with its tempo from block to
//    block (a running transport, as the engine provides), the phase is pulled towards
//    frac(beat / noteBeats): the rate is trimmed by at most kMaxLockTrim until the error is gone, so
//    the phase never jumps. The first block after reset starts on the beat phase at once. When the beat
//    does not advance (a host without a transport), the LFO free-runs at the note rate.
class Lfo {
public:
    static constexpr double kGlideSeconds = 0.02;
    static constexpr double kMaxLockTrim = 0.1;
    // Grid steps over which a phase error is pulled in when the trim limit allows.
    static constexpr double kLockSteps = 32.0;

    void prepare(double sampleRate, uint32_t grid) noexcept {
        sampleRate_ = sampleRate;
        grid_ = grid;
        glideRatio_ = std::exp2(static_cast<double>(grid) / (kGlideSeconds * sampleRate));
    }

    // Phase 0 at the next grid point; the rate snaps to what `freeHz`/`sync` ask at `tempoBpm`.
    void reset(double freeHz, std::size_t sync, double tempoBpm = 120.0) noexcept {
        phase_ = 0.0;
        rate_ = targetRate(freeHz, sync, tempoBpm);
        first_ = true;
        haveLast_ = false;
        locked_ = false;
    }

    // At the start of every block, before its first grid point.
    void beginBlock(std::size_t sync, double tempoBpm, double beat, uint32_t frames) noexcept {
        sync_ = sync;
        tempo_ = tempoBpm;
        const double beatsPerFrame = tempoBpm > 0.0 ? tempoBpm / (60.0 * sampleRate_) : 0.0;
        const bool synced = sync > 0 && syncBeats(sync) > 0.0 && tempoBpm > 0.0 && std::isfinite(beat);
        locked_ = synced && haveLast_ && std::fabs(beat - expectedBeat_) <= 1e-6;
        if (synced && first_) {
            // Nothing has been heard at this phase yet: start on the beat.
            phase_ = wrap(beat / syncBeats(sync));
            rate_ = syncHz(sync, tempoBpm);
        }
        first_ = false;
        blockBeat_ = beat;
        beatsPerFrame_ = beatsPerFrame;
        expectedBeat_ = beat + frames * beatsPerFrame;
        haveLast_ = std::isfinite(expectedBeat_);
    }

    // At a grid point `frameInBlock` frames into the current block: glides the rate towards its target,
    // applies the beat lock and advances one grid step. Returns the phase at this grid point.
    double step(double freeHz, uint32_t frameInBlock) noexcept {
        const double here = phase_;
        const double target = targetRate(freeHz, sync_, tempo_);
        rate_ = std::clamp(target, rate_ / glideRatio_, rate_ * glideRatio_);
        double trim = 0.0;
        const double inc = rate_ * grid_ / sampleRate_;
        if (locked_ && inc > 0.0) {
            const double beat = blockBeat_ + frameInBlock * beatsPerFrame_;
            const double error = wrapSigned(beat / syncBeats(sync_) - phase_);
            trim = std::clamp(error / (kLockSteps * inc), -kMaxLockTrim, kMaxLockTrim);
        }
        phase_ = wrap(phase_ + inc * (1.0 + trim));
        return here;
    }

    double phase() const noexcept { return phase_; }
    double rateHz() const noexcept { return rate_; }
    double phaseIncrementPerGrid() const noexcept { return rate_ * grid_ / sampleRate_; }
    bool locked() const noexcept { return locked_; }

    static double targetRate(double freeHz, std::size_t sync, double tempoBpm) noexcept {
        const double synced = sync > 0 ? syncHz(sync, tempoBpm) : 0.0;
        return synced > 0.0 ? synced : std::max(freeHz, 1e-6);
    }
    static double wrap(double p) noexcept { return p - std::floor(p); }
    static double wrapSigned(double p) noexcept { return p - std::floor(p + 0.5); }

private:
    double sampleRate_ = 48000.0;
    uint32_t grid_ = 16;
    double glideRatio_ = 1.0;
    double phase_ = 0.0;
    double rate_ = 1.0;
    std::size_t sync_ = 0;
    double tempo_ = 120.0;
    double blockBeat_ = 0.0;
    double beatsPerFrame_ = 0.0;
    double expectedBeat_ = 0.0;
    bool first_ = true;
    bool haveLast_ = false;
    bool locked_ = false;
};

// Moves a per-sample smoother (LinearSmoothed, MultiplicativeSmoothed) on by n samples one sample at a
// time, so that it rounds identically however the samples are grouped.
template <typename Smoother>
inline void advanceSmoother(Smoother& s, uint32_t n) noexcept {
    for (uint32_t i = 0; i < n && s.smoothing(); ++i)
        s.next();
}

// A value that ramps linearly across one grid step: retarget() at each grid point with the value due at
// the next one, next() per sample. The effects run their per-sample controls (gains, delays, filter
// coefficients) through these, so the per-sample work is one add.
struct GridRamp {
    float value = 0.f;
    float step = 0.f;
    void snap(float v) noexcept {
        value = v;
        step = 0.f;
    }
    void retarget(float v, uint32_t grid) noexcept { step = (v - value) / static_cast<float>(grid); }
    float next() noexcept { return value += step; }
};

} // namespace stagerack::dsp
