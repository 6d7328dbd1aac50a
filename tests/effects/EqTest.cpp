#include "effects/eq/Eq.h"
#include "tests/support/Analysis.h"
#include "tests/support/FrequencyResponse.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>

namespace stagerack::test {
namespace {

using dsp::BiquadCoeffs;
using dsp::FilterKind;
using fx::Eq;
constexpr double kRate = 48000.0;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

// The EQ's response straight from the cookbook formulas (independent of the effect's SVF designs): the
// product of every active section's biquad response, in dB.
double cookbookDb(const std::vector<ParamValue>& settings, double rate, double f) {
    std::map<std::string_view, double> v;
    for (const auto& p : Eq::kParams)
        v[p.id] = p.def;
    for (const auto& s : settings)
        v[s.id] = s.value;
    double db = 20.0 * std::log10(std::pow(10.0, v["level_db"] / 20.0));
    auto add = [&](FilterKind kind, double hz, double q, double gain) {
        db += BiquadCoeffs::design(kind, rate, hz, q, gain).magnitudeDb(f);
    };
    auto pass = [&](FilterKind kind, double hz, double slope) {
        if (slope == 1.0) add(kind, hz, dsp::kButterworthQ, 0.0);
        if (slope == 2.0) {
            add(kind, hz, dsp::kButterworth4QLow, 0.0);
            add(kind, hz, dsp::kButterworth4QHigh, 0.0);
        }
    };
    pass(FilterKind::HighPass, v["highpass_hz"], v["highpass_slope"]);
    add(FilterKind::LowShelf, v["low_shelf_hz"], dsp::kButterworthQ, v["low_shelf_db"]);
    for (const char* b : {"peak1", "peak2", "peak3"}) {
        const std::string id(b);
        add(FilterKind::Peak, v[id + "_hz"], v[id + "_q"], v[id + "_db"]);
    }
    add(FilterKind::HighShelf, v["high_shelf_hz"], dsp::kButterworthQ, v["high_shelf_db"]);
    pass(FilterKind::LowPass, v["lowpass_hz"], v["lowpass_slope"]);
    return db;
}

std::string_view intern(const std::string& s) {
    static std::vector<std::unique_ptr<std::string>> pool;
    pool.push_back(std::make_unique<std::string>(s));
    return *pool.back();
}

TEST(Eq, MetadataIsCompleteAndIdsAreStable) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<Eq>()).empty()) << joined(metadataProblems(fx::infoOf<Eq>()));
    EXPECT_EQ(Eq::kId, "eq");
    EXPECT_EQ(Eq::kCategory, "eq");
    const std::array<std::string_view, Eq::kParamCount> ids{
        "low_shelf_hz",  "low_shelf_db", "peak1_hz",       "peak1_db",   "peak1_q",       "peak2_hz",
        "peak2_db",      "peak2_q",      "peak3_hz",       "peak3_db",   "peak3_q",       "high_shelf_hz",
        "high_shelf_db", "highpass_hz",  "highpass_slope", "lowpass_hz", "lowpass_slope", "level_db"};
    for (std::size_t i = 0; i < ids.size(); ++i)
        EXPECT_EQ(Eq::kParams[i].id, ids[i]);
    EXPECT_EQ(Eq::kParams[Eq::kHighpassSlope].labels.size(), 3u);
    EXPECT_EQ(Eq::kParams[Eq::kLowpassSlope].labels[2], "24");
}

struct Setting {
    const char* name;
    std::vector<ParamValue> values;
};

const std::vector<Setting>& settingsUnderTest() {
    static const std::vector<Setting> s{
        {"mid boost, cut, presence",
         {{"peak1_hz", 120.f},
          {"peak1_db", -9.f},
          {"peak1_q", 0.7f},
          {"peak2_hz", 800.f},
          {"peak2_db", 6.f},
          {"peak2_q", 1.f},
          {"peak3_hz", 3200.f},
          {"peak3_db", -12.f},
          {"peak3_q", 4.f}}},
        {"shelves and filters",
         {{"low_shelf_hz", 200.f},
          {"low_shelf_db", 9.f},
          {"high_shelf_hz", 5000.f},
          {"high_shelf_db", -12.f},
          {"highpass_hz", 60.f},
          {"highpass_slope", 1.f},
          {"lowpass_hz", 9000.f},
          {"lowpass_slope", 2.f},
          {"level_db", -4.5f}}},
        {"everything at once",
         {{"low_shelf_hz", 150.f},
          {"low_shelf_db", -6.f},
          {"peak1_hz", 400.f},
          {"peak1_db", 12.f},
          {"peak1_q", 2.f},
          {"peak2_hz", 1500.f},
          {"peak2_db", -18.f},
          {"peak2_q", 8.f},
          {"peak3_hz", 7000.f},
          {"peak3_db", 18.f},
          {"peak3_q", 0.3f},
          {"high_shelf_hz", 12000.f},
          {"high_shelf_db", 6.f},
          {"highpass_hz", 100.f},
          {"highpass_slope", 2.f},
          {"lowpass_hz", 15000.f},
          {"lowpass_slope", 1.f},
          {"level_db", 3.f}}},
    };
    return s;
}

