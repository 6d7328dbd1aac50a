#include "effects/dynamics/Gate.h"
#include "tests/support/Analysis.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <optional>

namespace stagerack::test {
namespace {

using fx::Gate;
constexpr double kRate = 48000.0;
constexpr double kOneFrameMs = 1000.0 / kRate + 1e-9;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

double dbToGainD(double db) {
    return std::pow(10.0, db / 20.0);
}

// A signal made of segments of constant amplitude (a sine, or DC when freqHz == 0).
std::vector<float> segments(double freqHz,
                            std::initializer_list<std::pair<double, double>> levelsDbAndSeconds) {
    std::vector<float> out;
    std::size_t n = 0;
    for (const auto& [db, seconds] : levelsDbAndSeconds) {
        const auto frames = static_cast<std::size_t>(seconds * kRate);
        const double amp = dbToGainD(db);
        for (std::size_t i = 0; i < frames; ++i, ++n) {
            const double x = freqHz > 0.0
                                 ? std::sin(2.0 * std::numbers::pi * freqHz * static_cast<double>(n) / kRate)
                                 : 1.0;
            out.push_back(static_cast<float>(amp * x));
        }
    }
    return out;
}

// Gain the gate applied at each frame, from a DC input (which is never zero).
std::vector<double> gainCurve(const std::vector<float>& in, const std::vector<float>& out) {
    std::vector<double> g(in.size());
    for (std::size_t n = 0; n < in.size(); ++n)
        g[n] = static_cast<double>(out[n]) / in[n];
    return g;
}

std::optional<std::size_t> firstWhere(const std::vector<double>& g, std::size_t from, auto&& pred) {
    for (std::size_t n = from; n < g.size(); ++n)
        if (pred(g[n])) return n;
    return std::nullopt;
}

TEST(Gate, MetadataIsCompleteAndIdsAreStable) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<Gate>()).empty()) << joined(metadataProblems(fx::infoOf<Gate>()));
    EXPECT_EQ(Gate::kId, "gate");
    EXPECT_EQ(Gate::kCategory, "dynamics");
    const std::array<std::string_view, Gate::kParamCount> ids{"threshold_db", "attack_ms",     "hold_ms",
                                                              "release_ms",   "hysteresis_db", "range_db"};
    for (std::size_t i = 0; i < ids.size(); ++i)
        EXPECT_EQ(Gate::kParams[i].id, ids[i]);
}

TEST(Gate, ClosedGateAttenuatesByExactlyTheRange) {
    // 100 ms well above the threshold opens the gate, then a tone 20 dB below the closing threshold.
    const std::vector<float> x = segments(1000.0, {{-10.0, 0.1}, {-73.0, 1.2}});
    const Window settled{static_cast<std::size_t>(0.8 * kRate), x.size()}; // 500 ms = 500 whole cycles
    double worst = 0.0;
    for (float range : {-20.f, -40.f, -60.f, -80.f, -90.f}) {
        const StereoBuffer out =
            render<Gate>(kRate, 64, dualMono(x), {{"range_db", range}, {"release_ms", 20.f}});
        const double measured = goertzelDb(slice(out.left, settled), 1000.0, kRate) -
                                goertzelDb(slice(x, settled), 1000.0, kRate);
        std::printf("[measured] gate range %g dB: attenuation %.4f dB\n", range, measured);
        EXPECT_NEAR(measured, range, 0.1) << "range_db " << range;
        worst = std::max(worst, std::fabs(measured - range));
    }
    std::printf("[measured] gate closed attenuation error: %.2e dB\n", worst);

    // From reset the gate is closed: a quiet signal is attenuated from the very first sample.
    const std::vector<float> quiet = segments(1000.0, {{-73.0, 0.2}});
    const StereoBuffer out = render<Gate>(kRate, 64, dualMono(quiet), {{"range_db", -40.f}});
    for (std::size_t n = 0; n < quiet.size(); ++n)
        ASSERT_NEAR(out.left[n], quiet[n] * 0.01f, 1e-6f * std::fabs(quiet[n])) << n;
}

