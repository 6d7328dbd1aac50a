#include "effects/wah/Wah.h"
#include "tests/support/Analysis.h"
#include "tests/support/FrequencyResponse.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <numbers>

namespace stagerack::test {
namespace {

using fx::Wah;
constexpr double kRate = 48000.0;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

// The law documented in the help text, with the default range.
double documentedHz(double pedal) {
    return 350.0 * std::pow(2200.0 / 350.0, pedal);
}

double measuredPeakHz(double rate, const std::vector<ParamValue>& settings, const SineProbe& probe = {}) {
    return peakFrequency([&](double f) { return measuredGainDb<Wah>(rate, settings, f, probe); }, 200.0,
                         4000.0);
}

TEST(Wah, MetadataIsCompleteAndIdsAreStable) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<Wah>()).empty()) << joined(metadataProblems(fx::infoOf<Wah>()));
    EXPECT_EQ(Wah::kId, "wah");
    EXPECT_EQ(Wah::kCategory, "filter");
    const std::array<std::string_view, Wah::kParamCount> ids{"pedal",        "mode",          "sensitivity",
                                                             "attack_ms",    "release_ms",    "lfo_hz",
                                                             "range_low_hz", "range_high_hz", "q"};
    for (std::size_t i = 0; i < ids.size(); ++i)
        EXPECT_EQ(Wah::kParams[i].id, ids[i]);
    EXPECT_EQ(Wah::kParams[Wah::kMode].labels[2], "lfo");
}

TEST(Wah, PeakFrequencyFollowsTheDocumentedPedalLaw) {
    double worst = 0.0;
    for (double rate : {44100.0, 48000.0, 96000.0}) {
        for (float pedal : {0.f, 0.5f, 1.f}) {
            const double want = documentedHz(pedal);
            const double got = measuredPeakHz(rate, {{"pedal", pedal}});
            const double peakDb = measuredGainDb<Wah>(rate, {{"pedal", pedal}}, got);
            std::printf(
                "[measured] wah pedal %.1f at %g Hz: peak %.1f Hz (documented %.1f Hz, %+.2f %%), %.2f dB\n",
                pedal, rate, got, want, 100.0 * (got / want - 1.0), peakDb);
            EXPECT_NEAR(got / want, 1.0, 0.05) << pedal << " at " << rate;
            EXPECT_NEAR(peakDb, 6.0, 1.0) << pedal << " at " << rate;
            worst = std::max(worst, std::fabs(got / want - 1.0));
        }
    }
    EXPECT_LE(worst, 0.02); // the bass leak moves the peak a little; 5 % is what is asked
}

TEST(Wah, ResonanceIsNarrowerAtTheHeelAndBassLeaks) {
    // -3 dB bandwidth around the peak at the heel and the toe: Q = f / bandwidth.
    auto measuredQ = [](float pedal) {
        const std::vector<ParamValue> s{{"pedal", pedal}};
        const double f0 = measuredPeakHz(kRate, s);
        const double top = measuredGainDb<Wah>(kRate, s, f0);
        auto edge = [&](double dir) {
            double lo = 0.0, hi = 1.0; // octaves away from f0
            for (int i = 0; i < 30; ++i) {
                const double mid = 0.5 * (lo + hi);
                (measuredGainDb<Wah>(kRate, s, f0 * std::pow(2.0, dir * mid)) > top - 3.0103 ? lo : hi) = mid;
            }
            return f0 * std::pow(2.0, dir * lo);
        };
        return f0 / (edge(1.0) - edge(-1.0));
    };
    const double heel = measuredQ(0.f);
    const double toe = measuredQ(1.f);
    std::printf("[measured] wah Q at heel %.2f (design 7.2), at toe %.2f (design 4.8)\n", heel, toe);
    EXPECT_NEAR(heel, 7.2, 0.7);
    EXPECT_NEAR(toe, 4.8, 0.5);
    // The bass leak: 40 Hz comes through about 20 dB below the peak instead of the band-pass's -40 dB.
    const double bass = measuredGainDb<Wah>(kRate, {{"pedal", 1.f}}, 40.0);
    std::printf("[measured] wah bass leak at 40 Hz (toe): %.2f dB\n", bass);
    EXPECT_NEAR(bass, 6.0 - 20.0, 1.5);
}

