#include "effects/utility/Utility.h"
#include "tests/support/Analysis.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace stagerack::test {
namespace {

using fx::Utility;
constexpr double kRate = 48000.0;
constexpr std::size_t kRampFrames = 960; // 20 ms at 48 kHz

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

TEST(Utility, MetadataIsCompleteAndIdsAreStable) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<Utility>()).empty())
        << joined(metadataProblems(fx::infoOf<Utility>()));
    EXPECT_EQ(Utility::kId, "utility");
    EXPECT_EQ(Utility::kCategory, "utility");
    EXPECT_EQ(Utility::kParams[Utility::kLevelDb].id, "level_db");
    EXPECT_EQ(Utility::kParams[Utility::kPan].id, "pan");
    EXPECT_EQ(Utility::kParams[Utility::kInvert].id, "invert");
    EXPECT_EQ(Utility::kParams[Utility::kMono].id, "mono");
}

TEST(Utility, GainMatchesLevelAfterTheRamp) {
    const std::size_t frames = 9600;
    const StereoBuffer input = dualMono(sine(1000.0, kRate, frames, 0.05f));
    const Window settled{4800, 9600}; // 100 whole cycles of 1 kHz, long after the 20 ms ramp
    double worstGoertzel = 0.0;
    double worstRms = 0.0;
    for (float db : {-20.f, -6.f, 0.f, 6.f, 12.f}) {
        // Start at 0 dB and ask for the level afterwards, so the ramp itself must land on it.
        const StereoBuffer out = render<Utility>(kRate, 64, input, {}, {{0, {{"level_db", db}}}});
        for (const auto* ch : {&out.left, &out.right}) {
            const double goertzel = goertzelDb(slice(*ch, settled), 1000.0, kRate) -
                                    goertzelDb(slice(input.left, settled), 1000.0, kRate);
            const double byRms = rmsDb(slice(*ch, settled)) - rmsDb(slice(input.left, settled));
            EXPECT_NEAR(goertzel, db, 0.01) << "level_db " << db;
            EXPECT_NEAR(byRms, db, 0.01) << "level_db " << db;
            worstGoertzel = std::max(worstGoertzel, std::fabs(goertzel - db));
            worstRms = std::max(worstRms, std::fabs(byRms - db));
        }
        // The ramp ends on the target: every later sample is the input times the target gain (to float
        // precision: the effects library is built with -ffast-math, so its pow() may differ by an ulp).
        const float gain = dsp::dbToGain(db);
        for (std::size_t n = kRampFrames; n < frames; ++n)
            ASSERT_FLOAT_EQ(out.left[n], input.left[n] * gain) << n;
    }
    std::printf("[measured] utility gain error: Goertzel %.2e dB, RMS %.2e dB\n", worstGoertzel, worstRms);
}

TEST(Utility, BalanceLaw) {
    const std::size_t frames = 4800;
    const StereoBuffer input = stereo(whiteNoise(frames, 11, 0.5f), whiteNoise(frames, 12, 0.5f));
    struct Case {
        float pan;
        float left;
        float right;
    };
    for (const Case c : {Case{-1.f, 1.f, 0.f}, Case{1.f, 0.f, 1.f}, Case{0.f, 1.f, 1.f},
                         Case{0.5f, 0.5f, 1.f}, Case{-0.25f, 1.f, 0.75f}}) {
        const StereoBuffer out = render<Utility>(kRate, 64, input, {{"pan", c.pan}});
        for (std::size_t n = 0; n < frames; ++n) {
            ASSERT_EQ(out.left[n], input.left[n] * c.left) << "pan " << c.pan << " frame " << n;
            ASSERT_EQ(out.right[n], input.right[n] * c.right) << "pan " << c.pan << " frame " << n;
        }
    }
    // Moving the knob hard left ramps the right side to exact silence within 20 ms.
    const StereoBuffer out = render<Utility>(kRate, 64, input, {}, {{0, {{"pan", -1.f}}}});
    EXPECT_GT(peak(slice(out.right, {0, kRampFrames / 2})), 0.1f);
    EXPECT_EQ(peak(slice(out.right, {kRampFrames, frames})), 0.f);
    for (std::size_t n = 0; n < frames; ++n)
        ASSERT_EQ(out.left[n], input.left[n]);
}

