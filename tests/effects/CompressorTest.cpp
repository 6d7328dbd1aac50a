#include "effects/dynamics/Compressor.h"
#include "tests/support/Analysis.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <optional>

namespace stagerack::test {
namespace {

using fx::Compressor;
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

// The design (Giannoulis, Massberg and Reiss 2012, eq. 4), written out independently of the implementation:
// gain reduction in dB for a detector level in dB.
double designReductionDb(double level, double threshold, double ratio, double knee) {
    const double slope = 1.0 - 1.0 / ratio;
    const double over = level - threshold;
    if (2.0 * over < -knee) return 0.0;
    if (knee > 0.0 && 2.0 * std::fabs(over) <= knee)
        return slope * (over + knee / 2.0) * (over + knee / 2.0) / (2.0 * knee);
    return slope * over;
}

// A square wave: its peak and its rms level are the same, so both detectors must agree on it.
std::vector<float> square(std::size_t halfPeriod, std::size_t frames, float amplitude) {
    std::vector<float> out(frames);
    for (std::size_t n = 0; n < frames; ++n)
        out[n] = ((n / halfPeriod) % 2 == 0) ? amplitude : -amplitude;
    return out;
}

// Gain in dB that the compressor applied to a steady 1 kHz tone (48 samples per cycle: whole cycles).
double toneGainDb(const std::vector<float>& in, const std::vector<float>& out, double rate, double from,
                  double to) {
    const Window w{static_cast<std::size_t>(from * rate), static_cast<std::size_t>(to * rate)};
    return goertzelDb(slice(out, w), 1000.0, rate) - goertzelDb(slice(in, w), 1000.0, rate);
}

TEST(Compressor, MetadataIsCompleteAndIdsAreStable) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<Compressor>()).empty())
        << joined(metadataProblems(fx::infoOf<Compressor>()));
    EXPECT_EQ(Compressor::kId, "compressor");
    EXPECT_EQ(Compressor::kCategory, "dynamics");
    const std::array<std::string_view, Compressor::kParamCount> ids{
        "threshold_db", "ratio",       "knee_db",  "attack_ms",  "release_ms",
        "makeup_db",    "auto_makeup", "detector", "stereo_link"};
    for (std::size_t i = 0; i < ids.size(); ++i)
        EXPECT_EQ(Compressor::kParams[i].id, ids[i]);
    EXPECT_EQ(Compressor::kParams[Compressor::kRatio].taper, fx::Taper::Log);
    EXPECT_EQ(Compressor::kParams[Compressor::kRatio].min, 1.f);
    EXPECT_EQ(Compressor::kParams[Compressor::kRatio].max, 20.f);
    EXPECT_EQ(Compressor::kParams[Compressor::kKneeDb].max, 24.f);
    EXPECT_EQ(Compressor::kParams[Compressor::kDetector].labels[0], "peak");
    EXPECT_EQ(Compressor::kParams[Compressor::kDetector].labels[1], "rms");
}

struct CurveSetting {
    float threshold;
    float ratio;
    float knee;
};

// Five levels: below the knee, in its lower and upper half, and above it (twice).
std::array<double, 5> levelsAround(const CurveSetting& s) {
    const double half = s.knee / 2.0;
    return {s.threshold - half - 6.0, s.threshold - half / 2.0, s.threshold + half / 2.0,
            s.threshold + half + 3.0, s.threshold + half + 12.0};
}

