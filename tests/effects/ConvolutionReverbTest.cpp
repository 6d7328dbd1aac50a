// Convolution reverb: the non-uniform zero-latency convolver returns long responses exactly, pre-delay
// shifts by whole samples, bad files are refused with the previous response kept, swaps crossfade, block
// sizes do not matter, and the cost (average and peak) for 1 s and 5 s responses.
#include "effects/reverb/ConvolutionReverb.h"
#include "tests/support/Analysis.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>
#include <sndfile.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <time.h>
#include <unistd.h>

namespace stagerack::test {
namespace {

using fx::ConvolutionReverb;
using fx::LongConvolver;
constexpr double kRate = 48000.0;

std::string tempPath(const std::string& name) {
    return "/tmp/stagerack-convrev-" + std::to_string(::getpid()) + "-" + name;
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

// Noise under an exponential decay (60 dB over the length), a unit first tap.
std::vector<float> roomIr(std::size_t n, uint64_t seed) {
    auto ir = whiteNoise(n, seed, 0.5f);
    for (std::size_t i = 0; i < n; ++i)
        ir[i] *= static_cast<float>(std::exp(-6.9 * static_cast<double>(i) / static_cast<double>(n)));
    ir[0] = 1.f;
    return ir;
}

std::string writeStereoIr(const std::string& name, const std::vector<float>& l, const std::vector<float>& r) {
    std::vector<float> inter;
    inter.reserve(2 * l.size());
    for (std::size_t i = 0; i < l.size(); ++i) {
        inter.push_back(l[i]);
        inter.push_back(i < r.size() ? r[i] : 0.f);
    }
    const auto path = tempPath(name);
    writeWav(path, static_cast<int>(kRate), 2, inter);
    return path;
}

// A reverb with `path` loaded and faded in (the swap happens at the first block; 50 ms of silence).
std::unique_ptr<ConvolutionReverb> loaded(const std::string& path, uint32_t block,
                                          const std::vector<ParamValue>& values = {{"mix", 1.f}}) {
    auto rev = std::make_unique<ConvolutionReverb>();
    prepareLikeHost(*rev, kRate, block, values);
    if (!path.empty()) rev->setProperty(0, path);
    auto silence = dualMono(constant(4800, 0.f));
    runBlocks(*rev, silence, kRate, block);
    rev->reset();
    return rev;
}

TEST(ConvolutionReverb, MetadataIsComplete) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<ConvolutionReverb>()).empty());
    EXPECT_EQ(ConvolutionReverb::kCategory, "reverb");
}

TEST(ConvolutionReverb, LayoutCoversTheResponseAndEveryPieceAbsorbsItsBlockDelay) {
    for (std::size_t taps : {10u, 1024u, 1025u, 5000u, 16384u, 48000u, 240000u, 480000u}) {
        const auto pieces = LongConvolver::planLayout(taps);
        uint32_t expect = 0;
        for (const auto& p : pieces) {
            EXPECT_EQ(p.begin, expect) << taps;
            EXPECT_GT(p.end, p.begin) << taps;
            if (p.partition > 0) {
                EXPECT_GE(p.begin, p.partition) << "the FIFO delay must fit before the piece starts";
                EXPECT_EQ(p.begin % p.partition, 0u);
            }
            expect = p.end;
        }
        EXPECT_EQ(expect, taps);
    }
    const auto pieces = LongConvolver::planLayout(480000);
    std::printf("[measured] convolution layout for 10 s at 48 kHz:");
    for (const auto& p : pieces)
        std::printf(" [%u,%u)/%u@%u", p.begin, p.end, p.partition, p.phase);
    std::printf("\n");
    // Simulate which sample completes each piece's block over one 4096-sample cycle.
    std::vector<int> heavy(4096 / 64, 0);
    // (The 64-sample partitions compute every period by design; they are small.)
    for (std::size_t k = 1; k < pieces.size(); ++k)
        for (uint32_t t = 0; t < 4096 && pieces[k].partition > 64; ++t)
            if (((t - pieces[k].phase) & (pieces[k].partition - 1)) == pieces[k].partition - 1)
                ++heavy[t / 64];
    for (int h : heavy)
        EXPECT_LE(h, 1) << "two block computations in one 64-sample period";
}

