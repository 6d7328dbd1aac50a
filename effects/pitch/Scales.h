// Keys and scales for the harmonizer: the seven modes of the major scale plus harmonic minor, the nearest
// scale note to a played pitch, and the distance in semitones from a scale note to the one some scale steps
// away (a "diatonic third up" is two steps: C to E in C major is 4 semitones, D to F is 3).
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <string_view>

namespace stagerack::fx {

enum class Scale : int { Major, NaturalMinor, Dorian, Phrygian, Lydian, Mixolydian, Locrian, HarmonicMinor };
inline constexpr std::size_t kScaleCount = 8;

// Semitones of each degree above the tonic.
inline constexpr std::array<std::array<int, 7>, kScaleCount> kScaleDegrees{{
    {0, 2, 4, 5, 7, 9, 11}, // major (ionian)
    {0, 2, 3, 5, 7, 8, 10}, // natural minor (aeolian)
    {0, 2, 3, 5, 7, 9, 10}, // dorian
    {0, 1, 3, 5, 7, 8, 10}, // phrygian
    {0, 2, 4, 6, 7, 9, 11}, // lydian
    {0, 2, 4, 5, 7, 9, 10}, // mixolydian
    {0, 1, 3, 5, 6, 8, 10}, // locrian
    {0, 2, 3, 5, 7, 8, 11}, // harmonic minor
}};

inline constexpr std::array<std::string_view, kScaleCount> kScaleLabels{
    "major", "natural_minor", "dorian", "phrygian", "lydian", "mixolydian", "locrian", "harmonic_minor"};
inline constexpr std::array<std::string_view, 12> kKeyLabels{"C",  "C#", "D",  "D#", "E",  "F",
                                                             "F#", "G",  "G#", "A",  "A#", "B"};

// A note of the scale: `index` counts scale steps from the tonic of octave 0 (7 per octave, negative
// below), so index 9 is the third degree of octave 1.
struct ScaleNote {
    int index = 0;
    constexpr int octave() const noexcept { return index >= 0 ? index / 7 : -((-index + 6) / 7); }
    constexpr int degree() const noexcept { return index - 7 * octave(); }
    // Semitones above the tonic of octave 0.
    constexpr int semitones(const std::array<int, 7>& scale) const noexcept {
        return 12 * octave() + scale[static_cast<std::size_t>(degree())];
    }
};

// The scale note nearest to `semitones` (a continuous pitch, semitones above the tonic of octave 0).
inline ScaleNote nearestScaleNote(const std::array<int, 7>& scale, double semitones) noexcept {
    const int octave = static_cast<int>(std::floor(semitones / 12.0));
    ScaleNote best{7 * octave};
    double bestDistance = 1e9;
    for (int index = 7 * (octave - 1); index < 7 * (octave + 2); ++index) {
        const ScaleNote n{index};
        const double d = std::fabs(semitones - n.semitones(scale));
        if (d < bestDistance) {
            bestDistance = d;
            best = n;
        }
    }
    return best;
}

// Semitones from `from` to the scale note `steps` scale steps above it (below if negative).
inline int diatonicShift(const std::array<int, 7>& scale, ScaleNote from, int steps) noexcept {
    return ScaleNote{from.index + steps}.semitones(scale) - from.semitones(scale);
}

} // namespace stagerack::fx
