#include "effects/eq/Geq.h"
#include "tests/support/Analysis.h"
#include "tests/support/FrequencyResponse.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace stagerack::test {
namespace {

using dsp::BiquadCoeffs;
using dsp::FilterKind;
using fx::Geq;
constexpr double kRate = 48000.0;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

std::vector<ParamValue> gains(const std::array<float, Geq::kBands>& db, float level = 0.f) {
    std::vector<ParamValue> v;
    for (std::size_t b = 0; b < Geq::kBands; ++b)
        v.push_back({Geq::kParams[b].id, db[b]});
    v.push_back({"level_db", level});
    return v;
}

// The cascade's response from the cookbook formulas, independent of the effect's designs.
double cookbookDb(const std::array<float, Geq::kBands>& db, float level, double rate, double f) {
    double sum = level;
    for (std::size_t b = 0; b < Geq::kBands; ++b)
        sum += BiquadCoeffs::design(FilterKind::Peak, rate, Geq::kCentreHz[b], Geq::kQ, db[b]).magnitudeDb(f);
    return sum;
}

TEST(Geq, MetadataIsCompleteAndIdsAreStable) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<Geq>()).empty()) << joined(metadataProblems(fx::infoOf<Geq>()));
    EXPECT_EQ(Geq::kId, "geq");
    EXPECT_EQ(Geq::kCategory, "eq");
    const std::array<std::string_view, Geq::kParamCount> ids{
        "band_31_db", "band_62_db", "band_125_db", "band_250_db", "band_500_db", "band_1k_db",
        "band_2k_db", "band_4k_db", "band_8k_db",  "band_16k_db", "level_db"};
    for (std::size_t i = 0; i < ids.size(); ++i)
        EXPECT_EQ(Geq::kParams[i].id, ids[i]);
}

struct Setting {
    const char* name;
    std::array<float, Geq::kBands> db;
    float level;
};

const std::vector<Setting> kSettings{
    {"alternating +-12", {12, -12, 12, -12, 12, -12, 12, -12, 12, -12}, 0.f},
    {"all +12", {12, 12, 12, 12, 12, 12, 12, 12, 12, 12}, -12.f},
    {"smile", {4, 4, 2, -1, -3, -2, 0, 3, 5, 6}, -2.5f},
    {"single bands", {0, -12, 0, 0, 9, 0, 0, 0, 0, 12}, 0.f},
};

TEST(Geq, MeasuredMagnitudeMatchesTheCookbookResponse) {
    double worst = 0.0;
    double worstTop = 0.0;
    std::size_t points = 0;
    for (double rate : {44100.0, 48000.0, 96000.0}) {
        for (const Setting& s : kSettings) {
            Geq geq;
            prepareLikeHost(geq, rate, 256, gains(s.db, s.level));
            for (std::size_t b = 0; b < Geq::kBands; ++b) {
                // Centre and band edges (half the bandwidth either side, centre * 2^(+-1/(2Q))).
                for (double e : {-1.0, 0.0, 1.0}) {
                    const double f = Geq::kCentreHz[b] * std::pow(2.0, e / (2.0 * Geq::kQ));
                    if (f > 0.49 * rate) continue;
                    const double want = cookbookDb(s.db, s.level, rate, f);
                    EXPECT_NEAR(geq.magnitudeDb(f), want, 1e-6);
                    const double got = measuredGainDb<Geq>(rate, gains(s.db, s.level), f);
                    EXPECT_NEAR(got, want, 0.5) << s.name << " band " << b << " at " << f << " Hz, " << rate;
                    worst = std::max(worst, std::fabs(got - want));
                    if (b == Geq::kBands - 1) worstTop = std::max(worstTop, std::fabs(got - want));
                    ++points;
                }
            }
        }
    }
    std::printf("[measured] geq: %zu points (centres and edges, 4 settings, 44.1/48/96 kHz): worst deviation "
                "%.4f dB (16 kHz band %.4f dB)\n",
                points, worst, worstTop);
    EXPECT_LE(worst, 0.05);
}

TEST(Geq, CentresGetTheirGainAtEveryRate) {
    // One band at a time: the centre gets the full slider gain (the prewarping puts it exactly there, even
    // for 16 kHz at 44.1 kHz); the neighbours' tails add the rest, which the analytic response includes.
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        double worst = 0.0;
        for (std::size_t b = 0; b < Geq::kBands; ++b) {
            std::array<float, Geq::kBands> db{};
            db[b] = 12.f;
            const double got = measuredGainDb<Geq>(rate, gains(db), Geq::kCentreHz[b]);
            worst = std::max(worst, std::fabs(got - 12.0));
        }
        std::printf("[measured] geq at %g Hz: single band +12 dB, worst centre gain error %.4f dB\n", rate,
                    worst);
        EXPECT_LE(worst, 0.05) << rate;
    }
    // What the bilinear transform does to the top band at 44.1 kHz, documented rather than hidden.
    std::array<float, Geq::kBands> top{};
    top[Geq::kBands - 1] = 12.f;
    const double upperEdge = 16000.0 * std::pow(2.0, 1.0 / (2.0 * Geq::kQ));
    std::printf("[measured] geq 16 kHz band +12 dB at 44.1 kHz: %.2f dB at 8 kHz, %.2f dB at %.0f Hz "
                "(analytic %.2f / %.2f)\n",
                measuredGainDb<Geq>(44100.0, gains(top), 8000.0),
                measuredGainDb<Geq>(44100.0, gains(top), upperEdge), upperEdge,
                cookbookDb(top, 0.f, 44100.0, 8000.0), cookbookDb(top, 0.f, 44100.0, upperEdge));
}

