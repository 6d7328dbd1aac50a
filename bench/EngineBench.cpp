// Google Benchmark of Engine::process: empty chain and one slot per built-in effect, blocks 32/64/256.
// items_per_second counts samples; ns/sample = 1e9 / items_per_second.
#include "engine/Engine.h"

#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

namespace {

using stagerack::engine::AudioIO;
using stagerack::engine::Engine;
using stagerack::engine::Registry;

void runEngine(benchmark::State& state, const std::string& spec) {
    const auto block = static_cast<uint32_t>(state.range(0));
    Engine engine;
    engine.configure(48000.0, block);
    engine.setChain(spec);
    engine.settle();
    std::vector<float> in(block), outL(block), outR(block);
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> dist(-0.25f, 0.25f);
    for (auto& x : in)
        x = dist(rng);
    AudioIO io;
    io.in1 = in.data();
    io.outL = outL.data();
    io.outR = outR.data();
    io.frames = block;
    for (auto _ : state) {
        engine.process(io);
        benchmark::DoNotOptimize(outL.data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * block);
    // kIsRate|kInvert reports seconds / value: with value = samples * 1e-9 that is ns per sample.
    state.counters["ns_per_sample"] =
        benchmark::Counter(static_cast<double>(state.iterations()) * block * 1e-9,
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_EmptyChain(benchmark::State& state) {
    runEngine(state, "");
}
BENCHMARK(BM_EmptyChain)->Arg(32)->Arg(64)->Arg(256);

struct Registrar {
    Registrar() {
        for (const auto& e : Registry::builtin().all()) {
            const std::string id(e.info.id);
            benchmark::RegisterBenchmark(("BM_Effect/" + id).c_str(),
                                         [id](benchmark::State& s) { runEngine(s, id); })
                ->Arg(32)
                ->Arg(64)
                ->Arg(256);
        }
    }
} registrar;

} // namespace

BENCHMARK_MAIN();