// Centres and the points half a bandwidth either side (centre * 2^(+-1/(2Q)) for the peaks, an octave
// either side of the shelf and filter frequencies), plus the filters' own frequencies.
std::vector<double> probeFrequencies(const std::vector<ParamValue>& settings) {
    std::map<std::string_view, double> v;
    for (const auto& p : Eq::kParams)
        v[p.id] = p.def;
    for (const auto& s : settings)
        v[s.id] = s.value;
    std::vector<double> f;
    for (const char* b : {"peak1", "peak2", "peak3"}) {
        const std::string id(b);
        const double c = v[intern(id + "_hz")];
        const double q = v[intern(id + "_q")];
        for (double e : {-1.0, 0.0, 1.0})
            f.push_back(c * std::pow(2.0, e / (2.0 * q)));
    }
    for (const char* id : {"low_shelf_hz", "high_shelf_hz", "highpass_hz", "lowpass_hz"})
        for (double e : {0.5, 1.0, 2.0})
            f.push_back(v[id] * e);
    return f;
}

TEST(Eq, MeasuredMagnitudeMatchesTheCookbookResponse) {
    double worst = 0.0;
    std::size_t points = 0;
    for (double rate : {44100.0, 48000.0, 96000.0}) {
        for (const Setting& s : settingsUnderTest()) {
            Eq eq;
            prepareLikeHost(eq, rate, 256, s.values);
            for (double f : probeFrequencies(s.values)) {
                if (f < 15.0 || f > 0.45 * rate) continue;
                const double want = cookbookDb(s.values, rate, f);
                if (want < -60.0) continue; // far down a filter skirt: float noise, not the design
                EXPECT_NEAR(eq.magnitudeDb(f), want, 1e-6) << s.name << " " << f << " Hz";
                const double got = measuredGainDb<Eq>(rate, s.values, f);
                EXPECT_NEAR(got, want, 0.5) << s.name << " at " << f << " Hz, " << rate << " Hz";
                worst = std::max(worst, std::fabs(got - want));
                ++points;
            }
        }
    }
    std::printf(
        "[measured] eq: %zu points (centres, edges, 3 settings, 44.1/48/96 kHz): worst deviation from "
        "the cookbook response %.4f dB\n",
        points, worst);
    EXPECT_LE(worst, 0.05); // in practice the float filter is far better than the 0.5 dB asked
}

TEST(Eq, HighAndLowPassCutoffsAndSlopes) {
    for (double rate : {44100.0, 48000.0, 96000.0}) {
        for (float slope : {1.f, 2.f}) {
            const double perOctave = slope == 1.f ? -12.0 : -24.0;
            const float fc = 600.f;
            const std::vector<ParamValue> hp{{"highpass_hz", fc}, {"highpass_slope", slope}};
            const double atHp = measuredGainDb<Eq>(rate, hp, fc);
            // Well below the cutoff the slope is the filter order's 6 dB/octave per pole.
            const double hpOctave =
                measuredGainDb<Eq>(rate, hp, fc / 16.0) - measuredGainDb<Eq>(rate, hp, fc / 8.0);
            const std::vector<ParamValue> lp{{"lowpass_hz", fc}, {"lowpass_slope", slope}};
            const double atLp = measuredGainDb<Eq>(rate, lp, fc);
            const double lpOctave =
                measuredGainDb<Eq>(rate, lp, fc * 8.0) - measuredGainDb<Eq>(rate, lp, fc * 4.0);
            std::printf(
                "[measured] eq %g dB/oct at %g Hz: high-pass %.3f dB at fc, %.2f dB/oct below; low-pass "
                "%.3f dB at fc, %.2f dB/oct above\n",
                -perOctave, rate, atHp, hpOctave, atLp, lpOctave);
            EXPECT_NEAR(atHp, -3.0103, 0.05);
            EXPECT_NEAR(atLp, -3.0103, 0.05);
            EXPECT_NEAR(hpOctave, perOctave, 0.1);
            // Above the cutoff the bilinear transform steepens the low-pass towards Nyquist.
            EXPECT_NEAR(lpOctave, perOctave, 1.5);
            EXPECT_LT(lpOctave, perOctave + 0.1);
        }
    }
}

