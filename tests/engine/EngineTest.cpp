// Snapshot swap, crossfades, bypass, dry/wet, latency compensation, NaN guard, meters, MIDI offsets.
#include "engine/Engine.h"
#include "engine/Error.h"
#include "tests/support/TestProcessors.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <random>
#include <thread>

using namespace stagerack;
using engine::Engine;

namespace {

// Runs `frames` of a constant or generated input through the engine in blocks, returns out_L.
std::vector<float> run(Engine& eng, const std::vector<float>& input, uint32_t block,
                       std::vector<float>* right = nullptr) {
    std::vector<float> outL(input.size()), outR(input.size());
    for (std::size_t pos = 0; pos < input.size(); pos += block) {
        const auto n = static_cast<uint32_t>(std::min<std::size_t>(block, input.size() - pos));
        engine::AudioIO io;
        io.in1 = input.data() + pos;
        io.outL = outL.data() + pos;
        io.outR = outR.data() + pos;
        io.frames = n;
        eng.process(io);
    }
    if (right) *right = outR;
    return outL;
}

std::vector<float> ones(std::size_t n) {
    return std::vector<float>(n, 1.f);
}

std::unique_ptr<test::GainProcessor> gain(float g) {
    auto p = std::make_unique<test::GainProcessor>();
    p->setParam(0, g);
    return p;
}

TEST(Engine, EmptyChainPassesMonoInputToBothSidesUnchanged) {
    Engine eng;
    eng.configure(48000, 64);
    eng.settle();
    std::vector<float> in(1000);
    for (std::size_t i = 0; i < in.size(); ++i)
        in[i] = std::sin(0.01f * i);
    std::vector<float> r;
    auto l = run(eng, in, 64, &r);
    EXPECT_EQ(l, in);
    EXPECT_EQ(r, in);
}

TEST(Engine, ReplacingTheChainCrossfadesWithinTenMilliseconds) {
    Engine eng;
    eng.configure(48000, 64);
    eng.settle();
    run(eng, ones(256), 64);
    eng.insertSlot(0, gain(0.5f)); // fresh instance: parallel crossfade 1.0 -> 0.5
    const auto out = run(eng, ones(2048), 64);
    std::size_t settled = 0;
    for (std::size_t i = 0; i < out.size(); ++i)
        if (out[i] != 0.5f) settled = i + 1;
    EXPECT_GT(settled, 0u);
    EXPECT_LE(settled, 480u) << "crossfade must end within 10 ms (480 samples at 48 kHz)";
    for (std::size_t i = 1; i < settled; ++i)
        EXPECT_LE(out[i], out[i - 1]) << "monotonic fade at " << i;
    EXPECT_EQ(eng.adoptedGeneration(), eng.publishedGeneration());
    EXPECT_EQ(eng.housekeeping(), 1u) << "the old snapshot goes back to housekeeping";
}

TEST(Engine, ReorderingTheSameInstancesDucksAndReturnsWithinTenMilliseconds) {
    Engine eng;
    eng.configure(48000, 32);
    const auto a = eng.insertSlot(0, gain(0.5f));
    eng.insertSlot(1, gain(0.5f));
    eng.settle();
    run(eng, ones(256), 32);
    eng.moveSlot(a, 1);
    const auto out = run(eng, ones(2048), 32);
    float minimum = 1.f;
    std::size_t settled = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
        minimum = std::min(minimum, out[i]);
        if (std::fabs(out[i] - 0.25f) > 1e-7f) settled = i + 1;
    }
    EXPECT_LT(minimum, 0.01f) << "the same instances never run twice in parallel: duck to silence";
    EXPECT_LE(settled, 480u);
    EXPECT_EQ(eng.slotIds().back(), a);
}