TEST(Gate, OpenGateIsTransparent) {
    const std::vector<float> x = segments(1000.0, {{-20.0, 0.5}});
    const StereoBuffer out = render<Gate>(kRate, 64, dualMono(x));
    const Window settled{static_cast<std::size_t>(0.1 * kRate), x.size()};
    const double gainDb =
        goertzelDb(slice(out.left, settled), 1000.0, kRate) - goertzelDb(slice(x, settled), 1000.0, kRate);
    std::printf("[measured] gate open gain: %.6f dB\n", gainDb);
    EXPECT_NEAR(gainDb, 0.0, 0.05);
    // The gain snaps onto unity: bit-transparent once open.
    for (std::size_t n = settled.begin; n < x.size(); ++n)
        ASSERT_EQ(out.left[n], x[n]) << n;
}

TEST(Gate, DetectsTheLouderChannel) {
    // Only the right channel is loud: the quiet left one must be let through as well.
    const std::vector<float> quiet = segments(1000.0, {{-70.0, 0.3}});
    const std::vector<float> loud = segments(1000.0, {{-20.0, 0.3}});
    const StereoBuffer out = render<Gate>(kRate, 64, stereo(quiet, loud));
    for (std::size_t n = static_cast<std::size_t>(0.1 * kRate); n < quiet.size(); ++n)
        ASSERT_EQ(out.left[n], quiet[n]) << n;
}

// Frames after the input drops from `from` to silence until the detector falls below `level`.
std::size_t detectorFallFrames(double from, double level) {
    const double decay = std::exp(-1000.0 / (Gate::kDetectorDecayMs * kRate));
    std::size_t j = 0;
    for (double env = from * decay; env >= level; env *= decay)
        ++j;
    return j;
}

TEST(Gate, HoldKeepsTheGateOpenAfterTheSignalDrops) {
    // DC makes the applied gain readable sample by sample.
    const auto loudFrames = static_cast<std::size_t>(0.1 * kRate);
    const std::vector<float> x =
        concat(constant(loudFrames, 0.5f), constant(static_cast<std::size_t>(0.5 * kRate), 1e-5f));
    const double closeLevel = dbToGainD(-40.0 - 3.0);
    const std::size_t fall = detectorFallFrames(0.5, closeLevel);
    for (float holdMs : {0.f, 20.f, 50.f, 200.f}) {
        const StereoBuffer out = render<Gate>(kRate, 64, dualMono(x),
                                              {{"threshold_db", -40.f},
                                               {"hysteresis_db", 3.f},
                                               {"attack_ms", 0.1f},
                                               {"release_ms", 20.f},
                                               {"hold_ms", holdMs}});
        const std::vector<double> g = gainCurve(x, out.left);
        const auto closes = firstWhere(g, loudFrames, [](double v) { return v < 1.0; });
        ASSERT_TRUE(closes.has_value()) << "hold " << holdMs;
        const auto holdFrames = static_cast<std::size_t>(std::lround(holdMs * kRate / 1000.0));
        const double expected = static_cast<double>(loudFrames + fall + holdFrames);
        const double errorMs = (static_cast<double>(*closes) - expected) * 1000.0 / kRate;
        // Open from the drop until the hold runs out: the signal drop, the detector's own decay and the hold.
        const double openMs = static_cast<double>(*closes - loudFrames) * 1000.0 / kRate;
        std::printf("[measured] gate hold %g ms: stays open %.3f ms after the drop (detector %.3f ms), error "
                    "%.3f ms\n",
                    holdMs, openMs, fall * 1000.0 / kRate, errorMs);
        EXPECT_LE(std::fabs(errorMs), 1.0) << "hold " << holdMs;
        for (std::size_t n = loudFrames; n < *closes; ++n)
            ASSERT_EQ(g[n], 1.0) << n;
    }
}

