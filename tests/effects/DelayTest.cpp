#include "effects/delay/Delay.h"
#include "tests/support/Analysis.h"
#include "tests/support/EchoTesting.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <numbers>

namespace stagerack::test {
namespace {

using fx::Delay;
constexpr double kRate = 48000.0;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

// The damping filter's magnitude, derived independently of the implementation: the bilinear transform of
// the analog one-pole 1 / (1 + s/wc) with the cutoff prewarped, |H| = 1 / sqrt(1 + (tan(pi f/fs) / tan(pi
// fc/fs))^2).
double onePoleMagnitude(double freqHz, double cutoffHz, double rate) {
    const double r =
        std::tan(std::numbers::pi * freqHz / rate) / std::tan(std::numbers::pi * cutoffHz / rate);
    return 1.0 / std::sqrt(1.0 + r * r);
}

double sum(std::span<const float> x) {
    double s = 0.0;
    for (float v : x)
        s += v;
    return s;
}

TEST(Delay, MetadataIsCompleteAndIdsAreStable) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<Delay>()).empty())
        << joined(metadataProblems(fx::infoOf<Delay>()));
    EXPECT_EQ(Delay::kId, "delay");
    EXPECT_EQ(Delay::kCategory, "delay");
    const std::array<std::string_view, Delay::kParamCount> ids{"time_ms",    "feedback", "mix",
                                                               "highcut_hz", "pingpong", "sync"};
    for (std::size_t i = 0; i < ids.size(); ++i)
        EXPECT_EQ(Delay::kParams[i].id, ids[i]);
    EXPECT_EQ(Delay::kParams[Delay::kTimeMs].taper, fx::Taper::Log);
    EXPECT_EQ(Delay::kParams[Delay::kHighcutHz].taper, fx::Taper::Log);
}

TEST(Delay, ImpulseComesOutOnTheExactSample) {
    struct Case {
        double rate;
        float ms;
        std::size_t frames; // the delay in frames that must come out
        bool integer;       // ms * rate / 1000 is a whole number
    };
    const Case cases[] = {
        {44100.0, 10.f, 441, true},      {44100.0, 100.f, 4410, true}, {44100.0, 500.f, 22050, true},
        {44100.0, 2000.f, 88200, true},  {48000.0, 1.f, 48, true},     {48000.0, 375.f, 18000, true},
        {48000.0, 2000.f, 96000, true},  {96000.0, 1.f, 96, true},     {96000.0, 375.f, 36000, true},
        {96000.0, 2000.f, 192000, true}, {44100.0, 1.f, 44, false}, // 44.1 frames
        {44100.0, 333.f, 14685, false},                             // 14685.3 frames
    };
    const std::size_t at = 10;
    for (const Case& c : cases) {
        const std::size_t frames = at + c.frames + 200;
        const StereoBuffer out = render<Delay>(c.rate, 256, dualMono(impulse(frames, at)),
                                               {{"time_ms", c.ms}, {"feedback", 0.f}, {"mix", 1.f}});
        for (const auto* ch : {&out.left, &out.right}) {
            EXPECT_EQ(peakIndex(*ch), at + c.frames) << c.rate << " Hz, " << c.ms << " ms";
            // Whole-sample delays are exact: one sample of exactly 1, nothing else.
            EXPECT_EQ((*ch)[at + c.frames], 1.f) << c.rate << " Hz, " << c.ms << " ms";
            EXPECT_EQ(sum(*ch), 1.0) << c.rate << " Hz, " << c.ms << " ms";
        }
    }
}

