// The real binary: machine-readable listings, help, render (gain, determinism, tail) and every bad
// input path (one line on stderr, non-zero exit, no output file, user files untouched).
#include "tests/support/Subprocess.h"

#include <nlohmann/json.hpp>
#include <sndfile.h>

#include <gtest/gtest.h>

#include <cmath>
#include <dirent.h>
#include <fstream>

using namespace stagerack;
using nlohmann::json;

namespace {

const std::string kBin = STAGERACK_BINARY;

test::RunResult run(std::vector<std::string> args) {
    args.insert(args.begin(), kBin);
    return test::runProgram(args, 120);
}

void writeWav(const std::string& path, int rate, int channels, const std::vector<float>& interleaved,
              int format = SF_FORMAT_WAV | SF_FORMAT_FLOAT) {
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = channels;
    info.format = format;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
    sf_writef_float(f, interleaved.data(), static_cast<sf_count_t>(interleaved.size() / channels));
    sf_close(f);
}

struct Audio {
    int rate = 0, channels = 0;
    std::vector<float> data;
};

Audio readWav(const std::string& path) {
    SF_INFO info{};
    SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
    Audio a;
    if (!f) return a;
    a.rate = info.samplerate;
    a.channels = info.channels;
    a.data.resize(static_cast<std::size_t>(info.frames * info.channels));
    sf_readf_float(f, a.data.data(), info.frames);
    sf_close(f);
    return a;
}

std::vector<float> sine(double freq, double rate, float amp, std::size_t n) {
    std::vector<float> s(n);
    for (std::size_t i = 0; i < n; ++i)
        s[i] = amp * static_cast<float>(std::sin(2 * M_PI * freq * i / rate));
    return s;
}

double rms(const std::vector<float>& x, std::size_t from, std::size_t to, std::size_t stride,
           std::size_t offset) {
    double s = 0;
    std::size_t n = 0;
    for (std::size_t i = from; i < to; ++i, ++n)
        s += double(x[i * stride + offset]) * x[i * stride + offset];
    return std::sqrt(s / n);
}

std::vector<std::string> listDir(const std::string& dir) {
    std::vector<std::string> names;
    if (DIR* d = opendir(dir.c_str())) {
        while (auto* e = readdir(d))
            if (e->d_name[0] != '.') names.emplace_back(e->d_name);
        closedir(d);
    }
    return names;
}

void expectOneLineError(const test::RunResult& r, const std::string& contains) {
    EXPECT_NE(r.exitCode, 0);
    EXPECT_EQ(r.err.rfind("stagerack: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(contains), std::string::npos) << "expected '" << contains << "' in: " << r.err;
}

TEST(Cli, VersionAndHelp) {
    auto r = run({"--version"});
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_EQ(r.out.rfind("stagerack ", 0), 0u);
    r = run({"--help"});
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_NE(r.out.find("render"), std::string::npos);
}

TEST(Cli, EffectsJsonHasTheContractShape) {
    const auto r = run({"effects", "--json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const json j = json::parse(r.out);
    ASSERT_TRUE(j.is_array());
    std::set<std::string> ids;
    for (const auto& e : j) {
        for (const char* k : {"id", "name", "category", "help", "latency_samples", "params"})
            EXPECT_TRUE(e.contains(k)) << k;
        EXPECT_FALSE(e["help"].get<std::string>().empty());
        ids.insert(e["id"]);
        for (const auto& p : e["params"]) {
            for (const char* k : {"id", "name", "unit", "min", "max", "default", "scale", "labels"})
                EXPECT_TRUE(p.contains(k)) << e["id"] << " " << k;
            EXPECT_LE(p["min"].get<double>(), p["default"].get<double>());
            EXPECT_LE(p["default"].get<double>(), p["max"].get<double>());
            EXPECT_TRUE(p["labels"].is_array());
        }
    }
    for (const char* id : {"utility",    "gate",         "compressor",    "limiter", "overdrive",
                           "distortion", "fuzz",         "amp",           "cabinet", "eq",
                           "geq",        "wah",          "chorus",        "flanger", "phaser",
                           "tremolo",    "vibrato",      "rotary",        "ringmod", "delay",
                           "tape_echo",  "analog_delay", "reverse_delay", "reverb",  "convolution_reverb",
                           "widener",    "exciter"})
        EXPECT_TRUE(ids.count(id)) << id;
    const auto delay = *std::find_if(j.begin(), j.end(), [](const json& e) { return e["id"] == "delay"; });
    std::set<std::string> params;
    for (const auto& p : delay["params"])
        params.insert(p["id"]);
    EXPECT_EQ(params,
              (std::set<std::string>{"time_ms", "feedback", "mix", "highcut_hz", "pingpong", "sync"}));
    const auto time = *std::find_if(delay["params"].begin(), delay["params"].end(),
                                    [](const json& p) { return p["id"] == "time_ms"; });
    EXPECT_EQ(time["min"], 1);
    EXPECT_EQ(time["max"], 2000);
    EXPECT_EQ(time["unit"], "ms");
}

TEST(Cli, EffectsAndHelpListEveryParameter) {
    auto r = run({"effects"});
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_NE(r.out.find("gate"), std::string::npos);
    r = run({"help", "gate"});
    ASSERT_EQ(r.exitCode, 0);
    for (const char* p : {"threshold_db", "attack_ms", "hold_ms", "release_ms", "hysteresis_db", "range_db"})
        EXPECT_NE(r.out.find(p), std::string::npos) << p;
    expectOneLineError(run({"help", "nosuch"}), "stagerack: nosuch: unknown effect");
}

TEST(Render, AppliesTheChainAtTheInputRateInStereoFloat) {
    const auto dir = test::tempDir();
    writeWav(dir + "/in.wav", 44100, 1, sine(1000, 44100, 0.5f, 44100));
    const auto r = run({"render", dir + "/in.wav", dir + "/out.wav", "--chain", "utility:level_db=-6"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const auto a = readWav(dir + "/out.wav");
    EXPECT_EQ(a.rate, 44100);
    EXPECT_EQ(a.channels, 2);
    ASSERT_EQ(a.data.size(), 2u * 44100u);
    const double inRms = 0.5 / std::sqrt(2.0);
    EXPECT_NEAR(20 * std::log10(rms(a.data, 4410, 44100, 2, 0) / inRms), -6.0, 0.01);
    EXPECT_NEAR(20 * std::log10(rms(a.data, 4410, 44100, 2, 1) / inRms), -6.0, 0.01);
}

TEST(Render, IdenticalInputAndSettingsGiveBitIdenticalOutput) {
    const auto dir = test::tempDir();
    std::vector<float> st(2 * 48000);
    for (std::size_t i = 0; i < 48000; ++i) {
        st[2 * i] = 0.4f * std::sin(0.05f * i) * (i % 9000 < 4000 ? 1.f : 0.01f);
        st[2 * i + 1] = 0.3f * std::sin(0.031f * i);
    }
    writeWav(dir + "/in.wav", 48000, 2, st);
    const std::string chain = "gate:threshold_db=-30>utility:pan=0.3>cabinet:model=2x12>delay:time_ms=123.4,"
                              "feedback=0.6,pingpong=on";
    for (const char* out : {"/a.wav", "/b.wav"}) {
        const auto r =
            run({"render", dir + "/in.wav", dir + out, "--chain", chain, "--block", "100", "--tail", "1"});
        ASSERT_EQ(r.exitCode, 0) << r.err;
    }
    const auto a = test::readFile(dir + "/a.wav");
    EXPECT_GT(a.size(), 2u * 4 * 96000);
    EXPECT_EQ(a, test::readFile(dir + "/b.wav"));
    const auto audio = readWav(dir + "/a.wav");
    EXPECT_EQ(audio.data.size(), 2u * (48000 + 48000)) << "1 s of tail appended";
}

TEST(Render, BadInputIsOneLineNonZeroAndLeavesNoOutput) {
    const auto dir = test::tempDir();
    writeWav(dir + "/in.wav", 48000, 1, sine(440, 48000, 0.5f, 4800));
    writeWav(dir + "/slow.wav", 4000, 1, sine(440, 4000, 0.5f, 400));
    writeWav(dir + "/quad.wav", 48000, 4, std::vector<float>(4 * 100, 0.f));
    std::ofstream(dir + "/text.wav") << "this is not audio\n";
    const std::string in = dir + "/in.wav", out = dir + "/out.wav";
    struct Case {
        std::vector<std::string> args;
        std::string expect;
    } cases[] = {
        {{"render", in, out, "--chain", "nosuch"}, "nosuch: unknown effect"},
        {{"render", in, out, "--chain", "delay:nosuch=1"}, "delay: nosuch: unknown parameter"},
        {{"render", in, out, "--chain", "delay:time_ms=5000"},
         "delay: time_ms: value 5000 out of range 1..2000 ms"},
        {{"render", in, out, "--chain", "delay:time_ms=abc"}, "is not a number"},
        {{"render", in, out, "--chain", "gate>>delay"}, "chain: slot 2 is empty"},
        {{"render", in, out, "--chain", "delay:pingpong=maybe"}, "pingpong: 'maybe' is not on/off"},
        {{"render", dir + "/missing.wav", out, "--chain", "gate"}, "missing.wav: No such file or directory"},
        {{"render", dir, out, "--chain", "gate"}, "is a directory"},
        {{"render", dir + "/text.wav", out, "--chain", "gate"}, "cannot read audio"},
        {{"render", dir + "/quad.wav", out, "--chain", "gate"}, "4 channels; mono or stereo expected"},
        {{"render", dir + "/slow.wav", out, "--chain", "gate"},
         "sample rate 4000 Hz is outside 8000..384000"},
        {{"render", in, dir + "/no/such/dir/out.wav", "--chain", "gate"}, "cannot write"},
        {{"render", in, out, "--chain", "gate", "--block", "0"}, "block size"},
        {{"render", in, out, "--chain", "gate", "--block", "9000"}, "block size: 9000 is outside 1..8192"},
        {{"render", in, out, "--chain", "gate", "--block", "x"}, "usage"},
        {{"render", in}, "usage"},
        {{"render", in, out, "--preset", "Clean"}, "presets are not available"},
        {{"render", in, out, "--chain", "gate", "--tempo", "500"}, "tempo: must be between 20 and 300 BPM"},
        {{"render", in, out, "--chain", "cabinet:ir_file=/nonexistent.wav"},
         "cabinet: ir_file: /nonexistent.wav: No such file or directory"},
        {{"render", in, out, "--chain", "cabinet:ir_file=" + dir + "/text.wav"}, "cannot read audio"},
        {{"render", in, out, "--chain", "cabinet:model=8x12"}, "model: '8x12' is not one of 1x12 2x12"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.args[1] + " " + (c.args.size() > 4 ? c.args[4] : ""));
        expectOneLineError(run(c.args), c.expect);
        EXPECT_FALSE(test::fileExists(out));
    }
    auto names = listDir(dir);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"in.wav", "quad.wav", "slow.wav", "text.wav"}))
        << "no temporary files left behind";
}

TEST(Render, AFailedRenderNeverTouchesAnExistingOutputFile) {
    const auto dir = test::tempDir();
    writeWav(dir + "/in.wav", 48000, 1, sine(440, 48000, 0.5f, 4800));
    std::ofstream(dir + "/out.wav") << "the user's precious file";
    expectOneLineError(run({"render", dir + "/in.wav", dir + "/out.wav", "--chain", "gate:range_db=5"}),
                       "range_db: value 5 out of range");
    EXPECT_EQ(test::readFile(dir + "/out.wav"), "the user's precious file");
}

TEST(Bench, JsonHasTheContractShapeAndARowPerEffect) {
    const auto r = run({"bench", "--json", "--seconds", "0.02", "--chain", "gate>delay"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const json j = json::parse(r.out);
    EXPECT_EQ(j["rate"], 48000);
    EXPECT_EQ(j["block"], 64);
    std::set<std::string> names;
    for (const auto& row : j["results"]) {
        names.insert(row["name"]);
        EXPECT_GT(row["ns_per_sample"].get<double>(), 0.0);
        EXPECT_NEAR(row["percent_core"].get<double>(), row["ns_per_sample"].get<double>() * 48000 / 1e7,
                    1e-9);
    }
    for (const char* n : {"engine (empty chain)", "utility", "gate", "delay", "chain: gate>delay"})
        EXPECT_TRUE(names.count(n)) << n;
    expectOneLineError(run({"bench", "--block", "0"}), "block size");
    expectOneLineError(run({"bench", "--rate", "1000"}), "sample rate");
    expectOneLineError(run({"bench", "--chain", "gate>nosuch"}), "nosuch: unknown effect");
}

TEST(Cli, UnknownOptionsAndChainsFailBeforeTouchingJack) {
    expectOneLineError(run({"--frobnicate"}), "usage");
    expectOneLineError(run({"--headless", "--chain", "gate>>x"}), "chain: slot 2 is empty");
    // Tuner options are checked before JACK too (the server named here does not exist).
    expectOneLineError(run({"--headless", "--server", "nosuch", "--tuner", "in_3"}),
                       "stagerack: --tuner: 'in_3' is not an input (in_1, in_2 or sum)");
    expectOneLineError(
        run({"--headless", "--server", "nosuch", "--tuner", "in_1", "--tuner-reference", "500"}),
        "stagerack: tuning: reference A4 = 500 Hz is outside 400.0..480.0 Hz");
    expectOneLineError(
        run({"--headless", "--server", "nosuch", "--tuner", "sum", "--tuner-instrument", "lute"}),
        "stagerack: tuning: unknown instrument tuning 'lute'");
    expectOneLineError(run({"--headless", "--server", "nosuch", "--tuner-mute"}),
                       "stagerack: --tuner-mute: needs --tuner");
}

} // namespace
