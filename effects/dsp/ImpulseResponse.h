// Loading impulse responses for convolution (control threads only: reads files and allocates).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace stagerack::dsp {

struct ImpulseResponse {
    std::vector<float> left;
    std::vector<float> right; // equal to left for a mono file
    double sampleRate = 0.0;
    bool stereo = false;
};

// Reads a WAV/FLAC/AIFF... file (libsndfile): mono or stereo, 8 kHz to 384 kHz, at most maxSeconds long,
// not silent, all finite; resampled to targetRate when it differs. Throws std::runtime_error with a
// one-line reason otherwise.
ImpulseResponse loadImpulseResponse(const std::string& path, double targetRate, double maxSeconds);

// The same checks and resampling for samples already in memory (built-in responses).
ImpulseResponse makeImpulseResponse(std::vector<float> left, std::vector<float> right, double rate,
                                    double targetRate);

// Parses a RIFF/WAVE file held in memory with 32-bit float or 16/24-bit PCM mono samples.
// Throws std::runtime_error on anything else.
std::vector<float> decodeMonoWav(std::span<const unsigned char> bytes, double& sampleRate);

// Band-limited resampling (zita-resampler) of a whole signal, keeping its time alignment.
std::vector<float> resample(const std::vector<float>& in, double fromRate, double toRate);

} // namespace stagerack::dsp
