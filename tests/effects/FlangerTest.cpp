#include "effects/modulation/Flanger.h"
#include "tests/support/Analysis.h"
#include "tests/support/FrequencyResponse.h"
#include "tests/support/Modulation.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace stagerack::test {
namespace {

using fx::Flanger;
constexpr double kRate = 48000.0;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

TEST(Flanger, MetadataIsCompleteAndIdsAreStable) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<Flanger>()).empty())
        << joined(metadataProblems(fx::infoOf<Flanger>()));
    EXPECT_EQ(Flanger::kId, "flanger");
    EXPECT_EQ(Flanger::kCategory, "modulation");
    const std::array<std::string_view, Flanger::kParamCount> ids{
        "delay_ms", "depth", "rate_hz", "sync", "feedback", "through_zero", "mix", "stereo_phase"};
    for (std::size_t i = 0; i < ids.size(); ++i)
        EXPECT_EQ(Flanger::kParams[i].id, ids[i]);
}

double measuredRateHz(double rate, std::vector<ParamValue> settings, double expectedHz, double bpm = 120.0) {
    settings.push_back({"feedback", 0.f});
    const double seconds = std::max(6.0, 25.0 / expectedHz);
    const auto frames = static_cast<std::size_t>(seconds * rate);
    const StereoBuffer out =
        renderWithTempo<Flanger>(rate, 64, dualMono(sine(1000.0, rate, frames, 0.25f)), settings, bpm);
    return envelopeRateHz(slice(out.left, {static_cast<std::size_t>(0.5 * rate), frames}), rate, expectedHz);
}

TEST(Flanger, LfoRateIsExactFreeAndSynced) {
    for (float hz : {0.1f, 0.5f, 3.f}) {
        const double got = measuredRateHz(kRate, {{"rate_hz", hz}}, hz);
        std::printf("[measured] flanger rate %g Hz: %.4f Hz (%+.3f %%)\n", hz, got, 100.0 * (got / hz - 1.0));
        EXPECT_NEAR(got / hz, 1.0, 0.01) << hz;
    }
    const double want = dsp::syncHz(2, 110.0); // a half note at 110 BPM
    const double got = measuredRateHz(kRate, {{"sync", 2.f}}, want, 110.0);
    std::printf("[measured] flanger sync 1/2 at 110 BPM: %.4f Hz (note rate %.4f, %+.3f %%)\n", got, want,
                100.0 * (got / want - 1.0));
    EXPECT_NEAR(got / want, 1.0, 0.01);
}

TEST(Flanger, CombPeaksSitWhereTheDelayPutsThem) {
    // LFO frozen (depth 0): tau = delay_ms. Positive feedback peaks at k / tau, negative at (k + 1/2) / tau.
    for (double rate : {48000.0, 96000.0}) {
        for (float ms : {1.f, 2.5f}) {
            const double spacing = 1000.0 / ms;
            const std::vector<ParamValue> base{{"depth", 0.f}, {"delay_ms", ms}, {"mix", 0.5f}};
            auto peakNear = [&](float fb, double f) {
                std::vector<ParamValue> s = base;
                s.push_back({"feedback", fb});
                return peakFrequency([&](double x) { return measuredGainDb<Flanger>(rate, s, x); },
                                     f - 0.3 * spacing, f + 0.3 * spacing, 96.0);
            };
            const double k = 2.0;
            const double pos = peakNear(0.7f, k * spacing);
            const double neg = peakNear(-0.7f, (k + 0.5) * spacing);
            std::printf(
                "[measured] flanger %g ms at %g Hz: feedback +0.7 peak %.2f Hz (predicted %.2f), -0.7 peak "
                "%.2f Hz (predicted %.2f)\n",
                ms, rate, pos, k * spacing, neg, (k + 0.5) * spacing);
            EXPECT_NEAR(pos / (k * spacing), 1.0, 0.005);
            EXPECT_NEAR(neg / ((k + 0.5) * spacing), 1.0, 0.005);
            // Without feedback the notches sit half-way between, 1 / (2 tau) odd multiples, and are deep.
            std::vector<ParamValue> s = base;
            s.push_back({"feedback", 0.f});
            const double notch = measuredGainDb<Flanger>(rate, s, 1.5 * spacing);
            const double top = measuredGainDb<Flanger>(rate, s, 2.0 * spacing);
            std::printf(
                "[measured] flanger %g ms at %g Hz, no feedback: %.1f dB at 1.5/tau, %.2f dB at 2/tau\n", ms,
                rate, notch, top);
            EXPECT_LT(notch, -40.0);
            EXPECT_NEAR(top, 0.0, 0.05);
        }
    }
}

TEST(Flanger, ThroughZeroLatencyIsReportedExactly) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        Flanger f;
        prepareLikeHost(f, rate, 64, {{"through_zero", 1.f}});
        const std::size_t latency = f.latencySamples();
        Flanger plain;
        prepareLikeHost(plain, rate, 64);
        EXPECT_EQ(plain.latencySamples(), 0u);
        // mix 0: the output is the dry path alone, which must be the input delayed by the reported latency.
        const StereoBuffer in = dualMono(whiteNoise(latency + 4000, 5, 0.5f));
        const StereoBuffer out = render<Flanger>(rate, 64, in, {{"through_zero", 1.f}, {"mix", 0.f}});
        float worst = 0.f;
        for (std::size_t n = latency; n < in.frames(); ++n)
            worst = std::max(worst, std::fabs(out.left[n] - in.left[n - latency]));
        // And with the wet path at the same delay (depth 0), an impulse comes out whole at the latency.
        const StereoBuffer imp = render<Flanger>(rate, 64, dualMono(impulse(latency + 1000, 7)),
                                                 {{"through_zero", 1.f}, {"depth", 0.f}, {"feedback", 0.f}});
        std::printf(
            "[measured] flanger through-zero at %g Hz: reported %zu, impulse peak +%zu (%.6f), dry path "
            "error %.2g\n",
            rate, latency, peakIndex(imp.left) - 7, imp.left[peakIndex(imp.left)], worst);
        EXPECT_EQ(latency, static_cast<std::size_t>(std::ceil(0.008 * rate)) + 2);
        EXPECT_EQ(worst, 0.f);
        EXPECT_EQ(peakIndex(imp.left), 7 + latency);
        EXPECT_NEAR(imp.left[7 + latency], 1.f, 1e-6f);
    }
}