TEST(Wah, AutoModeMovesThePeakUpWithTheLevel) {
    // sensitivity 20 dB: p = min(1, peak * 10); a fast attack and slow release make the follower read the
    // sine's peak.
    const std::vector<ParamValue> base{
        {"mode", 1.f}, {"pedal", 0.f}, {"sensitivity", 20.f}, {"attack_ms", 0.5f}, {"release_ms", 2000.f}};
    double previous = 0.0;
    for (float amplitude : {0.002f, 0.02f, 0.05f, 0.08f}) {
        SineProbe probe;
        probe.amplitude = amplitude;
        probe.settleSeconds = 0.3;
        const double got = measuredPeakHz(kRate, base, probe);
        const double want = documentedHz(std::min(1.0, 10.0 * amplitude));
        std::printf("[measured] wah auto, input peak %.3f: resonance %.1f Hz (law %.1f Hz, %+.2f %%)\n",
                    amplitude, got, want, 100.0 * (got / want - 1.0));
        EXPECT_GT(got, previous * 1.05) << amplitude;
        EXPECT_NEAR(got / want, 1.0, 0.05) << amplitude;
        previous = got;
    }
}

TEST(Wah, LfoRateIsExact) {
    for (float hz : {0.5f, 2.f, 7.f}) {
        // A tone at the bottom of the sweep is loudest once per LFO cycle; the period is the lag of the
        // highest autocorrelation of the output's 1 ms RMS envelope.
        const double seconds = std::max(8.0, 20.0 / hz);
        const auto frames = static_cast<std::size_t>(seconds * kRate);
        const StereoBuffer out = render<Wah>(kRate, 64, dualMono(sine(350.0, kRate, frames, 0.25f)),
                                             {{"mode", 2.f}, {"lfo_hz", hz}});
        const std::size_t hop = 48;
        std::vector<double> env;
        for (std::size_t n = 0; n + hop <= frames; n += hop)
            env.push_back(rms(slice(out.left, {n, n + hop})));
        double mean = 0.0;
        for (double v : env)
            mean += v;
        mean /= static_cast<double>(env.size());
        for (double& v : env)
            v -= mean;
        const double expectedLag = kRate / hop / hz;
        auto corr = [&](std::size_t lag) {
            double s = 0.0;
            for (std::size_t i = 0; i + lag < env.size(); ++i)
                s += env[i] * env[i + lag];
            return s / static_cast<double>(env.size() - lag);
        };
        // Search half to twice the expected period (so a wrong rate could not hide).
        std::size_t best = 0;
        double bestC = -1e300;
        for (auto lag = static_cast<std::size_t>(0.5 * expectedLag);
             lag <= static_cast<std::size_t>(2.0 * expectedLag) && lag < env.size() / 2; ++lag) {
            const double c = corr(lag);
            if (c > bestC) {
                bestC = c;
                best = lag;
            }
        }
        const double c0 = corr(best - 1), c2 = corr(best + 1);
        const double lag = static_cast<double>(best) + 0.5 * (c0 - c2) / (c0 - 2.0 * bestC + c2);
        const double measuredHz = kRate / hop / lag;
        std::printf("[measured] wah lfo %g Hz: measured %.4f Hz (%+.3f %%)\n", hz, measuredHz,
                    100.0 * (measuredHz / hz - 1.0));
        EXPECT_NEAR(measuredHz / hz, 1.0, 0.01) << hz;
    }
}

TEST(Wah, BlockSizeInvariance) {
    const std::size_t frames = 40000;
    const StereoBuffer input = stereo(whiteNoise(frames, 91, 0.3f), whiteNoise(frames, 92, 0.3f));
    for (float mode : {0.f, 1.f, 2.f}) {
        const float deviation = blockSizeDeviation<Wah>(
            kRate, input, {{"mode", mode}, {"lfo_hz", 3.f}},
            {{0, {{"pedal", 0.9f}, {"q", 12.f}, {"attack_ms", 1.f}}},
             {17408,
              {{"pedal", 0.1f}, {"mode", 2.f - mode}, {"range_low_hz", 500.f}, {"sensitivity", 35.f}}}});
        std::printf("[measured] wah mode %g block-size deviation %.3g\n", mode, deviation);
        EXPECT_LE(deviation, 1e-5f) << mode;
    }
}