TEST(Geq, FlatIsBitExact) {
    const std::size_t frames = 48000;
    const StereoBuffer input = stereo(whiteNoise(frames, 31, 0.9f), whiteNoise(frames, 32, 0.9f));
    const StereoBuffer out = render<Geq>(kRate, 64, input);
    const StereoBuffer back =
        render<Geq>(kRate, 64, input, gains(kSettings[0].db, 6.f), {{0, gains({}, 0.f)}});
    for (std::size_t n = 0; n < frames; ++n) {
        ASSERT_EQ(out.left[n], input.left[n]) << n;
        ASSERT_EQ(out.right[n], input.right[n]) << n;
    }
    for (std::size_t n = 4096; n < frames; ++n)
        ASSERT_EQ(back.left[n], input.left[n]) << n;
}

TEST(Geq, BlockSizeInvariance) {
    const std::size_t frames = 40000;
    const StereoBuffer input = stereo(whiteNoise(frames, 41, 0.5f), whiteNoise(frames, 42, 0.5f));
    const float deviation =
        blockSizeDeviation<Geq>(kRate, input, gains(kSettings[2].db, -3.f),
                                {{0, gains(kSettings[0].db, 2.f)}, {17408, gains(kSettings[1].db, -10.f)}});
    std::printf("[measured] geq block-size deviation %.3g\n", deviation);
    EXPECT_LE(deviation, 1e-5f);
}

TEST(Geq, SilenceInSilenceOutAndSoak) {
    const StereoBuffer silence = dualMono(constant(48000, 0.f));
    for (const Setting& s : kSettings) {
        const StereoBuffer out = render<Geq>(kRate, 64, silence, gains(s.db, s.level));
        EXPECT_EQ(peak(out.left), 0.f) << s.name;
        EXPECT_EQ(peak(out.right), 0.f) << s.name;
    }
    for (double rate : {44100.0, 192000.0}) {
        const SoakResult soak = randomParamSoak<Geq>(rate, 4.0, 256, 1357, 0.5f);
        EXPECT_TRUE(soak.finite) << rate;
        EXPECT_GT(soak.paramChanges, 1000u);
        std::printf("[measured] geq soak at %g Hz: peak %.3f (input %.3f)\n", rate, soak.outputPeak,
                    soak.inputPeak);
    }
}

// A slider step with two tones in: one at the band's centre (so the step changes the output a lot) and one
// at 997 Hz. On a low band's own tone alone the click score is ill-conditioned: a 31 Hz sine's second
// difference is 1/1000 of a 1 kHz one's, so any gain ramp shorter than a cycle "kinks" it, audibly or not.
// A click is broadband, so it shows against the 997 Hz tone's steady second difference.
struct TwoToneStep {
    double clickScore = 0.0;
    double stepRatio = 0.0;
    double effect = 0.0;
};

TwoToneStep stepWithTwoTones(std::string_view id, float from, float to, double toneHz) {
    const std::size_t at = 48000;
    const std::size_t event = 9600; // 20 ms of smoothing plus the band's own response time
    const std::size_t steady = 9600;
    const std::size_t frames = at + event + steady;
    std::vector<float> x = fadedSine(toneHz, kRate, frames, 0.125f, 4800);
    const std::vector<float> hi = fadedSine(997.0, kRate, frames, 0.125f, 4800);
    for (std::size_t n = 0; n < frames; ++n)
        x[n] += hi[n];
    const std::vector<ParamValue> start{{id, from}};
    const StereoBuffer unchanged = render<Geq>(kRate, 64, dualMono(x), start);
    const StereoBuffer out = render<Geq>(kRate, 64, dualMono(x), start, {{at, {{id, to}}}});
    TwoToneStep r;
    const Window before{at - steady, at};
    const Window during{at, at + event};
    const Window after{at + event, frames};
    r.clickScore = clickScore(out.left, during, before, after);
    r.stepRatio = stepRatio(out.left, during, before, after);
    r.effect = maxAbsDiff(slice(out.left, {at, frames}), slice(unchanged.left, {at, frames})) / 0.125;
    return r;
}

TEST(Geq, ParameterStepsDoNotClick) {
    for (std::size_t b = 0; b < Geq::kParamCount; ++b) {
        const auto id = Geq::kParams[b].id;
        const bool level = b == Geq::kBands;
        const double tone = level ? 220.0 : std::min(Geq::kCentreHz[b], 15000.0);
        for (auto [from, to] : {std::pair{-12.f, 12.f}, {12.f, -12.f}}) {
            if (level) {
                from = from > 0 ? 12.f : -24.f;
                to = to > 0 ? 12.f : -24.f;
            }
            const TwoToneStep r = stepWithTwoTones(id, from, to, tone);
            std::printf(
                "[measured] geq %s %g -> %g (tones %.0f Hz + 997 Hz): click score %.3f, step ratio %.3f "
                "(changed output by %.2f)\n",
                std::string(id).c_str(), from, to, tone, r.clickScore, r.stepRatio, r.effect);
            EXPECT_LE(r.clickScore, 2.0) << id;
            EXPECT_LE(r.stepRatio, 1.5) << id;
            EXPECT_GT(r.effect, 0.01) << id;
        }
    }
}

} // namespace
} // namespace stagerack::test