TEST(Utility, InvertIsExactAfterTheCrossfade) {
    const std::size_t frames = 4800;
    const StereoBuffer input = stereo(whiteNoise(frames, 21, 0.5f), sine(440.0, kRate, frames, 0.5f));
    const StereoBuffer out = render<Utility>(kRate, 64, input, {}, {{0, {{"invert", 1.f}}}});
    for (std::size_t n = 0; n < frames; ++n) {
        // During the fade the polarity gain runs from +1 to -1: never louder than the input.
        ASSERT_LE(std::fabs(out.left[n]), std::fabs(input.left[n])) << n;
        if (n >= kRampFrames) {
            ASSERT_EQ(out.left[n], -input.left[n]) << n;
            ASSERT_EQ(out.right[n], -input.right[n]) << n;
        }
    }
    // It is a fade, not a jump: the first samples are still almost the input.
    EXPECT_NEAR(out.left[1], input.left[1], 0.01f);
    // And back: exactly the input again.
    const StereoBuffer back = render<Utility>(kRate, 64, input, {{"invert", 1.f}}, {{0, {{"invert", 0.f}}}});
    for (std::size_t n = kRampFrames; n < frames; ++n)
        ASSERT_EQ(back.left[n], input.left[n]) << n;
}

TEST(Utility, MonoSumsBothSides) {
    const std::size_t frames = 4800;
    const StereoBuffer input = stereo(sine(1000.0, kRate, frames, 0.5f), sine(3000.0, kRate, frames, 0.3f));
    const StereoBuffer out = render<Utility>(kRate, 64, input, {}, {{0, {{"mono", 1.f}}}});
    for (std::size_t n = kRampFrames; n < frames; ++n) {
        const float mid = 0.5f * (input.left[n] + input.right[n]);
        ASSERT_EQ(out.left[n], mid) << n;
        ASSERT_EQ(out.right[n], mid) << n;
    }
    // Both tones at half level on both sides.
    const Window w{2400, 4800};
    EXPECT_NEAR(goertzelDb(slice(out.right, w), 1000.0, kRate), toDb(0.25), 0.01);
    EXPECT_NEAR(goertzelDb(slice(out.left, w), 3000.0, kRate), toDb(0.15), 0.01);
    // Mono with balance: hard right keeps only the (mono) right side.
    const StereoBuffer panned = render<Utility>(kRate, 64, input, {{"mono", 1.f}, {"pan", 1.f}});
    for (std::size_t n = 0; n < frames; ++n) {
        ASSERT_EQ(panned.left[n], 0.f);
        ASSERT_EQ(panned.right[n], 0.5f * (input.left[n] + input.right[n]));
    }
}

TEST(Utility, BlockSizeInvariance) {
    const std::size_t frames = 40000;
    const StereoBuffer input = stereo(whiteNoise(frames, 31, 0.5f), whiteNoise(frames, 32, 0.5f));
    const float deviation = blockSizeDeviation<Utility>(
        kRate, input, {{"level_db", 6.f}, {"pan", -0.3f}},
        {{0, {{"level_db", -12.f}, {"pan", 0.7f}, {"invert", 1.f}, {"mono", 1.f}}},
         {17408, {{"level_db", 18.f}, {"pan", -1.f}, {"invert", 0.f}, {"mono", 0.f}}}});
    std::printf("[measured] utility block-size deviation %.3g\n", deviation);
    EXPECT_LE(deviation, 1e-5f);
}

TEST(Utility, SampleRates) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        const auto frames = static_cast<std::size_t>(rate * 0.2);
        const StereoBuffer input = dualMono(sine(1000.0, rate, frames, 0.5f));
        EXPECT_EQ(maxAbsDiff(render<Utility>(rate, 256, input).left, input.left), 0.f) << rate;
        // The ramp takes 20 ms at every rate, then the gain is exact.
        const StereoBuffer out = render<Utility>(rate, 256, input, {}, {{0, {{"level_db", -6.f}}}});
        ASSERT_TRUE(allFinite(out.left) && allFinite(out.right)) << rate;
        const auto ramp = static_cast<std::size_t>(rate * 0.02);
        EXPECT_GT(std::fabs(out.left[ramp / 2] - input.left[ramp / 2] * dsp::dbToGain(-6.f)), 0.f) << rate;
        for (std::size_t n = ramp; n < frames; ++n)
            ASSERT_FLOAT_EQ(out.left[n], input.left[n] * dsp::dbToGain(-6.f)) << rate << " frame " << n;
    }
}

