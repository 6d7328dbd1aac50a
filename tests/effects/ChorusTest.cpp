#include "effects/modulation/Chorus.h"
#include "tests/support/Analysis.h"
#include "tests/support/Modulation.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace stagerack::test {
namespace {

using fx::Chorus;
constexpr double kRate = 48000.0;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

// A 1 kHz tone, all wet: the voices beat against each other as their delays sweep, so the output's
// envelope repeats once per LFO cycle.
double measuredRateHz(double rate, std::vector<ParamValue> settings, double expectedHz, double bpm = 120.0) {
    settings.push_back({"mix", 1.f});
    settings.push_back({"spread", 0.f});
    const double seconds = std::max(6.0, 25.0 / expectedHz);
    const auto frames = static_cast<std::size_t>(seconds * rate);
    const StereoBuffer out =
        renderWithTempo<Chorus>(rate, 64, dualMono(sine(1000.0, rate, frames, 0.25f)), settings, bpm);
    return envelopeRateHz(slice(out.left, {static_cast<std::size_t>(0.5 * rate), frames}), rate, expectedHz);
}

TEST(Chorus, MetadataIsCompleteAndIdsAreStable) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<Chorus>()).empty())
        << joined(metadataProblems(fx::infoOf<Chorus>()));
    EXPECT_EQ(Chorus::kId, "chorus");
    EXPECT_EQ(Chorus::kCategory, "modulation");
    const std::array<std::string_view, Chorus::kParamCount> ids{"voices", "delay_ms", "depth_ms", "rate_hz",
                                                                "sync",   "spread",   "mix",      "feedback"};
    for (std::size_t i = 0; i < ids.size(); ++i)
        EXPECT_EQ(Chorus::kParams[i].id, ids[i]);
}

TEST(Chorus, LfoRateIsExactFreeAndSynced) {
    for (float hz : {0.3f, 1.f, 4.f}) {
        for (float voices : {2.f, 3.f}) {
            const double got =
                measuredRateHz(kRate, {{"rate_hz", hz}, {"voices", voices}, {"depth_ms", 3.f}}, hz);
            std::printf("[measured] chorus %g voices, rate %g Hz: %.4f Hz (%+.3f %%)\n", voices, hz, got,
                        100.0 * (got / hz - 1.0));
            EXPECT_NEAR(got / hz, 1.0, 0.01) << hz;
        }
    }
    for (const auto& [sync, bpm] : {std::pair{2.f, 120.0}, std::pair{4.f, 100.0}}) {
        const double want = dsp::syncHz(static_cast<std::size_t>(sync), bpm);
        const double got = measuredRateHz(kRate, {{"sync", sync}, {"depth_ms", 3.f}}, want, bpm);
        std::printf("[measured] chorus sync %s at %g BPM: %.4f Hz (note rate %.4f, %+.3f %%)\n",
                    std::string(dsp::kSyncLabels[static_cast<std::size_t>(sync)]).c_str(), bpm, got, want,
                    100.0 * (got / want - 1.0));
        EXPECT_NEAR(got / want, 1.0, 0.01);
    }
}

TEST(Chorus, DelayIsWhereTheSettingSaysAndMixZeroIsDry) {
    // Depth 0: every voice is the same tap at delay_ms, exactly (whole samples).
    for (float ms : {5.f, 12.f, 30.f}) {
        const StereoBuffer out = render<Chorus>(kRate, 64, dualMono(impulse(4000, 10)),
                                                {{"depth_ms", 0.f}, {"delay_ms", ms}, {"mix", 1.f}});
        const auto want = static_cast<std::size_t>(std::lround(ms * kRate / 1000.0));
        EXPECT_EQ(peakIndex(out.left), 10 + want) << ms;
        EXPECT_NEAR(out.left[10 + want], 1.f, 1e-6f) << ms;
    }
    const StereoBuffer in = stereo(whiteNoise(20000, 3, 0.5f), whiteNoise(20000, 4, 0.5f));
    const StereoBuffer dry = render<Chorus>(kRate, 64, in, {{"mix", 0.f}, {"feedback", 0.5f}});
    EXPECT_EQ(maxAbsDiff(dry.left, in.left), 0.f);
    EXPECT_EQ(maxAbsDiff(dry.right, in.right), 0.f);
}

