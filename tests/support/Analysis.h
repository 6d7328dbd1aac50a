// Measurements for DSP tests, and helpers that drive an Effect the way the engine does (prepare, every
// parameter's target, reset, then blocks of N frames).
#pragma once

#include "effects/Effect.h"
#include "tests/support/Signals.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace stagerack::test {

// ---------------------------------------------------------------------------------------------------------
// Measurements

// A half-open range of frames [begin, end).
struct Window {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::size_t size() const noexcept { return end - begin; }
};

std::span<const float> slice(const std::vector<float>& x, Window w);

// 20 log10(ratio); a zero ratio gives -400 dB rather than -inf so that comparisons stay printable.
double toDb(double ratio);

// Amplitude of the sinusoid at `freqHz` (Goertzel, rectangular window, computed in double). Exact for a
// steady sine when the window holds a whole number of its cycles.
double goertzelAmplitude(std::span<const float> x, double freqHz, double sampleRate);
double goertzelDb(std::span<const float> x, double freqHz, double sampleRate);

double rms(std::span<const float> x);
double rmsDb(std::span<const float> x);
float peak(std::span<const float> x);
std::size_t peakIndex(std::span<const float> x);

// Largest |x[n] - x[n-1]| for n in the window (needs n >= 1; earlier frames are skipped).
float maxStep(std::span<const float> x, Window w);
// Largest |x[n] - 2 x[n-1] + x[n-2]| for n in the window. The second difference is a 12 dB/octave
// high-pass (gain 4 sin^2(pi f / rate)): a sine at f keeps 4 sin^2(pi f / rate) of its amplitude, while a
// step of height h shows up as h, and a kink (a slope change of s per sample) as s.
float peakSecondDifference(std::span<const float> x, Window w);
// Click score: the peak second difference while something changes, relative to the larger of the steady
// states before and after it. About 1 means the change added nothing a steady signal does not already
// have; a step of h scores h / (4 sin^2(pi f / rate) * amplitude), about 3 for a step of 5 % of a 1 kHz
// sine's amplitude at 48 kHz.
double clickScore(std::span<const float> x, Window event, Window before, Window after);
// The same idea with the first difference: largest step during the event over the larger steady one.
double stepRatio(std::span<const float> x, Window event, Window before, Window after);

// Amplitude spectrum of x (its length must be a power of two) under a 4-term Blackman-Harris window
// (side lobes -92 dB, main lobe +-4 bins), normalised so that a sine of amplitude A centred on a bin reads A.
// Bins 0 .. N/2, bin k at k * rate / N. Radix-2 FFT in double.
std::vector<double> windowedSpectrum(std::span<const float> x);

// The strongest spectral component that is neither DC nor a harmonic k * f0 below Nyquist (each excluded
// with +-guardBins around it), relative to the fundamental. Harmonics above Nyquist fold back and count:
// they are aliases.
struct AliasReport {
    double worstDbc = -400.0;
    double worstHz = 0.0;
    double fundamentalDb = -400.0; // amplitude of the fundamental, dBFS
};
AliasReport worstNonHarmonic(std::span<const float> x, double f0, double sampleRate,
                             std::size_t guardBins = 8);

bool allFinite(std::span<const float> x);
float maxAbsDiff(std::span<const float> a, std::span<const float> b);

// ---------------------------------------------------------------------------------------------------------
// Driving effects

// What the engine does to a value before the effect sees it: clamp, and round integer-like tapers.
float constrainParam(const fx::ParamInfo& p, float v);
// A value a user could set: uniform (log-uniform for Log tapers), with the ends picked more often.
float randomParamValue(const fx::ParamInfo& p, Rng& rng);
// Human-readable problems in an effect's static metadata (empty when it is fine).
std::vector<std::string> metadataProblems(const fx::EffectInfo& info);

struct ParamValue {
    std::string_view id;
    float value = 0.f;
};

// Parameter changes made just before the block that starts at `frame` (which must be a block boundary).
struct ParamEvent {
    std::size_t frame = 0;
    std::vector<ParamValue> values;
};

template <fx::Effect E>
std::size_t paramIndex(std::string_view id) {
    for (std::size_t i = 0; i < E::kParams.size(); ++i)
        if (E::kParams[i].id == id) return i;
    throw std::invalid_argument("unknown parameter id '" + std::string(id) + "' of effect " +
                                std::string(E::kId));
}