TEST(Engine, PendingSnapshotsReplacedBeforeAdoptionAreFreedAndOnlyTheLastIsAdopted) {
    Engine eng;
    eng.configure(48000, 64);
    eng.settle();
    eng.insertSlot(0, gain(0.9f));
    eng.insertSlot(0, gain(0.8f));
    const auto id = eng.insertSlot(0, gain(0.7f));
    EXPECT_EQ(eng.slotIds().size(), 3u);
    const auto out = run(eng, ones(1024), 64);
    EXPECT_NEAR(out.back(), 0.9f * 0.8f * 0.7f, 1e-6f);
    EXPECT_EQ(eng.slotIds().front(), id);
    eng.housekeeping();
}

TEST(Engine, UnknownEffectsParametersAndValuesAreRefusedAndTheChainIsKept) {
    Engine eng;
    eng.configure(48000, 64);
    eng.setChain("utility:level_db=-6");
    eng.settle();
    const auto before = eng.publishedGeneration();
    EXPECT_THROW(eng.setChain("utility>nosuch"), Error);
    EXPECT_THROW(eng.setChain("utility:nosuch=1"), Error);
    EXPECT_THROW(eng.setChain("utility:level_db=100"), Error);
    EXPECT_THROW(eng.setChain("lv2(urn:x)"), Error);
    EXPECT_EQ(eng.publishedGeneration(), before);
    try {
        eng.setChain("delay:time_ms=5000");
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "delay: time_ms: value 5000 out of range 1..2000 ms");
    }
    ASSERT_EQ(eng.chainSpec().size(), 1u);
    EXPECT_EQ(engine::toChainSpec(eng.chainSpec()), "utility:level_db=-6");
}

TEST(Engine, ChainSpecRoundTripsSlotParameters) {
    Engine eng;
    eng.configure(48000, 64);
    eng.setChain("gate:threshold_db=-40>delay:time_ms=250,pingpong=on,bypass=on,dry_wet=0.5");
    EXPECT_EQ(engine::toChainSpec(eng.chainSpec()),
              "gate:threshold_db=-40>delay:time_ms=250,pingpong=on,bypass=on,dry_wet=0.5");
}

TEST(Slot, BypassCrossfadesOver512SamplesAndTheProcessorSleepsWhileBypassed) {
    Engine eng;
    eng.configure(48000, 64);
    auto p = gain(0.f);
    auto* raw = p.get();
    const auto id = eng.insertSlot(0, std::move(p));
    eng.settle();
    run(eng, ones(128), 64);
    const int resetsBefore = raw->resets.load();
    eng.setBypass(id, true);
    auto out = run(eng, ones(1024), 64);
    std::size_t rampEnd = 0;
    for (std::size_t i = 0; i < out.size(); ++i)
        if (out[i] != 1.f) rampEnd = i + 1;
    EXPECT_EQ(rampEnd, 511u); // sample 512 of the ramp is exactly dry
    EXPECT_NEAR(out[255], 0.5f, 0.01f) << "raised-cosine midpoint";
    eng.setBypass(id, false);
    out = run(eng, ones(1024), 64);
    EXPECT_EQ(raw->resets.load(), resetsBefore + 1) << "woken with clean state";
    EXPECT_EQ(out.back(), 0.f);
    EXPECT_GT(out[100], 0.f);
}

TEST(Slot, DryWetMixesAndTheDryPathIsLatencyCompensated) {
    Engine eng;
    eng.configure(48000, 64);
    const auto id = eng.insertSlot(0, std::make_unique<test::LatencyProcessor>(10));
    eng.setDryWet(id, 0.5f);
    eng.settle();
    EXPECT_EQ(eng.latency(), 10u);
    run(eng, std::vector<float>(4800, 0.f), 64); // let the mix smoother settle
    std::vector<float> impulse(256, 0.f);
    impulse[0] = 1.f;
    const auto out = run(eng, impulse, 64);
    for (std::size_t i = 0; i < out.size(); ++i)
        EXPECT_EQ(out[i], i == 10 ? 1.f : 0.f) << i;
}