TEST(Utility, SilenceInSilenceOut) {
    const StereoBuffer silence = dualMono(constant(48000, 0.f));
    for (const auto& settings : std::vector<std::vector<ParamValue>>{
             {}, {{"level_db", 24.f}, {"invert", 1.f}}, {{"mono", 1.f}, {"pan", 0.4f}}}) {
        const StereoBuffer out = render<Utility>(kRate, 64, silence, settings, {{0, {{"level_db", -60.f}}}});
        EXPECT_EQ(peak(out.left), 0.f);
        EXPECT_EQ(peak(out.right), 0.f);
    }
}

TEST(Utility, RandomParameterSoak) {
    const SoakResult soak = randomParamSoak<Utility>(kRate, 4.0, 256, 1234, 0.5f);
    EXPECT_TRUE(soak.finite);
    EXPECT_GT(soak.paramChanges, 1000u);
    // Mono never exceeds the louder side and balance never boosts: +24 dB is the most it can add.
    EXPECT_LE(soak.outputPeak, soak.inputPeak * dsp::dbToGain(24.f) * 1.0001f);
}

// Bounds for the click tests. A gain that ramps linearly in time adds only kinks at the ramp ends, worth
// |x| * (gain change per sample) in the second difference. At 997 Hz / 48 kHz a steady sine's second
// difference is 0.0170 of its amplitude; the invert fade (2 / 960 per sample) adds at most 0.12 of that,
// the -60 -> +24 dB level ramp in equal dB steps ends at 0.0101 * gain per sample, i.e. at most 0.6.
// So an honest worst case is about 1.6. A one-sample jump of h scores about h / (0.0170 * amplitude): a
// jump of 5 % of the amplitude already scores 3. The first difference of the sine is 0.1305 of its
// amplitude, so the ramps add at most 8 % to the largest step.
constexpr double kMaxClickScore = 2.0;
constexpr double kMaxStepRatio = 1.5;

TEST(Utility, ParameterStepsDoNotClick) {
    StepSpec spec;
    spec.eventFrames = 2400; // the 20 ms ramps, with margin
    struct Step {
        std::string_view id;
        float from;
        float to;
    };
    for (const Step s : {Step{"level_db", -60.f, 24.f}, Step{"level_db", 24.f, -60.f}, Step{"pan", -1.f, 1.f},
                         Step{"pan", 1.f, -1.f}, Step{"invert", 0.f, 1.f}, Step{"invert", 1.f, 0.f},
                         Step{"mono", 0.f, 1.f}, Step{"mono", 1.f, 0.f}}) {
        const StepResult r = stepParamMidSine<Utility>(spec, {}, s.id, s.from, s.to);
        std::printf(
            "[measured] utility %s %g -> %g: click score %.3f, step ratio %.3f (changed output by %.2f)\n",
            std::string(s.id).c_str(), s.from, s.to, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, kMaxClickScore) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_LE(r.stepRatio, kMaxStepRatio) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.01) << s.id << " " << s.from << " -> " << s.to << ": the step changed nothing";
    }
}

TEST(Utility, ClickScoreCatchesAHardStep) {
    // The measurement itself: an unsmoothed gain jump of the same sine must score far above the bound.
    StepSpec spec;
    const std::size_t frames = spec.stepAt + spec.eventFrames + spec.steadyFrames;
    std::vector<float> x = fadedSine(spec.freqHz, spec.sampleRate, frames, spec.amplitude, 480);
    // 12 frames after stepAt the sine is near a crest (at stepAt itself it crosses zero).
    for (std::size_t n = spec.stepAt + 12; n < frames; ++n)
        x[n] *= 0.5f;
    const Window before{spec.stepAt - spec.steadyFrames, spec.stepAt};
    const Window event{spec.stepAt, spec.stepAt + spec.eventFrames};
    const Window after{event.end, frames};
    EXPECT_GT(clickScore(x, event, before, after), 5 * kMaxClickScore);
}

} // namespace
} // namespace stagerack::test
