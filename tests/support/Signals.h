// Test signals: deterministic on every machine (fixed seeds, our own generator), computed in double.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace stagerack::test {

// SplitMix64. Used instead of <random> distributions, whose output differs between standard libraries.
class Rng {
public:
    explicit Rng(uint64_t seed) noexcept
        : state_(seed) {}
    uint64_t nextU64() noexcept;
    double uniform() noexcept; // [0, 1)
    double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform(); }
    uint32_t below(uint32_t n) noexcept { return static_cast<uint32_t>(uniform() * n); }

private:
    uint64_t state_;
};

std::vector<float> sine(double freqHz, double sampleRate, std::size_t frames, float amplitude = 1.f,
                        double phaseRad = 0.0);
// A sine that fades in over `fadeFrames` (raised cosine) so that its start does not click; delays
// would otherwise echo the onset into the measurement.
std::vector<float> fadedSine(double freqHz, double sampleRate, std::size_t frames, float amplitude,
                             std::size_t fadeFrames, double phaseRad = 0.0);
// A sine in [start, start + length) with raised-cosine fades of `fadeFrames` at both ends, zero elsewhere;
// its phase is zero at `start`.
std::vector<float> toneBurst(double freqHz, double sampleRate, std::size_t frames, std::size_t start,
                             std::size_t length, float amplitude, std::size_t fadeFrames);
std::vector<float> impulse(std::size_t frames, std::size_t at = 0, float amplitude = 1.f);
std::vector<float> constant(std::size_t frames, float value);
// Uniform white noise in [-amplitude, amplitude).
std::vector<float> whiteNoise(std::size_t frames, uint64_t seed, float amplitude = 1.f);
// `a` followed by `b`.
std::vector<float> concat(const std::vector<float>& a, const std::vector<float>& b);

struct StereoBuffer {
    std::vector<float> left;
    std::vector<float> right;
    std::size_t frames() const noexcept { return left.size(); }
};

StereoBuffer stereo(std::vector<float> left, std::vector<float> right);
StereoBuffer dualMono(const std::vector<float>& x);

} // namespace stagerack::test
