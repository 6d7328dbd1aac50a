// Driving an effect the way the engine does when it also feeds MIDI and a side-chain (the vocoder's
// carrier_in): MIDI events on an absolute timeline are split into the blocks they fall in, with offsets
// relative to each block (as the JACK backend and the engine's block splitter deliver them), and the
// side-chain pointer advances with the block.
// Header-only and new, so that it adds to the shared support without touching its existing files.
#pragma once

#include "effects/Effect.h"
#include "tests/support/Analysis.h"
#include "tests/support/Signals.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

namespace stagerack::test {

struct TimedMidi {
    std::size_t frame = 0; // absolute frame from the start of the render
    uint8_t size = 3;
    std::array<uint8_t, 3> data{};
};

inline TimedMidi midiNoteOn(std::size_t frame, int note, int velocity = 100, int channel = 1) {
    return {frame,
            3,
            {static_cast<uint8_t>(0x90 | ((channel - 1) & 0x0F)), static_cast<uint8_t>(note),
             static_cast<uint8_t>(velocity)}};
}
inline TimedMidi midiNoteOff(std::size_t frame, int note, int channel = 1) {
    return {frame, 3, {static_cast<uint8_t>(0x80 | ((channel - 1) & 0x0F)), static_cast<uint8_t>(note), 0}};
}
inline TimedMidi midiControl(std::size_t frame, int controller, int value, int channel = 1) {
    return {frame,
            3,
            {static_cast<uint8_t>(0xB0 | ((channel - 1) & 0x0F)), static_cast<uint8_t>(controller),
             static_cast<uint8_t>(value)}};
}
// bend in -8192..8191
inline TimedMidi midiPitchBend(std::size_t frame, int bend, int channel = 1) {
    const int v = std::clamp(bend + 8192, 0, 16383);
    return {frame,
            3,
            {static_cast<uint8_t>(0xE0 | ((channel - 1) & 0x0F)), static_cast<uint8_t>(v & 0x7F),
             static_cast<uint8_t>(v >> 7)}};
}

struct HostedInput {
    StereoBuffer audio;
    const std::vector<float>* sidechain = nullptr; // null: carrier_in not connected
    std::vector<TimedMidi> midi;                   // any order; stable-sorted by frame
};

// Processes `effect` (already prepared) over the input in blocks of `blockFrames`; parameter `events`
// apply before the block that starts at their frame. Returns the output.
template <fx::Effect E>
StereoBuffer runHosted(E& effect, double sampleRate, uint32_t blockFrames, const HostedInput& input,
                       const std::vector<ParamEvent>& events = {}) {
    StereoBuffer buffer = input.audio;
    const std::size_t total = buffer.frames();
    if (input.sidechain != nullptr && input.sidechain->size() < total)
        throw std::invalid_argument("runHosted: side-chain shorter than the audio");
    std::vector<TimedMidi> midi = input.midi;
    std::stable_sort(midi.begin(), midi.end(),
                     [](const TimedMidi& a, const TimedMidi& b) { return a.frame < b.frame; });
    std::vector<fx::MidiEvent> blockEvents;
    blockEvents.reserve(midi.size());
    std::size_t next = 0;
    for (std::size_t pos = 0; pos < total;) {
        const auto n = static_cast<uint32_t>(std::min<std::size_t>(blockFrames, total - pos));
        for (const auto& ev : events)
            if (ev.frame == pos)
                for (const auto& v : ev.values)
                    setParam(effect, v.id, v.value);
        blockEvents.clear();
        while (next < midi.size() && midi[next].frame < pos + n) {
            fx::MidiEvent e;
            e.offset = static_cast<uint32_t>(midi[next].frame >= pos ? midi[next].frame - pos : 0);
            e.size = midi[next].size;
            e.data = midi[next].data;
            blockEvents.push_back(e);
            ++next;
        }
        fx::StereoBlock block{buffer.left.data() + pos, buffer.right.data() + pos, n};
        fx::ProcessContext ctx;
        ctx.sampleRate = sampleRate;
        ctx.frames = n;
        ctx.midi = blockEvents;
        ctx.sidechain = input.sidechain != nullptr ? input.sidechain->data() + pos : nullptr;
        effect.process(block, ctx);
        pos += n;
    }
    return buffer;
}

// A fresh effect prepared with `settings` (as prepareLikeHost), then runHosted.
template <fx::Effect E>
StereoBuffer renderHosted(double sampleRate, uint32_t blockFrames, const HostedInput& input,
                          const std::vector<ParamValue>& settings = {},
                          const std::vector<ParamEvent>& events = {}) {
    for (const auto& ev : events)
        if (ev.frame % blockFrames != 0)
            throw std::invalid_argument("renderHosted: event not on a block boundary");
    auto effect = std::make_unique<E>();
    prepareLikeHost(*effect, sampleRate, blockFrames, settings);
    return runHosted(*effect, sampleRate, blockFrames, input, events);
}

} // namespace stagerack::test