template <fx::Effect E>
void setParam(E& effect, std::string_view id, float value) {
    const std::size_t i = paramIndex<E>(id);
    effect.setParam(i, constrainParam(E::kParams[i], value));
}

// prepare, then every parameter's target (its default unless given), then reset() to snap the smoothers:
// the order the engine uses.
template <fx::Effect E>
void prepareLikeHost(E& effect, double sampleRate, uint32_t maxBlock,
                     const std::vector<ParamValue>& values = {}) {
    for (const auto& v : values)
        (void)paramIndex<E>(v.id); // reject typos loudly
    effect.prepare(sampleRate, maxBlock);
    for (std::size_t i = 0; i < E::kParams.size(); ++i) {
        float value = E::kParams[i].def;
        for (const auto& v : values)
            if (v.id == E::kParams[i].id) value = v.value;
        effect.setParam(i, constrainParam(E::kParams[i], value));
    }
    effect.reset();
}

// Processes `buffer` in place in blocks of `blockFrames` (the last one may be shorter);
// `beforeBlock(frameOffset, frames)` runs before each block.
template <fx::Effect E, typename BeforeBlock>
void runBlocks(E& effect, StereoBuffer& buffer, double sampleRate, uint32_t blockFrames,
               BeforeBlock&& beforeBlock) {
    const std::size_t total = buffer.frames();
    if (buffer.right.size() != total) throw std::invalid_argument("runBlocks: channel lengths differ");
    for (std::size_t pos = 0; pos < total;) {
        const auto n = static_cast<uint32_t>(std::min<std::size_t>(blockFrames, total - pos));
        beforeBlock(pos, n);
        fx::StereoBlock block{buffer.left.data() + pos, buffer.right.data() + pos, n};
        fx::ProcessContext ctx;
        ctx.sampleRate = sampleRate;
        ctx.frames = n;
        effect.process(block, ctx);
        pos += n;
    }
}

template <fx::Effect E>
void runBlocks(E& effect, StereoBuffer& buffer, double sampleRate, uint32_t blockFrames) {
    runBlocks(effect, buffer, sampleRate, blockFrames, [](std::size_t, uint32_t) {});
}

// A fresh effect prepared with `settings`, run over `input` in blocks of `blockFrames`, with `events`.
template <fx::Effect E>
StereoBuffer render(double sampleRate, uint32_t blockFrames, StereoBuffer input,
                    const std::vector<ParamValue>& settings = {},
                    const std::vector<ParamEvent>& events = {}) {
    for (const auto& ev : events)
        if (ev.frame % blockFrames != 0) throw std::invalid_argument("render: event not on a block boundary");
    auto effect = std::make_unique<E>();
    prepareLikeHost(*effect, sampleRate, blockFrames, settings);
    runBlocks(*effect, input, sampleRate, blockFrames, [&](std::size_t pos, uint32_t) {
        for (const auto& ev : events)
            if (ev.frame == pos)
                for (const auto& v : ev.values)
                    setParam(*effect, v.id, v.value);
    });
    return input;
}

// Largest difference between the output for blocks of 1 frame and for each of the other sizes.
// Events must sit on frames that are multiples of every size (17408 = 17 * 1024 works for 1, 17, 64, 1024).
template <fx::Effect E>
float blockSizeDeviation(double sampleRate, const StereoBuffer& input,
                         const std::vector<ParamValue>& settings, const std::vector<ParamEvent>& events,
                         std::initializer_list<uint32_t> sizes = {1, 17, 64, 1024}) {
    const StereoBuffer reference = render<E>(sampleRate, 1, input, settings, events);
    float worst = 0.f;
    for (uint32_t size : sizes) {
        const StereoBuffer out = render<E>(sampleRate, size, input, settings, events);
        worst =
            std::max({worst, maxAbsDiff(reference.left, out.left), maxAbsDiff(reference.right, out.right)});
    }
    return worst;
}

// Stepping one parameter mid-sine.
struct StepSpec {
    double sampleRate = 48000.0;
    double freqHz = 997.0;
    float amplitude = 0.25f;
    std::size_t stepAt = 24000;      // frame of the step (a multiple of blockFrames)
    std::size_t eventFrames = 4800;  // how long the change may take to settle
    std::size_t steadyFrames = 4800; // reference windows before the step and after the event
    uint32_t blockFrames = 64;
};

