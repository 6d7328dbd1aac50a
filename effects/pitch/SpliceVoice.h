// One transposing voice: a read head that plays the input at `ratio` times its speed, spliced
// pitch-synchronously so that it never runs away from (or into) the input.
//
// Why this and not classic PSOLA: PSOLA re-spaces grains of the input at the new period without resampling
// them, which keeps the spectral envelope (formants). On a sine that envelope is a single peak, so a sine
// "shifted" an octave down by PSOLA comes out mostly at its old frequency. A guitar pitch shifter
// transposes everything instead, which is resampling: the head reads the input at speed `ratio`, so every
// component is multiplied by it exactly. To stay in real time the head jumps back (shifting up) or forward
// (shifting down) by a whole number of periods of the input, found by the tracker and then aligned to the
// sample by the normalised cross-correlation of the two places (a parabola through the best three lags).
// On a periodic input the two places hold the same waveform, so the crossfade between them is seamless
// and the output is exactly periodic at ratio x the input frequency. Unpitched input falls back to a fixed
// jump with an equal-power fade (the classic two-tap delay-line shifter).
//
// Geometry (all in samples behind the newest input): the head stays within [minDelay, maxDelay], a window
// of W = 4/3 of the longest period (70 Hz), so the delay never exceeds 20 ms at any rate. Shifting up, the
// head's delay shrinks by (ratio - 1) per sample; when it reaches minDelay + W/4 the head jumps back by the
// largest whole number of periods that stays inside the window (at least 3W/8), and the old head fades out
// over at most W/4 of travel, so it never reaches the input and a fade always ends before the next splice.
// Shifting down mirrors this at the top. At unison the head glides back to the centre with one crossfade,
// so zero shift is an exact delay of `centre` samples (the latency the effects report).
// The fade is a raised cosine normalised by the correlation rho of the two heads:
// g = 1 / sqrt(s^2 + (1-s)^2 + 2 rho s (1-s)), constant amplitude for aligned heads, constant power for
// unrelated ones.
#pragma once

#include "effects/pitch/PitchTracker.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace stagerack::fx {

struct SpliceGeometry {
    double minDelay = 6.0; // the interpolator needs 2 samples of future; the rest is margin for the search
    double maxDelay = 0.0;
    double centre = 0.0;  // (minDelay + maxDelay) / 2: the latency of a voice
    double quarter = 0.0; // W / 4
    double maxFade = 0.0; // the longest splice crossfade
    double recentreFade = 0.0;
    double maxSafeDelay = 0.0; // the ring holds this much history beyond what a search reads
    int minCorrelation = 0;
    int maxCorrelation = 0;

    static SpliceGeometry forRate(double sampleRate) noexcept {
        SpliceGeometry g;
        const double longestPeriod = sampleRate / PitchTracker::kMinHz;
        const double window = 2.0 * std::ceil(longestPeriod * 2.0 / 3.0 + 1.0);
        g.maxDelay = g.minDelay + window;
        g.centre = g.minDelay + 0.5 * window;
        g.quarter = 0.25 * window;
        g.maxFade = std::round(0.010 * sampleRate);
        g.recentreFade = std::round(0.020 * sampleRate);
        g.minCorrelation = static_cast<int>(std::lround(0.002 * sampleRate));
        g.maxCorrelation = static_cast<int>(std::lround(0.010 * sampleRate));
        g.maxSafeDelay = g.maxDelay + g.quarter;
        return g;
    }
    // History a ring must keep for a voice: the farthest head plus a search window and its lags.
    std::size_t ringFrames() const noexcept {
        return static_cast<std::size_t>(maxSafeDelay + maxDelay + 2.0 * maxCorrelation + 64.0);
    }
    // Samples a voice may keep sounding after its input stopped.
    uint32_t tailFrames() const noexcept { return static_cast<uint32_t>(maxSafeDelay + maxFade) + 1; }
};

class SpliceVoice {
public:
    static constexpr double kUnison = 1e-9;
    static constexpr double kMinReadDelay = 2.0; // Hermite reads floor(pos) + 2
    static constexpr int kMaxClimb = 4;

