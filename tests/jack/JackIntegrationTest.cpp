// Integration against a real `jackd -d dummy -r 48000 -p 256`: ports, gain and exact latency, click-free
// reorder and bypass, buffer-size changes, server shutdown; the binary in headless mode.
#include "engine/Engine.h"
#include "engine/JackBackend.h"
#include "tests/support/JackClients.h"
#include "tests/support/JackServer.h"
#include "tests/support/Subprocess.h"
#include "tests/support/TestProcessors.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <sstream>
#include <thread>

using namespace stagerack;
using namespace std::chrono_literals;

namespace {

test::JackServer* gServer = nullptr;

// Servers these tests kill with -9 reuse one name: JACK2 reclaims a dead server's registry entry only for
// the same name, and its registry holds few servers, so fresh names would pile up stale entries.
constexpr const char* kCrashServer = "-n stagerack-crash-test";

class ServerEnvironment : public ::testing::Environment {
public:
    void SetUp() override {
        server_ = std::make_unique<test::JackServer>(256);
        if (!server_->ok()) FAIL() << server_->error();
        gServer = server_.get();
    }
    void TearDown() override {
        gServer = nullptr;
        server_.reset();
    }

private:
    std::unique_ptr<test::JackServer> server_;
};

[[maybe_unused]] auto* const kEnv = ::testing::AddGlobalTestEnvironment(new ServerEnvironment);

// The rack in this process with a housekeeping thread, as the headless app runs it.
struct Rack {
    engine::Engine engine;
    std::unique_ptr<engine::JackBackend> backend;
    std::atomic<bool> stop{false};
    std::thread keeper;