TEST(Gate, Hysteresis) {
    const std::vector<ParamValue> settings{
        {"threshold_db", -40.f}, {"hysteresis_db", 6.f}, {"release_ms", 20.f}};
    const std::size_t loud = static_cast<std::size_t>(0.1 * kRate);
    const double range = dbToGainD(-80.0);

    // Inside the band (-46..-40 dB) after being open: stays open, bit-transparent.
    const std::vector<float> held = segments(1000.0, {{-20.0, 0.1}, {-43.0, 0.5}});
    const StereoBuffer openOut = render<Gate>(kRate, 64, dualMono(held), settings);
    EXPECT_EQ(maxAbsDiff(slice(openOut.left, {loud, held.size()}), slice(held, {loud, held.size()})), 0.f);

    // Inside the band from a closed gate: stays closed.
    const std::vector<float> band = segments(1000.0, {{-43.0, 0.5}});
    const StereoBuffer closedOut = render<Gate>(kRate, 64, dualMono(band), settings);
    const Window all{0, band.size()};
    EXPECT_NEAR(rmsDb(slice(closedOut.left, all)) - rmsDb(slice(band, all)), toDb(range), 0.01);

    // Controls: above the threshold opens a closed gate; below the band closes an open one.
    const std::vector<float> above = segments(1000.0, {{-37.0, 0.5}});
    const StereoBuffer aboveOut = render<Gate>(kRate, 64, dualMono(above), settings);
    const Window late{loud, above.size()};
    EXPECT_NEAR(rmsDb(slice(aboveOut.left, late)) - rmsDb(slice(above, late)), 0.0, 0.001);
    const std::vector<float> below = segments(1000.0, {{-20.0, 0.1}, {-49.0, 0.8}});
    const StereoBuffer belowOut = render<Gate>(kRate, 64, dualMono(below), settings);
    const Window end{static_cast<std::size_t>(0.6 * kRate), below.size()};
    EXPECT_NEAR(rmsDb(slice(belowOut.left, end)) - rmsDb(slice(below, end)), toDb(range), 0.1);
}

TEST(Gate, AttackTimeConstant) {
    // From closed (range -80 dB) to open on a DC step: time to cover 63.2 % of the way to unity.
    const std::vector<float> x = constant(static_cast<std::size_t>(0.4 * kRate), 0.1f);
    const double g0 = dbToGainD(-80.0);
    for (float attackMs : {0.5f, 1.f, 10.f, 50.f}) {
        const StereoBuffer out = render<Gate>(kRate, 64, dualMono(x), {{"attack_ms", attackMs}});
        const std::vector<double> g = gainCurve(x, out.left);
        const double mark = g0 + (1.0 - std::exp(-1.0)) * (1.0 - g0);
        const auto reached = firstWhere(g, 0, [&](double v) { return v >= mark; });
        ASSERT_TRUE(reached.has_value());
        const double measuredMs =
            static_cast<double>(*reached + 1) * 1000.0 / kRate; // the gain moves on frame 0
        std::printf("[measured] gate attack %g ms: 63%% after %.3f ms (%+.2f %%)\n", attackMs, measuredMs,
                    100.0 * (measuredMs / attackMs - 1.0));
        // A one-pole by construction: within 2 % or one frame (the brief asks for 20 %). The 63 % mark can
        // fall exactly on a frame, where rounding decides which side it lands: hence the epsilon.
        EXPECT_NEAR(measuredMs, attackMs, std::max(0.02 * attackMs, kOneFrameMs)) << attackMs;
    }
}

TEST(Gate, ReleaseTimeConstant) {
    const auto loudFrames = static_cast<std::size_t>(0.1 * kRate);
    const std::vector<float> x =
        concat(constant(loudFrames, 0.1f), constant(static_cast<std::size_t>(1.5 * kRate), 1e-5f));
    const double range = dbToGainD(-80.0);
    for (float releaseMs : {5.f, 20.f, 100.f, 1000.f}) {
        const StereoBuffer out =
            render<Gate>(kRate, 64, dualMono(x), {{"release_ms", releaseMs}, {"hold_ms", 0.f}});
        const std::vector<double> g = gainCurve(x, out.left);
        const auto start = firstWhere(g, loudFrames, [](double v) { return v < 1.0; });
        ASSERT_TRUE(start.has_value());
        const double mark = 1.0 - (1.0 - std::exp(-1.0)) * (1.0 - range);
        const auto reached = firstWhere(g, *start, [&](double v) { return v <= mark; });
        ASSERT_TRUE(reached.has_value());
        const double measuredMs = static_cast<double>(*reached - *start + 1) * 1000.0 / kRate;
        std::printf("[measured] gate release %g ms: 63%% after %.3f ms (%+.2f %%)\n", releaseMs, measuredMs,
                    100.0 * (measuredMs / releaseMs - 1.0));
        EXPECT_NEAR(measuredMs, releaseMs, std::max(0.02 * releaseMs, kOneFrameMs)) << releaseMs;
    }
}

