#include "effects/rotary/Rotary.h"
#include "tests/support/Analysis.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <cstdio>
#include <numbers>
#include <string>

namespace stagerack::test {
namespace {

using fx::Rotary;
constexpr double kRate = 48000.0;
constexpr double kHornTone = 4000.0; // 28 dB into the crossover's drum side: the horn's modulation only
constexpr double kDrumTone = 100.0;  // 36 dB below the horn's band: the drum's

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

// RMS over consecutive hops (a whole number of the tone's cycles each).
std::vector<double> envelope(const std::vector<float>& x, std::size_t hop) {
    std::vector<double> env;
    for (std::size_t n = 0; n + hop <= x.size(); n += hop)
        env.push_back(rms(slice(x, {n, n + hop})));
    return env;
}

// The frequency of the envelope's strongest component near `expectedHz`: the peak of its Hann-windowed
// spectrum, searched on a grid 0.02 % fine from 0.75 to 1.33 times the expectation.
double envelopeRate(const std::vector<double>& env, double hopSeconds, double expectedHz) {
    double mean = 0.0;
    for (double v : env)
        mean += v;
    mean /= static_cast<double>(env.size());
    const auto n = env.size();
    double best = 0.0, bestMag = -1.0;
    for (double f = 0.75 * expectedHz; f <= 1.33 * expectedHz; f *= 1.0002) {
        std::complex<double> acc = 0.0;
        const std::complex<double> step = std::polar(1.0, -2.0 * std::numbers::pi * f * hopSeconds);
        std::complex<double> rot = 1.0;
        for (std::size_t i = 0; i < n; ++i) {
            const double w =
                0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * (i + 0.5) / static_cast<double>(n));
            acc += w * (env[i] - mean) * rot;
            rot *= step;
        }
        if (std::abs(acc) > bestMag) {
            bestMag = std::abs(acc);
            best = f;
        }
    }
    return best;
}

struct RateCase {
    double toneHz;
    std::size_t hop;
};

double measuredRate(double rate, const RateCase& c, float speed, double expectedHz, double seconds,
                    const std::vector<ParamValue>& extra = {}) {
    const auto frames = static_cast<std::size_t>(seconds * rate);
    std::vector<ParamValue> settings = extra;
    settings.push_back({"speed", speed});
    const StereoBuffer out =
        render<Rotary>(rate, 64, dualMono(sine(c.toneHz, rate, frames, 0.25f)), settings);
    return envelopeRate(envelope(out.left, c.hop), static_cast<double>(c.hop) / rate, expectedHz);
}

TEST(Rotary, MetadataIsCompleteAndIdsAreStable) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<Rotary>()).empty())
        << joined(metadataProblems(fx::infoOf<Rotary>()));
    EXPECT_EQ(Rotary::kId, "rotary");
    EXPECT_EQ(Rotary::kCategory, "modulation");
    const std::array<std::string_view, Rotary::kParamCount> ids{
        "speed", "horn_slow_hz", "horn_fast_hz", "drum_slow_hz", "drum_fast_hz",
        "drive", "balance",      "mic_distance", "width",        "mix"};
    for (std::size_t i = 0; i < ids.size(); ++i)
        EXPECT_EQ(Rotary::kParams[i].id, ids[i]);
    EXPECT_EQ(Rotary::kParams[Rotary::kSpeed].labels[1], "fast");
}

TEST(Rotary, RotorRatesMatchTheSettings) {
    const RateCase horn{kHornTone, 48};
    const RateCase drum{kDrumTone, 480};
    struct Case {
        const char* rotor;
        RateCase probe;
        float speed;
        double hz;
    };
    for (const Case& c : {Case{"horn", horn, 0.f, 0.8}, Case{"horn", horn, 1.f, 6.7},
                          Case{"drum", drum, 0.f, 0.7}, Case{"drum", drum, 1.f, 5.9}}) {
        const double seconds = c.hz < 2.0 ? 24.0 : 8.0;
        const double got = measuredRate(kRate, c.probe, c.speed, c.hz, seconds);
        std::printf("[measured] rotary %s %s: %.4f Hz from the AM envelope (setting %.2f Hz, %+.3f %%)\n",
                    c.rotor, c.speed > 0.5f ? "fast" : "slow", got, c.hz, 100.0 * (got / c.hz - 1.0));
        EXPECT_NEAR(got / c.hz, 1.0, 0.01) << c.rotor << " " << c.speed;
    }
    // Other settings are followed too.
    const double got = measuredRate(kRate, horn, 1.f, 9.0, 8.0, {{"horn_fast_hz", 9.f}});
    std::printf("[measured] rotary horn_fast_hz 9: %.4f Hz (%+.3f %%)\n", got, 100.0 * (got / 9.0 - 1.0));
    EXPECT_NEAR(got / 9.0, 1.0, 0.01);
}