TEST(ConvolutionReverb, ImpulseReturnsALongStereoResponseExactlyWithZeroLatency) {
    const auto l = roomIr(static_cast<std::size_t>(3 * kRate), 1);
    const auto r = roomIr(static_cast<std::size_t>(3 * kRate) - 777, 2);
    const auto path = writeStereoIr("3s.wav", l, r);
    auto rev = loaded(path, 64);
    EXPECT_EQ(rev->latencySamples(), 0u);
    auto buf = dualMono(impulse(l.size() + 2000));
    runBlocks(*rev, buf, kRate, 64);
    float worst = 0.f;
    for (std::size_t i = 0; i < buf.frames(); ++i) {
        worst = std::max(worst, std::fabs(buf.left[i] - (i < l.size() ? l[i] : 0.f)));
        worst = std::max(worst, std::fabs(buf.right[i] - (i < r.size() ? r[i] : 0.f)));
    }
    std::printf("[measured] convolution reverb 3 s stereo IR: max |output - IR| = %.3g\n",
                static_cast<double>(worst));
    EXPECT_LT(worst, 2e-6f);
    EXPECT_EQ(buf.left[0], 1.f) << "zero latency: the first tap answers in the same sample";
    ::unlink(path.c_str());
}

TEST(ConvolutionReverb, PredelayShiftsTheResponseByExactlyThatManySamples) {
    const auto ir = roomIr(30000, 3);
    const auto path = writeStereoIr("pre.wav", ir, ir);
    for (float ms : {0.f, 1.f, 25.f, 200.f}) {
        auto rev = loaded(path, 64, {{"mix", 1.f}, {"predelay_ms", ms}});
        const auto shift = static_cast<std::size_t>(std::lround(ms * kRate / 1000.0));
        auto buf = dualMono(impulse(ir.size() + shift + 100));
        runBlocks(*rev, buf, kRate, 64);
        float worst = 0.f;
        for (std::size_t i = 0; i < buf.frames(); ++i) {
            const float expect = (i >= shift && i - shift < ir.size()) ? ir[i - shift] : 0.f;
            worst = std::max(worst, std::fabs(buf.left[i] - expect));
        }
        EXPECT_LT(worst, 2e-6f) << ms << " ms";
        EXPECT_EQ(peakIndex(buf.left), shift) << ms << " ms";
    }
    ::unlink(path.c_str());
}

TEST(ConvolutionReverb, BadFilesAreRefusedInOneLineAndThePreviousResponseStays) {
    const auto good = writeStereoIr("good.wav", roomIr(9000, 4), roomIr(9000, 5));
    const auto dir = tempPath("bad");
    const std::string text = dir + "-text.wav", longer = dir + "-long.wav", silent = dir + "-silent.wav";
    std::ofstream(text) << "not audio\n";
    writeWav(longer, 8000, 1, std::vector<float>(8000 * 11, 0.1f));
    writeWav(silent, 48000, 1, std::vector<float>(1000, 0.f));
    auto rev = loaded(good, 64);
    auto reference = dualMono(impulse(12000));
    runBlocks(*rev, reference, kRate, 64);
    struct Case {
        std::string path, expect;
    } cases[] = {{dir + "-missing.wav", "No such file or directory"},
                 {text, "cannot read audio"},
                 {longer, "at most 10 s allowed"},
                 {silent, "is silent"}};
    for (const auto& c : cases) {
        try {
            rev->setProperty(0, c.path);
            ADD_FAILURE() << "accepted " << c.path;
        } catch (const std::runtime_error& e) {
            const std::string what = e.what();
            EXPECT_NE(what.find(c.expect), std::string::npos) << what;
            EXPECT_EQ(what.find('\n'), std::string::npos) << what;
        }
    }
    rev->reset();
    auto after = dualMono(impulse(12000));
    runBlocks(*rev, after, kRate, 64);
    EXPECT_EQ(maxAbsDiff(reference.left, after.left), 0.f) << "the previous response is still playing";
    EXPECT_EQ(maxAbsDiff(reference.right, after.right), 0.f);
    for (const auto& p : {good, text, longer, silent})
        ::unlink(p.c_str());
}