    void reset(double delay) noexcept {
        delay_ = delay;
        oldDelay_ = delay;
        fading_ = false;
        fadePos_ = fadeLen_ = 0;
        rho_ = 1.0;
        newGain_ = 1.f;
        oldGain_ = 0.f;
    }

    double delay() const noexcept { return delay_; }
    double oldDelay() const noexcept { return oldDelay_; }
    bool fading() const noexcept { return fading_; }
    float newGain() const noexcept { return newGain_; }
    float oldGain() const noexcept { return oldGain_; }
    uint64_t splices() const noexcept { return splices_; }

    // One sample: `now` is the index of the newest input sample (already written), `mono(i)` the analysis
    // signal at index i <= now. Afterwards read the heads at now - delay() and now - oldDelay().
    template <typename Mono>
    void advance(double ratio, int64_t now, const Mono& mono, const PitchTracker& tracker,
                 const SpliceGeometry& g) noexcept {
        const double step = 1.0 - ratio;
        delay_ = std::clamp(delay_ + step, kMinReadDelay, g.maxSafeDelay);
        if (fading_) {
            oldDelay_ = std::clamp(oldDelay_ + step, kMinReadDelay, g.maxSafeDelay);
            if (++fadePos_ >= fadeLen_) fading_ = false;
        }
        if (!fading_) {
            if (ratio > 1.0 + kUnison && delay_ <= g.minDelay + g.quarter)
                splice(+1, ratio, now, mono, tracker, g);
            else if (ratio < 1.0 - kUnison && delay_ >= g.maxDelay - g.quarter)
                splice(-1, ratio, now, mono, tracker, g);
            else if (std::fabs(step) <= kUnison && std::fabs(delay_ - g.centre) > 1e-3)
                recentre(now, mono, g);
        }
        if (fading_) {
            const double x = static_cast<double>(fadePos_) / static_cast<double>(fadeLen_);
            const double s = 0.5 - 0.5 * std::cos(std::numbers::pi * x);
            const double norm = 1.0 / std::sqrt(s * s + (1.0 - s) * (1.0 - s) + 2.0 * rho_ * s * (1.0 - s));
            newGain_ = static_cast<float>(s * norm);
            oldGain_ = static_cast<float>((1.0 - s) * norm);
        } else {
            newGain_ = 1.f;
            oldGain_ = 0.f;
        }
    }

private:
    // Normalised cross-correlation of the `length` samples ending `ahead` samples after `base` with the
    // same stretch `lag` samples later (lag < 0: earlier).
    template <typename Mono>
    static double ncc(const Mono& mono, int64_t base, int64_t lag, int length, int ahead) noexcept {
        double ab[2] = {0.0, 0.0}, aa[2] = {0.0, 0.0}, bb[2] = {0.0, 0.0};
        const int64_t first = base + ahead - length;
        int i = 0;
        for (; i + 2 <= length; i += 2) {
            for (int u = 0; u < 2; ++u) {
                const double a = mono(first + i + u);
                const double b = mono(first + i + u + lag);
                ab[u] += a * b;
                aa[u] += a * a;
                bb[u] += b * b;
            }
        }
        for (; i < length; ++i) {
            const double a = mono(first + i);
            const double b = mono(first + i + lag);
            ab[0] += a * b;
            aa[0] += a * a;
            bb[0] += b * b;
        }
        const double den = (aa[0] + aa[1]) * (bb[0] + bb[1]);
        return den > 1e-24 ? (ab[0] + ab[1]) / std::sqrt(den) : 0.0;
    }