TEST(Delay, TimeChangeCrossfadesAndLandsExactly) {
    const std::size_t frames = 48000;
    const std::size_t at = 9600; // after the 50 ms crossfade from 100 ms to 250 ms
    const StereoBuffer out =
        render<Delay>(kRate, 64, dualMono(impulse(frames, at)),
                      {{"time_ms", 100.f}, {"feedback", 0.f}, {"mix", 1.f}}, {{0, {{"time_ms", 250.f}}}});
    EXPECT_EQ(peakIndex(out.left), at + 12000);
    EXPECT_EQ(out.left[at + 12000], 1.f);
    EXPECT_EQ(sum(out.left), 1.0);

    // An impulse just before the change is heard through both taps, split by the linear crossfade.
    const std::size_t early = 2000;
    const StereoBuffer split =
        render<Delay>(kRate, 64, dualMono(impulse(frames, early)),
                      {{"time_ms", 50.f}, {"feedback", 0.f}, {"mix", 1.f}}, {{2048, {{"time_ms", 40.f}}}});
    // The fade starts on the grid point at frame 2048 and runs 2400 frames; frame 2000 + 1920 (40 ms) is
    // 1872 frames into it, frame 2000 + 2400 (50 ms) 2352 frames in.
    EXPECT_NEAR(split.left[early + 1920], 1873.f / 2400.f, 1e-6f);
    EXPECT_NEAR(split.left[early + 2400], 1.f - 2353.f / 2400.f, 1e-6f);
    EXPECT_NEAR(sum(split.left), 1.0 + (1873.0 - 2353.0) / 2400.0, 1e-6);
}

TEST(Delay, FeedbackEchoesDecayByFeedbackPerRepeat) {
    const std::size_t delay = 4800; // 100 ms
    const std::size_t frames = 7 * delay;
    const double loss = onePoleMagnitude(1000.0, 20000.0, kRate);
    for (float fb : {0.35f, 0.7f, 1.f}) {
        const std::vector<ParamValue> settings{
            {"time_ms", 100.f}, {"feedback", fb}, {"mix", 1.f}, {"highcut_hz", 20000.f}};
        // The damping filter has unity gain at DC, so the area of each echo is exactly feedback^(n-1).
        const StereoBuffer out = render<Delay>(kRate, 64, dualMono(impulse(frames, 0, 0.5f)), settings);
        // A 1 kHz burst measures the level where it is heard; near Nyquist the loss per pass is tiny.
        const std::size_t burst = 2400;
        const StereoBuffer tone = render<Delay>(
            kRate, 64, dualMono(toneBurst(1000.0, kRate, frames, 0, burst, 0.5f, 240)), settings);
        for (int n = 1; n <= 6; ++n) {
            const std::size_t start = static_cast<std::size_t>(n) * delay;
            const double area = sum(slice(out.left, {start - 2, start + 400})) / 0.5;
            const double expected = std::pow(static_cast<double>(fb), n - 1);
            EXPECT_NEAR(toDb(area), toDb(expected), 0.01) << "feedback " << fb << " echo " << n;
            const Window steady{start + 600, start + 1800}; // 25 whole cycles inside the burst
            const double levelDb = goertzelDb(slice(tone.left, steady), 1000.0, kRate) - toDb(0.5);
            const double predicted = toDb(expected * std::pow(loss, n - 1));
            EXPECT_NEAR(levelDb, predicted, 0.01) << "feedback " << fb << " echo " << n;
            EXPECT_NEAR(levelDb, toDb(expected), 0.2) << "feedback " << fb << " echo " << n;
            if (n == 6)
                std::printf(
                    "[measured] delay feedback %.2f echo 6: area %.4f dB (expect %.4f), 1 kHz %.4f dB "
                    "(one-pole predicts %.4f)\n",
                    fb, toDb(area), toDb(expected), levelDb, predicted);
        }
    }
}