TEST(ConvolutionReverb, LoadingWhilePlayingCrossfadesWithoutClicksAndTheOldOneIsCollected) {
    const auto a = writeStereoIr("a.wav", roomIr(9600, 6), roomIr(9600, 7));
    const auto b = writeStereoIr("b.wav", roomIr(7200, 8), roomIr(7200, 9));
    auto rev = loaded(a, 64, {{"mix", 0.5f}});
    const std::size_t frames = 96000, at = 48000;
    auto buf = dualMono(fadedSine(997.0, kRate, frames, 0.25f, 480));
    runBlocks(*rev, buf, kRate, 64, [&](std::size_t pos, uint32_t) {
        if (pos == at) rev->setProperty(0, b);         // a control thread would do this
        if (pos == at + 19200) rev->setProperty(0, a); // and again: b is retired after its fade
        if (pos == at + 38400) rev->collectGarbage();  // the housekeeping thread
    });
    const Window before{at - 4800, at}, event{at, at + 14400}, after{at + 14400, at + 19200};
    const double score = clickScore(buf.left, event, before, after);
    std::printf("[measured] convolution reverb IR swap mid-sine: click score %.2f\n", score);
    EXPECT_LT(score, 2.0);
    EXPECT_GT(maxAbsDiff(slice(buf.left, before), slice(buf.left, after)), 0.01f);
    // Removing the response fades the wet part out: only the dry half remains.
    rev->setProperty(0, "");
    auto tail = dualMono(fadedSine(997.0, kRate, 24000, 0.25f, 0));
    const auto dry = tail;
    runBlocks(*rev, tail, kRate, 64);
    for (std::size_t i = 14400; i < 24000; ++i)
        ASSERT_NEAR(tail.left[i], 0.5f * dry.left[i], 1e-7f) << i;
    rev->collectGarbage();
    ::unlink(a.c_str());
    ::unlink(b.c_str());
}

TEST(ConvolutionReverb, MixZeroIsExactlyDryAndWithoutAResponseTheWetIsSilent) {
    const auto path = writeStereoIr("mix.wav", roomIr(20000, 10), roomIr(20000, 11));
    const auto input = stereo(whiteNoise(30000, 12, 0.5f), whiteNoise(30000, 13, 0.5f));
    auto rev = loaded(path, 64, {{"mix", 0.f}});
    auto buf = input;
    runBlocks(*rev, buf, kRate, 64);
    EXPECT_EQ(maxAbsDiff(buf.left, input.left), 0.f);
    EXPECT_EQ(maxAbsDiff(buf.right, input.right), 0.f);
    auto none = loaded("", 64, {{"mix", 1.f}});
    auto silent = input;
    runBlocks(*none, silent, kRate, 64);
    EXPECT_EQ(peak(silent.left), 0.f);
    EXPECT_EQ(peak(silent.right), 0.f);
    ::unlink(path.c_str());
}

TEST(ConvolutionReverb, OutputIsBlockSizeInvariant) {
    const auto path = writeStereoIr("blocks.wav", roomIr(40000, 14), roomIr(36000, 15));
    const auto input = stereo(whiteNoise(17408 * 4, 16, 0.3f), whiteNoise(17408 * 4, 17, 0.3f));
    auto renderWith = [&](uint32_t block) {
        auto rev = std::make_unique<ConvolutionReverb>();
        prepareLikeHost(*rev, kRate, block, {{"mix", 0.6f}});
        rev->setProperty(0, path);
        auto buf = input;
        runBlocks(*rev, buf, kRate, block, [&](std::size_t pos, uint32_t) {
            if (pos == 17408) setParam(*rev, "predelay_ms", 30.f);
            if (pos == 34816) {
                setParam(*rev, "mix", 0.2f);
                setParam(*rev, "level_db", -6.f);
                setParam(*rev, "predelay_ms", 3.f);
            }
        });
        return buf;
    };
    const auto reference = renderWith(1);
    float worst = 0.f;
    for (uint32_t size : {17u, 64u, 1024u}) {
        const auto out = renderWith(size);
        worst =
            std::max({worst, maxAbsDiff(reference.left, out.left), maxAbsDiff(reference.right, out.right)});
    }
    EXPECT_LT(worst, 1e-5f);
    ::unlink(path.c_str());
}

