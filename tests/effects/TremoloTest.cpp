#include "effects/modulation/Tremolo.h"
#include "tests/support/Analysis.h"
#include "tests/support/Modulation.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace stagerack::test {
namespace {

using fx::Tremolo;
constexpr double kRate = 48000.0;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

TEST(Tremolo, MetadataIsCompleteAndIdsAreStable) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<Tremolo>()).empty())
        << joined(metadataProblems(fx::infoOf<Tremolo>()));
    EXPECT_EQ(Tremolo::kId, "tremolo");
    EXPECT_EQ(Tremolo::kCategory, "modulation");
    const std::array<std::string_view, Tremolo::kParamCount> ids{"shape", "rate_hz", "sync", "depth", "mode"};
    for (std::size_t i = 0; i < ids.size(); ++i)
        EXPECT_EQ(Tremolo::kParams[i].id, ids[i]);
    EXPECT_EQ(Tremolo::kParams[Tremolo::kMode].labels[1], "pan");
}

// A constant input makes the output the gain itself.
StereoBuffer gainCurve(double rate, double seconds, const std::vector<ParamValue>& settings,
                       double bpm = 120.0) {
    const auto frames = static_cast<std::size_t>(seconds * rate);
    return renderWithTempo<Tremolo>(rate, 64, dualMono(constant(frames, 0.5f)), settings, bpm);
}

TEST(Tremolo, FreeRateIsExact) {
    for (float hz : {0.5f, 5.f, 13.f}) {
        for (float shape : {0.f, 1.f, 2.f}) {
            const double seconds = std::max(6.0, 30.0 / hz);
            const StereoBuffer out = gainCurve(kRate, seconds, {{"rate_hz", hz}, {"shape", shape}});
            const double got = envelopeRateHz(out.left, kRate, hz);
            std::printf("[measured] tremolo shape %g, rate %g Hz: %.4f Hz (%+.3f %%)\n", shape, hz, got,
                        100.0 * (got / hz - 1.0));
            EXPECT_NEAR(got / hz, 1.0, 0.01) << hz << " shape " << shape;
        }
    }
}

TEST(Tremolo, SyncedRateFollowsTheTempoAndLocksToTheBeat) {
    struct Case {
        float sync;
        double bpm;
    };
    // 1/8 at 100 BPM (0.3 s), dotted 1/4 at 90 BPM (1 s), 1/16 triplet at 140 BPM.
    for (const Case c : {Case{4.f, 100.0}, Case{8.f, 90.0}, Case{16.f, 140.0}}) {
        const auto sync = static_cast<std::size_t>(c.sync);
        const double want = dsp::syncHz(sync, c.bpm);
        const double seconds = std::max(6.0, 30.0 / want);
        const StereoBuffer out = gainCurve(kRate, seconds, {{"sync", c.sync}, {"rate_hz", 0.1f}}, c.bpm);
        const double got = envelopeRateHz(out.left, kRate, want);
        std::printf("[measured] tremolo sync %s at %g BPM: %.4f Hz (note rate %.4f Hz, %+.3f %%)\n",
                    std::string(dsp::kSyncLabels[sync]).c_str(), c.bpm, got, want,
                    100.0 * (got / want - 1.0));
        EXPECT_NEAR(got / want, 1.0, 0.01);
    }
    // Beat lock: started a third of a beat into the bar, a 1/4 tremolo still peaks on the beats (the gain is
    // 1 - depth/2 at phase 0, rising: the cycle starts on the beat). Measured after the lock settled.
    const double bpm = 120.0;
    const auto frames = static_cast<std::size_t>(4.0 * kRate);
    const StereoBuffer out = renderWithTempo<Tremolo>(kRate, 64, dualMono(constant(frames, 1.f)),
                                                      {{"sync", 3.f}, {"depth", 1.f}}, bpm, 1.0 / 3.0);
    // Beats at 0.5 s spacing; the first whole beat is at (1 - 1/3) beats = 1/3 s.
    double worst = 0.0;
    for (int k = 3; k < 7; ++k) {
        const double beatS = (2.0 / 3.0 + k) * 0.5;
        const auto n =
            static_cast<std::size_t>(std::lround((beatS + 0.125) * kRate)); // a quarter cycle later
        worst = std::max(worst, std::fabs(out.left[n] - 1.0));
    }
    std::printf(
        "[measured] tremolo 1/4 locked to the beat: gain at beat + 1/4 cycle within %.2e of the peak\n",
        worst);
    EXPECT_LT(worst, 1e-3);
}

TEST(Tremolo, DepthIsTheDocumentedPeakToTroughInDb) {
    for (float shape : {0.f, 1.f, 2.f}) {
        for (float depth : {0.25f, 0.5f, 0.75f, 0.9f}) {
            const StereoBuffer out =
                gainCurve(kRate, 2.0, {{"rate_hz", 2.f}, {"depth", depth}, {"shape", shape}});
            const auto tail = slice(out.left, {out.frames() / 2, out.frames()});
            const float hi = *std::max_element(tail.begin(), tail.end());
            const float lo = *std::min_element(tail.begin(), tail.end());
            const double measured = toDb(hi / static_cast<double>(lo));
            const double documented = -toDb(1.0 - depth);
            std::printf(
                "[measured] tremolo shape %g depth %.2f: peak-to-trough %.3f dB (documented %.3f dB)\n",
                shape, depth, measured, documented);
            EXPECT_NEAR(measured, documented, 0.05) << shape << " " << depth;
            EXPECT_NEAR(hi, 0.5f, 1e-4f);
        }
    }
}

