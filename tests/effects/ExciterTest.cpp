#include "effects/stereo/Exciter.h"
#include "tests/support/Analysis.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace stagerack::test {
namespace {

using fx::Exciter;
constexpr double kRate = 48000.0;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

TEST(Exciter, MetadataIsCompleteAndIdsAreStable) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<Exciter>()).empty())
        << joined(metadataProblems(fx::infoOf<Exciter>()));
    EXPECT_EQ(Exciter::kId, "exciter");
    EXPECT_EQ(Exciter::kCategory, "stereo");
    const std::array<std::string_view, Exciter::kParamCount> ids{"frequency_hz", "drive_db", "amount"};
    for (std::size_t i = 0; i < ids.size(); ++i)
        EXPECT_EQ(Exciter::kParams[i].id, ids[i]);
}

struct Tone {
    double fundamentalDb; // change of the fundamental, dB
    double secondDbc;
    double thirdDbc;
    double worstHarmonicDbc; // highest of harmonics 2.. below Nyquist
};

Tone excite(double rate, double hz, float amplitude, const std::vector<ParamValue>& settings) {
    const auto frames = static_cast<std::size_t>(1.5 * rate);
    const std::vector<float> x = sine(hz, rate, frames, amplitude);
    const StereoBuffer out = render<Exciter>(rate, 64, dualMono(x), settings);
    const Window w{frames - static_cast<std::size_t>(rate), frames}; // one second: whole cycles
    const double in = goertzelDb(slice(x, w), hz, rate);
    const double fund = goertzelDb(slice(out.left, w), hz, rate);
    Tone t{fund - in, -400.0, -400.0, -400.0};
    for (int k = 2; k * hz < 0.5 * rate; ++k) {
        const double dbc = goertzelDb(slice(out.left, w), k * hz, rate) - fund;
        if (k == 2) t.secondDbc = dbc;
        if (k == 3) t.thirdDbc = dbc;
        t.worstHarmonicDbc = std::max(t.worstHarmonicDbc, dbc);
    }
    return t;
}

TEST(Exciter, TrebleGainsHarmonicsProportionalToAmount) {
    // 3 kHz at -12 dBFS, band from 2 kHz, drive 12 dB (the band is above the knee: fixed ratio).
    double second0 = 0.0, third0 = 0.0;
    for (float amount : {0.125f, 0.25f, 0.5f, 1.f}) {
        const Tone t =
            excite(kRate, 3000.0, 0.25f, {{"frequency_hz", 2000.f}, {"drive_db", 12.f}, {"amount", amount}});
        const double second = t.secondDbc - toDb(amount);
        const double third = t.thirdDbc - toDb(amount);
        std::printf(
            "[measured] exciter 3 kHz, amount %.3f: 6 kHz %+.2f dBc, 9 kHz %+.2f dBc (per unit amount "
            "%+.2f / %+.2f dBc), fundamental %+.3f dB\n",
            amount, t.secondDbc, t.thirdDbc, second, third, t.fundamentalDb);
        if (amount == 0.125f) {
            second0 = second;
            third0 = third;
        }
        EXPECT_NEAR(second, second0, 0.1) << amount;
        EXPECT_NEAR(third, third0, 0.2) << amount;
        EXPECT_GT(t.secondDbc, -40.0) << amount;
        EXPECT_GT(t.thirdDbc, -60.0) << amount;
    }
    // Design at amount 1 (band through the 4th-order high-pass at 1.5 x its edge: -0.17 dB; post filter
    // at 3 x and 4.5 x its edge): 2nd harmonic -12 dB, 3rd -26 dB.
    EXPECT_NEAR(second0, -12.0, 1.0);
    EXPECT_NEAR(third0, -26.0, 1.5);
    // Amount 0 is bit-exact.
    const std::vector<float> x = sine(3000.0, kRate, 9600, 0.25f);
    const StereoBuffer dry = render<Exciter>(kRate, 64, dualMono(x), {{"amount", 0.f}});
    for (std::size_t n = 0; n < x.size(); ++n)
        ASSERT_EQ(dry.left[n], x[n]) << n;
}

TEST(Exciter, DriveSetsTheKnee) {
    // Below the knee the 2nd harmonic grows with the level (1 dB per dB), above it stays at a fixed ratio.
    const Tone quiet =
        excite(kRate, 3000.0, 0.01f, {{"frequency_hz", 2000.f}, {"drive_db", 12.f}, {"amount", 1.f}});
    const Tone quieter =
        excite(kRate, 3000.0, 0.005f, {{"frequency_hz", 2000.f}, {"drive_db", 12.f}, {"amount", 1.f}});
    const Tone loud =
        excite(kRate, 3000.0, 0.5f, {{"frequency_hz", 2000.f}, {"drive_db", 12.f}, {"amount", 1.f}});
    std::printf("[measured] exciter 2nd harmonic at -46/-40/-6 dBFS input: %+.2f / %+.2f / %+.2f dBc\n",
                quieter.secondDbc, quiet.secondDbc, loud.secondDbc);
    EXPECT_NEAR(quiet.secondDbc - quieter.secondDbc, 6.02, 0.1);
    EXPECT_NEAR(loud.secondDbc, -12.0, 1.0);
}

