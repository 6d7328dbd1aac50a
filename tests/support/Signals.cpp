#include "tests/support/Signals.h"

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <utility>

namespace stagerack::test {

uint64_t Rng::nextU64() noexcept {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double Rng::uniform() noexcept {
    return static_cast<double>(nextU64() >> 11) * 0x1.0p-53;
}

std::vector<float> sine(double freqHz, double sampleRate, std::size_t frames, float amplitude,
                        double phaseRad) {
    std::vector<float> out(frames);
    const double w = 2.0 * std::numbers::pi * freqHz / sampleRate;
    for (std::size_t n = 0; n < frames; ++n)
        out[n] = static_cast<float>(amplitude * std::sin(w * static_cast<double>(n) + phaseRad));
    return out;
}

namespace {

double raisedCosine(std::size_t n, std::size_t length) {
    return 0.5 - 0.5 * std::cos(std::numbers::pi * static_cast<double>(n) / static_cast<double>(length));
}

} // namespace

std::vector<float> fadedSine(double freqHz, double sampleRate, std::size_t frames, float amplitude,
                             std::size_t fadeFrames, double phaseRad) {
    std::vector<float> out = sine(freqHz, sampleRate, frames, amplitude, phaseRad);
    for (std::size_t n = 0; n < fadeFrames && n < frames; ++n)
        out[n] = static_cast<float>(out[n] * raisedCosine(n, fadeFrames));
    return out;
}

std::vector<float> toneBurst(double freqHz, double sampleRate, std::size_t frames, std::size_t start,
                             std::size_t length, float amplitude, std::size_t fadeFrames) {
    if (start + length > frames || 2 * fadeFrames > length)
        throw std::invalid_argument("toneBurst: bad layout");
    std::vector<float> out(frames, 0.f);
    const double w = 2.0 * std::numbers::pi * freqHz / sampleRate;
    for (std::size_t n = 0; n < length; ++n) {
        double env = 1.0;
        if (n < fadeFrames)
            env = raisedCosine(n, fadeFrames);
        else if (n >= length - fadeFrames)
            env = raisedCosine(length - n, fadeFrames);
        out[start + n] = static_cast<float>(amplitude * env * std::sin(w * static_cast<double>(n)));
    }
    return out;
}

std::vector<float> impulse(std::size_t frames, std::size_t at, float amplitude) {
    std::vector<float> out(frames, 0.f);
    if (at < frames) out[at] = amplitude;
    return out;
}

std::vector<float> constant(std::size_t frames, float value) {
    return std::vector<float>(frames, value);
}

std::vector<float> whiteNoise(std::size_t frames, uint64_t seed, float amplitude) {
    Rng rng(seed);
    std::vector<float> out(frames);
    for (auto& x : out)
        x = static_cast<float>(amplitude * (2.0 * rng.uniform() - 1.0));
    return out;
}

std::vector<float> concat(const std::vector<float>& a, const std::vector<float>& b) {
    std::vector<float> out(a);
    out.insert(out.end(), b.begin(), b.end());
    return out;
}

StereoBuffer stereo(std::vector<float> left, std::vector<float> right) {
    if (left.size() != right.size()) throw std::invalid_argument("stereo: channel lengths differ");
    return StereoBuffer{std::move(left), std::move(right)};
}

StereoBuffer dualMono(const std::vector<float>& x) {
    return StereoBuffer{x, x};
}

} // namespace stagerack::test