// Rotation rate over time after a switch at `switchSeconds`, from the intervals between rising crossings of
// the envelope through its mean; returns the time (after the switch) at which the rate first reaches 90 % of
// the change from `from` to `to` Hz.
double ninetyPercentSeconds(const RateCase& c, float fromSpeed, double from, double to, double seconds,
                            double switchSeconds) {
    const auto frames = static_cast<std::size_t>(seconds * kRate);
    const auto at = static_cast<std::size_t>(switchSeconds * kRate) / 64 * 64;
    const StereoBuffer out = render<Rotary>(kRate, 64, dualMono(sine(c.toneHz, kRate, frames, 0.25f)),
                                            {{"speed", fromSpeed}}, {{at, {{"speed", 1.f - fromSpeed}}}});
    const std::vector<double> raw = envelope(out.left, c.hop);
    const double hop = static_cast<double>(c.hop) / kRate;
    // A 5-hop moving average, then crossings of the mean with hysteresis (a quarter of the envelope's
    // deviation), so ripple near the mean cannot count as a rotation. The amplitude modulation's mean does
    // not depend on the speed: the mean of the whole record is the level to cross.
    std::vector<double> env(raw.size(), 0.0);
    for (std::size_t i = 4; i < raw.size(); ++i)
        env[i] = (raw[i] + raw[i - 1] + raw[i - 2] + raw[i - 3] + raw[i - 4]) / 5.0;
    double mean = 0.0, square = 0.0;
    for (std::size_t i = 4; i < env.size(); ++i) {
        mean += env[i];
        square += env[i] * env[i];
    }
    mean /= static_cast<double>(env.size() - 4);
    const double deviation = std::sqrt(square / static_cast<double>(env.size() - 4) - mean * mean);
    std::vector<double> crossings;
    bool armed = false;
    for (std::size_t i = 5; i < env.size(); ++i) {
        if (env[i] < mean - 0.25 * deviation) armed = true;
        if (armed && env[i - 1] < mean && env[i] >= mean) {
            // The average's centre is 2 hops back.
            crossings.push_back(
                (static_cast<double>(i - 1) + (mean - env[i - 1]) / (env[i] - env[i - 1]) - 1.5) * hop);
            armed = false;
        }
    }
    const double threshold = from + 0.9 * (to - from);
    const double atSeconds = static_cast<double>(at) / kRate;
    // Each interval gives the mean rate over one rotation, placed at its midpoint; the threshold time is
    // interpolated between the last midpoint before it and the first after it.
    double prevMid = 0.0, prevRate = from;
    for (std::size_t i = 1; i < crossings.size(); ++i) {
        const double mid = 0.5 * (crossings[i] + crossings[i - 1]);
        const double rateHz = 1.0 / (crossings[i] - crossings[i - 1]);
        if (mid > atSeconds && (to > from ? rateHz >= threshold : rateHz <= threshold)) {
            const double t = prevMid + (threshold - prevRate) / (rateHz - prevRate) * (mid - prevMid);
            return std::max(t, atSeconds) - atSeconds;
        }
        prevMid = mid;
        prevRate = rateHz;
    }
    return 1e9;
}

TEST(Rotary, RotorsAccelerateWithInertia) {
    const RateCase horn{kHornTone, 48};
    const RateCase drum{kDrumTone, 480};
    const double hornUp = ninetyPercentSeconds(horn, 0.f, 0.8, 6.7, 8.0, 3.0);
    const double drumUp = ninetyPercentSeconds(drum, 0.f, 0.7, 5.9, 16.0, 3.0);
    std::printf(
        "[measured] rotary slow -> fast: horn at 90 %% of the change after %.2f s (documented 0.85 s), drum "
        "after %.2f s (documented 4.5 s)\n",
        hornUp, drumUp);
    EXPECT_LE(hornUp, 1.0);
    EXPECT_GE(hornUp, 0.7);
    EXPECT_GE(drumUp, 3.5);
    EXPECT_LE(drumUp, 5.0);
    EXPECT_GT(drumUp, 3.0 * hornUp);
}

