#include "effects/modulation/RingMod.h"
#include "tests/support/Analysis.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace stagerack::test {
namespace {

using fx::RingMod;
constexpr double kRate = 48000.0;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

TEST(RingMod, MetadataIsCompleteAndIdsAreStable) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<RingMod>()).empty())
        << joined(metadataProblems(fx::infoOf<RingMod>()));
    EXPECT_EQ(RingMod::kId, "ringmod");
    EXPECT_EQ(RingMod::kCategory, "modulation");
    const std::array<std::string_view, RingMod::kParamCount> ids{"carrier_hz", "lfo_hz", "lfo_depth", "mix"};
    for (std::size_t i = 0; i < ids.size(); ++i)
        EXPECT_EQ(RingMod::kParams[i].id, ids[i]);
}

// Levels relative to the input tone, over one second (a whole number of cycles of every integer frequency).
struct Components {
    double input, carrier, lower, upper;
};
Components measure(double rate, double inHz, float carrierHz, float mix) {
    const auto frames = static_cast<std::size_t>(1.5 * rate);
    const std::vector<float> x = sine(inHz, rate, frames, 0.25f);
    const StereoBuffer out =
        render<RingMod>(rate, 64, dualMono(x), {{"carrier_hz", carrierHz}, {"mix", mix}});
    const Window w{frames - static_cast<std::size_t>(rate), frames};
    const double ref = goertzelDb(slice(x, w), inHz, rate);
    auto at = [&](double hz) { return goertzelDb(slice(out.left, w), hz, rate) - ref; };
    return {at(inHz), at(carrierHz), at(carrierHz - inHz), at(carrierHz + inHz)};
}

TEST(RingMod, SidebandsReplaceInputAndCarrier) {
    const Components c = measure(kRate, 440.0, 1000.f, 1.f);
    std::printf("[measured] ringmod 440 Hz x 1000 Hz: 560 Hz %+.3f dB, 1440 Hz %+.3f dB, 440 Hz %+.1f dB, "
                "1000 Hz %+.1f dB (re input)\n",
                c.lower, c.upper, c.input, c.carrier);
    EXPECT_NEAR(c.lower, -6.021, 0.01);
    EXPECT_NEAR(c.upper, -6.021, 0.01);
    EXPECT_LT(c.input, -40.0);
    EXPECT_LT(c.carrier, -40.0);
    // Half mix: the dry tone at -6 dB and each sideband at -12 dB.
    const Components h = measure(kRate, 440.0, 1000.f, 0.5f);
    std::printf("[measured] ringmod mix 0.5: 440 Hz %+.3f dB, 560 Hz %+.3f dB, 1440 Hz %+.3f dB\n", h.input,
                h.lower, h.upper);
    EXPECT_NEAR(h.input, -6.021, 0.01);
    EXPECT_NEAR(h.lower, -12.041, 0.01);
    EXPECT_NEAR(h.upper, -12.041, 0.01);
}

TEST(RingMod, LfoSweepsTheCarrier) {
    // With depth 1 the carrier spends time across two octaves: the steady 1440 Hz sideband loses most of its
    // energy, and the average carrier frequency (measured by zero crossings of the carrier itself: a DC
    // input) swings between carrier / 2 and carrier * 2.
    const std::size_t frames = 4 * 48000;
    const StereoBuffer out = render<RingMod>(kRate, 64, dualMono(constant(frames, 0.5f)),
                                             {{"carrier_hz", 1000.f}, {"lfo_hz", 1.f}, {"lfo_depth", 1.f}});
    // Crossings per 10 ms window give the local frequency.
    double lo = 1e9, hi = 0.0;
    for (std::size_t start = 0; start + 480 <= frames; start += 480) {
        int crossings = 0;
        for (std::size_t n = start + 1; n < start + 480; ++n)
            crossings += (out.left[n - 1] < 0.f) != (out.left[n] < 0.f);
        const double hz = crossings / 2.0 / 0.01;
        lo = std::min(lo, hz);
        hi = std::max(hi, hz);
    }
    std::printf(
        "[measured] ringmod lfo depth 1 around 1000 Hz: carrier from %.0f to %.0f Hz (law 500..2000)\n", lo,
        hi);
    EXPECT_NEAR(lo, 500.0, 60.0);
    EXPECT_NEAR(hi, 2000.0, 150.0);
}

TEST(RingMod, BlockSizeInvariance) {
    const std::size_t frames = 40000;
    const StereoBuffer input = stereo(whiteNoise(frames, 31, 0.3f), whiteNoise(frames, 32, 0.3f));
    const float deviation = blockSizeDeviation<RingMod>(
        kRate, input, {{"carrier_hz", 700.f}, {"lfo_depth", 0.5f}, {"lfo_hz", 6.f}},
        {{0, {{"mix", 0.6f}}}, {17408, {{"carrier_hz", 3000.f}, {"lfo_hz", 0.3f}, {"lfo_depth", 1.f}}}});
    std::printf("[measured] ringmod block-size deviation %.3g\n", deviation);
    EXPECT_LE(deviation, 1e-5f);
}

TEST(RingMod, SampleRatesSilenceAndSoak) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        const Components c = measure(rate, 440.0, 1000.f, 1.f);
        std::printf("[measured] ringmod at %g Hz: 560 %+.3f dB, 1440 %+.3f dB, 440 %+.1f dB, 1000 %+.1f dB\n",
                    rate, c.lower, c.upper, c.input, c.carrier);
        EXPECT_NEAR(c.lower, -6.021, 0.01) << rate;
        EXPECT_NEAR(c.upper, -6.021, 0.01) << rate;
        EXPECT_LT(std::max(c.input, c.carrier), -40.0) << rate;
        const StereoBuffer silent =
            render<RingMod>(rate, 64, dualMono(constant(48000, 0.f)), {{"lfo_depth", 1.f}, {"mix", 0.5f}});
        EXPECT_EQ(peak(silent.left), 0.f) << rate;
        EXPECT_EQ(peak(silent.right), 0.f) << rate;
        const SoakResult soak = randomParamSoak<RingMod>(rate, 4.0, 256, 99, 0.5f);
        EXPECT_TRUE(soak.finite) << rate;
        EXPECT_GT(soak.paramChanges, 1000u);
        EXPECT_LE(soak.outputPeak, 1.0001f * soak.inputPeak) << rate;
    }
}

TEST(RingMod, ParameterStepsDoNotClick) {
    struct Step {
        std::string_view id;
        float from;
        float to;
        std::vector<ParamValue> settings;
    };
    const std::vector<Step> steps{
        {"carrier_hz", 20.f, 5000.f, {}},           {"carrier_hz", 5000.f, 20.f, {}},
        {"carrier_hz", 200.f, 900.f, {}},           {"lfo_hz", 0.05f, 10.f, {{"lfo_depth", 0.5f}}},
        {"lfo_depth", 0.f, 1.f, {{"lfo_hz", 5.f}}}, {"mix", 0.f, 1.f, {{"carrier_hz", 100.f}}},
        {"mix", 1.f, 0.f, {{"carrier_hz", 100.f}}},
    };
    for (const auto& s : steps) {
        const StepResult r = stepParamMidSine<RingMod>(StepSpec{}, s.settings, s.id, s.from, s.to);
        std::printf("[measured] ringmod %s %g -> %g: click score %.3f, step ratio %.3f (effect %.2f)\n",
                    std::string(s.id).c_str(), s.from, s.to, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, 2.0) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.01) << s.id;
    }
}

} // namespace
} // namespace stagerack::test