TEST(Delay, HighcutDampsEachRepeatAsTheFilterPredicts) {
    const double cutoff = 2000.0;
    const std::size_t delay = 9600; // 200 ms
    const std::size_t frames = 4 * delay;
    const std::vector<ParamValue> settings{
        {"time_ms", 200.f}, {"feedback", 0.5f}, {"mix", 1.f}, {"highcut_hz", static_cast<float>(cutoff)}};
    double relative[2] = {0.0, 0.0};
    const double freqs[2] = {500.0, 6000.0};
    for (int i = 0; i < 2; ++i) {
        const double f = freqs[i];
        const StereoBuffer out =
            render<Delay>(kRate, 64, dualMono(toneBurst(f, kRate, frames, 0, 4800, 0.5f, 240)), settings);
        auto echoDb = [&](int n) {
            const std::size_t start = static_cast<std::size_t>(n) * delay;
            return goertzelDb(slice(out.left, {start + 1200, start + 3600}), f,
                              kRate); // whole cycles of both
        };
        const double first = echoDb(1) - toDb(0.5);
        const double second = echoDb(2) - echoDb(1);
        const double third = echoDb(3) - echoDb(2);
        const double predicted = toDb(0.5 * onePoleMagnitude(f, cutoff, kRate));
        std::printf("[measured] delay highcut 2 kHz, %g Hz: first echo %+.4f dB, each repeat %.4f / %.4f dB "
                    "(predicted %.4f dB)\n",
                    f, first, second, third, predicted);
        EXPECT_NEAR(first, 0.0, 0.001) << f << " Hz: the first echo is not filtered";
        EXPECT_NEAR(second, predicted, 0.05) << f << " Hz";
        EXPECT_NEAR(third, predicted, 0.05) << f << " Hz";
        relative[i] = second;
    }
    const double predictedTilt =
        toDb(onePoleMagnitude(freqs[1], cutoff, kRate) / onePoleMagnitude(freqs[0], cutoff, kRate));
    std::printf("[measured] delay highcut: 6 kHz vs 500 Hz per repeat %.4f dB (predicted %.4f dB)\n",
                relative[1] - relative[0], predictedTilt);
    EXPECT_NEAR(relative[1] - relative[0], predictedTilt, 0.05);
}

TEST(Delay, PingPongAlternatesSides) {
    const std::size_t delay = 4800;
    const std::size_t frames = 6 * delay;
    const std::vector<ParamValue> settings{
        {"time_ms", 100.f}, {"feedback", 0.5f}, {"mix", 1.f}, {"highcut_hz", 20000.f}, {"pingpong", 1.f}};
    // The input is summed to mono, so an impulse on either side starts on the left.
    for (bool fromLeft : {true, false}) {
        const std::vector<float> pulse = impulse(frames, 0);
        const std::vector<float> none(frames, 0.f);
        const StereoBuffer out =
            render<Delay>(kRate, 64, fromLeft ? stereo(pulse, none) : stereo(none, pulse), settings);
        for (int n = 1; n <= 5; ++n) {
            const std::size_t start = static_cast<std::size_t>(n) * delay;
            const Window w{start, start + 400};
            const bool left = (n % 2) == 1;
            const auto& loud = left ? out.left : out.right;
            const auto& quiet = left ? out.right : out.left;
            EXPECT_NEAR(sum(slice(loud, w)), 0.5 * std::pow(0.5, n - 1), 1e-6) << "echo " << n;
            EXPECT_EQ(peak(slice(quiet, w)), 0.f) << "echo " << n << " leaked to the other side";
        }
    }
    // Without ping-pong each side echoes on itself only.
    const StereoBuffer straight =
        render<Delay>(kRate, 64, stereo(impulse(frames, 0), std::vector<float>(frames, 0.f)),
                      {{"time_ms", 100.f}, {"feedback", 0.5f}, {"mix", 1.f}});
    EXPECT_EQ(peak(straight.right), 0.f);
    EXPECT_NEAR(sum(slice(straight.left, {2 * delay, 2 * delay + 400})), 0.5, 1e-6);
}

TEST(Delay, MixZeroIsExactlyDry) {
    const std::size_t frames = 48000;
    const StereoBuffer input = stereo(whiteNoise(frames, 51, 0.9f), whiteNoise(frames, 52, 0.9f));
    for (bool pingpong : {false, true}) {
        const StereoBuffer out = render<Delay>(
            kRate, 64, input,
            {{"time_ms", 10.f}, {"feedback", 0.9f}, {"mix", 0.f}, {"pingpong", pingpong ? 1.f : 0.f}});
        for (std::size_t n = 0; n < frames; ++n) {
            ASSERT_EQ(out.left[n], input.left[n]) << n;
            ASSERT_EQ(out.right[n], input.right[n]) << n;
        }
    }
    // And mix 1 without feedback is the input delayed, sample for sample.
    const StereoBuffer wet =
        render<Delay>(kRate, 64, input, {{"time_ms", 10.f}, {"feedback", 0.f}, {"mix", 1.f}});
    for (std::size_t n = 480; n < frames; ++n)
        ASSERT_EQ(wet.left[n], input.left[n - 480]) << n;
}