TEST(Rotary, RotorsBrakeAtTheDocumentedRate) {
    // The rotors' own state (the output's crossings are too sparse at slow speeds to time a brake): after a
    // fast -> slow switch, 90 % of the change is done at the documented times.
    Rotary r;
    prepareLikeHost(r, kRate, 64, {{"speed", 1.f}});
    setParam(r, "speed", 0.f);
    std::vector<float> l(64, 0.f), rr(64, 0.f);
    double hornAt = 0.0, drumAt = 0.0;
    for (std::size_t n = 0; n < static_cast<std::size_t>(8.0 * kRate); n += 64) {
        fx::StereoBlock block{l.data(), rr.data(), 64};
        r.process(block, fx::ProcessContext{});
        const double t = static_cast<double>(n + 64) / kRate;
        if (hornAt == 0.0 && r.hornHz() <= 6.7 - 0.9 * (6.7 - 0.8)) hornAt = t;
        if (drumAt == 0.0 && r.drumHz() <= 5.9 - 0.9 * (5.9 - 0.7)) drumAt = t;
    }
    std::printf(
        "[measured] rotary fast -> slow (rotor state): horn at 90 %% after %.3f s (documented 1.27 s), "
        "drum after %.3f s (documented 5.5 s)\n",
        hornAt, drumAt);
    EXPECT_NEAR(hornAt, 1.27, 0.02);
    EXPECT_NEAR(drumAt, 5.5, 0.05);
}

double correlation(const std::vector<float>& a, const std::vector<float>& b, Window w) {
    double ab = 0.0, aa = 0.0, bb = 0.0;
    for (std::size_t n = w.begin; n < w.end; ++n) {
        ab += static_cast<double>(a[n]) * b[n];
        aa += static_cast<double>(a[n]) * a[n];
        bb += static_cast<double>(b[n]) * b[n];
    }
    return ab / std::sqrt(aa * bb);
}

TEST(Rotary, StereoIsDecorrelated) {
    const std::size_t frames = 5 * 48000;
    const StereoBuffer input = dualMono(whiteNoise(frames, 77, 0.3f));
    const Window w{48000, frames};
    for (float speed : {0.f, 1.f}) {
        const StereoBuffer wide = render<Rotary>(kRate, 64, input, {{"speed", speed}});
        const StereoBuffer full = render<Rotary>(kRate, 64, input, {{"speed", speed}, {"width", 1.f}});
        const StereoBuffer mono = render<Rotary>(kRate, 64, input, {{"speed", speed}, {"width", 0.f}});
        const double cWide = correlation(wide.left, wide.right, w);
        const double cFull = correlation(full.left, full.right, w);
        const double cMono = correlation(mono.left, mono.right, w);
        std::printf(
            "[measured] rotary %s, white noise: L/R correlation %.3f (width 0.8), %.3f (width 1), %.4f "
            "(width 0)\n",
            speed > 0.5f ? "fast" : "slow", cWide, cFull, cMono);
        EXPECT_LT(cWide, 0.5) << speed;
        EXPECT_LT(cFull, 0.5) << speed;
        EXPECT_GT(cMono, 0.9999) << speed;
    }
}

TEST(Rotary, SpeedSwitchDoesNotClick) {
    for (float from : {0.f, 1.f}) {
        for (double hz : {200.0, 997.0, 3000.0}) {
            StepSpec spec;
            spec.freqHz = hz;
            spec.steadyFrames = 48000;
            spec.stepAt = 96000;
            spec.eventFrames = 9600;
            const StepResult r = stepParamMidSine<Rotary>(spec, {}, "speed", from, 1.f - from);
            std::printf("[measured] rotary speed %g -> %g at %.0f Hz: click score %.3f, step ratio %.3f\n",
                        from, 1.f - from, hz, r.clickScore, r.stepRatio);
            EXPECT_LE(r.clickScore, 2.0) << from << " " << hz;
            EXPECT_GT(r.effect, 0.01);
        }
    }
}