TEST(Slot, ALatencyThatFollowsAParameterIsReportedAndTheDryPathFollowsIt) {
    Engine eng;
    eng.configure(48000, 64);
    auto p = std::make_unique<test::VariableLatencyProcessor>();
    auto* raw = p.get();
    const auto id = eng.insertSlot(0, std::move(p));
    eng.setDryWet(id, 0.5f);
    eng.settle();
    EXPECT_EQ(eng.latency(), 10u);
    run(eng, std::vector<float>(4800, 0.f), 64);
    for (uint32_t samples : {30u, 0u, 100u, 7u}) {
        raw->setParam(0, static_cast<float>(samples));
        run(eng, std::vector<float>(256, 0.f), 64); // the new value reaches the audio thread
        EXPECT_EQ(eng.latency(), samples);
        std::vector<float> impulse(256, 0.f);
        impulse[0] = 1.f;
        const auto out = run(eng, impulse, 64);
        for (std::size_t i = 0; i < out.size(); ++i)
            EXPECT_EQ(out[i], i == samples ? 1.f : 0.f) << "latency " << samples << " at " << i;
    }
}

TEST(Tempo, TapTempoAveragesTheLastIntervalsAndAPauseStartsAnew) {
    Engine eng;
    EXPECT_EQ(eng.tempo(), 120.0);
    EXPECT_EQ(eng.tapTempo(10.0), 120.0); // one tap alone changes nothing
    EXPECT_NEAR(eng.tapTempo(10.5), 120.0, 1e-9);
    EXPECT_NEAR(eng.tapTempo(11.0), 120.0, 1e-9);
    EXPECT_NEAR(eng.tapTempo(11.6), 60.0 / (1.6 / 3), 1e-9); // average of 0.5, 0.5, 0.6
    eng.tapTempo(20.0);                                      // after a pause: a new series
    EXPECT_NEAR(eng.tapTempo(20.4), 150.0, 1e-9);
    eng.setTempo(1000.0);
    EXPECT_EQ(eng.tempo(), Engine::kMaxBpm);
}

// Records the tempo and beat position every block sees.
class TempoProbe : public engine::Processor {
public:
    TempoProbe()
        : Processor(test::kLatencyInfo) {}
    uint32_t latency() const noexcept override { return 0; }
    std::unique_ptr<Processor> createFresh() const override { return std::make_unique<TempoProbe>(); }
    double bpm = 0, beat = -1;

protected:
    void doPrepare(double, uint32_t) override {}
    void doReset() noexcept override {}
    void applyParam(std::size_t, float) noexcept override {}
    void doProcess(fx::StereoBlock&, const fx::ProcessContext& ctx) noexcept override {
        bpm = ctx.tempoBpm;
        beat = ctx.beat;
    }
};

TEST(Tempo, EveryBlockSeesTheTempoAndTheBeatPosition) {
    Engine eng;
    eng.configure(48000, 480);
    auto probe = std::make_unique<TempoProbe>();
    auto* raw = probe.get();
    eng.insertSlot(0, std::move(probe));
    eng.settle();
    eng.setTempo(90.0);
    run(eng, std::vector<float>(48000, 0.f), 480); // one second at 90 BPM = 1.5 beats
    EXPECT_EQ(raw->bpm, 90.0);
    EXPECT_NEAR(raw->beat, 1.5 - 480.0 / 48000.0 * 1.5, 1e-9) << "the last block starts one block before 1.5";
}