TEST(Wah, SampleRatesSilenceAndSoak) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        const double got = measuredPeakHz(rate, {{"pedal", 0.5f}});
        std::printf("[measured] wah pedal 0.5 at %g Hz: peak %.1f Hz (%+.2f %%)\n", rate, got,
                    100.0 * (got / documentedHz(0.5) - 1.0));
        EXPECT_NEAR(got / documentedHz(0.5), 1.0, 0.05) << rate;
        for (float mode : {0.f, 1.f, 2.f}) {
            const StereoBuffer out = render<Wah>(rate, 64, dualMono(constant(48000, 0.f)), {{"mode", mode}});
            EXPECT_EQ(peak(out.left), 0.f) << rate << " mode " << mode;
            EXPECT_EQ(peak(out.right), 0.f) << rate << " mode " << mode;
        }
        const SoakResult soak = randomParamSoak<Wah>(rate, 4.0, 256, 777, 0.5f);
        EXPECT_TRUE(soak.finite) << rate;
        EXPECT_GT(soak.paramChanges, 1000u);
        std::printf("[measured] wah soak at %g Hz: peak %.3f (input %.3f)\n", rate, soak.outputPeak,
                    soak.inputPeak);
        // +6 dB resonance, band-pass overshoot under modulation: a generous bound that still catches a
        // blow-up.
        EXPECT_LT(soak.outputPeak, 8.f * soak.inputPeak) << rate;
    }
}

TEST(Wah, ParameterStepsDoNotClick) {
    struct Step {
        std::string_view id;
        float from;
        float to;
        std::vector<ParamValue> settings;
        double probeHz;
        std::size_t eventFrames;
    };
    // Probes chosen so that the resonance approaches or leaves the tone without crossing it (a resonance
    // swept across a tone raises and lowers it within 20 ms: the wah itself, not a click).
    const std::vector<ParamValue> autoMode{{"mode", 1.f}, {"pedal", 0.f}, {"sensitivity", 6.f}};
    std::vector<ParamValue> autoFast = autoMode;
    autoFast.push_back({"release_ms", 10.f});
    const std::vector<Step> steps{
        {"pedal", 0.f, 0.5f, {}, 850.0, 4800},
        {"pedal", 1.f, 0.5f, {}, 850.0, 4800},
        {"range_low_hz", 200.f, 1000.f, {{"pedal", 0.f}}, 1100.0, 4800},
        {"range_high_hz", 4000.f, 1000.f, {{"pedal", 1.f}}, 900.0, 4800},
        {"q", 1.f, 15.f, {}, 997.0, 4800},
        {"q", 15.f, 1.f, {}, 997.0, 4800},
        {"sensitivity", 0.f, 40.f, autoMode, 2500.0, 4800},
        {"attack_ms", 0.5f, 100.f, autoFast, 400.0, 9600},
        {"release_ms", 2000.f, 10.f, autoMode, 400.0, 9600},
        {"lfo_hz", 0.05f, 10.f, {{"mode", 2.f}}, 997.0, 4800},
        {"mode", 0.f, 1.f, {{"pedal", 0.5f}, {"sensitivity", 20.f}}, 850.0, 4800},
        {"mode", 1.f, 0.f, {{"pedal", 0.5f}, {"sensitivity", 20.f}}, 850.0, 4800},
    };
    for (const auto& s : steps) {
        StepSpec spec;
        spec.freqHz = s.probeHz;
        spec.eventFrames = s.eventFrames;
        const StepResult r = stepParamMidSine<Wah>(spec, s.settings, s.id, s.from, s.to);
        std::printf(
            "[measured] wah %s %g -> %g (%.0f Hz): click score %.3f, step ratio %.3f (changed output by "
            "%.2f)\n",
            std::string(s.id).c_str(), s.from, s.to, s.probeHz, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, 2.0) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_LE(r.stepRatio, 1.5) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.01) << s.id << " " << s.from << " -> " << s.to << ": the step changed nothing";
    }
}

} // namespace
} // namespace stagerack::test