TEST(Compressor, StaticCurveMatchesTheDesign) {
    // Long steady 1 kHz sines; a 1 ms attack and a 2 s release let the smoothed reduction settle on the
    // static curve's value for the sine's peak (peak detector) or its rms level, 3.01 dB lower (rms).
    const CurveSetting settings[] = {{-30.f, 4.f, 10.f}, {-20.f, 10.f, 0.f}, {-40.f, 2.f, 24.f}};
    const auto frames = static_cast<std::size_t>(1.0 * kRate);
    double worst = 0.0;
    for (const auto& s : settings) {
        for (int detector : {Compressor::kPeak, Compressor::kRms}) {
            for (double level : levelsAround(s)) {
                const double peakDb = detector == Compressor::kPeak ? level : level + toDb(std::sqrt(2.0));
                const std::vector<float> x =
                    sine(1000.0, kRate, frames, static_cast<float>(dbToGainD(peakDb)));
                const StereoBuffer out = render<Compressor>(kRate, 64, dualMono(x),
                                                            {{"threshold_db", s.threshold},
                                                             {"ratio", s.ratio},
                                                             {"knee_db", s.knee},
                                                             {"attack_ms", 1.f},
                                                             {"release_ms", 2000.f},
                                                             {"detector", static_cast<float>(detector)}});
                const double measured = toneGainDb(x, out.left, kRate, 0.5, 1.0);
                const double expected = -designReductionDb(level, s.threshold, s.ratio, s.knee);
                std::printf("[measured] compressor T %g R %g K %g %s level %6.2f dB: gain %8.4f dB, design "
                            "%8.4f dB, error %+.4f dB\n",
                            s.threshold, s.ratio, s.knee, detector == Compressor::kPeak ? "peak" : "rms ",
                            level, measured, expected, measured - expected);
                EXPECT_NEAR(measured, expected, 0.5)
                    << s.threshold << " " << s.ratio << " " << s.knee << " " << detector << " " << level;
                worst = std::max(worst, std::fabs(measured - expected));
            }
        }
    }
    std::printf("[measured] compressor static curve worst error %.4f dB\n", worst);
}

TEST(Compressor, BelowTheKneeIsBitTransparent) {
    const std::vector<float> x = sine(1000.0, kRate, 48000, static_cast<float>(dbToGainD(-26.0)));
    const StereoBuffer out =
        render<Compressor>(kRate, 64, dualMono(x), {{"threshold_db", -20.f}, {"knee_db", 6.f}});
    for (std::size_t n = 0; n < x.size(); ++n)
        ASSERT_EQ(out.left[n], x[n]) << n;
}

// Gain reduction in dB applied at each frame to a DC input (which is never zero).
std::vector<double> reductionDb(const std::vector<float>& in, const std::vector<float>& out) {
    std::vector<double> r(in.size());
    for (std::size_t n = 0; n < in.size(); ++n)
        r[n] = -toDb(static_cast<double>(out[n]) / in[n]);
    return r;
}

std::optional<std::size_t> firstWhere(const std::vector<double>& v, std::size_t from, auto&& pred) {
    for (std::size_t n = from; n < v.size(); ++n)
        if (pred(v[n])) return n;
    return std::nullopt;
}

// Time constants, as kHelp defines them: after a sudden level step the gain reduction in dB covers 63.2 %
// (1 - 1/e) of its change in attack_ms (growing) or release_ms (shrinking). DC steps with the peak detector
// make the target reduction constant on both sides of the step: -10 dBFS against a -40 dB hard-knee
// threshold at ratio 4 wants 22.5 dB, -60 dBFS wants none.
constexpr double kStepReductionDb = 22.5;
const std::vector<ParamValue> kTimingSettings{{"threshold_db", -40.f}, {"ratio", 4.f}, {"knee_db", 0.f}};

double measuredAttackMs(double rate, float attackMs) {
    const std::vector<float> x = constant(static_cast<std::size_t>(std::max(0.1, attackMs * 0.010) * rate),
                                          static_cast<float>(dbToGainD(-10.0)));
    std::vector<ParamValue> settings = kTimingSettings;
    settings.push_back({"attack_ms", attackMs});
    const StereoBuffer out = render<Compressor>(rate, 64, dualMono(x), settings);
    const std::vector<double> r = reductionDb(x, out.left);
    EXPECT_NEAR(r.back(), kStepReductionDb, 0.01) << "settled reduction, attack " << attackMs;
    const auto reached =
        firstWhere(r, 0, [](double v) { return v >= (1.0 - std::exp(-1.0)) * kStepReductionDb; });
    if (!reached) return -1.0;
    return static_cast<double>(*reached + 1) * 1000.0 / rate; // the reduction moves on frame 0
}

