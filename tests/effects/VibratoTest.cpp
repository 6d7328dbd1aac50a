#include "effects/modulation/Vibrato.h"
#include "tests/support/Analysis.h"
#include "tests/support/Modulation.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace stagerack::test {
namespace {

using fx::Vibrato;
constexpr double kRate = 48000.0;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

struct PitchReport {
    double rateHz = 0.0;
    double upCents = 0.0;
    double downCents = 0.0;
};

// A 1 kHz tone through the vibrato: its zero-crossing frequency track, resampled at 1 ms, gives the
// modulation rate; its extremes give the pitch deviation.
PitchReport measurePitch(double rate, const std::vector<ParamValue>& settings, double expectedHz,
                         double bpm = 120.0, double seconds = 0.0) {
    const double f0 = 1000.0;
    if (seconds == 0.0) seconds = std::max(5.0, 25.0 / expectedHz);
    const auto frames = static_cast<std::size_t>(seconds * rate);
    const StereoBuffer out =
        renderWithTempo<Vibrato>(rate, 64, dualMono(sine(f0, rate, frames, 0.5f)), settings, bpm);
    const FrequencyTrack track = zeroCrossingFrequency(out.left, rate);
    std::vector<double> uniform;
    std::size_t k = 0;
    PitchReport r;
    double hi = 0.0, lo = 1e9;
    for (double t = 0.5; t < seconds - 0.05; t += 0.001) {
        while (k + 1 < track.timeS.size() && track.timeS[k + 1] < t)
            ++k;
        const double a = (t - track.timeS[k]) / (track.timeS[k + 1] - track.timeS[k]);
        const double hz = track.hz[k] + a * (track.hz[k + 1] - track.hz[k]);
        uniform.push_back(hz);
        hi = std::max(hi, track.hz[k]);
        lo = std::min(lo, track.hz[k]);
    }
    r.rateHz = repetitionHz(uniform, 1000.0, expectedHz);
    r.upCents = 1200.0 * std::log2(hi / f0);
    r.downCents = 1200.0 * std::log2(lo / f0);
    return r;
}

TEST(Vibrato, MetadataIsCompleteAndIdsAreStable) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<Vibrato>()).empty())
        << joined(metadataProblems(fx::infoOf<Vibrato>()));
    EXPECT_EQ(Vibrato::kId, "vibrato");
    EXPECT_EQ(Vibrato::kCategory, "modulation");
    const std::array<std::string_view, Vibrato::kParamCount> ids{"rate_hz", "sync", "depth_cents"};
    for (std::size_t i = 0; i < ids.size(); ++i)
        EXPECT_EQ(Vibrato::kParams[i].id, ids[i]);
}

TEST(Vibrato, RateAndPitchDeviationAreAsDocumented) {
    struct Case {
        float hz;
        float cents;
    };
    for (const Case c : {Case{1.f, 40.f}, Case{5.f, 25.f}, Case{6.f, 50.f}, Case{12.f, 100.f}}) {
        const PitchReport r = measurePitch(kRate, {{"rate_hz", c.hz}, {"depth_cents", c.cents}}, c.hz);
        const double down = 1200.0 * std::log2(2.0 - std::exp2(c.cents / 1200.0));
        std::printf(
            "[measured] vibrato %g Hz %g cents: rate %.4f Hz (%+.3f %%), up %.2f cents (%+.2f %%), down "
            "%.2f cents (documented %.2f)\n",
            c.hz, c.cents, r.rateHz, 100.0 * (r.rateHz / c.hz - 1.0), r.upCents,
            100.0 * (r.upCents / c.cents - 1.0), r.downCents, down);
        EXPECT_NEAR(r.rateHz / c.hz, 1.0, 0.01);
        EXPECT_NEAR(r.upCents / c.cents, 1.0, 0.05);
        EXPECT_NEAR(r.downCents / down, 1.0, 0.05);
    }
    // The documented cap: 0.5 Hz can swing at most 6.5 ms, a ratio of 1 + 2 pi 0.5 0.0065.
    const PitchReport capped =
        measurePitch(kRate, {{"rate_hz", 0.5f}, {"depth_cents", 100.f}}, 0.5, 120.0, 20.0);
    const double cap = 1200.0 * std::log2(1.0 + 2.0 * std::numbers::pi * 0.5 * 312.0 / kRate);
    std::printf("[measured] vibrato 0.5 Hz 100 cents (capped): up %.2f cents (documented cap %.2f)\n",
                capped.upCents, cap);
    EXPECT_NEAR(capped.upCents / cap, 1.0, 0.05);
}