TEST(Delay, FeedbackOfOneCannotRunAway) {
    // 1 kHz with 100 ms spacing: every repeat adds in phase, the worst case for build-up.
    const auto frames = static_cast<std::size_t>(10 * kRate);
    const StereoBuffer out =
        render<Delay>(kRate, 256, dualMono(sine(1000.0, kRate, frames, 1.f)),
                      {{"time_ms", 100.f}, {"feedback", 1.f}, {"mix", 1.f}, {"highcut_hz", 20000.f}});
    ASSERT_TRUE(allFinite(out.left));
    // The wet signal is a line sample, at most |input| + the feedback limit.
    const float bound = 1.f + Delay::kFeedbackLimit;
    const float late = peak(slice(out.left, {frames - 48000, frames}));
    std::printf(
        "[measured] delay feedback 1.0 with 0 dBFS in-phase input: peak %.3f after 10 s (bound %.1f)\n",
        peak(out.left), bound);
    EXPECT_LE(peak(out.left), bound);
    EXPECT_GT(late, 2.f); // it did build up (so the limiter was tested), and then it stopped
}

TEST(Delay, TailCoversTheRingOut) {
    const std::size_t delay = 9600; // 200 ms
    const auto burst = static_cast<std::size_t>(0.1 * kRate);
    for (float fb : {0.f, 0.35f, 0.7f}) {
        Delay d;
        prepareLikeHost(d, kRate, 256,
                        {{"time_ms", 200.f}, {"feedback", fb}, {"highcut_hz", 20000.f}, {"mix", 1.f}});
        const std::size_t tail = d.tailSamples();
        StereoBuffer buf = dualMono(concat(whiteNoise(burst, 61, 0.5f), constant(tail + 4 * delay, 0.f)));
        const float inputPeak = peak(buf.left);
        runBlocks(d, buf, kRate, 256);
        // The last frame at which the output is still above -80 dB of the input's peak.
        std::size_t last = 0;
        for (std::size_t n = 0; n < buf.frames(); ++n)
            if (std::fabs(buf.left[n]) > 1e-4f * inputPeak) last = n;
        const std::size_t ringOut = last + 1 - burst; // counted from the end of the input, like the host does
        std::printf("[measured] delay feedback %.2f: rings %zu frames past the input, tailSamples %zu\n", fb,
                    ringOut, tail);
        EXPECT_GE(tail, ringOut) << "feedback " << fb;
        EXPECT_LE(tail, ringOut + 2 * delay) << "feedback " << fb << ": tail grossly overstated";
    }
    Delay d;
    prepareLikeHost(d, kRate, 256, {{"feedback", 1.f}});
    EXPECT_EQ(d.tailSamples(), static_cast<uint32_t>(Delay::kMaxTailSeconds * kRate));
}

TEST(Delay, BlockSizeInvariance) {
    const std::size_t frames = 40000;
    const StereoBuffer input = stereo(whiteNoise(frames, 71, 0.5f), whiteNoise(frames, 72, 0.5f));
    const float deviation = blockSizeDeviation<Delay>(
        kRate, input, {{"time_ms", 37.f}, {"feedback", 0.6f}, {"highcut_hz", 3000.f}},
        {{0, {{"time_ms", 80.f}, {"mix", 0.7f}, {"pingpong", 1.f}, {"highcut_hz", 12000.f}}},
         {17408,
          {{"time_ms", 5.f}, {"feedback", 0.95f}, {"highcut_hz", 400.f}, {"pingpong", 0.f}, {"mix", 0.4f}}}});
    std::printf("[measured] delay block-size deviation %.3g\n", deviation);
    EXPECT_LE(deviation, 1e-5f);
}