TEST(Exciter, LowNotesAreUntouched) {
    for (float drive : {0.f, 24.f}) {
        const Tone t =
            excite(kRate, 200.0, 0.5f, {{"frequency_hz", 2000.f}, {"drive_db", drive}, {"amount", 1.f}});
        std::printf(
            "[measured] exciter 200 Hz at -6 dBFS, drive %g dB, amount 1: fundamental %+.5f dB, worst "
            "harmonic %+.1f dBc\n",
            drive, t.fundamentalDb, t.worstHarmonicDbc);
        EXPECT_LT(std::fabs(t.fundamentalDb), 0.1);
        EXPECT_LT(t.worstHarmonicDbc, -80.0);
    }
}

TEST(Exciter, NoAliasingAtMaximumDrive) {
    for (double rate : {44100.0, 48000.0}) {
        const std::size_t n = 65536;
        const std::size_t settle = static_cast<std::size_t>(0.2 * rate);
        const std::vector<float> x = sine(7000.0, rate, settle + n, 0.5f);
        const StereoBuffer out = render<Exciter>(
            rate, 64, dualMono(x), {{"frequency_hz", 2000.f}, {"drive_db", 24.f}, {"amount", 1.f}});
        const AliasReport r = worstNonHarmonic(slice(out.left, {settle, settle + n}), 7000.0, rate);
        const Tone t =
            excite(rate, 7000.0, 0.5f, {{"frequency_hz", 2000.f}, {"drive_db", 24.f}, {"amount", 1.f}});
        std::printf(
            "[measured] exciter 7 kHz, drive 24 dB, amount 1 at %g Hz: 2nd %+.1f dBc, worst non-harmonic "
            "%+.1f dBc at %.0f Hz\n",
            rate, t.secondDbc, r.worstDbc, r.worstHz);
        EXPECT_LT(r.worstDbc, -60.0) << rate;
        EXPECT_GT(t.secondDbc, -20.0) << rate;
    }
}

TEST(Exciter, BlockSizeInvariance) {
    const std::size_t frames = 40000;
    const StereoBuffer input = stereo(whiteNoise(frames, 61, 0.3f), whiteNoise(frames, 62, 0.3f));
    const float deviation = blockSizeDeviation<Exciter>(
        kRate, input, {{"amount", 1.f}},
        {{0, {{"drive_db", 20.f}}},
         {17408, {{"frequency_hz", 8000.f}, {"amount", 0.4f}, {"drive_db", 3.f}}}});
    std::printf("[measured] exciter block-size deviation %.3g\n", deviation);
    EXPECT_LE(deviation, 1e-5f);
}

TEST(Exciter, SampleRatesSilenceAndSoak) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        const Tone t =
            excite(rate, 3000.0, 0.25f, {{"frequency_hz", 2000.f}, {"drive_db", 12.f}, {"amount", 1.f}});
        std::printf("[measured] exciter at %g Hz: 3 kHz -> 6 kHz %+.2f dBc, 9 kHz %+.2f dBc\n", rate,
                    t.secondDbc, t.thirdDbc);
        EXPECT_NEAR(t.secondDbc, -12.0, 1.0) << rate;
        const StereoBuffer silent =
            render<Exciter>(rate, 64, dualMono(constant(48000, 0.f)), {{"amount", 1.f}, {"drive_db", 24.f}});
        EXPECT_EQ(peak(silent.left), 0.f) << rate;
        EXPECT_EQ(peak(silent.right), 0.f) << rate;
        const SoakResult soak = randomParamSoak<Exciter>(rate, 4.0, 256, 515, 0.5f);
        EXPECT_TRUE(soak.finite) << rate;
        EXPECT_GT(soak.paramChanges, 1000u);
        EXPECT_LT(soak.outputPeak, 3.f * soak.inputPeak) << rate;
    }
}

TEST(Exciter, ParameterStepsDoNotClick) {
    struct Step {
        std::string_view id;
        float from;
        float to;
    };
    const std::vector<Step> steps{{"frequency_hz", 1000.f, 10000.f},
                                  {"frequency_hz", 10000.f, 1000.f},
                                  {"drive_db", 0.f, 24.f},
                                  {"drive_db", 24.f, 0.f},
                                  {"amount", 0.f, 1.f},
                                  {"amount", 1.f, 0.f}};
    for (const auto& s : steps) {
        StepSpec spec;
        spec.freqHz = 2500.0;
        const StepResult r =
            stepParamMidSine<Exciter>(spec, {{"amount", 1.f}, {"frequency_hz", 2000.f}}, s.id, s.from, s.to);
        std::printf("[measured] exciter %s %g -> %g: click score %.3f, step ratio %.3f (effect %.3f)\n",
                    std::string(s.id).c_str(), s.from, s.to, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, 2.0) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.005) << s.id;
    }
}

} // namespace
} // namespace stagerack::test
