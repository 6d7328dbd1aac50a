// Note values for tempo-synced LFOs and delay times. Every effect that can follow the global tempo
// (ProcessContext::tempoBpm: the BPM parameter, tap tempo, later MIDI clock) offers an enum parameter
// `sync` with these labels; "off" means the effect's own free-running rate or time is used.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace stagerack::dsp {

inline constexpr std::array<std::string_view, 19> kSyncLabels{
    "off",   "1/1",   "1/2",  "1/4",  "1/8",  "1/16", "1/32",  "1/2d",  "1/4d", "1/8d",
    "1/16d", "1/32d", "1/1t", "1/2t", "1/4t", "1/8t", "1/16t", "1/32t", "2/1"};

// Length of note value `index` (an index into kSyncLabels, > 0) in beats (quarter notes).
constexpr double syncBeats(std::size_t index) noexcept {
    constexpr double kBeats[] = {0.0,     4.0,     2.0,     1.0,      0.5,    0.25,    0.125,
                                 3.0,     1.5,     0.75,    0.375,    0.1875, 8.0 / 3, 4.0 / 3,
                                 2.0 / 3, 1.0 / 3, 1.0 / 6, 1.0 / 12, 8.0};
    return index < sizeof kBeats / sizeof kBeats[0] ? kBeats[index] : 0.0;
}

// Seconds of note value `index` at `bpm` (0 for "off" or a bad index/tempo).
constexpr double syncSeconds(std::size_t index, double bpm) noexcept {
    return bpm > 0.0 ? syncBeats(index) * 60.0 / bpm : 0.0;
}

// Rate in Hz of an LFO whose period is note value `index`.
constexpr double syncHz(std::size_t index, double bpm) noexcept {
    const double s = syncSeconds(index, bpm);
    return s > 0.0 ? 1.0 / s : 0.0;
}

static_assert(syncSeconds(3, 120.0) == 0.5);   // a quarter at 120 BPM
static_assert(syncSeconds(9, 120.0) == 0.375); // a dotted eighth at 120 BPM

} // namespace stagerack::dsp