TEST(Delay, SampleRates) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        // Defaults (375 ms, mix 0.3, feedback 0.35): the dry part now, the unfiltered first echo later.
        const auto echo = static_cast<std::size_t>(std::lround(375.0 * rate / 1000.0));
        const StereoBuffer out = render<Delay>(rate, 256, dualMono(impulse(2 * echo + 100, 0)));
        ASSERT_TRUE(allFinite(out.left) && allFinite(out.right)) << rate;
        EXPECT_EQ(out.left[0], 1.f - 0.3f) << rate;
        EXPECT_EQ(out.left[echo], 0.3f) << rate;
        EXPECT_EQ(sum(slice(out.left, {1, echo})), 0.0) << rate;
        // The longest time fits the preallocated line at every rate.
        const auto longest = static_cast<std::size_t>(2.0 * rate);
        const StereoBuffer far = render<Delay>(rate, 256, dualMono(impulse(longest + 100, 0)),
                                               {{"time_ms", 2000.f}, {"mix", 1.f}, {"feedback", 0.f}});
        EXPECT_EQ(peakIndex(far.left), longest) << rate;
        EXPECT_EQ(far.left[longest], 1.f) << rate;
    }
}

TEST(Delay, SilenceInSilenceOut) {
    const StereoBuffer silence = dualMono(constant(96000, 0.f));
    for (const auto& settings :
         std::vector<std::vector<ParamValue>>{{},
                                              {{"feedback", 1.f}, {"mix", 1.f}, {"pingpong", 1.f}},
                                              {{"time_ms", 1.f}, {"feedback", 1.f}}}) {
        const StereoBuffer out = render<Delay>(kRate, 64, silence, settings);
        EXPECT_EQ(peak(out.left), 0.f);
        EXPECT_EQ(peak(out.right), 0.f);
    }
    // A ringing loop ends in exact zeros, not in a stream of denormals: 10 ms repeats at feedback 0.9 pass
    // 1e-20 after about 440 repeats (4.4 s).
    const auto frames = static_cast<std::size_t>(6.0 * kRate);
    const StereoBuffer rung =
        render<Delay>(kRate, 64, dualMono(concat(whiteNoise(480, 81, 0.5f), constant(frames, 0.f))),
                      {{"time_ms", 10.f}, {"feedback", 0.9f}, {"mix", 1.f}});
    EXPECT_EQ(peak(slice(rung.left, {rung.frames() - 24000, rung.frames()})), 0.f);
}

TEST(Delay, RandomParameterSoak) {
    const SoakResult soak = randomParamSoak<Delay>(kRate, 4.0, 256, 9876, 0.5f);
    EXPECT_TRUE(soak.finite);
    EXPECT_GT(soak.paramChanges, 1000u);
    // The wet signal is a (crossfade of) line samples, each at most |input| + the feedback limit.
    EXPECT_LE(soak.outputPeak, soak.inputPeak + Delay::kFeedbackLimit);
    std::printf("[measured] delay soak peak %.3f (input %.3f)\n", soak.outputPeak, soak.inputPeak);
}

// Bounds, as for the utility and the gate: every change is a crossfade or a ramp of 20-50 ms, adding at
// most a kink to the second difference. The largest is the wet/dry ramp (1/960 per sample times |wet - dry|
// <= 2 * amplitude: 0.1 of the steady second difference, 0.0211 * amplitude at 1111 Hz); the tap
// crossfade is slower still. Switching taps without the crossfade scores 5 to 11 here (checked by hand).
constexpr double kMaxClickScore = 2.0;
constexpr double kMaxStepRatio = 1.5;

TEST(Delay, ParameterStepsDoNotClick) {
    StepSpec spec;
    spec.stepAt = 120000; // 2.5 s: the 2000 ms tap already holds the (faded-in) sine
    // Not a whole number of cycles in 1, 375 or 2000 ms (997 Hz is almost in phase at 1 ms and exactly at 2
    // s, which would hide a time change).
    spec.freqHz = 1111.1;
    spec.steadyFrames = 9600;
    struct Step {
        std::string_view id;
        float from;
        float to;
        std::size_t eventFrames; // long enough for the change to reach the echoes it affects
    };
    for (const Step s : {Step{"time_ms", 1.f, 2000.f, 4800}, Step{"time_ms", 2000.f, 1.f, 4800},
                         Step{"feedback", 0.f, 1.f, 48000}, Step{"feedback", 1.f, 0.f, 48000},
                         Step{"mix", 0.f, 1.f, 4800}, Step{"mix", 1.f, 0.f, 4800},
                         Step{"highcut_hz", 200.f, 20000.f, 48000}, Step{"highcut_hz", 20000.f, 200.f, 48000},
                         Step{"pingpong", 0.f, 1.f, 48000}, Step{"pingpong", 1.f, 0.f, 48000}}) {
        spec.eventFrames = s.eventFrames;
        const StepResult r = stepParamMidSine<Delay>(spec, {}, s.id, s.from, s.to);
        std::printf(
            "[measured] delay %s %g -> %g: click score %.3f, step ratio %.3f (changed output by %.2f)\n",
            std::string(s.id).c_str(), s.from, s.to, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, kMaxClickScore) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_LE(r.stepRatio, kMaxStepRatio) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.01) << s.id << " " << s.from << " -> " << s.to << ": the step changed nothing";
    }
}

