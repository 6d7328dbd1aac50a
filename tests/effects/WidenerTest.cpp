#include "effects/stereo/Widener.h"
#include "tests/support/Analysis.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace stagerack::test {
namespace {

using fx::Widener;
constexpr double kRate = 48000.0;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

std::vector<float> midOf(const StereoBuffer& b) {
    std::vector<float> m(b.frames());
    for (std::size_t i = 0; i < m.size(); ++i)
        m[i] = 0.5f * (b.left[i] + b.right[i]);
    return m;
}
std::vector<float> sideOf(const StereoBuffer& b) {
    std::vector<float> s(b.frames());
    for (std::size_t i = 0; i < s.size(); ++i)
        s[i] = 0.5f * (b.left[i] - b.right[i]);
    return s;
}
std::vector<float> negated(std::vector<float> x) {
    for (float& v : x)
        v = -v;
    return x;
}

StereoBuffer noisePair(std::size_t frames) {
    // Correlated but not identical sides: a mid and a side part of different levels.
    const std::vector<float> m = whiteNoise(frames, 5, 0.4f);
    const std::vector<float> s = whiteNoise(frames, 6, 0.2f);
    StereoBuffer b;
    b.left.resize(frames);
    b.right.resize(frames);
    for (std::size_t i = 0; i < frames; ++i) {
        b.left[i] = m[i] + s[i];
        b.right[i] = m[i] - s[i];
    }
    return b;
}

TEST(Widener, MetadataIsCompleteAndIdsAreStable) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<Widener>()).empty())
        << joined(metadataProblems(fx::infoOf<Widener>()));
    EXPECT_EQ(Widener::kId, "widener");
    EXPECT_EQ(Widener::kCategory, "stereo");
    EXPECT_EQ(Widener::kParams[Widener::kWidth].id, "width");
    EXPECT_EQ(Widener::kParams[Widener::kBassMonoHz].id, "bass_mono_hz");
    EXPECT_EQ(Widener::kParams[Widener::kLevelDb].id, "level_db");
}

TEST(Widener, WidthOneIsBitExactAndWidthZeroIsExactMono) {
    const StereoBuffer input = noisePair(48000);
    const StereoBuffer same = render<Widener>(kRate, 64, input, {{"width", 1.f}});
    for (std::size_t n = 0; n < input.frames(); ++n) {
        ASSERT_EQ(same.left[n], input.left[n]) << n;
        ASSERT_EQ(same.right[n], input.right[n]) << n;
    }
    // Reached by a ramp, too: after 20 ms everything is exact again.
    const StereoBuffer back =
        render<Widener>(kRate, 64, input, {{"width", 1.8f}}, {{4800, {{"width", 1.f}}}});
    for (std::size_t n = 4800 + 960; n < input.frames(); ++n)
        ASSERT_EQ(back.left[n], input.left[n]) << n;
    const StereoBuffer mono = render<Widener>(kRate, 64, input, {}, {{0, {{"width", 0.f}}}});
    for (std::size_t n = 960; n < input.frames(); ++n)
        ASSERT_EQ(mono.left[n], mono.right[n]) << n;
    EXPECT_GT(rms(mono.left), 0.1);
    std::printf("[measured] widener width 1: bit-exact; width 0: L == R exactly after the 20 ms ramp\n");
}

TEST(Widener, WidthScalesSideAgainstMid) {
    const StereoBuffer input = noisePair(48000);
    const double inRatio = rmsDb(sideOf(input)) - rmsDb(midOf(input));
    for (float width : {0.5f, 1.5f, 2.f}) {
        const StereoBuffer out = render<Widener>(kRate, 64, input, {{"width", width}});
        const double ratio = rmsDb(sideOf(out)) - rmsDb(midOf(out)) - inRatio;
        const double midChange = rmsDb(midOf(out)) - rmsDb(midOf(input));
        std::printf("[measured] widener width %.1f: side/mid %+.3f dB (expected %+.3f dB), mid %+.4f dB\n",
                    width, ratio, toDb(width), midChange);
        EXPECT_NEAR(ratio, toDb(width), 0.01) << width;
        EXPECT_NEAR(midChange, 0.0, 0.001) << width;
    }
}

TEST(Widener, LevelIsInDecibels) {
    const StereoBuffer input = noisePair(9600);
    const StereoBuffer out = render<Widener>(kRate, 64, input, {{"level_db", -6.f}});
    const double got = rmsDb(out.left) - rmsDb(input.left);
    std::printf("[measured] widener level -6 dB: %+.4f dB\n", got);
    EXPECT_NEAR(got, -6.0, 0.01);
}