TEST(Rotary, BlockSizeInvariance) {
    const std::size_t frames = 40000;
    const StereoBuffer input = stereo(whiteNoise(frames, 81, 0.3f), whiteNoise(frames, 82, 0.3f));
    const float deviation = blockSizeDeviation<Rotary>(
        kRate, input, {{"drive", 0.7f}},
        {{0, {{"speed", 1.f}, {"mix", 0.7f}}},
         {17408,
          {{"speed", 0.f}, {"width", 0.2f}, {"mic_distance", 0.9f}, {"balance", 0.5f}, {"drive", 0.1f}}}});
    std::printf("[measured] rotary block-size deviation %.3g\n", deviation);
    EXPECT_LE(deviation, 1e-5f);
}

TEST(Rotary, SampleRatesSilenceAndSoak) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        const auto hop = static_cast<std::size_t>(std::lround(rate / 1000.0)); // 4 cycles of 4 kHz
        const double horn = measuredRate(rate, {kHornTone, hop}, 1.f, 6.7, 6.0);
        const double drum = measuredRate(rate, {kDrumTone, hop * 10}, 1.f, 5.9, 6.0);
        std::printf(
            "[measured] rotary at %g Hz: horn fast %.4f Hz (%+.3f %%), drum fast %.4f Hz (%+.3f %%)\n", rate,
            horn, 100.0 * (horn / 6.7 - 1.0), drum, 100.0 * (drum / 5.9 - 1.0));
        EXPECT_NEAR(horn / 6.7, 1.0, 0.01) << rate;
        EXPECT_NEAR(drum / 5.9, 1.0, 0.01) << rate;
        const StereoBuffer silent =
            render<Rotary>(rate, 64, dualMono(constant(48000, 0.f)), {{"drive", 1.f}});
        EXPECT_EQ(peak(silent.left), 0.f) << rate;
        EXPECT_EQ(peak(silent.right), 0.f) << rate;
        const SoakResult soak = randomParamSoak<Rotary>(rate, 4.0, 256, 313, 0.5f);
        EXPECT_TRUE(soak.finite) << rate;
        EXPECT_GT(soak.paramChanges, 1000u);
        std::printf("[measured] rotary soak at %g Hz: peak %.3f (input %.3f)\n", rate, soak.outputPeak,
                    soak.inputPeak);
        EXPECT_LT(soak.outputPeak, 6.f * soak.inputPeak) << rate;
    }
}

TEST(Rotary, ParameterStepsDoNotClick) {
    struct Step {
        std::string_view id;
        float from;
        float to;
        std::vector<ParamValue> settings;
    };
    const std::vector<ParamValue> fast{{"speed", 1.f}};
    const std::vector<Step> steps{
        {"horn_slow_hz", 0.3f, 2.f, {}},   {"horn_fast_hz", 3.f, 10.f, fast}, {"drum_slow_hz", 2.f, 0.3f, {}},
        {"drum_fast_hz", 10.f, 3.f, fast}, {"drive", 0.f, 1.f, fast},         {"drive", 1.f, 0.f, fast},
        {"balance", -1.f, 1.f, {}},        {"balance", 1.f, -1.f, {}},        {"mic_distance", 0.f, 1.f, {}},
        {"width", 0.f, 1.f, {}},           {"width", 1.f, 0.f, fast},         {"mix", 0.f, 1.f, {}},
        {"mix", 1.f, 0.f, fast},
    };
    for (const auto& s : steps) {
        // Steady windows of a whole second: they see the rotors' modulation over (most of) a rotation, so
        // the score measures the step, not where the rotor happened to point.
        StepSpec spec;
        spec.steadyFrames = 48000;
        spec.stepAt = 96000;
        spec.eventFrames = 9600;
        const StepResult r = stepParamMidSine<Rotary>(spec, s.settings, s.id, s.from, s.to);
        std::printf("[measured] rotary %s %g -> %g: click score %.3f, step ratio %.3f (effect %.2f)\n",
                    std::string(s.id).c_str(), s.from, s.to, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, 2.0) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.01) << s.id;
    }
}

} // namespace
} // namespace stagerack::test
