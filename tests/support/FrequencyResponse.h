// Measured frequency response of an Effect: steady-state sine gains and the frequency of the highest gain.
// Header-only so that it adds to the shared support without touching its existing files.
#pragma once

#include "effects/Effect.h"
#include "tests/support/Analysis.h"
#include "tests/support/Signals.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace stagerack::test {

struct SineProbe {
    double settleSeconds = 0.25; // ignored output while the filter settles
    double measureCycles = 100;  // at least this many whole cycles are measured (and at least 20 ms)
    float amplitude = 0.25f;
    uint32_t blockFrames = 256;
};

// Gain in dB of the left output over the left input at `freqHz`, by Goertzel over a whole number of cycles
// after the settling time (the same window of the input is the reference, so the sine's own rounding
// cancels).
template <fx::Effect E>
double measuredGainDb(double sampleRate, const std::vector<ParamValue>& settings, double freqHz,
                      const SineProbe& probe = {}) {
    const auto settle = static_cast<std::size_t>(probe.settleSeconds * sampleRate);
    const double cycles = std::max(probe.measureCycles, std::ceil(0.02 * freqHz));
    const auto window = static_cast<std::size_t>(std::lround(cycles * sampleRate / freqHz));
    const std::vector<float> x = sine(freqHz, sampleRate, settle + window, probe.amplitude);
    const StereoBuffer out = render<E>(sampleRate, probe.blockFrames, dualMono(x), settings);
    const Window w{settle, settle + window};
    return goertzelDb(slice(out.left, w), freqHz, sampleRate) - goertzelDb(slice(x, w), freqHz, sampleRate);
}

// The frequency in [loHz, hiHz] where `gainDb(f)` is highest: a log grid of `stepsPerOctave`, then a
// parabola through the best point and its neighbours on a grid eight times finer.
template <typename GainDb>
double peakFrequency(GainDb&& gainDb, double loHz, double hiHz, double stepsPerOctave = 24.0) {
    const double step = std::pow(2.0, 1.0 / stepsPerOctave);
    double best = loHz;
    double bestDb = -1e300;
    for (double f = loHz; f <= hiHz * 1.0000001; f *= step) {
        const double db = gainDb(f);
        if (db > bestDb) {
            bestDb = db;
            best = f;
        }
    }
    const double fine = std::pow(step, 1.0 / 8.0);
    for (int i = -8; i <= 8; ++i) {
        const double f = best * std::pow(fine, i);
        if (i == 0) continue;
        const double db = gainDb(f);
        if (db > bestDb) {
            bestDb = db;
            best = f;
        }
    }
    const double lo = gainDb(best / fine);
    const double hi = gainDb(best * fine);
    const double denom = lo - 2.0 * bestDb + hi;
    const double offset = denom < 0.0 ? 0.5 * (lo - hi) / denom : 0.0; // in fine steps, |offset| <= 0.5
    return best * std::pow(fine, std::clamp(offset, -0.5, 0.5));
}

} // namespace stagerack::test