TEST(Widener, BassMonoRemovesLowSideOnly) {
    // Pure side input (L = -R) at 60 Hz and 1 kHz, width 1.5, bass mono at 120 Hz.
    const std::size_t frames = 48000;
    const Window w{24000, 48000}; // whole cycles of both tones
    auto sideGainDb = [&](double hz, float bassHz) {
        const std::vector<float> x = sine(hz, kRate, frames, 0.25f);
        const StereoBuffer out =
            render<Widener>(kRate, 64, stereo(x, negated(x)), {{"width", 1.5f}, {"bass_mono_hz", bassHz}});
        return goertzelDb(slice(sideOf(out), w), hz, kRate) - goertzelDb(slice(x, w), hz, kRate);
    };
    const double low = sideGainDb(60.0, 120.f);
    const double high = sideGainDb(1000.0, 120.f);
    const double lowOff = sideGainDb(60.0, 0.f);
    std::printf("[measured] widener bass mono 120 Hz, width 1.5: side at 60 Hz %+.2f dB, at 1 kHz %+.2f dB "
                "(off: 60 Hz %+.2f dB); difference %.2f dB (4th-order design 24.1 dB)\n",
                low, high, lowOff, high - low);
    EXPECT_NEAR(high, toDb(1.5), 0.1);
    EXPECT_NEAR(lowOff, toDb(1.5), 0.01);
    EXPECT_GT(high - low, 22.0);
    // The mid is untouched by the crossover: a pure mid passes exactly at width 1.
    const std::vector<float> bass = sine(60.0, kRate, frames, 0.25f);
    const StereoBuffer mid = render<Widener>(kRate, 64, dualMono(bass), {{"bass_mono_hz", 150.f}});
    for (std::size_t n = 0; n < frames; ++n)
        ASSERT_EQ(mid.left[n], bass[n]) << n;
}

TEST(Widener, BlockSizeInvariance) {
    const StereoBuffer input = noisePair(40000);
    const float deviation =
        blockSizeDeviation<Widener>(kRate, input, {{"width", 1.7f}, {"bass_mono_hz", 100.f}},
                                    {{0, {{"level_db", -3.f}}},
                                     {17408, {{"width", 0.3f}, {"bass_mono_hz", 250.f}}},
                                     {34816, {{"bass_mono_hz", 0.f}}}});
    std::printf("[measured] widener block-size deviation %.3g\n", deviation);
    EXPECT_LE(deviation, 1e-5f);
}

TEST(Widener, SampleRatesSilenceAndSoak) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        const auto frames = static_cast<std::size_t>(rate);
        const Window w{frames / 2, frames};
        const std::vector<float> lo = sine(50.0, rate, frames, 0.25f);
        const std::vector<float> hi = sine(2000.0, rate, frames, 0.25f);
        const StereoBuffer outLo =
            render<Widener>(rate, 64, stereo(lo, negated(lo)), {{"bass_mono_hz", 100.f}});
        const StereoBuffer outHi =
            render<Widener>(rate, 64, stereo(hi, negated(hi)), {{"bass_mono_hz", 100.f}});
        const double gLo =
            goertzelDb(slice(sideOf(outLo), w), 50.0, rate) - goertzelDb(slice(lo, w), 50.0, rate);
        const double gHi =
            goertzelDb(slice(sideOf(outHi), w), 2000.0, rate) - goertzelDb(slice(hi, w), 2000.0, rate);
        std::printf("[measured] widener at %g Hz, bass mono 100 Hz: side 50 Hz %+.2f dB, 2 kHz %+.3f dB\n",
                    rate, gLo, gHi);
        EXPECT_NEAR(gLo, -24.1, 0.5) << rate;
        EXPECT_NEAR(gHi, 0.0, 0.05) << rate;
        const StereoBuffer silent = render<Widener>(rate, 64, dualMono(constant(frames, 0.f)),
                                                    {{"width", 2.f}, {"bass_mono_hz", 200.f}});
        EXPECT_EQ(peak(silent.left), 0.f) << rate;
        EXPECT_EQ(peak(silent.right), 0.f) << rate;
        const SoakResult soak = randomParamSoak<Widener>(rate, 4.0, 256, 4242, 0.5f);
        EXPECT_TRUE(soak.finite) << rate;
        EXPECT_GT(soak.paramChanges, 1000u);
        // Width 2 and +12 dB: at most 4 * 1.5 times the input.
        EXPECT_LT(soak.outputPeak, 6.5f * soak.inputPeak) << rate;
    }
}

TEST(Widener, ParameterStepsDoNotClick) {
    struct Step {
        std::string_view id;
        float from;
        float to;
        std::vector<ParamValue> settings;
        double probeHz;
    };
    const std::vector<Step> steps{
        {"width", 1.f, 0.f, {}, 997.0},
        {"width", 0.f, 2.f, {}, 997.0},
        {"level_db", 0.f, 12.f, {}, 997.0},
        {"level_db", 0.f, -24.f, {}, 997.0},
        {"bass_mono_hz", 0.f, 300.f, {{"width", 2.f}}, 200.0},
        {"bass_mono_hz", 300.f, 0.f, {{"width", 2.f}}, 200.0},
        {"bass_mono_hz", 50.f, 300.f, {{"width", 2.f}}, 200.0},
    };
    for (const auto& s : steps) {
        StepSpec spec;
        spec.freqHz = s.probeHz;
        const StepResult r = stepParamMidSine<Widener>(spec, s.settings, s.id, s.from, s.to);
        std::printf("[measured] widener %s %g -> %g: click score %.3f, step ratio %.3f (effect %.2f)\n",
                    std::string(s.id).c_str(), s.from, s.to, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, 2.0) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.01) << s.id;
    }
}

} // namespace
} // namespace stagerack::test