    template <typename Mono>
    void splice(int dir, double ratio, int64_t now, const Mono& mono, const PitchTracker& tracker,
                const SpliceGeometry& g) noexcept {
        const double speed = std::max(std::fabs(1.0 - ratio), 1e-6);
        const double fade = std::clamp(g.quarter / speed, 1.0, g.maxFade);
        const double pos = static_cast<double>(now) - delay_;
        const auto base = static_cast<int64_t>(std::floor(pos));
        const double period = tracker.periodAt(pos);
        double jump = 0.0;
        double rho = 0.0;
        if (period > 0.0) {
            const double room = dir > 0 ? g.maxDelay - delay_ : delay_ - g.minDelay;
            const double k = std::floor(room / period);
            if (k >= 1.0) {
                const int length =
                    std::clamp(static_cast<int>(std::lround(period)), g.minCorrelation, g.maxCorrelation);
                jump = align(dir, k * period, length, now, base, mono, rho);
                // The alignment moved the jump by a few samples at most; keep the head in its window.
                const double landed = delay_ + dir * jump;
                if (landed < kMinReadDelay + 1.0 || landed > g.maxSafeDelay) jump = 0.0;
            }
        }
        if (jump <= 0.0) {
            // Unpitched: a fixed jump of 5/8 W (the middle of the allowed range); the fade's law follows
            // how alike the two places are (constant power for unrelated sound). The stretches compared end
            // at the two read points, so both exist whichever way the head jumps.
            jump = 2.5 * g.quarter;
            rho = ncc(mono, base, -dir * static_cast<int64_t>(std::lround(jump)), g.maxCorrelation, 0);
        }
        start(delay_ + dir * jump, fade, rho);
    }

    // The jump near `guess` (samples) at which the stretch the new head will play best matches the old
    // one: whole-sample lags around the guess, climbing to the maximum, then a parabola.
    template <typename Mono>
    double align(int dir, double guess, int length, int64_t now, int64_t base, const Mono& mono,
                 double& rho) const noexcept {
        auto lag0 = static_cast<int64_t>(std::lround(guess));
        // Compare what the heads play from here on where it exists already, the rest before it: shifting
        // up the new head is older (everything up to `now` exists); shifting down it is newer.
        const int64_t newestOld = now - base;
        const int64_t newestNew = dir > 0 ? newestOld : now - (base + lag0 + kMaxClimb + 1);
        const int ahead =
            static_cast<int>(std::clamp<int64_t>(std::min(newestOld, newestNew), 0, length / 2));
        auto at = [&](int64_t jumpBy) { return ncc(mono, base, -dir * jumpBy, length, ahead); };
        double here = at(lag0);
        double below = at(lag0 - 1);
        double above = at(lag0 + 1);
        for (int climb = 0; climb < kMaxClimb; ++climb) {
            if (above > here && above >= below) {
                below = here;
                here = above;
                ++lag0;
                above = at(lag0 + 1);
            } else if (below > here) {
                above = here;
                here = below;
                --lag0;
                below = at(lag0 - 1);
            } else {
                break;
            }
        }
        const double denom = below - 2.0 * here + above;
        double offset = 0.0;
        rho = here;
        if (denom < 0.0) {
            offset = std::clamp(0.5 * (below - above) / denom, -0.5, 0.5);
            rho = here - 0.25 * (below - above) * offset;
        }
        return static_cast<double>(lag0) + offset;
    }

    template <typename Mono>
    void recentre(int64_t now, const Mono& mono, const SpliceGeometry& g) noexcept {
        const double pos = static_cast<double>(now) - delay_;
        const auto base = static_cast<int64_t>(std::floor(pos));
        const auto lag = static_cast<int64_t>(std::lround(delay_ - g.centre)); // > 0: the centre is newer
        const int ahead = static_cast<int>(
            std::clamp<int64_t>(now - base - std::max<int64_t>(lag, 0), 0, g.maxCorrelation / 2));
        const double rho = lag == 0 ? 1.0 : ncc(mono, base, lag, g.maxCorrelation, ahead);
        start(g.centre, g.recentreFade, rho);
    }

    void start(double newDelay, double fade, double rho) noexcept {
        oldDelay_ = delay_;
        delay_ = newDelay;
        fadeLen_ = std::max<int64_t>(1, std::lround(fade));
        fadePos_ = 0;
        fading_ = true;
        rho_ = std::clamp(rho, 0.0, 1.0);
        ++splices_;
    }

    double delay_ = 0.0;
    double oldDelay_ = 0.0;
    bool fading_ = false;
    int64_t fadePos_ = 0;
    int64_t fadeLen_ = 0;
    double rho_ = 1.0;
    float newGain_ = 1.f;
    float oldGain_ = 0.f;
    uint64_t splices_ = 0; // a splice every few ms: 64 bits never wrap
};

} // namespace stagerack::fx