TEST(TunerTap, TheSelectedRawInputReachesTheTapAndMuteFadesTheOutput) {
    Engine eng;
    eng.configure(48000, 64);
    eng.insertSlot(0, gain(0.5f));
    eng.settle();
    std::vector<float> a(640), b(640), l(640), r(640), got(1024);
    for (std::size_t i = 0; i < a.size(); ++i) {
        a[i] = 0.001f * static_cast<float>(i);
        b[i] = -0.5f * a[i];
    }
    auto block = [&](engine::Engine::TunerSource src) {
        eng.setTunerSource(src);
        engine::AudioIO io{a.data(), b.data(), nullptr, l.data(), r.data(), 640, {}};
        eng.process(io);
        return eng.tunerTap().pop(got.data(), got.size());
    };
    EXPECT_EQ(block(Engine::TunerSource::Off), 0u);
    ASSERT_EQ(block(Engine::TunerSource::In1), 640u);
    for (std::size_t i = 0; i < 640; ++i)
        ASSERT_EQ(got[i], a[i]) << "raw input, before the chain";
    ASSERT_EQ(block(Engine::TunerSource::In2), 640u);
    EXPECT_EQ(got[100], b[100]);
    ASSERT_EQ(block(Engine::TunerSource::Sum), 640u);
    EXPECT_FLOAT_EQ(got[100], 0.5f * (a[100] + b[100]));

    // Mute while tuning: the output fades to silence in 20 ms, the tap keeps flowing.
    eng.setTunerMute(true);
    const auto out = run(eng, ones(4800), 64);
    EXPECT_EQ(out.back(), 0.f);
    float maxStep = 0;
    for (std::size_t i = 1; i < out.size(); ++i)
        maxStep = std::max(maxStep, std::fabs(out[i] - out[i - 1]));
    EXPECT_LT(maxStep, 0.5f / 900.f) << "a ramp, not a step";
    EXPECT_GT(eng.tunerTap().pop(got.data(), got.size()), 0u);
}

TEST(TunerTap, AFullRingDropsAndCountsWithoutBlocking) {
    tuner::TunerTap tap(1024);
    std::vector<float> x(1500, 1.f), out(2048);
    EXPECT_EQ(tap.push(x.data(), x.size()), 476u);
    EXPECT_EQ(tap.dropped(), 476u);
    EXPECT_EQ(tap.pop(out.data(), out.size()), 1024u);
    EXPECT_EQ(tap.push(x.data(), 10), 0u);
}

TEST(TunerTap, AMillionSamplesCrossThreadsInOrder) {
    tuner::TunerTap tap(4096);
    constexpr std::size_t kTotal = 1'000'000;
    std::thread producer([&] {
        std::vector<float> chunk(64);
        std::size_t sent = 0;
        while (sent < kTotal) {
            for (std::size_t i = 0; i < chunk.size(); ++i)
                chunk[i] = static_cast<float>((sent + i) % 100000);
            const std::size_t dropped = tap.push(chunk.data(), chunk.size());
            sent += chunk.size() - dropped; // resend what did not fit, as a test of order only
            if (dropped) std::this_thread::yield();
        }
    });
    std::vector<float> buf(512);
    std::size_t got = 0;
    bool inOrder = true;
    while (got < kTotal) {
        const std::size_t n = tap.pop(buf.data(), buf.size());
        for (std::size_t i = 0; i < n; ++i)
            inOrder = inOrder && buf[i] == static_cast<float>((got + i) % 100000);
        got += n;
    }
    producer.join();
    EXPECT_TRUE(inOrder);
}

TEST(NanGuard, ANonFiniteBlockIsMutedTheProcessorResetAndAnEventRaised) {
    Engine eng;
    eng.configure(48000, 64);
    auto p = std::make_unique<test::NanProcessor>();
    auto* raw = p.get();
    const auto id = eng.insertSlot(0, std::move(p));
    eng.settle();
    run(eng, ones(64), 64);
    const int resets = raw->resets.load();
    raw->armed = true;
    const auto out = run(eng, ones(64), 64);
    for (float x : out)
        EXPECT_EQ(x, 0.f);
    EXPECT_EQ(eng.nonFiniteCount(), 1u);
    EXPECT_EQ(raw->resets.load(), resets + 1);
    std::vector<engine::EngineEvent> events;
    eng.housekeeping([&](const engine::EngineEvent& e) { events.push_back(e); });
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back().type, engine::EventType::NonFiniteOutput);
    EXPECT_EQ(events.back().slotId, id);
    const auto after = run(eng, ones(64), 64);
    EXPECT_EQ(after.back(), 1.f) << "the next block plays again";
}