// Noise bursts that open and close the gate again and again.
StereoBuffer burstyNoise(std::size_t frames, double rate) {
    StereoBuffer b = stereo(whiteNoise(frames, 41, 1.f), whiteNoise(frames, 42, 1.f));
    const auto period = static_cast<std::size_t>(0.13 * rate);
    const auto loud = static_cast<std::size_t>(0.05 * rate);
    for (std::size_t n = 0; n < frames; ++n) {
        const float amp = (n % period) < loud ? 0.3f : 3e-4f;
        b.left[n] *= amp;
        b.right[n] *= amp * 0.5f;
    }
    return b;
}

TEST(Gate, BlockSizeInvariance) {
    const std::size_t frames = 40000;
    const float deviation = blockSizeDeviation<Gate>(
        kRate, burstyNoise(frames, kRate), {{"threshold_db", -40.f}},
        {{0, {{"attack_ms", 5.f}, {"release_ms", 30.f}, {"hold_ms", 20.f}}},
         {17408, {{"threshold_db", -30.f}, {"range_db", -40.f}, {"hysteresis_db", 10.f}, {"hold_ms", 5.f}}}});
    std::printf("[measured] gate block-size deviation %.3g\n", deviation);
    EXPECT_LE(deviation, 1e-5f);
}

TEST(Gate, SampleRates) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        const auto loud = static_cast<std::size_t>(0.3 * rate);
        const auto frames = static_cast<std::size_t>(1.0 * rate);
        std::vector<float> x = sine(1000.0, rate, frames, 0.1f);
        for (std::size_t n = loud; n < frames; ++n)
            x[n] *= 1e-3f; // -80 dBFS after 300 ms
        const StereoBuffer out = render<Gate>(rate, 256, dualMono(x), {{"release_ms", 20.f}});
        ASSERT_TRUE(allFinite(out.left) && allFinite(out.right)) << rate;
        // 200 whole cycles each: open and transparent, then closed at the range.
        const Window open{static_cast<std::size_t>(0.1 * rate), static_cast<std::size_t>(0.3 * rate)};
        const Window closed{static_cast<std::size_t>(0.8 * rate), frames};
        EXPECT_EQ(maxAbsDiff(slice(out.left, open), slice(x, open)), 0.f) << rate;
        EXPECT_NEAR(goertzelDb(slice(out.left, closed), 1000.0, rate) -
                        goertzelDb(slice(x, closed), 1000.0, rate),
                    -80.0, 0.1)
            << rate;
    }
}

TEST(Gate, SilenceInSilenceOut) {
    const StereoBuffer silence = dualMono(constant(96000, 0.f));
    for (const auto& settings : std::vector<std::vector<ParamValue>>{
             {}, {{"threshold_db", -90.f}, {"range_db", 0.f}}, {{"hold_ms", 500.f}}}) {
        const StereoBuffer out = render<Gate>(kRate, 64, silence, settings);
        EXPECT_EQ(peak(out.left), 0.f);
        EXPECT_EQ(peak(out.right), 0.f);
    }
    // And after a burst, silence is exactly silent again (no denormal residue).
    const StereoBuffer afterBurst =
        render<Gate>(kRate, 64, dualMono(concat(whiteNoise(4800, 3, 0.5f), constant(96000, 0.f))));
    EXPECT_EQ(peak(slice(afterBurst.left, {4800, afterBurst.frames()})), 0.f);
}