TEST(Vibrato, SyncedRate) {
    for (const auto& [sync, bpm] : {std::pair{3.f, 120.0}, std::pair{5.f, 95.0}, std::pair{15.f, 128.0}}) {
        const double want = dsp::syncHz(static_cast<std::size_t>(sync), bpm);
        const PitchReport r = measurePitch(kRate, {{"sync", sync}, {"depth_cents", 30.f}}, want, bpm);
        std::printf(
            "[measured] vibrato sync %s at %g BPM: %.4f Hz (note rate %.4f, %+.3f %%), up %.2f cents\n",
            std::string(dsp::kSyncLabels[static_cast<std::size_t>(sync)]).c_str(), bpm, r.rateHz, want,
            100.0 * (r.rateHz / want - 1.0), r.upCents);
        EXPECT_NEAR(r.rateHz / want, 1.0, 0.01);
        EXPECT_NEAR(r.upCents / 30.0, 1.0, 0.05);
    }
}

TEST(Vibrato, LatencyIsTheBaseDelay) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        Vibrato v;
        prepareLikeHost(v, rate, 64, {{"depth_cents", 0.f}});
        const std::size_t latency = v.latencySamples();
        const StereoBuffer out =
            render<Vibrato>(rate, 64, dualMono(impulse(latency + 1000, 100)), {{"depth_cents", 0.f}});
        std::printf("[measured] vibrato at %g Hz: reported latency %zu, impulse peak at +%zu, value %.6f\n",
                    rate, latency, peakIndex(out.left) - 100, out.left[peakIndex(out.left)]);
        EXPECT_EQ(latency, static_cast<std::size_t>(std::lround(0.007 * rate)));
        EXPECT_EQ(peakIndex(out.left), 100 + latency);
        EXPECT_EQ(out.left[100 + latency], 1.f);
        // And the pitch law holds at every rate.
        const PitchReport r = measurePitch(rate, {{"rate_hz", 5.f}, {"depth_cents", 25.f}}, 5.0);
        EXPECT_NEAR(r.rateHz / 5.0, 1.0, 0.01) << rate;
        EXPECT_NEAR(r.upCents / 25.0, 1.0, 0.05) << rate;
        const StereoBuffer silent = render<Vibrato>(rate, 64, dualMono(constant(48000, 0.f)));
        EXPECT_EQ(peak(silent.left), 0.f);
        EXPECT_EQ(peak(silent.right), 0.f);
        const SoakResult soak = randomParamSoak<Vibrato>(rate, 4.0, 256, 999, 0.5f);
        EXPECT_TRUE(soak.finite) << rate;
        EXPECT_LE(soak.outputPeak, 1.3f * soak.inputPeak) << rate; // cubic interpolation overshoot only
    }
}

TEST(Vibrato, BlockSizeInvariance) {
    const std::size_t frames = 40000;
    const StereoBuffer input = stereo(whiteNoise(frames, 21, 0.5f), whiteNoise(frames, 22, 0.5f));
    const float deviation = blockSizeDeviation<Vibrato>(
        kRate, input, {{"rate_hz", 7.f}},
        {{0, {{"depth_cents", 80.f}}}, {17408, {{"rate_hz", 0.3f}, {"depth_cents", 10.f}, {"sync", 4.f}}}});
    std::printf("[measured] vibrato block-size deviation %.3g\n", deviation);
    EXPECT_LE(deviation, 1e-5f);
}

TEST(Vibrato, ParameterStepsDoNotClick) {
    struct Step {
        std::string_view id;
        float from;
        float to;
    };
    for (const Step s : {Step{"depth_cents", 0.f, 100.f}, Step{"depth_cents", 100.f, 0.f},
                         Step{"rate_hz", 0.1f, 14.f}, Step{"rate_hz", 14.f, 0.1f}, Step{"sync", 0.f, 4.f}}) {
        StepSpec spec;
        const StepResult r = stepParamMidSine<Vibrato>(spec, {{"depth_cents", 20.f}}, s.id, s.from, s.to);
        std::printf(
            "[measured] vibrato %s %g -> %g: click score %.3f, step ratio %.3f (changed output by %.2f)\n",
            std::string(s.id).c_str(), s.from, s.to, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, 2.0) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_LE(r.stepRatio, 1.5) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.01) << s.id;
    }
}

} // namespace
} // namespace stagerack::test