TEST(Compressor, AttackTimeConstant) {
    for (float attackMs : {0.5f, 1.f, 10.f, 50.f, 200.f}) {
        const double measured = measuredAttackMs(kRate, attackMs);
        std::printf("[measured] compressor attack %g ms: 63%% of the reduction after %.3f ms (%+.2f %%)\n",
                    attackMs, measured, 100.0 * (measured / attackMs - 1.0));
        // The brief asks for 10 %; a one-pole in dB by construction gets within 1 % or one frame.
        EXPECT_NEAR(measured, attackMs, std::max(0.01 * attackMs, kOneFrameMs)) << attackMs;
    }
}

double measuredReleaseMs(double rate, float releaseMs) {
    const auto loud = static_cast<std::size_t>(0.2 * rate);
    const std::vector<float> x = concat(constant(loud, static_cast<float>(dbToGainD(-10.0))),
                                        constant(static_cast<std::size_t>(releaseMs * 0.004 * rate) + 10,
                                                 static_cast<float>(dbToGainD(-60.0))));
    std::vector<ParamValue> settings = kTimingSettings;
    settings.push_back({"attack_ms", 1.f});
    settings.push_back({"release_ms", releaseMs});
    const StereoBuffer out = render<Compressor>(rate, 64, dualMono(x), settings);
    const std::vector<double> r = reductionDb(x, out.left);
    EXPECT_NEAR(r[loud - 1], kStepReductionDb, 0.01) << "reduction before the drop, release " << releaseMs;
    const auto reached = firstWhere(r, loud, [](double v) { return v <= std::exp(-1.0) * kStepReductionDb; });
    if (!reached) return -1.0;
    return static_cast<double>(*reached - loud + 1) * 1000.0 / rate;
}

TEST(Compressor, ReleaseTimeConstant) {
    for (float releaseMs : {5.f, 50.f, 150.f, 1000.f}) {
        const double measured = measuredReleaseMs(kRate, releaseMs);
        std::printf("[measured] compressor release %g ms: 63%% recovered after %.3f ms (%+.2f %%)\n",
                    releaseMs, measured, 100.0 * (measured / releaseMs - 1.0));
        EXPECT_NEAR(measured, releaseMs, std::max(0.01 * releaseMs, kOneFrameMs)) << releaseMs;
    }
}

TEST(Compressor, StereoLink) {
    // A loud left (-6 dBFS peak: 14 dB over a -20 dB hard-knee threshold at ratio 4 wants 10.5 dB) and a
    // quiet right below the threshold (-40 dBFS, wants none).
    const auto frames = static_cast<std::size_t>(1.0 * kRate);
    const std::vector<float> loud = sine(1000.0, kRate, frames, static_cast<float>(dbToGainD(-6.0)));
    const std::vector<float> quiet = sine(1000.0, kRate, frames, static_cast<float>(dbToGainD(-40.0)));
    const double wanted = -0.75 * 14.0;
    for (float link : {0.f, 0.25f, 0.5f, 1.f}) {
        const StereoBuffer out = render<Compressor>(kRate, 64, stereo(loud, quiet),
                                                    {{"threshold_db", -20.f},
                                                     {"ratio", 4.f},
                                                     {"knee_db", 0.f},
                                                     {"attack_ms", 1.f},
                                                     {"release_ms", 2000.f},
                                                     {"stereo_link", link}});
        const double left = toneGainDb(loud, out.left, kRate, 0.5, 1.0);
        const double right = toneGainDb(quiet, out.right, kRate, 0.5, 1.0);
        std::printf("[measured] compressor stereo_link %.2f: loud side %.4f dB, quiet side %.4f dB (expect "
                    "%.4f)\n",
                    link, left, right, link * left);
        EXPECT_NEAR(left, wanted, 0.5) << link;
        // The quiet side gets `link` of the loud side's reduction, in dB.
        EXPECT_NEAR(right, link * left, 0.05) << link;
    }
    // Fully linked, swapping the sides swaps nothing but the labels.
    const StereoBuffer a = render<Compressor>(kRate, 64, stereo(loud, quiet));
    const StereoBuffer b = render<Compressor>(kRate, 64, stereo(quiet, loud));
    EXPECT_EQ(maxAbsDiff(a.left, b.right), 0.f);
    EXPECT_EQ(maxAbsDiff(a.right, b.left), 0.f);
}