TEST(Delay, TurningTheTimeKnobDoesNotClick) {
    // A knob sweep: a new time every 10 ms (faster than the 50 ms crossfade), 100 ms up to 1000 ms.
    const std::size_t stepAt = 120000;
    const std::size_t frames = stepAt + 48000 + 9600;
    std::vector<ParamEvent> events;
    for (int i = 0; i <= 30; ++i)
        events.push_back({stepAt + static_cast<std::size_t>(i) * 512,
                          {{"time_ms", 100.f + 30.f * static_cast<float>(i)}}});
    const StereoBuffer out = render<Delay>(kRate, 64, dualMono(fadedSine(997.0, kRate, frames, 0.25f, 480)),
                                           {{"time_ms", 100.f}}, events);
    const Window before{stepAt - 9600, stepAt};
    const Window event{stepAt, stepAt + 48000};
    const Window after{event.end, frames};
    const double score = clickScore(out.left, event, before, after);
    const double steps = stepRatio(out.left, event, before, after);
    std::printf("[measured] delay time sweep 100 -> 1000 ms: click score %.3f, step ratio %.3f\n", score,
                steps);
    EXPECT_LE(score, kMaxClickScore);
    EXPECT_LE(steps, kMaxStepRatio);
}

TEST(Delay, SyncDefaultsToOffAndListsTheNoteValues) {
    const fx::ParamInfo& sync = Delay::kParams[Delay::kSync];
    EXPECT_EQ(sync.taper, fx::Taper::Enum);
    EXPECT_EQ(sync.def, 0.f);
    ASSERT_EQ(sync.labels.size(), dsp::kSyncLabels.size());
    EXPECT_EQ(sync.labels[0], "off");
    // The existing parameters keep their ranges and defaults.
    EXPECT_EQ(Delay::kParams[Delay::kTimeMs].min, 1.f);
    EXPECT_EQ(Delay::kParams[Delay::kTimeMs].max, 2000.f);
    EXPECT_EQ(Delay::kParams[Delay::kTimeMs].def, 375.f);
}