TEST(NanGuard, NonFiniteInputIsMutedAndCounted) {
    Engine eng;
    eng.configure(48000, 64);
    eng.settle();
    auto in = ones(64);
    in[3] = INFINITY;
    const auto out = run(eng, in, 64);
    for (float x : out)
        EXPECT_EQ(x, 0.f);
    EXPECT_EQ(eng.nonFiniteCount(), 1u);
}

TEST(Meters, PeakAndRmsOfASineAndTheDspLoadAreReported) {
    Engine eng;
    eng.configure(48000, 256);
    eng.insertSlot(0, gain(0.5f));
    eng.settle();
    std::vector<float> in(3 * 48000); // 10 time constants of the 0.3 s meter
    for (std::size_t i = 0; i < in.size(); ++i)
        in[i] = 0.8f * std::sin(2 * M_PI * 1000.0 * i / 48000.0);
    run(eng, in, 256);
    const auto m = eng.meters();
    EXPECT_NEAR(m.inPeak[0], 0.8f, 0.005f);
    EXPECT_NEAR(m.inPeak[1], 0.8f, 0.005f);
    EXPECT_NEAR(m.inRms[0], 0.8f / std::sqrt(2.f), 0.005f);
    EXPECT_NEAR(m.outPeak[0], 0.4f, 0.003f);
    EXPECT_NEAR(m.outRms[1], 0.4f / std::sqrt(2.f), 0.003f);
    EXPECT_GT(eng.dspLoad(), 0.f);
    EXPECT_LT(eng.dspLoad(), 100.f);
}

TEST(Engine, InputAndMasterGainsAreSmoothedAndExact) {
    Engine eng;
    eng.configure(48000, 64);
    eng.settle();
    eng.setInputGainDb(-6.f);
    eng.setMasterDb(-6.f);
    const auto out = run(eng, ones(4800), 64);
    EXPECT_NEAR(20 * std::log10(out.back()), -12.f, 0.001f);
    float maxStep = 0;
    for (std::size_t i = 1; i < out.size(); ++i)
        maxStep = std::max(maxStep, std::fabs(out[i] - out[i - 1]));
    EXPECT_LT(maxStep, 0.002f) << "20 ms ramps, no steps";
}

// A processor that records the MIDI offsets it sees.
class MidiProbe : public engine::Processor {
public:
    MidiProbe()
        : Processor(test::kLatencyInfo) {}
    uint32_t latency() const noexcept override { return 0; }
    std::unique_ptr<Processor> createFresh() const override { return std::make_unique<MidiProbe>(); }
    std::vector<std::pair<uint64_t, uint8_t>> seen; // absolute frame, note
    uint64_t frame = 0;

protected:
    void doPrepare(double, uint32_t) override { seen.reserve(64); }
    void doReset() noexcept override {}
    void applyParam(std::size_t, float) noexcept override {}
    void doProcess(fx::StereoBlock& b, const fx::ProcessContext& ctx) noexcept override {
        for (const auto& e : ctx.midi)
            if (seen.size() < seen.capacity()) seen.emplace_back(frame + e.offset, e.data[1]);
        frame += b.frames;
    }
};

TEST(Engine, MidiEventOffsetsStayExactWhenBlocksAreSplit) {
    Engine eng;
    eng.configure(48000, 64); // a 256-frame period is processed as four 64-frame chunks
    auto probe = std::make_unique<MidiProbe>();
    auto* raw = probe.get();
    eng.insertSlot(0, std::move(probe));
    eng.settle();
    std::vector<fx::MidiEvent> midi = {{0, 3, {0x90, 1, 1}},
                                       {63, 3, {0x90, 2, 1}},
                                       {64, 3, {0x90, 3, 1}},
                                       {130, 3, {0x90, 4, 1}},
                                       {255, 3, {0x90, 5, 1}}};
    std::vector<float> in(256, 0.f), outL(256), outR(256);
    engine::AudioIO io{in.data(), nullptr, nullptr, outL.data(), outR.data(), 256, midi};
    eng.process(io);
    ASSERT_EQ(raw->seen.size(), 5u);
    const uint64_t expect[] = {0, 63, 64, 130, 255};
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(raw->seen[i].first, expect[i]);
        EXPECT_EQ(raw->seen[i].second, i + 1);
    }
}