TEST(Chorus, VoiceCountChangesTheOutput) {
    const auto frames = static_cast<std::size_t>(4 * kRate);
    const StereoBuffer in = dualMono(sine(440.0, kRate, frames, 0.25f));
    std::array<StereoBuffer, 3> out;
    for (int v = 2; v <= 4; ++v)
        out[static_cast<std::size_t>(v - 2)] = render<Chorus>(
            kRate, 64, in, {{"voices", static_cast<float>(v)}, {"mix", 1.f}, {"depth_ms", 3.f}});
    const Window w{static_cast<std::size_t>(kRate), frames};
    for (int a = 0; a < 3; ++a) {
        for (int b = a + 1; b < 3; ++b) {
            std::vector<float> diff(w.size());
            for (std::size_t n = 0; n < w.size(); ++n)
                diff[n] = out[static_cast<std::size_t>(a)].left[w.begin + n] -
                          out[static_cast<std::size_t>(b)].left[w.begin + n];
            const double rel = rmsDb(diff) - rmsDb(slice(in.left, w));
            std::printf("[measured] chorus %d vs %d voices: difference %.2f dB re input\n", a + 2, b + 2,
                        rel);
            EXPECT_GT(rel, -20.0);
        }
    }
    // Spread decorrelates left and right; 0 keeps them identical for a dual-mono input.
    const StereoBuffer mono = render<Chorus>(kRate, 64, in, {{"spread", 0.f}, {"mix", 1.f}});
    const StereoBuffer wide = render<Chorus>(kRate, 64, in, {{"spread", 1.f}, {"mix", 1.f}});
    EXPECT_EQ(maxAbsDiff(mono.left, mono.right), 0.f);
    EXPECT_GT(maxAbsDiff(wide.left, wide.right), 0.05f);
}

TEST(Chorus, BlockSizeInvariance) {
    const std::size_t frames = 40000;
    const StereoBuffer input = stereo(whiteNoise(frames, 31, 0.5f), whiteNoise(frames, 32, 0.5f));
    const float deviation = blockSizeDeviation<Chorus>(kRate, input, {{"rate_hz", 3.f}, {"feedback", 0.4f}},
                                                       {{0, {{"voices", 4.f}, {"depth_ms", 6.f}}},
                                                        {17408,
                                                         {{"voices", 2.f},
                                                          {"delay_ms", 25.f},
                                                          {"rate_hz", 0.1f},
                                                          {"spread", 0.f},
                                                          {"mix", 0.8f},
                                                          {"sync", 5.f}}}});
    std::printf("[measured] chorus block-size deviation %.3g\n", deviation);
    EXPECT_LE(deviation, 1e-5f);
}

TEST(Chorus, SampleRatesSilenceAndSoak) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        const double got = measuredRateHz(rate, {{"rate_hz", 1.5f}, {"depth_ms", 3.f}}, 1.5);
        std::printf("[measured] chorus at %g Hz: rate %.4f Hz (set 1.5)\n", rate, got);
        EXPECT_NEAR(got / 1.5, 1.0, 0.01) << rate;
        const StereoBuffer silent =
            render<Chorus>(rate, 64, dualMono(constant(48000, 0.f)), {{"feedback", 0.7f}});
        EXPECT_EQ(peak(silent.left), 0.f);
        EXPECT_EQ(peak(silent.right), 0.f);
        const SoakResult soak = randomParamSoak<Chorus>(rate, 4.0, 256, 31337, 0.5f);
        EXPECT_TRUE(soak.finite) << rate;
        std::printf("[measured] chorus soak at %g Hz: peak %.3f (input %.3f)\n", rate, soak.outputPeak,
                    soak.inputPeak);
        EXPECT_LT(soak.outputPeak, 4.f * soak.inputPeak) << rate; // feedback <= 0.7: gain <= 1 / 0.3
    }
}

TEST(Chorus, ParameterStepsDoNotClick) {
    struct Step {
        std::string_view id;
        float from;
        float to;
    };
    for (const Step s :
         {Step{"voices", 2.f, 4.f}, Step{"voices", 4.f, 2.f}, Step{"delay_ms", 2.f, 30.f},
          Step{"delay_ms", 30.f, 2.f}, Step{"depth_ms", 0.f, 10.f}, Step{"depth_ms", 10.f, 0.f},
          Step{"rate_hz", 0.05f, 10.f}, Step{"rate_hz", 10.f, 0.05f}, Step{"spread", 0.f, 1.f},
          Step{"mix", 0.f, 1.f}, Step{"mix", 1.f, 0.f}, Step{"feedback", 0.f, 0.7f},
          Step{"feedback", 0.7f, 0.f}, Step{"sync", 0.f, 3.f}}) {
        StepSpec spec;
        spec.eventFrames = 19200;
        spec.steadyFrames = 9600;
        // A 5 Hz sweep: each steady window holds whole LFO cycles, so it shows the sweep's own worst case.
        const StepResult r = stepParamMidSine<Chorus>(spec, {{"rate_hz", 5.f}}, s.id, s.from, s.to);
        std::printf(
            "[measured] chorus %s %g -> %g: click score %.3f, step ratio %.3f (changed output by %.2f)\n",
            std::string(s.id).c_str(), s.from, s.to, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, 2.0) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_LE(r.stepRatio, 1.5) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.01) << s.id << " " << s.from << " -> " << s.to;
    }
}

} // namespace
} // namespace stagerack::test