TEST(Compressor, PeakAndRmsDetectorsDiffer) {
    // A sine's rms level is 3.01 dB below its peak: above the knee the rms detector reduces less by
    // 3.01 (1 - 1/ratio) dB. A square wave has the same peak and rms level: both must agree on it.
    const auto frames = static_cast<std::size_t>(1.0 * kRate);
    const std::vector<ParamValue> base{{"threshold_db", -30.f},
                                       {"ratio", 4.f},
                                       {"knee_db", 0.f},
                                       {"attack_ms", 1.f},
                                       {"release_ms", 2000.f}};
    auto gain = [&](const std::vector<float>& x, int detector) {
        std::vector<ParamValue> s = base;
        s.push_back({"detector", static_cast<float>(detector)});
        const StereoBuffer out = render<Compressor>(kRate, 64, dualMono(x), s);
        return toneGainDb(x, out.left, kRate, 0.5, 1.0);
    };
    const std::vector<float> tone = sine(1000.0, kRate, frames, static_cast<float>(dbToGainD(-6.0)));
    const std::vector<float> sq = square(24, frames, static_cast<float>(dbToGainD(-6.0)));
    const double sinePeak = gain(tone, Compressor::kPeak);
    const double sineRms = gain(tone, Compressor::kRms);
    const double squarePeak = gain(sq, Compressor::kPeak);
    const double squareRms = gain(sq, Compressor::kRms);
    const double expected = toDb(std::sqrt(2.0)) * 0.75;
    std::printf("[measured] compressor sine -6 dBFS: peak detector %.4f dB, rms %.4f dB, difference %.4f dB "
                "(design %.4f)\n",
                sinePeak, sineRms, sineRms - sinePeak, expected);
    std::printf(
        "[measured] compressor square -6 dBFS: peak detector %.4f dB, rms %.4f dB, difference %.4f dB "
        "(design 0)\n",
        squarePeak, squareRms, squareRms - squarePeak);
    EXPECT_NEAR(sineRms - sinePeak, expected, 0.25);
    EXPECT_NEAR(squareRms - squarePeak, 0.0, 0.25);
    EXPECT_NEAR(squarePeak, -18.0, 0.25);

    // And the rms detector lets a short pick transient through that the peak detector catches: a 2 ms
    // burst at -6 dBFS is reduced by the peak detector at once, the 10 ms rms average has barely risen.
    const std::size_t burst = 96;
    std::vector<float> pick(4800, 0.f);
    const std::vector<float> b = sine(1000.0, kRate, burst, static_cast<float>(dbToGainD(-6.0)));
    std::copy(b.begin(), b.end(), pick.begin() + 1000);
    auto burstGain = [&](int detector) {
        std::vector<ParamValue> s = base;
        s.push_back({"detector", static_cast<float>(detector)});
        s.push_back({"attack_ms", 0.1f});
        const StereoBuffer out = render<Compressor>(kRate, 64, dualMono(pick), s);
        return toDb(peak(out.left) / peak(pick));
    };
    const double peakBurst = burstGain(Compressor::kPeak);
    const double rmsBurst = burstGain(Compressor::kRms);
    std::printf("[measured] compressor 2 ms burst: peak detector %.3f dB, rms detector %.3f dB\n", peakBurst,
                rmsBurst);
    EXPECT_LT(peakBurst, rmsBurst - 6.0);
}