// Control threads hammer the engine while an audio thread runs: run under TSan (label tsan).
TEST(EngineRace, ConcurrentPublishingAdoptionAndHousekeepingAreSafe) {
    Engine eng;
    eng.configure(48000, 64);
    eng.setChain("utility>gate>delay:time_ms=10");
    eng.settle();
    std::atomic<bool> stop{false};
    std::thread audio([&] {
        std::vector<float> in(64, 0.25f), l(64), r(64);
        engine::AudioIO io{in.data(), nullptr, nullptr, l.data(), r.data(), 64, {}};
        while (!stop.load())
            eng.process(io);
    });
    std::thread keeper([&] {
        while (!stop.load()) {
            eng.housekeeping();
            std::this_thread::yield();
        }
    });
    std::mt19937 rng(1);
    for (int i = 0; i < 3000; ++i) {
        auto ids = eng.slotIds();
        switch (rng() % 6) {
        case 0:
            eng.setChain(i % 2 ? "utility:level_db=-3>delay" : "gate>utility");
            break;
        case 1:
            if (ids.size() > 1) eng.moveSlot(ids[rng() % ids.size()], rng() % ids.size());
            break;
        case 2:
            if (!ids.empty()) eng.setBypass(ids[rng() % ids.size()], rng() % 2);
            break;
        case 3:
            if (!ids.empty()) eng.setDryWet(ids[rng() % ids.size()], 0.5f);
            break;
        case 4:
            eng.insertSlot(rng() % 3, engine::SlotSpec{engine::SlotSpec::Kind::Builtin, "utility", {}});
            break;
        case 5:
            if (ids.size() > 2) eng.removeSlot(ids[rng() % ids.size()]);
            break;
        }
        if (i == 1500) eng.configure(44100, 128);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop.store(true);
    audio.join();
    keeper.join();
    eng.housekeeping();
    EXPECT_GT(eng.adoptedGeneration(), 0u);
}

} // namespace