TEST(Eq, FlatSettingsPassBitForBit) {
    const std::size_t frames = 48000;
    const StereoBuffer input = stereo(whiteNoise(frames, 11, 0.9f), whiteNoise(frames, 12, 0.9f));
    // Defaults (all gains 0 dB, filters off), and after a round trip through other values.
    const StereoBuffer out = render<Eq>(kRate, 64, input);
    const StereoBuffer back =
        render<Eq>(kRate, 64, input, {},
                   {{0, {{"peak2_db", 12.f}, {"highpass_slope", 2.f}, {"level_db", -6.f}}},
                    {4096, {{"peak2_db", 0.f}, {"highpass_slope", 0.f}, {"level_db", 0.f}}}});
    for (std::size_t n = 0; n < frames; ++n) {
        ASSERT_EQ(out.left[n], input.left[n]) << n;
        ASSERT_EQ(out.right[n], input.right[n]) << n;
    }
    // Once the 20 ms fades are over (and the filter states no longer matter) it is a wire again.
    for (std::size_t n = 8192; n < frames; ++n)
        ASSERT_EQ(back.left[n], input.left[n]) << n;
}

TEST(Eq, BlockSizeInvariance) {
    const std::size_t frames = 40000;
    const StereoBuffer input = stereo(whiteNoise(frames, 21, 0.5f), whiteNoise(frames, 22, 0.5f));
    const float deviation = blockSizeDeviation<Eq>(
        kRate, input, settingsUnderTest()[2].values,
        {{0, {{"peak1_hz", 2000.f}, {"peak2_db", 9.f}, {"highpass_slope", 1.f}, {"lowpass_hz", 3000.f}}},
         {17408,
          {{"peak3_q", 9.f},
           {"low_shelf_db", 18.f},
           {"lowpass_slope", 0.f},
           {"level_db", -20.f},
           {"highpass_hz", 900.f}}}});
    std::printf("[measured] eq block-size deviation %.3g\n", deviation);
    EXPECT_LE(deviation, 1e-5f);
}

TEST(Eq, SampleRates) {
    const std::vector<ParamValue>& s = settingsUnderTest()[2].values;
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        double worst = 0.0;
        for (double f : {50.0, 400.0, 1500.0, 7000.0, 14000.0}) {
            const double got = measuredGainDb<Eq>(rate, s, f);
            worst = std::max(worst, std::fabs(got - cookbookDb(s, rate, f)));
        }
        std::printf("[measured] eq at %g Hz: worst deviation %.4f dB\n", rate, worst);
        EXPECT_LE(worst, 0.5) << rate;
        // Full-scale noise stays finite at every rate.
        const StereoBuffer out = render<Eq>(rate, 256, dualMono(whiteNoise(48000, 5, 1.f)), s);
        EXPECT_TRUE(allFinite(out.left) && allFinite(out.right)) << rate;
    }
}

TEST(Eq, SilenceInSilenceOut) {
    const StereoBuffer silence = dualMono(constant(96000, 0.f));
    for (const Setting& s : settingsUnderTest()) {
        const StereoBuffer out = render<Eq>(kRate, 64, silence, s.values);
        EXPECT_EQ(peak(out.left), 0.f) << s.name;
        EXPECT_EQ(peak(out.right), 0.f) << s.name;
    }
    // After a burst the filters ring down without ever producing denormals.
    const StereoBuffer rung =
        render<Eq>(kRate, 64, dualMono(concat(whiteNoise(4800, 3, 0.5f), constant(4 * 48000, 0.f))),
                   {{"highpass_hz", 10.f},
                    {"highpass_slope", 2.f},
                    {"peak1_hz", 100.f},
                    {"peak1_q", 2.f},
                    {"peak1_db", 12.f}});
    // States are flushed to zero below 1e-20 (normal floats, 18 orders above the denormals).
    EXPECT_LT(peak(slice(rung.left, {rung.frames() - 4800, rung.frames()})), 1e-18f);
    std::size_t denormals = 0;
    for (float v : rung.left)
        if (v != 0.f && std::fabs(v) < std::numeric_limits<float>::min()) ++denormals;
    EXPECT_EQ(denormals, 0u);
}

