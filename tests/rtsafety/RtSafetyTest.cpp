// The RT-safety proof (DESIGN.md section 7): storms of parameter changes, reorders, bypass toggles,
// chain replacements, buffer-size changes and MIDI floods while the engine runs under a real JACK
// server (and under an offline driver thread); zero forbidden calls may happen inside the callback.
#include "engine/Engine.h"
#include "engine/JackBackend.h"
#include "engine/Registry.h"
#include "engine/RtScope.h"
#include "tests/rtsafety/Interposer.h"
#include "tests/support/JackClients.h"
#include "tests/support/JackServer.h"

#include <gtest/gtest.h>
#include <jack/midiport.h>
#include <sndfile.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <thread>
#include <unistd.h>

using namespace stagerack;

namespace {

// Proves the interposer sees what it must: without this, zero could mean "not looking".
TEST(RtSafetyInterposer, CountsForbiddenCallsOnlyInsideTheAudioScope) {
    rtcheck::resetCounts();
    {
        void* volatile p = std::malloc(16);
        std::free(p);
    }
    EXPECT_EQ(rtcheck::forbiddenCalls(), 0u) << rtcheck::report();
    {
        rt::AudioThreadScope scope;
        void* volatile p = std::malloc(16);
        std::free(p);
        int* volatile q = new int(3);
        delete q;
        std::mutex m;
        m.lock();
        m.unlock();
        [[maybe_unused]] const auto w = ::write(-1, nullptr, 0);
    }
    EXPECT_EQ(rtcheck::forbiddenCalls(), 6u) << rtcheck::report();
    EXPECT_EQ(rtcheck::report(),
              "malloc=1 free=1 operator new=1 operator delete=1 pthread_mutex_lock=1 write=1");
    rtcheck::resetCounts();
}

// Every built-in effect, alone: process, parameter changes, reset, bypass and NaN recovery inside the
// audio scope, at the sample rates a rack meets. New effects join automatically through the registry.
std::string userIrPath();

TEST(RtSafety, EveryBuiltinEffectProcessesWithoutForbiddenCalls) {
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> unit(0.f, 1.f);
    for (const auto& entry : engine::Registry::builtin().all()) {
        for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
            auto proc = entry.create();
            proc->prepare(rate, 256);
            std::vector<float> l(256), r(256), side(256);
            // MIDI-played effects (vocoder synth, harmonizer) get notes and pitch bends at random offsets.
            std::vector<fx::MidiEvent> midi;
            midi.reserve(8);
            rtcheck::resetCounts();
            for (int block = 0; block < 400; ++block) {
                for (std::size_t i = 0; i < proc->paramCount(); ++i) {
                    const auto& p = proc->info().params[i];
                    if (block % 7 == 0) proc->setParam(i, p.min + unit(rng) * (p.max - p.min));
                }
                for (std::size_t i = 0; i < l.size(); ++i) {
                    l[i] = r[i] = unit(rng) - 0.5f;
                    side[i] = unit(rng) - 0.5f;
                }
                if (proc->propertyCount() > 0 && block % 100 == 50) {
                    proc->setProperty(0, block % 200 == 50 ? userIrPath() : "");
                    proc->collectGarbage();
                }
                const auto frames = static_cast<uint32_t>(1 + block % 256);
                rt::AudioThreadScope scope;
                fx::StereoBlock b{l.data(), r.data(), frames};
                midi.clear(); // capacity reserved above: no allocation here
                for (uint32_t e = 0; e < static_cast<uint32_t>(block % 5); ++e) {
                    const auto offset = static_cast<uint32_t>(unit(rng) * static_cast<float>(frames - 1));
                    const auto note = static_cast<uint8_t>(36 + block % 48);
                    const uint8_t status = block % 3 == 0 ? 0x80 : (block % 11 == 0 ? 0xE0 : 0x90);
                    midi.push_back({offset, 3, {status, note, static_cast<uint8_t>(1 + block % 127)}});
                }
                std::sort(midi.begin(), midi.end(),
                          [](const fx::MidiEvent& x, const fx::MidiEvent& y) { return x.offset < y.offset; });
                fx::ProcessContext ctx;
                ctx.sampleRate = rate;
                ctx.frames = frames;
                ctx.midi = midi;
                if (block % 4 != 0) ctx.sidechain = side.data();
                proc->process(b, ctx);
                if (block % 50 == 0) proc->reset();
            }
            EXPECT_EQ(rtcheck::forbiddenCalls(), 0u)
                << entry.info.id << " at " << rate << ": " << rtcheck::report();
        }
    }
}

