#include "effects/modulation/Phaser.h"
#include "tests/support/Analysis.h"
#include "tests/support/FrequencyResponse.h"
#include "tests/support/Modulation.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace stagerack::test {
namespace {

using fx::Phaser;
constexpr double kRate = 48000.0;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

TEST(Phaser, MetadataIsCompleteAndIdsAreStable) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<Phaser>()).empty())
        << joined(metadataProblems(fx::infoOf<Phaser>()));
    EXPECT_EQ(Phaser::kId, "phaser");
    EXPECT_EQ(Phaser::kCategory, "modulation");
    const std::array<std::string_view, Phaser::kParamCount> ids{
        "stages", "rate_hz", "sync", "depth", "center_hz", "feedback", "stereo_phase", "mix"};
    for (std::size_t i = 0; i < ids.size(); ++i)
        EXPECT_EQ(Phaser::kParams[i].id, ids[i]);
}

// Local minima below -12 dB of the measured response (LFO frozen by depth 0) on a 48-per-octave grid.
std::vector<double> notches(double rate, float stages, float centerHz) {
    const std::vector<ParamValue> s{
        {"stages", stages}, {"depth", 0.f}, {"feedback", 0.f}, {"mix", 0.5f}, {"center_hz", centerHz}};
    SineProbe probe;
    probe.settleSeconds = 0.1;
    probe.measureCycles = 40;
    std::vector<double> freqs, db;
    for (double f = 25.0; f < 0.45 * rate && f < 20000.0; f *= std::pow(2.0, 1.0 / 48.0)) {
        freqs.push_back(f);
        db.push_back(measuredGainDb<Phaser>(rate, s, f, probe));
    }
    std::vector<double> found;
    for (std::size_t i = 1; i + 1 < db.size(); ++i)
        if (db[i] < db[i - 1] && db[i] <= db[i + 1] && db[i] < -12.0) found.push_back(freqs[i]);
    return found;
}

TEST(Phaser, NotchCountIsHalfTheStages) {
    for (double rate : {48000.0, 96000.0}) {
        for (int choice = 0; choice < Phaser::kStageChoices; ++choice) {
            const int stages = 4 + 2 * choice;
            const std::vector<double> found = notches(rate, static_cast<float>(choice), 1000.f);
            std::printf("[measured] phaser %d stages at %g Hz: %zu notches (", stages, rate, found.size());
            for (double f : found)
                std::printf(" %.0f", f);
            std::printf(" Hz)\n");
            EXPECT_EQ(found.size(), static_cast<std::size_t>(stages / 2)) << stages;
        }
    }
    // With 2 stages' worth per notch the middle notch of a 4-stage chain sits where each stage shifts 45
    // degrees... and for 4 stages the notches are at f tan(pi/8) and f tan(3 pi/8) (analog prototype).
    const std::vector<double> four = notches(kRate, 0.f, 1000.f);
    ASSERT_EQ(four.size(), 2u);
    std::printf("[measured] phaser 4 stages, centre 1 kHz: notches %.1f and %.1f Hz (prototype %.1f, %.1f)\n",
                four[0], four[1], 1000.0 * std::tan(std::numbers::pi / 8),
                1000.0 * std::tan(3 * std::numbers::pi / 8));
    EXPECT_NEAR(four[0] / (1000.0 * std::tan(std::numbers::pi / 8)), 1.0, 0.03);
    EXPECT_NEAR(four[1] / (1000.0 * std::tan(3 * std::numbers::pi / 8)), 1.0, 0.03);
}

double measuredRateHz(double rate, std::vector<ParamValue> settings, double expectedHz, double bpm = 120.0) {
    const double seconds = std::max(6.0, 25.0 / expectedHz);
    const auto frames = static_cast<std::size_t>(seconds * rate);
    const StereoBuffer out =
        renderWithTempo<Phaser>(rate, 64, dualMono(sine(1000.0, rate, frames, 0.25f)), settings, bpm);
    return envelopeRateHz(slice(out.left, {static_cast<std::size_t>(0.5 * rate), frames}), rate, expectedHz);
}