TEST(Tremolo, PanModeMovesTheSidesInOppositePhase) {
    const StereoBuffer out = gainCurve(kRate, 2.0, {{"rate_hz", 2.f}, {"depth", 1.f}, {"mode", 1.f}});
    double worst = 0.0;
    for (std::size_t n = 0; n < out.frames(); ++n)
        worst = std::max(worst, std::fabs(out.left[n] + out.right[n] - 0.5)); // gL + gR = 1 at depth 1
    const StereoBuffer same = gainCurve(kRate, 2.0, {{"rate_hz", 2.f}, {"depth", 1.f}, {"mode", 0.f}});
    std::printf("[measured] tremolo pan: |gL + gR - 1| <= %.2e\n", worst / 0.5);
    EXPECT_LT(worst, 1e-5);
    EXPECT_EQ(maxAbsDiff(same.left, same.right), 0.f);
}

TEST(Tremolo, BlockSizeInvariance) {
    const std::size_t frames = 40000;
    const StereoBuffer input = stereo(whiteNoise(frames, 11, 0.5f), whiteNoise(frames, 12, 0.5f));
    const float deviation = blockSizeDeviation<Tremolo>(
        kRate, input, {{"rate_hz", 7.f}, {"shape", 2.f}},
        {{0, {{"depth", 0.9f}, {"mode", 1.f}}},
         {17408, {{"rate_hz", 0.3f}, {"shape", 1.f}, {"depth", 0.2f}, {"mode", 0.f}, {"sync", 5.f}}}});
    // With a running transport as well (the beat lock active).
    float synced = 0.f;
    const StereoBuffer ref = renderWithTempo<Tremolo>(kRate, 1, input, {{"sync", 5.f}}, 133.0, 0.37);
    for (uint32_t size : {17u, 64u, 1024u}) {
        const StereoBuffer out = renderWithTempo<Tremolo>(kRate, size, input, {{"sync", 5.f}}, 133.0, 0.37);
        synced = std::max({synced, maxAbsDiff(ref.left, out.left), maxAbsDiff(ref.right, out.right)});
    }
    std::printf("[measured] tremolo block-size deviation %.3g, synced %.3g\n", deviation, synced);
    EXPECT_LE(deviation, 1e-5f);
    EXPECT_LE(synced, 1e-5f);
}

TEST(Tremolo, SampleRatesSilenceAndSoak) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        const StereoBuffer out = gainCurve(rate, 4.0, {{"rate_hz", 3.f}, {"depth", 0.75f}});
        const double got = envelopeRateHz(out.left, rate, 3.0);
        const auto tail = slice(out.left, {out.frames() / 2, out.frames()});
        const double swing = toDb(*std::max_element(tail.begin(), tail.end()) /
                                  static_cast<double>(*std::min_element(tail.begin(), tail.end())));
        std::printf("[measured] tremolo at %g Hz: rate %.4f Hz (set 3), swing %.3f dB (documented 12.041)\n",
                    rate, got, swing);
        EXPECT_NEAR(got / 3.0, 1.0, 0.01) << rate;
        EXPECT_NEAR(swing, 12.041, 0.05) << rate;
        const StereoBuffer silent =
            render<Tremolo>(rate, 64, dualMono(constant(48000, 0.f)), {{"shape", 2.f}});
        EXPECT_EQ(peak(silent.left), 0.f);
        EXPECT_EQ(peak(silent.right), 0.f);
        const SoakResult soak = randomParamSoak<Tremolo>(rate, 4.0, 256, 4242, 0.5f);
        EXPECT_TRUE(soak.finite) << rate;
        EXPECT_LE(soak.outputPeak, soak.inputPeak * 1.0001f) << rate;
    }
}

TEST(Tremolo, ParameterStepsDoNotClick) {
    struct Step {
        std::string_view id;
        float from;
        float to;
        std::vector<ParamValue> settings;
    };
    const std::vector<Step> steps{
        {"depth", 0.f, 1.f, {{"rate_hz", 2.f}}},
        {"depth", 1.f, 0.f, {{"rate_hz", 2.f}}},
        {"rate_hz", 0.1f, 20.f, {{"depth", 0.5f}}},
        {"rate_hz", 20.f, 0.1f, {{"depth", 0.5f}}},
        {"shape", 0.f, 2.f, {{"rate_hz", 1.f}, {"depth", 0.5f}}},
        {"shape", 2.f, 1.f, {{"rate_hz", 1.f}, {"depth", 0.5f}}},
        {"mode", 0.f, 1.f, {{"rate_hz", 1.f}, {"depth", 0.8f}}},
        {"mode", 1.f, 0.f, {{"rate_hz", 1.f}, {"depth", 0.8f}}},
        {"sync", 0.f, 3.f, {{"rate_hz", 0.2f}, {"depth", 0.5f}}},
    };
    for (const auto& s : steps) {
        StepSpec spec;
        const StepResult r = stepParamMidSine<Tremolo>(spec, s.settings, s.id, s.from, s.to);
        std::printf(
            "[measured] tremolo %s %g -> %g: click score %.3f, step ratio %.3f (changed output by %.2f)\n",
            std::string(s.id).c_str(), s.from, s.to, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, 2.0) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_LE(r.stepRatio, 1.5) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.01) << s.id << " " << s.from << " -> " << s.to;
    }
}

} // namespace
} // namespace stagerack::test