TEST(Flanger, ThroughZeroSweepCrossesZeroDelay) {
    // At the zero crossing the wet and the delayed dry coincide: with mix 0.5 and no feedback, an 8 kHz tone
    // then comes through whole, while at |tau| = 1 ms it sits in a notch or near one. Track its envelope.
    const auto frames = static_cast<std::size_t>(4 * kRate);
    const StereoBuffer out = render<Flanger>(kRate, 64, dualMono(sine(8000.0, kRate, frames, 0.25f)),
                                             {{"through_zero", 1.f},
                                              {"delay_ms", 1.f},
                                              {"depth", 1.f},
                                              {"rate_hz", 0.5f},
                                              {"feedback", 0.f},
                                              {"mix", 0.5f}});
    const std::vector<double> env = rmsEnvelope(out.left, 48);
    const double top = *std::max_element(env.begin() + 1000, env.end());
    std::printf("[measured] flanger through-zero: loudest 1 ms of an 8 kHz tone %.4f of the input rms\n",
                top / (0.25 / std::sqrt(2.0)));
    EXPECT_NEAR(top / (0.25 / std::sqrt(2.0)), 1.0, 0.01);
}

TEST(Flanger, BlockSizeInvariance) {
    const std::size_t frames = 40000;
    const StereoBuffer input = stereo(whiteNoise(frames, 41, 0.5f), whiteNoise(frames, 42, 0.5f));
    const float deviation = blockSizeDeviation<Flanger>(kRate, input, {{"rate_hz", 2.f}, {"feedback", -0.8f}},
                                                        {{0, {{"through_zero", 1.f}, {"depth", 1.f}}},
                                                         {17408,
                                                          {{"through_zero", 0.f},
                                                           {"delay_ms", 5.f},
                                                           {"feedback", 0.9f},
                                                           {"stereo_phase", 0.f},
                                                           {"sync", 6.f}}}});
    std::printf("[measured] flanger block-size deviation %.3g\n", deviation);
    EXPECT_LE(deviation, 1e-5f);
}

TEST(Flanger, SampleRatesSilenceAndSoak) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        const double got = measuredRateHz(rate, {{"rate_hz", 0.7f}}, 0.7);
        std::printf("[measured] flanger at %g Hz: rate %.4f Hz (set 0.7)\n", rate, got);
        EXPECT_NEAR(got / 0.7, 1.0, 0.01) << rate;
        for (float tz : {0.f, 1.f}) {
            const StereoBuffer silent = render<Flanger>(rate, 64, dualMono(constant(48000, 0.f)),
                                                        {{"feedback", 0.95f}, {"through_zero", tz}});
            EXPECT_EQ(peak(silent.left), 0.f);
            EXPECT_EQ(peak(silent.right), 0.f);
        }
        const SoakResult soak = randomParamSoak<Flanger>(rate, 4.0, 256, 2718, 0.5f);
        EXPECT_TRUE(soak.finite) << rate;
        std::printf("[measured] flanger soak at %g Hz: peak %.3f (input %.3f)\n", rate, soak.outputPeak,
                    soak.inputPeak);
        EXPECT_LT(soak.outputPeak, 25.f * soak.inputPeak) << rate; // feedback 0.95: resonances up to 1 / 0.05
    }
}

TEST(Flanger, ParameterStepsDoNotClick) {
    struct Step {
        std::string_view id;
        float from;
        float to;
    };
    for (const Step s :
         {Step{"delay_ms", 0.2f, 8.f}, Step{"delay_ms", 8.f, 0.2f}, Step{"depth", 0.f, 1.f},
          Step{"depth", 1.f, 0.f}, Step{"rate_hz", 0.02f, 10.f}, Step{"rate_hz", 10.f, 0.02f},
          Step{"feedback", -0.95f, 0.95f}, Step{"feedback", 0.95f, -0.95f}, Step{"mix", 0.f, 1.f},
          Step{"mix", 1.f, 0.f}, Step{"stereo_phase", 0.f, 180.f}, Step{"through_zero", 0.f, 1.f},
          Step{"through_zero", 1.f, 0.f}, Step{"sync", 0.f, 2.f}}) {
        StepSpec spec;
        // A 5 Hz sweep: each steady window holds whole LFO cycles, so it shows the sweep's own worst case.
        spec.eventFrames = 14400;
        spec.steadyFrames = 9600;
        const StepResult r = stepParamMidSine<Flanger>(spec, {{"rate_hz", 5.f}}, s.id, s.from, s.to);
        std::printf(
            "[measured] flanger %s %g -> %g: click score %.3f, step ratio %.3f (changed output by %.2f)\n",
            std::string(s.id).c_str(), s.from, s.to, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, 2.0) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_LE(r.stepRatio, 1.5) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.01) << s.id << " " << s.from << " -> " << s.to;
    }
}

} // namespace
} // namespace stagerack::test
