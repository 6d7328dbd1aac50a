// Offline driver: the same Engine::process over a file, block by block, deterministic.
#pragma once

#include "engine/Registry.h"

#include <cstdint>
#include <string>

namespace stagerack::engine {

struct RenderOptions {
    std::string input;
    std::string output;
    std::string chain;
    uint32_t block = 256;
    double tailSeconds = 0.0;
    double tempoBpm = 120.0; // the global tempo tempo-synced effects follow
};

struct RenderResult {
    double sampleRate = 0.0;
    uint64_t framesIn = 0;
    uint64_t framesOut = 0;
    int channelsIn = 0;
    uint32_t latency = 0;
};

// Reads a mono or stereo file, writes a stereo 32-bit float WAV at the input's sample rate. The output
// appears only when complete (temporary file, fsync, rename). Throws stagerack::Error on bad input.
RenderResult renderFile(const RenderOptions& options, const Registry& registry = Registry::builtin());

// Write a file atomically: temporary file next to it, fsync, rename; the previous file becomes `.bak`
// when keepBackup is set. Throws stagerack::Error.
void writeFileAtomically(const std::string& path, const std::string& contents, bool keepBackup);

} // namespace stagerack::engine