TEST(Phaser, NotchSweepRateIsExactFreeAndSynced) {
    for (float hz : {0.1f, 0.5f, 2.f, 6.f}) {
        const double got = measuredRateHz(kRate, {{"rate_hz", hz}}, hz);
        std::printf("[measured] phaser rate %g Hz: notch sweep %.4f Hz (%+.3f %%)\n", hz, got,
                    100.0 * (got / hz - 1.0));
        EXPECT_NEAR(got / hz, 1.0, 0.01) << hz;
    }
    for (const auto& [sync, bpm] : {std::pair{1.f, 120.0}, std::pair{9.f, 87.0}}) {
        const double want = dsp::syncHz(static_cast<std::size_t>(sync), bpm);
        const double got = measuredRateHz(kRate, {{"sync", sync}}, want, bpm);
        std::printf("[measured] phaser sync %s at %g BPM: %.4f Hz (note rate %.4f, %+.3f %%)\n",
                    std::string(dsp::kSyncLabels[static_cast<std::size_t>(sync)]).c_str(), bpm, got, want,
                    100.0 * (got / want - 1.0));
        EXPECT_NEAR(got / want, 1.0, 0.01);
    }
}

TEST(Phaser, BlockSizeInvariance) {
    const std::size_t frames = 40000;
    const StereoBuffer input = stereo(whiteNoise(frames, 51, 0.5f), whiteNoise(frames, 52, 0.5f));
    const float deviation = blockSizeDeviation<Phaser>(kRate, input, {{"rate_hz", 3.f}, {"feedback", 0.7f}},
                                                       {{0, {{"stages", 4.f}, {"depth", 5.f}}},
                                                        {17408,
                                                         {{"stages", 0.f},
                                                          {"center_hz", 3000.f},
                                                          {"feedback", -0.9f},
                                                          {"stereo_phase", 180.f},
                                                          {"sync", 4.f}}}});
    std::printf("[measured] phaser block-size deviation %.3g\n", deviation);
    EXPECT_LE(deviation, 1e-5f);
}

TEST(Phaser, SampleRatesSilenceAndSoak) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        const double got = measuredRateHz(rate, {{"rate_hz", 0.8f}}, 0.8);
        std::printf("[measured] phaser at %g Hz: rate %.4f Hz (set 0.8)\n", rate, got);
        EXPECT_NEAR(got / 0.8, 1.0, 0.01) << rate;
        const StereoBuffer silent =
            render<Phaser>(rate, 64, dualMono(constant(48000, 0.f)), {{"feedback", 0.9f}});
        EXPECT_EQ(peak(silent.left), 0.f);
        EXPECT_EQ(peak(silent.right), 0.f);
        const SoakResult soak = randomParamSoak<Phaser>(rate, 4.0, 256, 1618, 0.5f);
        EXPECT_TRUE(soak.finite) << rate;
        std::printf("[measured] phaser soak at %g Hz: peak %.3f (input %.3f)\n", rate, soak.outputPeak,
                    soak.inputPeak);
        EXPECT_LT(soak.outputPeak, 20.f * soak.inputPeak) << rate; // feedback 0.9: resonances up to 1 / 0.1
    }
}

TEST(Phaser, ParameterStepsDoNotClick) {
    struct Step {
        std::string_view id;
        float from;
        float to;
    };
    for (const Step s :
         {Step{"stages", 0.f, 4.f}, Step{"stages", 4.f, 1.f}, Step{"rate_hz", 0.02f, 10.f},
          Step{"rate_hz", 10.f, 0.02f}, Step{"depth", 0.f, 6.f}, Step{"depth", 6.f, 0.f},
          Step{"center_hz", 100.f, 4000.f}, Step{"center_hz", 4000.f, 100.f}, Step{"feedback", -0.9f, 0.9f},
          Step{"feedback", 0.9f, -0.9f}, Step{"stereo_phase", 0.f, 180.f}, Step{"mix", 0.f, 1.f},
          Step{"mix", 1.f, 0.f}, Step{"sync", 0.f, 2.f}}) {
        StepSpec spec;
        // A 5 Hz sweep: each steady window holds whole LFO cycles, so it shows the sweep's own worst case
        // (a resonance passing the probe), against which a click would stand out.
        spec.eventFrames = 14400;
        spec.steadyFrames = 9600;
        const StepResult r = stepParamMidSine<Phaser>(spec, {{"rate_hz", 5.f}}, s.id, s.from, s.to);
        std::printf(
            "[measured] phaser %s %g -> %g: click score %.3f, step ratio %.3f (changed output by %.2f)\n",
            std::string(s.id).c_str(), s.from, s.to, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, 2.0) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_LE(r.stepRatio, 1.5) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.01) << s.id << " " << s.from << " -> " << s.to;
    }
}

} // namespace
} // namespace stagerack::test