TEST(Eq, RandomParameterSoak) {
    for (double rate : {44100.0, 192000.0}) {
        const SoakResult soak = randomParamSoak<Eq>(rate, 4.0, 256, 2468, 0.5f);
        EXPECT_TRUE(soak.finite) << rate;
        EXPECT_GT(soak.paramChanges, 1000u);
        std::printf("[measured] eq soak at %g Hz: peak %.3f (input %.3f)\n", rate, soak.outputPeak,
                    soak.inputPeak);
        // 5 boosting sections of at most +18 dB and +12 dB of level bound the gain; far below it in practice.
        EXPECT_LT(soak.outputPeak, 100.f * soak.inputPeak);
    }
}

// As for the other effects: a knob step that glides adds at most a kink; a one-sample jump of 5 % of the
// amplitude would score 3.
constexpr double kMaxClickScore = 2.0;
constexpr double kMaxStepRatio = 1.5;

TEST(Eq, ParameterStepsDoNotClick) {
    StepSpec spec;
    struct Step {
        std::string_view id;
        float from;
        float to;
        std::vector<ParamValue> settings;
    };
    // Each step moves the 997 Hz probe's gain one way only (a band swept across the probe would raise it
    // and lower it again in 20 ms, which is the setting, not a click).
    std::vector<Step> steps{
        {"low_shelf_hz", 20.f, 1000.f, {{"low_shelf_db", 18.f}}},
        {"low_shelf_db", -18.f, 18.f, {{"low_shelf_hz", 1000.f}}},
        {"high_shelf_hz", 20000.f, 1000.f, {{"high_shelf_db", -18.f}}},
        {"high_shelf_db", 18.f, -18.f, {{"high_shelf_hz", 1000.f}}},
        {"highpass_hz", 10.f, 2000.f, {{"highpass_slope", 2.f}}},
        {"highpass_slope", 0.f, 2.f, {{"highpass_hz", 2000.f}}},
        {"highpass_slope", 2.f, 0.f, {{"highpass_hz", 2000.f}}},
        {"highpass_slope", 1.f, 2.f, {{"highpass_hz", 1000.f}}},
        {"lowpass_hz", 20000.f, 500.f, {{"lowpass_slope", 2.f}}},
        {"lowpass_slope", 0.f, 2.f, {{"lowpass_hz", 500.f}}},
        {"lowpass_slope", 2.f, 0.f, {{"lowpass_hz", 500.f}}},
        {"level_db", -24.f, 12.f, {}},
        {"level_db", 12.f, -24.f, {}},
    };
    for (const char* b : {"peak1", "peak2", "peak3"}) {
        const std::string id(b);
        const auto hz = intern(id + "_hz");
        const auto db = intern(id + "_db");
        const auto q = intern(id + "_q");
        steps.push_back({hz, 1000.f, 20000.f, {{db, 18.f}}});
        steps.push_back({hz, 1000.f, 20.f, {{db, -18.f}, {q, 0.5f}}});
        steps.push_back({db, -18.f, 18.f, {{hz, 1000.f}, {q, 10.f}}});
        steps.push_back({db, 18.f, -18.f, {{hz, 1000.f}}});
        steps.push_back({q, 0.2f, 10.f, {{hz, 2000.f}, {db, 18.f}}});
    }
    for (const auto& s : steps) {
        const StepResult r = stepParamMidSine<Eq>(spec, s.settings, s.id, s.from, s.to);
        std::printf("[measured] eq %s %g -> %g: click score %.3f, step ratio %.3f (changed output by %.2f)\n",
                    std::string(s.id).c_str(), s.from, s.to, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, kMaxClickScore) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_LE(r.stepRatio, kMaxStepRatio) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.01) << s.id << " " << s.from << " -> " << s.to << ": the step changed nothing";
    }
}

} // namespace
} // namespace stagerack::test