TEST(Delay, TempoSyncIsExactAndFollowsTempoChanges) {
    const std::size_t at = 10;
    // A dotted eighth at 120 BPM is 375 ms: 18000 frames at 48 kHz, whatever time_ms says.
    const std::size_t frames = 48000;
    const StereoBuffer out = renderAtTempo<Delay>(
        kRate, 64, dualMono(impulse(frames, at)), 120.0,
        {{"time_ms", 100.f}, {"sync", syncValue("1/8d")}, {"feedback", 0.f}, {"mix", 1.f}});
    EXPECT_EQ(peakIndex(out.left), at + 18000);
    EXPECT_EQ(out.left[at + 18000], 1.f);
    EXPECT_EQ(sum(out.left), 1.0);
    std::printf("[measured] delay sync 1/8d at 120 BPM: impulse back after %zu frames (18000 expected)\n",
                peakIndex(out.left) - at);

    // Starting at 100 BPM: 450 ms straight away, not a crossfade from the 120 BPM the effect assumed before
    // its first block.
    const StereoBuffer slow =
        renderAtTempo<Delay>(kRate, 64, dualMono(impulse(frames, at)), 100.0,
                             {{"sync", syncValue("1/8d")}, {"feedback", 0.f}, {"mix", 1.f}});
    EXPECT_EQ(peakIndex(slow.left), at + 21600);
    EXPECT_EQ(slow.left[at + 21600], 1.f);
    EXPECT_EQ(sum(slow.left), 1.0);

    // The tempo moves to 100 BPM: after the 50 ms crossfade the dotted eighth is 450 ms (21600 frames).
    const std::size_t late = 9600;
    const StereoBuffer moved =
        renderAtTempo<Delay>(kRate, 64, dualMono(impulse(frames, late)), 120.0,
                             {{"sync", syncValue("1/8d")}, {"feedback", 0.f}, {"mix", 1.f}}, {{4800, 100.0}});
    EXPECT_EQ(peakIndex(moved.left), late + 21600);
    EXPECT_EQ(moved.left[late + 21600], 1.f);
    EXPECT_EQ(sum(moved.left), 1.0);
    std::printf("[measured] delay sync 1/8d after 120 -> 100 BPM: %zu frames (21600 expected)\n",
                peakIndex(moved.left) - late);

    // The change itself crossfades like a time change: an impulse that is under the old tap during the fade
    // comes out of it scaled by the linear crossfade, and again, whole, from the new tap once that is in.
    const StereoBuffer during = renderAtTempo<Delay>(
        kRate, 64, dualMono(impulse(frames, 2000)), 120.0,
        {{"sync", syncValue("1/8d")}, {"feedback", 0.f}, {"mix", 1.f}}, {{19968, 100.0}});
    // The fade starts at frame 19968 (a grid point) and lasts 2400 frames: frame 2000 + 18000 is 33 frames
    // into it; it has ended before frame 2000 + 21600.
    EXPECT_NEAR(during.left[20000], 1.f - 33.f / 2400.f, 1e-6f);
    EXPECT_EQ(during.left[2000 + 21600], 1.f);
    EXPECT_NEAR(sum(during.left), 2.0 - 33.0 / 2400.0, 1e-6);

    // Sync off again: time_ms rules.
    const StereoBuffer off = renderAtTempo<Delay>(kRate, 64, dualMono(impulse(frames, at)), 90.0,
                                                  {{"time_ms", 100.f}, {"feedback", 0.f}, {"mix", 1.f}});
    EXPECT_EQ(peakIndex(off.left), at + 4800);
}

TEST(Delay, SyncedTimesAreCappedAtTheLongestDelay) {
    // A whole note at 60 BPM is 4 s: the line holds 2 s, so the echo comes at 2000 ms.
    const auto frames = static_cast<std::size_t>(2.5 * kRate);
    const StereoBuffer out =
        renderAtTempo<Delay>(kRate, 256, dualMono(impulse(frames, 0)), 60.0,
                             {{"sync", syncValue("1/1")}, {"feedback", 0.f}, {"mix", 1.f}});
    EXPECT_EQ(peakIndex(out.left), 96000u);
}

TEST(Delay, SyncBlockSizeInvarianceAndBoundedSelfOscillation) {
    const std::size_t frames = 40000;
    const StereoBuffer input = stereo(whiteNoise(frames, 73, 0.5f), whiteNoise(frames, 74, 0.5f));
    const float deviation =
        blockSizeDeviation<Delay>(kRate, input, {{"sync", syncValue("1/16")}, {"feedback", 0.6f}},
                                  {{17408, {{"sync", syncValue("1/32t")}, {"mix", 0.8f}}}});
    std::printf("[measured] delay (synced) block-size deviation %.3g\n", deviation);
    EXPECT_LE(deviation, 1e-5f);

    const RingOutResult r = ringOut<Delay>(
        kRate, {{"feedback", 1.f}, {"mix", 1.f}, {"highcut_hz", 20000.f}, {"time_ms", 100.f}}, 1.0, 30.0);
    std::printf("[measured] delay feedback 1, 1 s full-scale burst, 30 s ring-out: peak %.3f (%.2f dBFS), "
                "last second %.3f, after the limiter %.3f (%.2f dBFS)\n",
                r.effectPeak, toDb(r.effectPeak), r.latePeak, r.limitedPeak, toDb(r.limitedPeak));
    EXPECT_TRUE(r.finite);
    EXPECT_LE(r.effectPeak, 1.f + Delay::kFeedbackLimit);
    EXPECT_LE(r.limitedPeak, 1.f);
}

} // namespace
} // namespace stagerack::test