constexpr const char* kSpecs[] = {
    "gate>compressor>overdrive>amp>cabinet>delay:time_ms=120,feedback=0.5>reverb>limiter",
    "utility:pan=0.3>chorus>delay:time_ms=40,pingpong=on,sync=1/8d>cabinet:model=open_back>widener",
    "wah:mode=auto>fuzz>flanger>tape_echo>convolution_reverb>limiter",
    "utility>phaser>tremolo:sync=1/8>rotary:speed=fast>analog_delay>reverse_delay>eq>geq>exciter",
    "vibrato>ringmod>distortion>amp:model=modern_high_gain>cabinet:model=bass_8x10>gate",
    "octaver>pitch_shift:semitones=7>harmonizer:voices=2,mode=midi>vocoder:bands=32>pitch_shift:mode=quality",
    "harmonizer:voices=2>vocoder:carrier=synth>looper:transport=record>limiter",
};

// A user impulse response for the cabinet's ir_file swaps (a control-thread load, an audio-thread swap).
std::string userIrPath() {
    static const std::string path = [] {
        const std::string p = "/tmp/stagerack-rt-ir-" + std::to_string(::getpid()) + ".wav";
        SF_INFO info{};
        info.samplerate = 48000;
        info.channels = 1;
        info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
        std::vector<float> ir(4800);
        for (std::size_t i = 0; i < ir.size(); ++i)
            ir[i] = static_cast<float>(std::exp(-0.002 * i) * std::sin(0.3 * i));
        SNDFILE* f = sf_open(p.c_str(), SFM_WRITE, &info);
        sf_writef_float(f, ir.data(), static_cast<sf_count_t>(ir.size()));
        sf_close(f);
        return p;
    }();
    return path;
}

// The control-side storm shared by both scenarios. Returns counts of what it did.
struct StormCounts {
    int params = 0, reorders = 0, bypasses = 0, replacements = 0;
};

StormCounts storm(engine::Engine& eng, const std::function<void(int)>& extra = {}) {
    std::mt19937 rng(42);
    StormCounts c;
    // A schedule of 10,000 parameter changes, 500 reorders, 500 bypass toggles, 100 replacements.
    std::vector<int> ops;
    ops.insert(ops.end(), 10000, 0);
    ops.insert(ops.end(), 500, 1);
    ops.insert(ops.end(), 500, 2);
    ops.insert(ops.end(), 100, 3);
    std::shuffle(ops.begin(), ops.end(), rng);
    std::uniform_real_distribution<float> unit(0.f, 1.f);
    int step = 0;
    for (int op : ops) {
        auto ids = eng.slotIds();
        if (ids.empty()) ids = {};
        const auto pick = [&] {
            return ids[std::uniform_int_distribution<std::size_t>(0, ids.size() - 1)(rng)];
        };
        switch (op) {
        case 0: {
            if (ids.empty()) break;
            auto slot = eng.slot(pick());
            auto& proc = slot->processor();
            const auto i = std::uniform_int_distribution<std::size_t>(0, proc.paramCount() - 1)(rng);
            const auto& p = proc.info().params[i];
            proc.setParam(i, p.min + unit(rng) * (p.max - p.min));
            if (unit(rng) < 0.05f) slot->setMix(unit(rng));
            if (proc.propertyCount() > 0 && unit(rng) < 0.02f)
                proc.setProperty(0, unit(rng) < 0.5f ? userIrPath() : "");
            ++c.params;
            break;
        }
        case 1:
            if (ids.size() > 1)
                eng.moveSlot(pick(), std::uniform_int_distribution<std::size_t>(0, ids.size())(rng));
            ++c.reorders;
            break;
        case 2:
            if (!ids.empty()) {
                auto slot = eng.slot(pick());
                slot->setBypass(!slot->bypass());
            }
            ++c.bypasses;
            break;
        case 3:
            eng.setChain(kSpecs[std::uniform_int_distribution<std::size_t>(0, std::size(kSpecs) - 1)(rng)]);
            ++c.replacements;
            break;
        }
        if (extra) extra(step);
        ++step;
        // Pace the storm so that it spans many audio blocks and transitions really run.
        std::this_thread::sleep_for(std::chrono::microseconds(op == 0 ? 300 : 3000));
    }
    return c;
}