TEST(Compressor, AutoMakeupRestoresTheReferenceLevel) {
    // With auto makeup a sine whose detector level is the reference (-12 dBFS peak) comes out at the level it
    // went in, whatever the curve; makeup_db adds to it.
    const auto frames = static_cast<std::size_t>(1.0 * kRate);
    const std::vector<float> x =
        sine(1000.0, kRate, frames, static_cast<float>(dbToGainD(Compressor::kAutoMakeupRefDb)));
    const CurveSetting settings[] = {
        {-30.f, 4.f, 6.f}, {-40.f, 20.f, 0.f}, {-20.f, 2.f, 12.f}, {-12.f, 8.f, 24.f}};
    for (const auto& s : settings) {
        for (float makeup : {0.f, 6.f}) {
            const std::vector<ParamValue> p{
                {"threshold_db", s.threshold}, {"ratio", s.ratio},   {"knee_db", s.knee},  {"attack_ms", 1.f},
                {"release_ms", 2000.f},        {"auto_makeup", 1.f}, {"makeup_db", makeup}};
            const StereoBuffer out = render<Compressor>(kRate, 64, dualMono(x), p);
            const double gain = toneGainDb(x, out.left, kRate, 0.5, 1.0);
            std::printf(
                "[measured] compressor auto makeup T %g R %g K %g makeup %g: gain at the reference %.4f dB "
                "(design %g)\n",
                s.threshold, s.ratio, s.knee, makeup, gain, makeup);
            EXPECT_NEAR(gain, makeup, 0.5);
        }
        // A quieter signal, below the knee, is raised by the whole compensation.
        const std::vector<float> q = sine(1000.0, kRate, frames, static_cast<float>(dbToGainD(-70.0)));
        const StereoBuffer out = render<Compressor>(
            kRate, 64, dualMono(q),
            {{"threshold_db", s.threshold}, {"ratio", s.ratio}, {"knee_db", s.knee}, {"auto_makeup", 1.f}});
        EXPECT_NEAR(toneGainDb(q, out.left, kRate, 0.5, 1.0),
                    designReductionDb(Compressor::kAutoMakeupRefDb, s.threshold, s.ratio, s.knee), 0.01);
    }
}

// Noise bursts that push the compressor in and out of reduction.
StereoBuffer burstyNoise(std::size_t frames, double rate) {
    StereoBuffer b = stereo(whiteNoise(frames, 141, 1.f), whiteNoise(frames, 142, 1.f));
    const auto period = static_cast<std::size_t>(0.09 * rate);
    const auto loud = static_cast<std::size_t>(0.03 * rate);
    for (std::size_t n = 0; n < frames; ++n) {
        const float amp = (n % period) < loud ? 0.5f : 0.02f;
        b.left[n] *= amp;
        b.right[n] *= amp * 0.3f;
    }
    return b;
}

TEST(Compressor, BlockSizeInvariance) {
    const std::size_t frames = 40000;
    const float deviation = blockSizeDeviation<Compressor>(
        kRate, burstyNoise(frames, kRate), {{"threshold_db", -30.f}, {"stereo_link", 0.3f}},
        {{0, {{"attack_ms", 2.f}, {"release_ms", 40.f}, {"ratio", 8.f}, {"auto_makeup", 1.f}}},
         {17408,
          {{"threshold_db", -15.f},
           {"knee_db", 20.f},
           {"detector", 1.f},
           {"stereo_link", 1.f},
           {"makeup_db", 6.f},
           {"auto_makeup", 0.f}}},
         {34816, {{"stereo_link", 0.f}, {"detector", 0.f}, {"attack_ms", 0.1f}}}});
    std::printf("[measured] compressor block-size deviation %.3g\n", deviation);
    // The brief allows 1e-5; the design gives bit-identical output: smoothers move a whole grid period at a
    // time, ramps are computed from the sample's integer position, and nothing else depends on the chunking.
    EXPECT_EQ(deviation, 0.f);
}

