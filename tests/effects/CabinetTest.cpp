// Cabinet: exact convolution (an impulse returns the response), zero latency, user IR loading with
// resampling, bad files refused with the previous response kept, click-free swaps.
#include "effects/cabinet/Cabinet.h"
#include "effects/dsp/ImpulseResponse.h"
#include "tests/support/Analysis.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>
#include <sndfile.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

using namespace stagerack;
using fx::Cabinet;

namespace {

std::string tempPath(const std::string& name) {
    return "/tmp/stagerack-cab-" + std::to_string(::getpid()) + "-" + name;
}

void writeWav(const std::string& path, int rate, int channels, const std::vector<float>& interleaved) {
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = channels;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
    sf_writef_float(f, interleaved.data(), static_cast<sf_count_t>(interleaved.size() / channels));
    sf_close(f);
}

// The impulse response of the cabinet as configured: an impulse through it, in blocks of `block`.
test::StereoBuffer impulseThrough(Cabinet& cab, std::size_t frames, uint32_t block) {
    auto buf = test::dualMono(test::impulse(frames));
    test::runBlocks(cab, buf, 48000.0, block);
    return buf;
}

std::vector<float> decayingIr(std::size_t n, uint64_t seed) {
    auto ir = test::whiteNoise(n, seed, 0.5f);
    for (std::size_t i = 0; i < n; ++i)
        ir[i] *= static_cast<float>(std::exp(-5.0 * i / n));
    ir[0] = 1.f;
    return ir;
}

TEST(Cabinet, MetadataIsComplete) {
    EXPECT_TRUE(test::metadataProblems(fx::infoOf<Cabinet>()).empty());
}

TEST(Cabinet, EveryBuiltinModelReturnsItsResponseExactlyForAnImpulse) {
    for (std::size_t m = 0; m < Cabinet::kModelLabels.size(); ++m) {
        const auto ir = Cabinet::builtinResponse(m);
        ASSERT_GE(ir.size(), 1024u);
        Cabinet cab;
        test::prepareLikeHost(cab, 48000.0, 100, {{"model", static_cast<float>(m)}});
        const auto out = impulseThrough(cab, ir.size() + 500, 100);
        float worst = 0.f;
        for (std::size_t i = 0; i < out.frames(); ++i) {
            const float expect = i < ir.size() ? ir[i] : 0.f;
            worst = std::max({worst, std::fabs(out.left[i] - expect), std::fabs(out.right[i] - expect)});
        }
        std::printf("cabinet %-12s %zu taps: max |output - IR| = %.3g\n",
                    std::string(Cabinet::kModelLabels[m]).c_str(), ir.size(), static_cast<double>(worst));
        EXPECT_LT(worst, 2e-6f) << Cabinet::kModelLabels[m];
        EXPECT_EQ(out.left[0], ir[0]) << "zero latency: the direct head answers in the same sample";
    }
}

// zita's Convproc::reset() rewinds its levels but not its input offset: after an odd number of
// 64-sample partitions, a reset used to leave the tail one partition late.
TEST(Cabinet, ResetAfterAnyAmountOfAudioGivesTheExactResponseAgain) {
    const auto ir = Cabinet::builtinResponse(2);
    for (std::size_t played : {64u * 75u, 64u * 74u, 1000u, 63u}) {
        Cabinet cab;
        test::prepareLikeHost(cab, 48000.0, 64);
        auto noise = test::dualMono(test::whiteNoise(played, 3, 0.3f));
        test::runBlocks(cab, noise, 48000.0, 64);
        cab.reset();
        const auto out = impulseThrough(cab, ir.size() + 200, 64);
        float worst = 0.f;
        for (std::size_t i = 0; i < out.frames(); ++i)
            worst = std::max(worst, std::fabs(out.left[i] - (i < ir.size() ? ir[i] : 0.f)));
        EXPECT_LT(worst, 2e-6f) << "after " << played << " samples";
    }
}

TEST(Cabinet, OutputIsBlockSizeInvariant) {
    const auto input = test::dualMono(test::whiteNoise(20000, 5, 0.3f));
    const float dev = test::blockSizeDeviation<Cabinet>(48000.0, input, {{"model", 0.f}}, {});
    EXPECT_LT(dev, 1e-5f);
}

TEST(Cabinet, UserIrIsLoadedExactlyAtTheSameRateAndStereoStaysStereo) {
    const auto l = decayingIr(3000, 1), r = decayingIr(2500, 2);
    std::vector<float> inter;
    for (std::size_t i = 0; i < 3000; ++i) {
        inter.push_back(l[i]);
        inter.push_back(i < r.size() ? r[i] : 0.f);
    }
    const auto path = tempPath("stereo.wav");
    writeWav(path, 48000, 2, inter);
    Cabinet cab;
    test::prepareLikeHost(cab, 48000.0, 64);
    cab.setProperty(0, path);
    // The new response arrives at a block boundary and fades in over 30 ms: let it settle on silence.
    auto silence = test::dualMono(test::constant(4800, 0.f));
    test::runBlocks(cab, silence, 48000.0, 64);
    const auto out = impulseThrough(cab, 3500, 64);
    float worst = 0.f;
    for (std::size_t i = 0; i < 3500; ++i) {
        worst = std::max(worst, std::fabs(out.left[i] - (i < l.size() ? l[i] : 0.f)));
        worst = std::max(worst, std::fabs(out.right[i] - (i < r.size() ? r[i] : 0.f)));
    }
    EXPECT_LT(worst, 2e-6f);
    cab.collectGarbage();
    ::unlink(path.c_str());
}

TEST(Cabinet, UserIrAtAnotherRateIsResampled) {
    // A single tap at 4.41 ms recorded at 44.1 kHz must land at 4.41 ms (211.7 samples) at 48 kHz.
    std::vector<float> ir(4410, 0.f);
    ir[194] = 1.f;
    const auto path = tempPath("441.wav");
    writeWav(path, 44100, 1, ir);
    Cabinet cab;
    test::prepareLikeHost(cab, 48000.0, 64);
    cab.setProperty(0, path);
    auto silence = test::dualMono(test::constant(4800, 0.f));
    test::runBlocks(cab, silence, 48000.0, 64);
    const auto out = impulseThrough(cab, 4800, 64);
    // The tap falls between samples (211.66): locate it by parabolic interpolation around the peak.
    const auto k = test::peakIndex(out.left);
    const double a = out.left[k - 1], b = out.left[k], c = out.left[k + 1];
    const double where = static_cast<double>(k) + 0.5 * (a - c) / (a - 2 * b + c);
    EXPECT_NEAR(where, 194.0 * 48000.0 / 44100.0, 0.25);
    // A unit tap at 44.1 kHz carries 48/44.1 times the DC gain once it is spread over 48 kHz samples.
    double sum = 0;
    for (float x : out.left)
        sum += x;
    EXPECT_NEAR(sum, 48000.0 / 44100.0, 0.01);
    ::unlink(path.c_str());
}

TEST(Cabinet, BadIrFilesAreRefusedInOneLineAndThePreviousResponseStays) {
    const auto dir = tempPath("bad");
    const std::string text = dir + "-text.wav", empty = dir + "-empty.wav", longer = dir + "-long.wav",
                      quad = dir + "-quad.wav", silent = dir + "-silent.wav", slow = dir + "-slow.wav";
    std::ofstream(text) << "not audio at all\n";
    writeWav(empty, 48000, 1, {});
    writeWav(longer, 48000, 1, std::vector<float>(48000 * 5 / 2, 0.1f));
    writeWav(quad, 48000, 4, std::vector<float>(400, 0.1f));
    writeWav(silent, 48000, 1, std::vector<float>(1000, 0.f));
    writeWav(slow, 2000, 1, std::vector<float>(100, 0.1f));

    Cabinet cab;
    test::prepareLikeHost(cab, 48000.0, 64, {{"model", 1.f}});
    const auto reference = impulseThrough(cab, 3000, 64);
    struct Case {
        std::string path, expect;
    } cases[] = {{dir + "-missing.wav", "No such file or directory"},
                 {"/tmp", "is a directory"},
                 {text, "cannot read audio"},
                 {empty, "empty"},
                 {longer, "2.50 s long; at most 2 s allowed"},
                 {quad, "4 channels; mono or stereo expected"},
                 {silent, "is silent"},
                 {slow, "sample rate 2000 Hz is outside 8000..384000"}};
    for (const auto& c : cases) {
        try {
            cab.setProperty(0, c.path);
            ADD_FAILURE() << "accepted " << c.path;
        } catch (const std::runtime_error& e) {
            const std::string what = e.what();
            EXPECT_NE(what.find(c.expect), std::string::npos) << what;
            EXPECT_EQ(what.find('\n'), std::string::npos) << what;
        }
    }
    cab.reset();
    const auto after = impulseThrough(cab, 3000, 64);
    EXPECT_EQ(test::maxAbsDiff(reference.left, after.left), 0.f) << "the previous response is still playing";
    for (const auto& p : {text, empty, longer, quad, silent, slow})
        ::unlink(p.c_str());
}

TEST(Cabinet, ModelChangesAndIrLoadsCrossfadeWithoutClicks) {
    test::StepSpec spec; // 997 Hz: every model passes it
    for (float to : {0.f, 3.f, 4.f, 5.f}) {
        const auto r = test::stepParamMidSine<Cabinet>(spec, {}, "model", 2.f, to);
        std::printf("model 2 -> %.0f: click score %.2f\n", static_cast<double>(to), r.clickScore);
        EXPECT_LT(r.clickScore, 2.0) << "model 2 -> " << to;
        EXPECT_GT(r.effect, 0.01) << "the change must be audible";
    }
    const auto level = test::stepParamMidSine<Cabinet>(spec, {}, "level_db", 0.f, -24.f);
    EXPECT_LT(level.clickScore, 2.0);
}

TEST(Cabinet, LoadingAUserIrWhilePlayingCrossfadesAndTheOldOneIsCollected) {
    const auto path = tempPath("swap.wav");
    writeWav(path, 48000, 1, decayingIr(1500, 9));
    Cabinet cab;
    test::prepareLikeHost(cab, 48000.0, 64);
    const std::size_t frames = 48000, at = 24000;
    auto buf = test::dualMono(test::fadedSine(997.0, 48000.0, frames, 0.25f, 480));
    test::runBlocks(cab, buf, 48000.0, 64, [&](std::size_t pos, uint32_t) {
        if (pos == at) cab.setProperty(0, path);        // a control thread would do this
        if (pos == at + 9600) cab.setProperty(0, path); // replace it again: the first one is retired
        if (pos == at + 19200) cab.collectGarbage();    // the housekeeping thread
    });
    const test::Window before{at - 4800, at}, event{at, at + 4800}, after{at + 4800, at + 9600};
    const double score = test::clickScore(buf.left, event, before, after);
    std::printf("user IR swap mid-sine: click score %.2f\n", score);
    EXPECT_LT(score, 2.0);
    EXPECT_GT(test::maxAbsDiff(test::slice(buf.left, before), test::slice(buf.left, after)), 0.01f);
    ::unlink(path.c_str());
}

TEST(Cabinet, SilenceInGivesSilenceOutAndSoakStaysFinite) {
    Cabinet cab;
    test::prepareLikeHost(cab, 96000.0, 256, {{"model", 4.f}});
    auto buf = test::dualMono(test::constant(20000, 0.f));
    test::runBlocks(cab, buf, 96000.0, 256);
    EXPECT_EQ(test::peak(buf.left), 0.f);
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        const auto soak = test::randomParamSoak<Cabinet>(rate, 2.0, 512, 11, 0.5f);
        EXPECT_TRUE(soak.finite) << rate;
    }
}

} // namespace