struct StepResult {
    double clickScore = 0.0; // worst channel
    double stepRatio = 0.0;  // worst channel
    // Largest difference the step made to the output, relative to the input amplitude: guards against a
    // step that changes nothing (and so trivially does not click).
    double effect = 0.0;
    StereoBuffer output;
};

// Left is a sine faded in over 10 ms, right the same sine a quarter cycle later (so mono and balance have
// something to do). `scenario` events (e.g. opening a gate just before) apply with and without the step.
template <fx::Effect E>
StepResult stepParamMidSine(const StepSpec& spec, const std::vector<ParamValue>& settings,
                            std::string_view id, float from, float to,
                            const std::vector<ParamEvent>& scenario = {}) {
    const std::size_t frames = spec.stepAt + spec.eventFrames + spec.steadyFrames;
    if (spec.stepAt < spec.steadyFrames)
        throw std::invalid_argument("stepParamMidSine: no steady state before");
    const auto fade = static_cast<std::size_t>(0.01 * spec.sampleRate);
    const StereoBuffer input =
        stereo(fadedSine(spec.freqHz, spec.sampleRate, frames, spec.amplitude, fade),
               fadedSine(spec.freqHz, spec.sampleRate, frames, spec.amplitude, fade, 1.5707963267948966));
    std::vector<ParamValue> start = settings;
    start.push_back({id, from});
    std::vector<ParamEvent> events = scenario;
    const StereoBuffer unchanged = render<E>(spec.sampleRate, spec.blockFrames, input, start, events);
    events.push_back(ParamEvent{spec.stepAt, {{id, to}}});
    StepResult result;
    result.output = render<E>(spec.sampleRate, spec.blockFrames, input, start, events);
    const Window before{spec.stepAt - spec.steadyFrames, spec.stepAt};
    const Window event{spec.stepAt, spec.stepAt + spec.eventFrames};
    const Window after{event.end, frames};
    const Window changed{spec.stepAt, frames};
    for (const auto* ch : {&result.output.left, &result.output.right}) {
        result.clickScore = std::max(result.clickScore, clickScore(*ch, event, before, after));
        result.stepRatio = std::max(result.stepRatio, stepRatio(*ch, event, before, after));
    }
    result.effect =
        std::max(maxAbsDiff(slice(result.output.left, changed), slice(unchanged.left, changed)),
                 maxAbsDiff(slice(result.output.right, changed), slice(unchanged.right, changed))) /
        spec.amplitude;
    return result;
}

struct SoakResult {
    bool finite = true;
    float inputPeak = 0.f;
    float outputPeak = 0.f;
    std::size_t paramChanges = 0;
};

// White noise through the effect in blocks of random length (1..maxBlock), with random parameter changes
// before every block.
template <fx::Effect E>
SoakResult randomParamSoak(double sampleRate, double seconds, uint32_t maxBlock, uint64_t seed,
                           float amplitude) {
    const auto frames = static_cast<std::size_t>(seconds * sampleRate);
    StereoBuffer buffer =
        stereo(whiteNoise(frames, seed + 1, amplitude), whiteNoise(frames, seed + 2, amplitude));
    SoakResult result;
    result.inputPeak = std::max(peak(buffer.left), peak(buffer.right));
    auto effect = std::make_unique<E>();
    prepareLikeHost(*effect, sampleRate, maxBlock);
    Rng rng(seed);
    for (std::size_t pos = 0; pos < frames;) {
        for (std::size_t i = 0; i < E::kParams.size(); ++i) {
            if (rng.uniform() < 0.5) {
                effect->setParam(i, randomParamValue(E::kParams[i], rng));
                ++result.paramChanges;
            }
        }
        const auto n = static_cast<uint32_t>(std::min<std::size_t>(1 + rng.below(maxBlock), frames - pos));
        fx::StereoBlock block{buffer.left.data() + pos, buffer.right.data() + pos, n};
        fx::ProcessContext ctx;
        ctx.sampleRate = sampleRate;
        ctx.frames = n;
        effect->process(block, ctx);
        pos += n;
    }
    result.finite = allFinite(buffer.left) && allFinite(buffer.right);
    result.outputPeak = std::max(peak(buffer.left), peak(buffer.right));
    return result;
}

} // namespace stagerack::test