TEST(Compressor, SampleRates) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        // Static gain of a 1 kHz tone (whole cycles in 0.5 s at every rate) and the attack time constant.
        const auto frames = static_cast<std::size_t>(1.0 * rate);
        const std::vector<float> x = sine(1000.0, rate, frames, static_cast<float>(dbToGainD(-10.0)));
        const StereoBuffer out = render<Compressor>(rate, 256, dualMono(x),
                                                    {{"threshold_db", -30.f},
                                                     {"ratio", 4.f},
                                                     {"knee_db", 6.f},
                                                     {"attack_ms", 1.f},
                                                     {"release_ms", 2000.f}});
        ASSERT_TRUE(allFinite(out.left) && allFinite(out.right)) << rate;
        const double gain = toneGainDb(x, out.left, rate, 0.5, 1.0);
        const double expected = -designReductionDb(-10.0, -30.0, 4.0, 6.0);
        const double attack = measuredAttackMs(rate, 10.f);
        const double release = measuredReleaseMs(rate, 100.f);
        std::printf(
            "[measured] compressor at %g Hz: gain %.4f dB (design %.4f), attack 10 ms -> %.3f ms, release "
            "100 ms -> %.3f ms\n",
            rate, gain, expected, attack, release);
        EXPECT_NEAR(gain, expected, 0.5) << rate;
        EXPECT_NEAR(attack, 10.0, 0.1) << rate;
        EXPECT_NEAR(release, 100.0, 1.0) << rate;
        // Long time constants at high rates move the reduction by a tiny fraction per sample: it must still
        // arrive (a float state stalls several dB short at 192 kHz).
        const double slowAttack = measuredAttackMs(rate, 200.f);
        const double slowRelease = measuredReleaseMs(rate, 2000.f);
        std::printf("[measured] compressor at %g Hz: attack 200 ms -> %.3f ms, release 2000 ms -> %.3f ms\n",
                    rate, slowAttack, slowRelease);
        EXPECT_NEAR(slowAttack, 200.0, 2.0) << rate;
        EXPECT_NEAR(slowRelease, 2000.0, 20.0) << rate;
    }
}

TEST(Compressor, SilenceInSilenceOut) {
    const StereoBuffer silence = dualMono(constant(96000, 0.f));
    for (const auto& settings : std::vector<std::vector<ParamValue>>{
             {},
             {{"makeup_db", 24.f}, {"auto_makeup", 1.f}, {"threshold_db", -60.f}, {"ratio", 20.f}},
             {{"detector", 1.f}, {"stereo_link", 0.f}}}) {
        const StereoBuffer out = render<Compressor>(kRate, 64, silence, settings);
        EXPECT_EQ(peak(out.left), 0.f);
        EXPECT_EQ(peak(out.right), 0.f);
    }
    const StereoBuffer afterBurst = render<Compressor>(
        kRate, 64, dualMono(concat(whiteNoise(4800, 3, 0.9f), constant(96000, 0.f))), {{"detector", 1.f}});
    EXPECT_EQ(peak(slice(afterBurst.left, {4800, afterBurst.frames()})), 0.f);
}

TEST(Compressor, RandomParameterSoak) {
    const SoakResult soak = randomParamSoak<Compressor>(kRate, 4.0, 256, 2468, 0.9f);
    EXPECT_TRUE(soak.finite);
    EXPECT_GT(soak.paramChanges, 1000u);
    // A compressor only reduces; the most it can add is makeup plus the largest auto makeup (20 dB ratio,
    // -60 dB threshold: 45.6 dB at the reference), far below this.
    EXPECT_LE(soak.outputPeak, soak.inputPeak * dbToGainD(24.0 + 48.0));
    std::printf("[measured] compressor soak peak %.3f (input %.3f)\n", soak.outputPeak, soak.inputPeak);
}

