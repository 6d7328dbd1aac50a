// Test signals for the tuner: plucked stiff strings, harmonic tones, glides, noise and hum. Deterministic
// (fixed seeds, stagerack::test::Rng), computed in double. Every generator states its truth: the frequency
// a correct tuner must read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace stagerack::test::tuner {

// A plucked stiff string. Partial k sits at k f0 sqrt(1 + B k^2) / sqrt(1 + B), so the fundamental is
// exactly f0 (the truth) while the upper partials are sharp, as on a real string. Amplitudes follow a pluck
// at `position` of the length seen by a velocity pickup (|sin(k pi position)| / k); partial k decays with
// time constant decayS / (1 + 0.4 (k - 1)), so higher partials die sooner. Partials stop below 0.45 x the
// sample rate and 8 kHz. The attack is a 1 ms raised cosine; phases are random (seeded).
struct PluckSpec {
    double f0 = 110.0;
    double seconds = 2.5;
    double amplitude = 0.3; // peak of the fundamental at the attack
    double inharmonicity = 1e-4;
    double decayS = 2.0;
    double position = 0.2;
    uint64_t seed = 1;
    // Tension modulation: a hard pluck starts sharp, every partial by the same ratio, and settles as
    // the amplitude decays: f(t) = f_nominal (1 + (2^(drift/1200) - 1) e^(-t / driftTauS)). The truth is
    // the nominal frequency once the drift has died away, and the instantaneous frequency before.
    double attackDriftCents = 0.0;
    double driftTauS = 0.1;
    double truthAt(double t) const;
};
std::vector<float> pluck(const PluckSpec& spec, double sampleRate);

// Sum of harmonics k f0 with amplitudes[k - 1], random phases (seeded).
std::vector<float> harmonicTone(double f0, double sampleRate, std::size_t frames,
                                const std::vector<double>& amplitudes, uint64_t seed);

// A harmonic tone (harmonics 1/k, 6 of them) whose frequency holds f1 until startS, moves
// exponentially to f2 over glideS, then holds f2. Returns the samples; truthAt() gives the frequency.
struct Glide {
    double f1 = 110.0;
    double f2 = 123.47;
    double startS = 1.0;
    double glideS = 0.3;
    double seconds = 2.5;
    double truthAt(double t) const;
};
std::vector<float> glideTone(const Glide& g, double sampleRate, float amplitude);

// Gaussian white noise (Box-Muller) of the given RMS.
std::vector<float> gaussianNoise(std::size_t frames, double rmsLevel, uint64_t seed);
// Adds noise at `snrDb` below the RMS of x[begin, end).
void addNoise(std::vector<float>& x, double snrDb, std::size_t begin, std::size_t end, uint64_t seed);
// Adds mains hum: 50 Hz at `amplitude` plus its third harmonic at a third of that.
void addHum(std::vector<float>& x, double sampleRate, double amplitude, double mainsHz = 50.0);
// Mixes b into a starting at frame `at` (a grows if needed).
void mixAt(std::vector<float>& a, const std::vector<float>& b, std::size_t at);
// Fades x out over `fade` frames from `at` and silences the rest (a muted string).
void muteFrom(std::vector<float>& x, std::size_t at, std::size_t fade);

} // namespace stagerack::test::tuner
