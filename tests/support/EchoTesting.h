// Helpers for testing tempo-synced and self-oscillating effects: rendering with a given (changing) global
// tempo, note-value indices by label, and the "effect into the project's limiter" ring-out check.
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/TempoSync.h"
#include "effects/dynamics/Limiter.h"
#include "tests/support/Analysis.h"
#include "tests/support/Signals.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace stagerack::test {

// Index of a note value in dsp::kSyncLabels (the value a `sync` enum parameter takes).
inline float syncValue(std::string_view label) {
    for (std::size_t i = 0; i < dsp::kSyncLabels.size(); ++i)
        if (dsp::kSyncLabels[i] == label) return static_cast<float>(i);
    throw std::invalid_argument("unknown note value '" + std::string(label) + "'");
}

// The global tempo from frame `frame` on (must be a block boundary).
struct TempoEvent {
    std::size_t frame = 0;
    double bpm = 120.0;
};

// As render(), with ProcessContext::tempoBpm starting at `bpm` and following `tempo` events.
template <fx::Effect E>
StereoBuffer renderAtTempo(double sampleRate, uint32_t blockFrames, StereoBuffer buffer, double bpm,
                           const std::vector<ParamValue>& settings = {},
                           const std::vector<TempoEvent>& tempo = {},
                           const std::vector<ParamEvent>& events = {}) {
    for (const auto& ev : tempo)
        if (ev.frame % blockFrames != 0)
            throw std::invalid_argument("renderAtTempo: event off a block boundary");
    for (const auto& ev : events)
        if (ev.frame % blockFrames != 0)
            throw std::invalid_argument("renderAtTempo: event off a block boundary");
    auto effect = std::make_unique<E>();
    prepareLikeHost(*effect, sampleRate, blockFrames, settings);
    const std::size_t total = buffer.frames();
    for (std::size_t pos = 0; pos < total;) {
        for (const auto& ev : tempo)
            if (ev.frame == pos) bpm = ev.bpm;
        for (const auto& ev : events)
            if (ev.frame == pos)
                for (const auto& v : ev.values)
                    setParam(*effect, v.id, v.value);
        const auto n = static_cast<uint32_t>(std::min<std::size_t>(blockFrames, total - pos));
        fx::StereoBlock block{buffer.left.data() + pos, buffer.right.data() + pos, n};
        fx::ProcessContext ctx;
        ctx.sampleRate = sampleRate;
        ctx.frames = n;
        ctx.tempoBpm = bpm;
        effect->process(block, ctx);
        pos += n;
    }
    return buffer;
}

struct RingOutResult {
    bool finite = true;
    float effectPeak = 0.f;  // the effect's own output, whole run
    float latePeak = 0.f;    // the effect's output in the last second
    float limitedPeak = 0.f; // after fx::Limiter at its defaults
};

// A loud burst (full-scale noise, then a full-scale low sine, `burstSeconds` long) into the effect with
// `settings`, then silence for `ringSeconds`; the output also goes through the project's limiter at its
// defaults (ceiling -1 dBFS), as it would at the end of a chain.
template <fx::Effect E>
RingOutResult ringOut(double sampleRate, const std::vector<ParamValue>& settings, double burstSeconds,
                      double ringSeconds) {
    const auto burst = static_cast<std::size_t>(burstSeconds * sampleRate);
    const auto ring = static_cast<std::size_t>(ringSeconds * sampleRate);
    // Left: noise then a sine; right: the other way round (so the channels differ).
    const std::size_t half = burst / 2;
    const std::vector<float> quiet = constant(ring, 0.f);
    StereoBuffer buffer = stereo(
        concat(concat(whiteNoise(half, 4242, 1.f), sine(220.0, sampleRate, burst - half, 1.f)), quiet),
        concat(concat(sine(220.0, sampleRate, half, 1.f), whiteNoise(burst - half, 4243, 1.f)), quiet));
    auto effect = std::make_unique<E>();
    prepareLikeHost(*effect, sampleRate, 256, settings);
    runBlocks(*effect, buffer, sampleRate, 256);
    RingOutResult r;
    r.finite = allFinite(buffer.left) && allFinite(buffer.right);
    r.effectPeak = std::max(peak(buffer.left), peak(buffer.right));
    const std::size_t total = buffer.frames();
    const Window last{total - static_cast<std::size_t>(sampleRate), total};
    r.latePeak = std::max(peak(slice(buffer.left, last)), peak(slice(buffer.right, last)));
    fx::Limiter limiter;
    prepareLikeHost(limiter, sampleRate, 256);
    runBlocks(limiter, buffer, sampleRate, 256);
    r.finite = r.finite && allFinite(buffer.left) && allFinite(buffer.right);
    r.limitedPeak = std::max(peak(buffer.left), peak(buffer.right));
    return r;
}

} // namespace stagerack::test