    explicit Rack(const std::string& name, const std::string& server = "") {
        engine::JackOptions opt;
        opt.clientName = name;
        opt.serverName = server.empty() ? gServer->name() : server;
        backend = std::make_unique<engine::JackBackend>(engine, opt);
    }
    void start() {
        backend->activate();
        keeper = std::thread([this] {
            while (!stop.load()) {
                engine.housekeeping();
                backend->poll();
                std::this_thread::sleep_for(10ms);
            }
        });
    }
    ~Rack() {
        stop.store(true);
        if (keeper.joinable()) keeper.join();
    }
};

std::vector<float> sine(double freq, float amp, std::size_t n) {
    std::vector<float> s(n);
    for (std::size_t i = 0; i < n; ++i)
        s[i] = amp * static_cast<float>(std::sin(2 * M_PI * freq * i / 48000.0));
    return s;
}

float maxStep(const std::vector<float>& x, std::size_t from, std::size_t to) {
    float m = 0;
    for (std::size_t i = from + 1; i < to; ++i)
        m = std::max(m, std::fabs(x[i] - x[i - 1]));
    return m;
}

TEST(JackBackend, PortsExistWithTheRightFlagsAndTypes) {
    ASSERT_NE(gServer, nullptr);
    Rack rack("sr_ports");
    rack.start();
    jack_client_t* c = rack.backend->client();
    struct Expect {
        const char* name;
        const char* type;
        int flags;
    } expect[] = {{"in_1", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput},
                  {"in_2", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput},
                  {"carrier_in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput},
                  {"out_L", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput},
                  {"out_R", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput},
                  {"midi_in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput}};
    for (const auto& e : expect) {
        jack_port_t* p = jack_port_by_name(c, (std::string("sr_ports:") + e.name).c_str());
        ASSERT_NE(p, nullptr) << e.name;
        EXPECT_STREQ(jack_port_type(p), e.type) << e.name;
        EXPECT_TRUE(jack_port_flags(p) & e.flags) << e.name;
    }
    const char** all = jack_get_ports(c, "^sr_ports:", nullptr, 0);
    int count = 0;
    for (const char** p = all; p && *p; ++p)
        ++count;
    jack_free(all);
    EXPECT_EQ(count, 6);
}

TEST(JackBackend, AudioComesBackWithTheExpectedGainAndExactlyTheReportedLatency) {
    Rack rack("sr_lat");
    rack.engine.setChain("utility:level_db=-6");
    rack.engine.insertSlot(1, std::make_unique<test::LatencyProcessor>(100));
    rack.start();
    test::SourceClient src("lat_src", gServer->name());
    test::SinkClient sink("lat_sink", gServer->name(), 4096);
    ASSERT_TRUE(src.ok() && sink.ok());
    ASSERT_EQ(jack_connect(src.client(), "lat_src:out", "sr_lat:in_1"), 0);
    ASSERT_EQ(jack_connect(sink.client(), "sr_lat:out_L", "lat_sink:in_1"), 0);
    std::this_thread::sleep_for(100ms);

    jack_latency_range_t in{}, out{};
    jack_port_get_latency_range(jack_port_by_name(src.client(), "sr_lat:in_1"), JackCaptureLatency, &in);
    jack_port_get_latency_range(jack_port_by_name(src.client(), "sr_lat:out_L"), JackCaptureLatency, &out);
    const uint32_t reported = out.max - in.max;
    EXPECT_EQ(reported, 100u);
    EXPECT_EQ(out.min - in.min, 100u);

    std::vector<float> impulse(1, 0.5f);
    src.setSignal(impulse, false);
    sink.start();
    std::this_thread::sleep_for(30ms);
    src.start();
    ASSERT_TRUE(sink.waitFull(5));
    const auto& rec = sink.data();
    std::size_t peak = 0;
    for (std::size_t i = 0; i < rec.size(); ++i)
        if (std::fabs(rec[i]) > std::fabs(rec[peak])) peak = i;
    const int64_t measured =
        static_cast<int64_t>(sink.startFrame() + peak) - static_cast<int64_t>(src.startFrame());
    std::printf("JACK round trip: reported latency %u samples, measured %lld samples, peak %.6f\n", reported,
                static_cast<long long>(measured), rec[peak]);
    EXPECT_EQ(measured, static_cast<int64_t>(reported));
    EXPECT_NEAR(20 * std::log10(rec[peak] / 0.5f), -6.0, 0.01);
}

TEST(JackBackend, ReorderAndBypassWhileASinePlaysMakeNoStepLargerThanTheSinesOwn) {
    Rack rack("sr_click");
    rack.engine.setChain("utility:level_db=-6>utility:invert=on>utility:mono=on");
    rack.start();
    const auto ids = rack.engine.slotIds();
    test::SourceClient src("click_src", gServer->name());
    test::SinkClient sink("click_sink", gServer->name(), 48000 * 3, 2);
    ASSERT_TRUE(src.ok() && sink.ok());
    const float amp = 0.5f;
    src.setSignal(sine(440.0, amp, 48000), true); // 440 Hz repeats exactly every 48000 samples
    ASSERT_EQ(jack_connect(src.client(), "click_src:out", "sr_click:in_1"), 0);
    ASSERT_EQ(jack_connect(sink.client(), "sr_click:out_L", "click_sink:in_1"), 0);
    ASSERT_EQ(jack_connect(sink.client(), "sr_click:out_R", "click_sink:in_2"), 0);
    src.start();
    std::this_thread::sleep_for(300ms);
    sink.start();
    int reorders = 0, toggles = 0;
    const auto end = std::chrono::steady_clock::now() + 2800ms;
    while (std::chrono::steady_clock::now() < end) {
        rack.engine.moveSlot(ids[static_cast<std::size_t>(reorders) % 3],
                             static_cast<std::size_t>(reorders * 2) % 3);
        ++reorders;
        std::this_thread::sleep_for(40ms);
        rack.engine.setBypass(ids[0], toggles % 2 == 0);
        ++toggles;
        std::this_thread::sleep_for(40ms);
    }
    ASSERT_TRUE(sink.waitFull(5));
    // The largest step of the sine itself at the highest gain the chain ever has (bypassed -6 dB: unity).
    const float own = maxStep(sine(440.0, amp, 48000), 0, 48000);
    const float stepL = maxStep(sink.data(0), 0, sink.data(0).size());
    const float stepR = maxStep(sink.data(1), 0, sink.data(1).size());
    std::printf("%d reorders, %d bypass toggles: largest step L %.6f R %.6f, sine's own %.6f\n", reorders,
                toggles, stepL, stepR, own);
    EXPECT_GT(reorders, 20);
    EXPECT_GT(toggles, 20);
    EXPECT_LE(stepL, own * 1.0001f);
    EXPECT_LE(stepR, own * 1.0001f);
    float peak = 0;
    for (float x : sink.data(0))
        peak = std::max(peak, std::fabs(x));
    EXPECT_GT(peak, amp * 0.9f) << "the sine really played through";
}

TEST(JackBackend, BufferSizeChangesKeepTheChainAndKeepPlaying) {
    Rack rack("sr_bufsize");
    rack.engine.setChain("utility:level_db=-6>delay:time_ms=50,mix=0");
    rack.start();
    const auto delayId = rack.engine.slotIds().at(1);
    const engine::Processor* delay = &rack.engine.slot(delayId)->processor();
    test::SourceClient src("bs_src", gServer->name());
    ASSERT_TRUE(src.ok());
    src.setSignal(sine(1000.0, 0.5f, 48000), true);
    ASSERT_EQ(jack_connect(src.client(), "bs_src:out", "sr_bufsize:in_1"), 0);
    src.start();
    for (jack_nframes_t size : {512u, 128u, 1024u, 256u}) {
        ASSERT_EQ(jack_set_buffer_size(src.client(), size), 0);
        std::this_thread::sleep_for(300ms);
        EXPECT_EQ(rack.backend->bufferSize(), size);
        EXPECT_EQ(rack.engine.maxBlock(), size);
        const auto blocks = rack.engine.processedBlocks();
        std::this_thread::sleep_for(200ms);
        EXPECT_GT(rack.engine.processedBlocks(), blocks) << "still processing at " << size;
        EXPECT_NEAR(rack.engine.meters().outPeak[0], 0.5f * 0.501f, 0.01f) << "gain right at " << size;
        EXPECT_EQ(&rack.engine.slot(delayId)->processor(), delay) << "the chain was rebuilt at " << size;
    }
    EXPECT_EQ(rack.engine.nonFiniteCount(), 0u);
}

// Real JACK MIDI between real clients: a keyboard client's note-on starts the vocoder's synth at the
// event's own frame (the output is exactly zero before it), and the note-off ends it.
TEST(JackBackend, MidiNoteStartsTheVocoderSynthAtItsOwnFrame) {
    Rack rack("sr_midi");
    rack.engine.setChain("vocoder:carrier=synth,bands=16,unvoiced=0,dry_mix=0");
    rack.start();
    test::SourceClient voice("midi_voice", gServer->name());
    test::MidiSourceClient keys("midi_keys", gServer->name());
    test::SinkClient sink("midi_sink", gServer->name(), 48000);
    ASSERT_TRUE(voice.ok() && keys.ok() && sink.ok());
    // The modulator: a steady harmonic tone standing in for a sung vowel.
    std::vector<float> vowel(48000);
    for (std::size_t i = 0; i < vowel.size(); ++i) {
        double x = 0;
        for (int k = 1; k <= 8; ++k)
            x += std::sin(2 * M_PI * 150.0 * k * static_cast<double>(i) / 48000.0) / k;
        vowel[i] = static_cast<float>(0.2 * x);
    }
    voice.setSignal(vowel, true);
    ASSERT_EQ(jack_connect(voice.client(), "midi_voice:out", "sr_midi:in_1"), 0);
    ASSERT_EQ(jack_connect(keys.client(), "midi_keys:out", "sr_midi:midi_in"), 0);
    ASSERT_EQ(jack_connect(sink.client(), "sr_midi:out_L", "midi_sink:in_1"), 0);
    voice.start();
    std::this_thread::sleep_for(300ms); // the envelope followers settle on the vowel
    // A note 0.4 s from now, at an offset that is no block boundary, held for 0.2 s.
    const uint64_t on = keys.frameTime() + 19200 + 37;
    const uint64_t off = on + 9600;
    keys.setEvents({{on, {0x90, 57, 100}}, {off, {0x80, 57, 0}}});
    sink.start();
    keys.start();
    ASSERT_TRUE(sink.waitFull(5));
    ASSERT_EQ(keys.sent(), 2u);
    const auto& out = sink.data();
    std::size_t first = out.size();
    for (std::size_t i = 0; i < out.size(); ++i)
        if (out[i] != 0.f) {
            first = i;
            break;
        }
    ASSERT_LT(first, out.size()) << "no output at all";
    const int64_t startFrame = static_cast<int64_t>(sink.startFrame() + first);
    std::printf("MIDI note-on at frame %llu, vocoder output starts at frame %lld\n",
                static_cast<unsigned long long>(on), static_cast<long long>(startFrame));
    EXPECT_EQ(startFrame, static_cast<int64_t>(on));
    // Sounding while held, fading after the note-off (release) and gone 150 ms later.
    const auto at = [&](uint64_t frame) { return static_cast<std::size_t>(frame - sink.startFrame()); };
    float held = 0.f, after = 0.f;
    for (std::size_t i = at(on + 2400); i < at(off); ++i)
        held = std::max(held, std::fabs(out[i]));
    for (std::size_t i = at(off + 7200); i < at(off + 9600) && i < out.size(); ++i)
        after = std::max(after, std::fabs(out[i]));
    EXPECT_GT(held, 0.01f);
    EXPECT_LT(after, held * 1e-3f);
}

TEST(JackBackend, ServerShutdownIsDetected) {
    test::JackServer own(256, 48000, kCrashServer);
    ASSERT_TRUE(own.ok()) << own.error();
    Rack rack("sr_gone", own.name());
    rack.start();
    EXPECT_FALSE(rack.backend->serverGone());
    own.kill9();
    const auto end = std::chrono::steady_clock::now() + 5s;
    while (!rack.backend->serverGone() && std::chrono::steady_clock::now() < end)
        std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(rack.backend->serverGone());
}

TEST(Headless, BinaryConnectsItsPortsRunsAndStopsOnSigterm) {
    test::SourceClient src("hl_src", gServer->name());
    ASSERT_TRUE(src.ok());
    test::Child child({STAGERACK_BINARY, "--headless", "--server", gServer->name(), "--jack-name", "hl_rack",
                       "--chain", "gate>delay:time_ms=375", "--connect-in", "hl_src:out", "--status-interval",
                       "0.2"});
    ASSERT_TRUE(test::waitForPort(src.client(), "hl_rack:out_R", 10)) << child.err();
    std::this_thread::sleep_for(300ms);
    const char** conns =
        jack_port_get_all_connections(src.client(), jack_port_by_name(src.client(), "hl_src:out"));
    ASSERT_NE(conns, nullptr);
    EXPECT_STREQ(conns[0], "hl_rack:in_1");
    jack_free(conns);
    std::this_thread::sleep_for(300ms);
    child.signal(SIGTERM);
    EXPECT_EQ(child.wait(10), 0) << child.err();
    EXPECT_NE(child.out().find("DSP"), std::string::npos) << child.out();
}

TEST(Headless, ABadConnectionIsOneWarningAndTheRackKeepsRunning) {
    test::Child child({STAGERACK_BINARY, "--headless", "--server", gServer->name(), "--jack-name", "hl_warn",
                       "--connect-out", "nosuch:port", "--run-seconds", "1"});
    EXPECT_EQ(child.wait(15), 0) << child.err();
    EXPECT_NE(child.err().find("stagerack: connect: hl_warn:out_L -> nosuch:port: failed"), std::string::npos)
        << child.err();
}

TEST(Headless, ServerShutdownIsReportedInOneLineAndExitsNonZero) {
    test::JackServer own(256, 48000, kCrashServer);
    ASSERT_TRUE(own.ok()) << own.error();
    test::Child child({STAGERACK_BINARY, "--headless", "--server", own.name(), "--jack-name", "hl_gone"});
    {
        test::SourceClient probe("hl_probe", own.name());
        ASSERT_TRUE(test::waitForPort(probe.client(), "hl_gone:out_L", 10)) << child.err();
    }
    own.kill9();
    const int rc = child.wait(10);
    EXPECT_EQ(rc, 3) << child.err();
    EXPECT_NE(child.err().find("stagerack: jack: server shut down"), std::string::npos) << child.err();
}

// The live tuner: a sine 3 cents above A2 played into in_1 through JACK; the rack prints tuner lines.
TEST(Headless, LiveTunerReadsTheInputThroughJack) {
    test::SourceClient src("tu_src", gServer->name());
    ASSERT_TRUE(src.ok());
    const double hz = 110.0 * std::pow(2.0, 3.0 / 1200.0);
    std::vector<float> sine(48000 * 4);
    for (std::size_t i = 0; i < sine.size(); ++i)
        sine[i] = static_cast<float>(0.3 * std::sin(2.0 * M_PI * hz * static_cast<double>(i) / 48000.0));
    src.setSignal(sine, true);
    src.start();
    test::Child child({STAGERACK_BINARY, "--headless", "--server", gServer->name(), "--jack-name", "tu_rack",
                       "--connect-in", "tu_src:out", "--tuner", "in_1", "--tuner-interval", "0.05",
                       "--tuner-instrument", "standard", "--run-seconds", "3"});
    EXPECT_EQ(child.wait(20), 0) << child.err();
    // The last lines, after the note has settled: A2, +3 cents, string 5 of a standard guitar.
    std::vector<std::string> lines;
    std::istringstream out(child.out());
    for (std::string line; std::getline(out, line);)
        if (line.rfind("tuner: ", 0) == 0) lines.push_back(line);
    ASSERT_GT(lines.size(), 20u) << child.out();
    for (std::size_t i = lines.size() - 10; i < lines.size(); ++i) {
        char note[8] = {};
        double cents = 0.0, freq = 0.0, confidence = 0.0;
        int string = 0;
        ASSERT_EQ(std::sscanf(lines[i].c_str(), "tuner: %7s %lf cents %lf Hz confidence %lf string %d", note,
                              &cents, &freq, &confidence, &string),
                  5)
            << lines[i];
        EXPECT_STREQ(note, "A2");
        EXPECT_NEAR(cents, 3.0, 0.05) << lines[i];
        EXPECT_NEAR(freq, hz, 0.01) << lines[i];
        EXPECT_EQ(string, 5) << lines[i];
    }
}

TEST(Headless, NoServerIsAOneLineError) {
    const auto r = test::runProgram({STAGERACK_BINARY, "--headless", "--server", "no-such-server-xyz"}, 20);
    EXPECT_NE(r.exitCode, 0);
    EXPECT_EQ(r.err, "stagerack: jack: cannot connect to server 'no-such-server-xyz' (is jackd running?)\n");
}

} // namespace
