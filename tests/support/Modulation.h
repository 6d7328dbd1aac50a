// Helpers for testing LFO-driven effects: rendering with a running tempo/beat (as the engine does), the
// period of an output's modulation, and the instantaneous frequency of a tone.
// Header-only and new, so that it adds to the shared support without touching its existing files.
#pragma once

#include "effects/Effect.h"
#include "tests/support/Analysis.h"
#include "tests/support/Signals.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <vector>

namespace stagerack::test {

// Like render(), but every block's context carries `bpm` and a beat position that advances with it
// exactly as the engine advances it (beat += frames * bpm / (60 * rate)), starting at `startBeat`.
template <fx::Effect E>
StereoBuffer renderWithTempo(double sampleRate, uint32_t blockFrames, StereoBuffer buffer,
                             const std::vector<ParamValue>& settings, double bpm, double startBeat = 0.0,
                             const std::vector<ParamEvent>& events = {}) {
    auto effect = std::make_unique<E>();
    prepareLikeHost(*effect, sampleRate, blockFrames, settings);
    double beat = startBeat;
    const std::size_t total = buffer.frames();
    for (std::size_t pos = 0; pos < total;) {
        const auto n = static_cast<uint32_t>(std::min<std::size_t>(blockFrames, total - pos));
        for (const auto& ev : events)
            if (ev.frame == pos)
                for (const auto& v : ev.values)
                    setParam(*effect, v.id, v.value);
        fx::StereoBlock block{buffer.left.data() + pos, buffer.right.data() + pos, n};
        fx::ProcessContext ctx;
        ctx.sampleRate = sampleRate;
        ctx.frames = n;
        ctx.tempoBpm = bpm;
        ctx.beat = beat;
        effect->process(block, ctx);
        beat += n * bpm / (60.0 * sampleRate);
        pos += n;
    }
    return buffer;
}

// RMS of x over consecutive windows of `hop` frames.
inline std::vector<double> rmsEnvelope(std::span<const float> x, std::size_t hop) {
    std::vector<double> env;
    for (std::size_t n = 0; n + hop <= x.size(); n += hop)
        env.push_back(rms(x.subspan(n, hop)));
    return env;
}

// The repetition rate (Hz) of a sequence sampled at `seqRate`, found as the lag of the highest
// autocorrelation (mean removed) between 0.75 and 1.4 times the expected period, refined by a parabola.
// The window excludes half and double the period, so a wrong rate cannot hide behind a harmonic.
inline double repetitionHz(std::vector<double> seq, double seqRate, double expectedHz) {
    double mean = 0.0;
    for (double v : seq)
        mean += v;
    mean /= static_cast<double>(seq.size());
    for (double& v : seq)
        v -= mean;
    const double expectedLag = seqRate / expectedHz;
    auto corr = [&](std::size_t lag) {
        double s = 0.0;
        for (std::size_t i = 0; i + lag < seq.size(); ++i)
            s += seq[i] * seq[i + lag];
        return s / static_cast<double>(seq.size() - lag);
    };
    std::size_t best = 0;
    double bestC = -1e300;
    const auto lo = static_cast<std::size_t>(0.75 * expectedLag);
    const auto hi = static_cast<std::size_t>(1.4 * expectedLag);
    for (std::size_t lag = std::max<std::size_t>(lo, 2); lag <= hi && lag < seq.size() / 2; ++lag) {
        const double c = corr(lag);
        if (c > bestC) {
            bestC = c;
            best = lag;
        }
    }
    if (best == 0) return 0.0;
    const double c0 = corr(best - 1), c2 = corr(best + 1);
    const double denom = c0 - 2.0 * bestC + c2;
    const double lag = static_cast<double>(best) + (denom < 0.0 ? 0.5 * (c0 - c2) / denom : 0.0);
    return seqRate / lag;
}

// The modulation rate of x's RMS envelope (1 ms hops).
inline double envelopeRateHz(std::span<const float> x, double sampleRate, double expectedHz) {
    const auto hop = static_cast<std::size_t>(std::lround(sampleRate / 1000.0));
    return repetitionHz(rmsEnvelope(x, hop), sampleRate / static_cast<double>(hop), expectedHz);
}

// Instantaneous frequency of a tone from its upward zero crossings (linearly interpolated): one estimate
// per cycle, each the reciprocal of the time between consecutive crossings, paired with the time of the
// cycle's middle (seconds).
struct FrequencyTrack {
    std::vector<double> timeS;
    std::vector<double> hz;
};
inline FrequencyTrack zeroCrossingFrequency(std::span<const float> x, double sampleRate) {
    FrequencyTrack track;
    double last = -1.0;
    for (std::size_t n = 1; n < x.size(); ++n) {
        if (x[n - 1] < 0.f && x[n] >= 0.f) {
            const double t = (static_cast<double>(n) - 1.0 + x[n - 1] / (x[n - 1] - x[n])) / sampleRate;
            if (last >= 0.0) {
                track.timeS.push_back(0.5 * (t + last));
                track.hz.push_back(1.0 / (t - last));
            }
            last = t;
        }
    }
    return track;
}

} // namespace stagerack::test
