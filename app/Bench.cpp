#include "app/Bench.h"

#include "engine/Engine.h"
#include "engine/Error.h"
#include "engine/RtScope.h"
#include "engine/tuner/PitchDetector.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <sndfile.h>
#include <span>
#include <string_view>
#include <unistd.h>
#include <utility>

namespace stagerack::app {

namespace {

using Clock = std::chrono::steady_clock;

// Median over repetitions of the time per sample of `run(frames)` applied block by block.
template <typename Run>
double measure(const BenchOptions& opt, Run&& run) {
    const auto total = static_cast<uint64_t>(opt.seconds * opt.rate);
    // Warm caches, smoothers and branch predictors first.
    for (uint64_t done = 0; done < total / 4; done += opt.block)
        run(opt.block);
    std::vector<double> samples;
    for (int r = 0; r < opt.repetitions; ++r) {
        const auto t0 = Clock::now();
        uint64_t done = 0;
        for (; done < total; done += opt.block)
            run(opt.block);
        const auto ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
        samples.push_back(ns / static_cast<double>(done));
    }
    std::sort(samples.begin(), samples.end());
    return samples[samples.size() / 2];
}

BenchResult row(const std::string& name, double ns, double rate) {
    return {name, ns, ns * rate / 1e9 * 100.0};
}

// Extra rows for effects whose cost depends on their settings or on what they are fed.
struct BenchVariant {
    enum class Input { Noise, Pluck };
    std::string_view effect;
    std::string_view label;
    std::vector<std::pair<std::string, std::string>> settings;
    Input input = Input::Noise;
    bool sidechain = true; // noise on carrier_in
    bool chord = false;    // a held four-note MIDI chord
};

const std::vector<BenchVariant>& benchVariants() {
    using In = BenchVariant::Input;
    static const std::vector<BenchVariant> variants{
        {"octaver", "110 Hz pluck", {}, In::Pluck},
        {"pitch_shift", "live, +7 st, 110 Hz pluck", {{"mode", "live"}, {"semitones", "7"}}, In::Pluck},
        {"pitch_shift", "quality, +7 st, 110 Hz pluck", {{"mode", "quality"}, {"semitones", "7"}}, In::Pluck},
        {"harmonizer", "2 voices, diatonic, 110 Hz pluck", {{"voices", "2"}}, In::Pluck},
        {"harmonizer",
         "2 voices, MIDI chord, 110 Hz pluck",
         {{"voices", "2"}, {"mode", "midi"}},
         In::Pluck,
         false,
         true},
        {"vocoder", "16 bands, carrier_in", {{"bands", "16"}, {"carrier", "external"}}},
        {"vocoder", "32 bands, carrier_in", {{"bands", "32"}, {"carrier", "external"}}},
        {"vocoder",
         "16 bands, synth, 4 notes",
         {{"bands", "16"}, {"carrier", "synth"}},
         In::Noise,
         false,
         true},
        {"looper", "recording", {{"transport", "record"}}},
    };
    return variants;
}

} // namespace

std::vector<BenchResult> runBench(const BenchOptions& opt, const engine::Registry& registry) {
    if (opt.block == 0 || opt.block > engine::Engine::kMaxBlock)
        throw Error("block size", std::to_string(opt.block) + " is outside 1.." +
                                      std::to_string(engine::Engine::kMaxBlock));
    if (opt.rate < 8000 || opt.rate > 384000)
        throw Error("sample rate", std::to_string(opt.rate) + " Hz is outside 8000..384000");
    if (!opt.only.empty() && opt.only != "tuner" && !registry.find(opt.only))
        throw Error(opt.only, "unknown effect (see 'stagerack effects')");
    if (!opt.chain.empty()) {
        engine::Engine probe(registry); // a bad chain fails before minutes of measuring
        probe.configure(opt.rate, opt.block);
        probe.setChain(opt.chain);
    }

    // Input: a guitar-like level of noise, the same for every row.
    std::vector<float> noise(opt.block * 64);
    std::mt19937 rng(1234);
    std::uniform_real_distribution<float> dist(-0.25f, 0.25f);
    for (auto& x : noise)
        x = dist(rng);
    std::vector<float> l(opt.block), r(opt.block), outL(opt.block), outR(opt.block);
    std::size_t cursor = 0;
    auto nextInput = [&]() -> const float* {
        const float* p = noise.data() + cursor;
        cursor = (cursor + opt.block) % (noise.size() - opt.block + 1);
        return p;
    };

    std::vector<BenchResult> results;
    auto benchEngine = [&](const std::string& name, const std::string& spec) {
        engine::Engine eng(registry);
        eng.configure(opt.rate, opt.block);
        eng.setChain(spec);
        eng.settle();
        const double ns = measure(opt, [&](uint32_t n) {
            engine::AudioIO io;
            io.in1 = nextInput();
            io.outL = outL.data();
            io.outR = outR.data();
            io.frames = n;
            eng.process(io);
        });
        results.push_back(row(name, ns, opt.rate));
    };

    if (opt.only.empty()) benchEngine("engine (empty chain)", "");

    // A plucked 110 Hz tone with harmonics (2 s, repeating): pitch trackers see a voiced guitar note.
    std::vector<float> pluck(static_cast<std::size_t>(opt.rate * 2));
    for (std::size_t i = 0; i < pluck.size(); ++i) {
        const double t = static_cast<double>(i) / opt.rate;
        double x = 0;
        for (int k = 1; k <= 6; ++k)
            x += std::exp(-t * (1.0 + k)) / k * std::sin(2 * M_PI * 110.0 * k * t);
        pluck[i] = static_cast<float>(0.3 * x);
    }
    std::size_t pluckPos = 0;
    auto nextPluck = [&](uint32_t n) -> const float* {
        if (pluckPos + n > pluck.size()) pluckPos = 0;
        const float* p = pluck.data() + pluckPos;
        pluckPos += n;
        return p;
    };
    // The side-chain (carrier_in) gets noise from another place in the buffer.
    std::size_t sideCursor = noise.size() / 2;
    std::vector<float> side(opt.block);
    auto nextSide = [&](uint32_t n) {
        if (sideCursor + n > noise.size()) sideCursor = 0;
        std::copy(noise.data() + sideCursor, noise.data() + sideCursor + n, side.begin());
        sideCursor += n;
    };

    auto benchEffect = [&](const std::string& name, engine::Processor& proc, const BenchVariant& v) {
        proc.prepare(opt.rate, opt.block);
        for (const auto& [param, value] : v.settings) {
            const int index = proc.paramIndex(param);
            if (index < 0) throw Error(name, "bench variant names unknown parameter " + param);
            proc.setParam(
                static_cast<std::size_t>(index),
                engine::parseParamValue(proc.info().params[static_cast<std::size_t>(index)], value));
        }
        // A held chord (C3 E3 G3 C4) for MIDI-played effects, sent once at the first block.
        std::array<fx::MidiEvent, 4> chord{};
        const std::array<uint8_t, 4> notes{48, 52, 55, 60};
        for (std::size_t i = 0; i < chord.size(); ++i)
            chord[i] = fx::MidiEvent{static_cast<uint32_t>(i), 3, {0x90, notes[i], 100}};
        bool first = true;
        const double ns = measure(opt, [&](uint32_t n) {
            const float* in = v.input == BenchVariant::Input::Pluck ? nextPluck(n) : nextInput();
            std::copy(in, in + n, l.begin());
            std::copy(in, in + n, r.begin());
            fx::StereoBlock block{l.data(), r.data(), n};
            fx::ProcessContext ctx;
            ctx.sampleRate = opt.rate;
            ctx.frames = n;
            if (v.sidechain) {
                nextSide(n);
                ctx.sidechain = side.data();
            }
            if (v.chord && first) ctx.midi = std::span<const fx::MidiEvent>(chord.data(), chord.size());
            first = false;
            rt::ScopedFlushDenormals ftz;
            proc.process(block, ctx);
        });
        results.push_back(row(name, ns, opt.rate));
    };

    for (const auto& entry : registry.all()) {
        if (!opt.only.empty() && entry.info.id != opt.only) continue;
        // The plain row: noise on the inputs and on the side-chain, default parameters.
        benchEffect(std::string(entry.info.id), *entry.create(), BenchVariant{});
        for (const auto& v : benchVariants()) {
            if (v.effect != entry.info.id) continue;
            benchEffect(std::string(entry.info.id) + " (" + std::string(v.label) + ")", *entry.create(), v);
        }
    }
    // Convolution cost grows with the response: user responses of 200 ms and 2 s (decaying noise).
    if (registry.find("cabinet") && (opt.only.empty() || opt.only == "cabinet")) {
        for (double seconds : {0.2, 2.0}) {
            const std::string path = "/tmp/stagerack-bench-ir-" + std::to_string(::getpid()) + ".wav";
            SF_INFO info{};
            info.samplerate = static_cast<int>(opt.rate);
            info.channels = 1;
            info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
            std::vector<float> ir(static_cast<std::size_t>(seconds * opt.rate));
            for (std::size_t i = 0; i < ir.size(); ++i)
                ir[i] = dist(rng) * static_cast<float>(std::exp(-6.9 * static_cast<double>(i) / ir.size()));
            if (SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info)) {
                sf_writef_float(f, ir.data(), static_cast<sf_count_t>(ir.size()));
                sf_close(f);
            }
            auto proc = registry.find("cabinet")->create();
            proc->prepare(opt.rate, opt.block);
            proc->setProperty(0, path);
            proc->reset();
            ::unlink(path.c_str());
            const double ns = measure(opt, [&](uint32_t n) {
                const float* in = nextInput();
                std::copy(in, in + n, l.begin());
                std::copy(in, in + n, r.begin());
                fx::StereoBlock block{l.data(), r.data(), n};
                fx::ProcessContext ctx;
                ctx.sampleRate = opt.rate;
                ctx.frames = n;
                rt::ScopedFlushDenormals ftz;
                proc->process(block, ctx);
            });
            char name[64];
            std::snprintf(name, sizeof name, "cabinet (%g ms user IR)", seconds * 1000.0);
            results.push_back(row(name, ns, opt.rate));
        }
    }
    // The tuner: the audio thread's tap (engine with an empty chain and the tap on, minus the engine alone)
    // and the analysis thread (pitch detection over a decaying 110 Hz pluck with harmonics).
    if (opt.only.empty() || opt.only == "tuner") {
        {
            engine::Engine eng(registry);
            eng.configure(opt.rate, opt.block);
            eng.settle();
            eng.setTunerSource(engine::Engine::TunerSource::In1);
            std::vector<float> drain(opt.block);
            const double ns = measure(opt, [&](uint32_t n) {
                engine::AudioIO io;
                io.in1 = nextInput();
                io.outL = outL.data();
                io.outR = outR.data();
                io.frames = n;
                eng.process(io);
                eng.tunerTap().pop(drain.data(), n);
            });
            results.push_back(row("engine + tuner tap", ns, opt.rate));
        }
        tuner::PitchDetector detector(opt.rate);
        std::vector<tuner::PitchReading> readings;
        std::size_t pos = 0;
        const double ns = measure(opt, [&](uint32_t n) {
            if (pos + n > pluck.size()) pos = 0;
            readings.clear();
            detector.push(pluck.data() + pos, n, readings);
            pos += n;
        });
        results.push_back(row("tuner analysis (thread)", ns, opt.rate));
    }
    if (!opt.chain.empty()) benchEngine("chain: " + opt.chain, opt.chain);
    return results;
}

} // namespace stagerack::app