namespace {

// A JACK buffer-size change must not rebuild the chain: a looper would lose its loop, a delay its echoes.
TEST(Engine, ABlockSizeChangeKeepsEveryInstanceAndItsState) {
    Engine eng;
    eng.configure(48000, 256);
    eng.setChain("delay:time_ms=100,feedback=0.5,mix=1");
    eng.settle();
    const auto id = eng.slotIds().at(0);
    const engine::Processor* before = &eng.slot(id)->processor();
    std::vector<float> impulse(256, 0.f);
    impulse[0] = 1.f;
    run(eng, impulse, 256);
    for (uint32_t block : {512u, 64u, 4096u}) {
        eng.configure(48000, block);
        eng.settle();
        EXPECT_EQ(eng.maxBlock(), block);
        EXPECT_EQ(&eng.slot(id)->processor(), before) << "rebuilt at block " << block;
    }
    // The echoes of the impulse sent before the changes still come, in blocks above the prepared size too.
    const auto out = run(eng, std::vector<float>(2 * 4096, 0.f), 4096);
    float peak = 0.f;
    for (float x : out)
        peak = std::max(peak, std::fabs(x));
    EXPECT_GT(peak, 0.01f);
    // A new sample rate does rebuild (everything is prepared for it).
    eng.configure(44100, 4096);
    eng.settle();
    EXPECT_NE(&eng.slot(id)->processor(), before);
}

// Counts the off -> on edges it is given on its one toggle parameter.
inline constexpr std::array kPressParams{
    fx::ParamInfo{"press", "Press", 0.f, 1.f, 0.f, fx::Unit::None, fx::Taper::Toggle, 0.f}};
inline constexpr fx::EffectInfo kPressInfo{"test_press", "Test press", "test", "Counts presses.", 1,
                                           kPressParams};

class PressProbe : public engine::Processor {
public:
    PressProbe()
        : Processor(kPressInfo) {}
    uint32_t latency() const noexcept override { return 0; }
    std::unique_ptr<Processor> createFresh() const override { return std::make_unique<PressProbe>(); }
    int presses = 0;
    float last = 0.f;

protected:
    void doPrepare(double, uint32_t) override {}
    void doReset() noexcept override {}
    void applyParam(std::size_t, float v) noexcept override {
        if (v >= 0.5f && last < 0.5f) ++presses;
        last = v;
    }
    void doProcess(fx::StereoBlock&, const fx::ProcessContext&) noexcept override {}
};

// A foot switch sends CC 127 and CC 0 within one audio period: the press must still reach the effect
// (a looper's record button), and two quick presses are two presses.
TEST(Processor, TogglePressesBetweenTwoBlocksAreNotLost) {
    Engine eng;
    eng.configure(48000, 64);
    auto p = std::make_unique<PressProbe>();
    auto* probe = p.get();
    eng.insertSlot(0, std::move(p));
    eng.settle();
    const std::vector<float> block(64, 0.f);
    probe->setParam(0, 1.f);
    probe->setParam(0, 0.f);
    run(eng, block, 64);
    EXPECT_EQ(probe->presses, 1);
    EXPECT_EQ(probe->last, 0.f);
    probe->setParam(0, 1.f);
    probe->setParam(0, 0.f);
    probe->setParam(0, 1.f); // held at the block
    run(eng, block, 64);
    EXPECT_EQ(probe->presses, 3);
    EXPECT_EQ(probe->last, 1.f);
    probe->setParam(0, 1.f); // still held: no new press
    run(eng, block, 64);
    EXPECT_EQ(probe->presses, 3);
    probe->setParam(0, 0.f);
    probe->setParam(0, 1.f); // released and pressed again while held at the last block
    run(eng, block, 64);
    EXPECT_EQ(probe->presses, 4);
    EXPECT_EQ(probe->last, 1.f);
    probe->setParam(0, 0.f);
    run(eng, block, 64);
    EXPECT_EQ(probe->presses, 4);
    EXPECT_EQ(probe->last, 0.f);
}

// The dry path follows a latency change with a short crossfade, never a jump of its read position.
TEST(Slot, ALatencyChangeMovesTheDryTapWithoutAClick) {
    Engine eng;
    eng.configure(48000, 64);
    auto p = std::make_unique<test::VariableLatencyProcessor>();
    auto* raw = p.get();
    const auto id = eng.insertSlot(0, std::move(p));
    eng.setDryWet(id, 0.f); // all dry: any step in the output is the dry tap's
    eng.settle();
    std::vector<float> sine(48000);
    for (std::size_t i = 0; i < sine.size(); ++i)
        sine[i] = 0.5f * static_cast<float>(std::sin(2.0 * M_PI * 1000.0 * static_cast<double>(i) / 48000.0));
    auto out = run(eng, std::vector<float>(sine.begin(), sine.begin() + 24000), 64);
    float ownStep = 0.f;
    for (std::size_t i = 12001; i < 24000; ++i)
        ownStep = std::max(ownStep, std::fabs(out[i] - out[i - 1]));
    raw->setParam(0, 97.f); // 10 -> 97 samples: a jump of 87 samples would be a step of up to 1.0
    const auto after = run(eng, std::vector<float>(sine.begin() + 24000, sine.end()), 64);
    out.insert(out.end(), after.begin(), after.end());
    float step = 0.f;
    for (std::size_t i = 24001; i < 30000; ++i)
        step = std::max(step, std::fabs(out[i] - out[i - 1]));
    std::printf("dry tap move 10 -> 97 samples: largest step %.5f (the sine's own %.5f)\n", step, ownStep);
    EXPECT_LT(step, 1.2f * ownStep);
    EXPECT_EQ(eng.latency(), 97u);
}

} // namespace