TEST(RtSafety, ScenarioUnderJackHasZeroForbiddenCalls) {
    test::JackServer server(256);
    ASSERT_TRUE(server.ok()) << server.error();
    engine::Engine eng;
    engine::JackOptions opt;
    opt.clientName = "rtproof";
    opt.serverName = server.name();
    engine::JackBackend backend(eng, opt);
    eng.setChain(kSpecs[0]);
    eng.setTunerSource(engine::Engine::TunerSource::Sum); // the tuner tap runs too
    backend.activate();

    // Audio and MIDI in, audio out, all real JACK clients.
    test::SourceClient source("rtsrc", server.name());
    ASSERT_TRUE(source.ok());
    std::vector<float> sig(48000);
    for (std::size_t i = 0; i < sig.size(); ++i)
        sig[i] = 0.4f * std::sin(2.0 * M_PI * 220.0 * i / 48000.0);
    source.setSignal(sig, true);
    ASSERT_EQ(jack_connect(source.client(), source.portName("out").c_str(), "rtproof:in_1"), 0);
    ASSERT_EQ(jack_connect(source.client(), source.portName("out").c_str(), "rtproof:in_2"), 0);
    // The side chain too, so a vocoder's external carrier runs under JACK.
    ASSERT_EQ(jack_connect(source.client(), source.portName("out").c_str(), "rtproof:carrier_in"), 0);
    source.start();

    // A MIDI flood: 64 events every period into midi_in.
    struct MidiFlood {
        jack_client_t* client = nullptr;
        jack_port_t* port = nullptr;
        std::atomic<uint64_t> sent{0};
    } flood;
    jack_status_t st{};
    flood.client = jack_client_open("rtmidi", static_cast<jack_options_t>(JackNoStartServer | JackServerName),
                                    &st, server.name().c_str());
    ASSERT_NE(flood.client, nullptr);
    flood.port = jack_port_register(flood.client, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    jack_set_process_callback(
        flood.client,
        [](jack_nframes_t n, void* arg) -> int {
            auto* f = static_cast<MidiFlood*>(arg);
            void* buf = jack_port_get_buffer(f->port, n);
            jack_midi_clear_buffer(buf);
            for (jack_nframes_t i = 0; i < 64; ++i) {
                const jack_midi_data_t cc[3] = {0xB0, static_cast<jack_midi_data_t>(i % 120),
                                                static_cast<jack_midi_data_t>((i * 7) % 128)};
                if (jack_midi_event_write(buf, i * (n / 64), cc, 3) == 0) f->sent.fetch_add(1);
            }
            return 0;
        },
        &flood);
    ASSERT_EQ(jack_activate(flood.client), 0);
    ASSERT_EQ(jack_connect(flood.client, "rtmidi:out", "rtproof:midi_in"), 0);

    test::SinkClient sink("rtsink", server.name(), 48000 * 2);
    ASSERT_TRUE(sink.ok());
    ASSERT_EQ(jack_connect(sink.client(), "rtproof:out_L", sink.portName("in_1").c_str()), 0);

    std::atomic<bool> stop{false};
    std::thread housekeeping([&] {
        std::vector<float> tunerBuf(8192);
        while (!stop.load()) {
            eng.housekeeping();
            backend.poll();
            while (eng.tunerTap().pop(tunerBuf.data(), tunerBuf.size()) > 0) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    });

    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    rtcheck::resetCounts();
    const uint64_t blocksBefore = eng.processedBlocks();
    const uint64_t adoptedBefore = eng.adoptedGeneration();
    const auto counts = storm(eng, [&](int step) {
        // Two buffer-size changes in the middle of the storm: rebuilds off the audio thread.
        if (step == 3000) jack_set_buffer_size(source.client(), 512);
        if (step == 6000) jack_set_buffer_size(source.client(), 256);
        if (step == 8000) sink.start();
        if (step % 1000 == 500) eng.setTunerMute(step % 2000 == 500);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const uint64_t forbidden = rtcheck::forbiddenCalls();
    const std::string what = rtcheck::report();
    const uint64_t blocks = eng.processedBlocks() - blocksBefore;
    const uint64_t adoptions = eng.adoptedGeneration() - adoptedBefore;
    stop.store(true);
    housekeeping.join();
    jack_deactivate(flood.client);
    jack_client_close(flood.client);

    std::printf("RT-safety scenario (JACK): %d param changes, %d reorders, %d bypass toggles, %d chain "
                "replacements, 2 buffer-size changes, %llu MIDI events sent, %llu blocks processed, %llu "
                "snapshots adopted: forbidden calls on the audio thread = %llu %s\n",
                counts.params, counts.reorders, counts.bypasses, counts.replacements,
                static_cast<unsigned long long>(flood.sent.load()), static_cast<unsigned long long>(blocks),
                static_cast<unsigned long long>(adoptions), static_cast<unsigned long long>(forbidden),
                what.c_str());
    EXPECT_EQ(counts.params, 10000);
    EXPECT_EQ(counts.reorders, 500);
    EXPECT_EQ(counts.bypasses, 500);
    EXPECT_EQ(counts.replacements, 100);
    EXPECT_GT(blocks, 500u);
    EXPECT_GT(adoptions, 200u);
    EXPECT_GT(flood.sent.load(), 10000u);
    EXPECT_EQ(forbidden, 0u) << what;
    // Audio really flowed through the chain while all this happened.
    ASSERT_TRUE(sink.waitFull(10));
    float peak = 0.f;
    for (float x : sink.data())
        peak = std::max(peak, std::fabs(x));
    EXPECT_GT(peak, 0.01f);
}

TEST(RtSafety, ScenarioOfflineDriverHasZeroForbiddenCalls) {
    engine::Engine eng;
    eng.configure(48000, 128);
    eng.setChain(kSpecs[0]);
    eng.settle();
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> blocks{0};
    // The driver thread plays the audio thread, as the render loop does, block after block.
    std::thread driver([&] {
        std::vector<float> in(128), outL(128), outR(128);
        std::vector<fx::MidiEvent> midi(32);
        for (std::size_t i = 0; i < midi.size(); ++i)
            midi[i] = {static_cast<uint32_t>(i * 4), 3, {0x90, 60, 100}};
        double phase = 0;
        while (!stop.load()) {
            for (auto& x : in) {
                x = 0.3f * static_cast<float>(std::sin(phase));
                phase += 2 * M_PI * 330 / 48000;
            }
            engine::AudioIO io;
            io.in1 = in.data();
            io.outL = outL.data();
            io.outR = outR.data();
            io.frames = 128;
            io.midi = midi;
            eng.process(io);
            blocks.fetch_add(1);
            std::this_thread::sleep_for(std::chrono::microseconds(500));
        }
    });
    std::thread housekeeping([&] {
        while (!stop.load()) {
            eng.housekeeping();
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    rtcheck::resetCounts();
    const uint64_t adoptedBefore = eng.adoptedGeneration();
    const auto counts = storm(eng, [&](int step) {
        if (step == 5000) eng.configure(44100, 256); // a format change mid-storm
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const uint64_t forbidden = rtcheck::forbiddenCalls();
    const std::string what = rtcheck::report();
    stop.store(true);
    driver.join();
    housekeeping.join();
    const uint64_t adoptions = eng.adoptedGeneration() - adoptedBefore;
    std::printf("RT-safety scenario (offline driver): %d/%d/%d/%d changes, %llu blocks, %llu adoptions: "
                "forbidden calls = %llu %s\n",
                counts.params, counts.reorders, counts.bypasses, counts.replacements,
                static_cast<unsigned long long>(blocks.load()), static_cast<unsigned long long>(adoptions),
                static_cast<unsigned long long>(forbidden), what.c_str());
    EXPECT_GT(blocks.load(), 1000u);
    EXPECT_GT(adoptions, 200u);
    EXPECT_EQ(forbidden, 0u) << what;
}

} // namespace