TEST(ConvolutionReverb, ParameterStepsDoNotClickAndSoakStaysFinite) {
    const auto path = writeStereoIr("steps.wav", roomIr(4800, 18), roomIr(4800, 19));
    struct Step {
        const char* id;
        float from, to;
    } steps[] = {{"predelay_ms", 0.f, 150.f}, {"mix", 0.f, 1.f}, {"level_db", 0.f, -36.f}};
    for (const auto& s : steps) {
        const std::size_t frames = 72000, at = 48000;
        auto rev = loaded(path, 64, {{"mix", 0.5f}, {s.id, s.from}});
        auto buf = dualMono(fadedSine(997.0, kRate, frames, 0.25f, 480));
        runBlocks(*rev, buf, kRate, 64, [&](std::size_t pos, uint32_t) {
            if (pos == at) setParam(*rev, s.id, s.to);
        });
        const double score = clickScore(buf.left, {at, at + 9600}, {at - 4800, at}, {at + 14400, at + 19200});
        std::printf("[measured] convolution reverb step %s %.0f -> %.0f: click score %.2f\n", s.id,
                    static_cast<double>(s.from), static_cast<double>(s.to), score);
        EXPECT_LT(score, 2.0) << s.id;
    }
    for (double rate : {44100.0, 96000.0}) {
        const auto soak = randomParamSoak<ConvolutionReverb>(rate, 1.0, 512, 23, 0.5f);
        EXPECT_TRUE(soak.finite);
    }
    ::unlink(path.c_str());
}

// Thread CPU time: a shared machine preempts us, which wall-clock time would count as our cost.
double threadNs() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

TEST(ConvolutionReverb, CostForOneAndFiveSecondResponses) {
    const uint32_t block = 64;
    for (double seconds : {1.0, 5.0, 10.0}) {
        const auto n = static_cast<std::size_t>(seconds * kRate);
        const auto path = writeStereoIr("cost.wav", roomIr(n, 20), roomIr(n, 21));
        auto rev = loaded(path, block, {{"mix", 0.3f}});
        const auto frames = static_cast<std::size_t>(2 * kRate);
        const auto input = stereo(whiteNoise(frames, 22, 0.3f), whiteNoise(frames, 23, 0.3f));
        // Best of three runs for both figures: the average, and the heaviest 64-frame block (the one where
        // a 4096-partition segment completes).
        double bestAverage = 1e30, bestWorst = 1e30;
        for (int rep = 0; rep < 3; ++rep) {
            auto buf = input;
            double total = 0.0, worst = 0.0;
            for (std::size_t pos = 0; pos < frames; pos += block) {
                fx::StereoBlock b{buf.left.data() + pos, buf.right.data() + pos, block};
                fx::ProcessContext ctx;
                ctx.frames = block;
                const double t0 = threadNs();
                rev->process(b, ctx);
                const double ns = threadNs() - t0;
                total += ns;
                worst = std::max(worst, ns);
            }
            bestAverage = std::min(bestAverage, total / static_cast<double>(frames));
            bestWorst = std::min(bestWorst, worst);
        }
        std::printf(
            "[measured] convolution reverb %2.0f s stereo IR: %.0f ns per frame on average (%.2f %% of a "
            "core at 48 kHz); heaviest 64-frame block %.0f us (%.0f %% of its 1.33 ms period)\n",
            seconds, bestAverage, bestAverage * kRate * 1e-9 * 100.0, bestWorst * 1e-3,
            100.0 * bestWorst / (64.0 / kRate * 1e9));
        ::unlink(path.c_str());
    }
}

} // namespace
} // namespace stagerack::test
