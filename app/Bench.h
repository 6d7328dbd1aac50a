// `stagerack bench`: cost of the engine, of each effect and of a given chain, measured here.
#pragma once

#include "engine/Registry.h"

#include <string>
#include <vector>

namespace stagerack::app {

struct BenchResult {
    std::string name;
    double nsPerSample = 0.0;
    double percentCore = 0.0; // of one core at the bench sample rate
};

struct BenchOptions {
    double rate = 48000.0;
    uint32_t block = 64;
    double seconds = 0.5; // audio measured per repetition
    int repetitions = 5;  // the median is reported
    std::string chain;    // optional extra row
    std::string only;     // optional: a single effect id
};

std::vector<BenchResult> runBench(const BenchOptions& options,
                                  const engine::Registry& registry = engine::Registry::builtin());

} // namespace stagerack::app