TEST(Gate, RandomParameterSoak) {
    const SoakResult soak = randomParamSoak<Gate>(kRate, 4.0, 256, 4321, 0.5f);
    EXPECT_TRUE(soak.finite);
    EXPECT_GT(soak.paramChanges, 1000u);
    EXPECT_LE(soak.outputPeak, soak.inputPeak); // a gate never adds gain
}

// Bounds, as for the utility: the gain is a smooth curve, so a change adds at most a kink of
// |x| * (gain change per sample) to the second difference. The fastest here is the gate opening with the
// default 1 ms attack, 1/48 per sample at its start, against 0.0170 of the amplitude for the steady
// 997 Hz sine: a score of about 1.3. A one-sample jump of 5 % of the amplitude would already score 3.
constexpr double kMaxClickScore = 2.0;
constexpr double kMaxStepRatio = 1.5;

TEST(Gate, ParameterStepsDoNotClick) {
    // Each step is made where it matters: while the gate opens, holds or closes. `effect` checks that it did.
    StepSpec spec;
    spec.amplitude = 0.1f; // -20 dBFS: above the default threshold
    const std::size_t at = spec.stepAt;
    struct Step {
        std::string_view id;
        float from;
        float to;
        std::vector<ParamValue> settings;
        std::vector<ParamEvent> scenario;
        std::size_t eventFrames;
    };
    const std::vector<ParamValue> closed{{"threshold_db", -10.f}};
    const std::vector<Step> steps{
        // Open -> closes: detector, 50 ms hold, 100 ms release.
        {"threshold_db", -90.f, 0.f, {}, {}, 48000},
        // Closed -> opens with the 1 ms attack.
        {"threshold_db", 0.f, -90.f, {}, {}, 4800},
        // A closed gate's gain follows the range with the release time constant.
        {"range_db", -90.f, 0.f, closed, {}, 48000},
        {"range_db", 0.f, -90.f, closed, {}, 48000},
        // Attack raised on a closed gate that opens just after (with 0.1 ms it would open in a click; that is
        // the setting, not the step), and lowered while a slow opening is under way.
        {"attack_ms", 0.1f, 50.f, {{"threshold_db", 0.f}}, {{at + 1024, {{"threshold_db", -90.f}}}}, 9600},
        {"attack_ms", 50.f, 0.1f, {{"threshold_db", 0.f}}, {{at - 512, {{"threshold_db", -90.f}}}}, 9600},
        // Release changed while the gate closes (no hold: it starts closing about 2 ms before the step).
        {"release_ms", 5.f, 2000.f, {{"hold_ms", 0.f}}, {{at - 704, {{"threshold_db", 0.f}}}}, 9600},
        {"release_ms", 2000.f, 5.f, {}, {{at - 9600, {{"threshold_db", 0.f}}}}, 9600},
        // Hold changed while the level falls below the threshold, and in the middle of a long hold.
        {"hold_ms", 0.f, 500.f, {}, {{at, {{"threshold_db", 0.f}}}}, 48000},
        {"hold_ms", 500.f, 0.f, {}, {{at - 4800, {{"threshold_db", 0.f}}}}, 48000},
        // Hysteresis decides whether a level inside the band keeps the gate open.
        {"hysteresis_db", 0.f, 20.f, {{"threshold_db", -30.f}}, {{at, {{"threshold_db", -15.f}}}}, 48000},
        {"hysteresis_db",
         20.f,
         0.f,
         {{"threshold_db", -30.f}},
         {{at - 9600, {{"threshold_db", -15.f}}}},
         48000},
    };
    for (const auto& s : steps) {
        spec.eventFrames = s.eventFrames;
        const StepResult r = stepParamMidSine<Gate>(spec, s.settings, s.id, s.from, s.to, s.scenario);
        std::printf(
            "[measured] gate %s %g -> %g: click score %.3f, step ratio %.3f (changed output by %.2f)\n",
            std::string(s.id).c_str(), s.from, s.to, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, kMaxClickScore) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_LE(r.stepRatio, kMaxStepRatio) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.01) << s.id << " " << s.from << " -> " << s.to << ": the step changed nothing";
    }
}

} // namespace
} // namespace stagerack::test