// Bounds, as for the gate and the delay. Every change moves the gain reduction through the attack/release
// one-pole (or a 20 ms ramp for makeup), so it adds at most a gentle kink to the second difference.
constexpr double kMaxClickScore = 2.0;
constexpr double kMaxStepRatio = 1.5;

TEST(Compressor, ParameterStepsDoNotClick) {
    StepSpec spec; // 997 Hz at -12 dBFS: 8 dB over the default -20 dB threshold
    const std::size_t at = spec.stepAt;
    struct Step {
        std::string_view id;
        float from;
        float to;
        std::vector<ParamValue> settings;
        std::vector<ParamEvent> scenario;
        std::size_t eventFrames;
    };
    const std::vector<Step> steps{
        {"threshold_db", -60.f, 0.f, {}, {}, 48000},
        {"threshold_db", 0.f, -60.f, {}, {}, 9600},
        {"ratio", 1.f, 20.f, {}, {}, 9600},
        {"ratio", 20.f, 1.f, {}, {}, 48000},
        {"knee_db", 0.f, 24.f, {}, {}, 48000},
        {"knee_db", 24.f, 0.f, {}, {}, 48000},
        // Attack changed while the reduction grows (the threshold dropped just before), release while it
        // shrinks.
        {"attack_ms", 200.f, 2.f, {{"threshold_db", 0.f}}, {{at - 512, {{"threshold_db", -40.f}}}}, 9600},
        {"attack_ms", 1.f, 200.f, {{"threshold_db", 0.f}}, {{at - 64, {{"threshold_db", -40.f}}}}, 48000},
        {"release_ms", 2000.f, 5.f, {{"threshold_db", -40.f}}, {{at - 512, {{"threshold_db", 0.f}}}}, 9600},
        {"release_ms", 5.f, 2000.f, {{"threshold_db", -40.f}}, {{at - 64, {{"threshold_db", 0.f}}}}, 9600},
        {"makeup_db", -12.f, 24.f, {}, {}, 4800},
        {"makeup_db", 24.f, -12.f, {}, {}, 4800},
        {"auto_makeup", 0.f, 1.f, {{"threshold_db", -40.f}}, {}, 4800},
        {"auto_makeup", 1.f, 0.f, {{"threshold_db", -40.f}}, {}, 4800},
        {"detector", 0.f, 1.f, {}, {}, 48000},
        {"detector", 1.f, 0.f, {}, {}, 48000},
        // The two channels are a quarter cycle apart: unlinked, each follows its own peaks (a 5 ms release
        // lets
        // the reduction sag between them, which the other channel's peak fills in when linked).
        {"stereo_link", 0.f, 1.f, {{"attack_ms", 0.5f}, {"release_ms", 5.f}}, {}, 4800},
        {"stereo_link", 1.f, 0.f, {{"attack_ms", 0.5f}, {"release_ms", 5.f}}, {}, 4800},
    };
    for (const auto& s : steps) {
        spec.eventFrames = s.eventFrames;
        const StepResult r = stepParamMidSine<Compressor>(spec, s.settings, s.id, s.from, s.to, s.scenario);
        std::printf(
            "[measured] compressor %s %g -> %g: click score %.3f, step ratio %.3f (changed output by %.3f)\n",
            std::string(s.id).c_str(), s.from, s.to, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, kMaxClickScore) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_LE(r.stepRatio, kMaxStepRatio) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.01) << s.id << " " << s.from << " -> " << s.to << ": the step changed nothing";
    }
}

} // namespace
} // namespace stagerack::test
