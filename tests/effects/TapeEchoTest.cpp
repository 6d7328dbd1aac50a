#include "effects/delay/TapeEcho.h"
#include "effects/dsp/Biquad.h"
#include "tests/support/Analysis.h"
#include "tests/support/EchoTesting.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numbers>

namespace stagerack::test {
namespace {

using fx::TapeEcho;
constexpr double kRate = 48000.0;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

// Clean, fixed tape: no wow or flutter, so the heads sit on whole samples.
const std::vector<ParamValue> kSteadyTape{{"wow", 0.f}, {"flutter", 0.f}, {"saturation", 0.f}};

std::vector<ParamValue> with(std::vector<ParamValue> base, const std::vector<ParamValue>& more) {
    base.insert(base.end(), more.begin(), more.end());
    return base;
}

// The record path as documented, computed independently in double: a one-pole 40 Hz low cut (bilinear,
// prewarped), the tone low-pass (the SVF's exact biquad), and the tape clipper x (27 + x^2) / (27 + 9 x^2)
// (held at +-1 beyond |x| = 3) at the drive of saturation 0.
std::vector<double> recordPathResponse(const std::vector<double>& x, float tone, double rate) {
    const double g = std::tan(std::numbers::pi * TapeEcho::kLowCutHz / rate);
    const double a = g / (1.0 + g);
    const dsp::BiquadCoeffs lp = dsp::SvfDesign::design(dsp::FilterKind::LowPass, rate,
                                                        TapeEcho::toneCutoffHz(tone), dsp::kButterworthQ)
                                     .toBiquad();
    double s = 0.0, z1 = 0.0, z2 = 0.0;
    std::vector<double> y(x.size());
    const double k = TapeEcho::kMinDrive;
    for (std::size_t n = 0; n < x.size(); ++n) {
        const double v = (x[n] - s) * a;
        const double low = v + s;
        s = low + v;
        const double hp = x[n] - low;
        const double t = lp.b0 * hp + z1;
        z1 = lp.b1 * hp - lp.a1 * t + z2;
        z2 = lp.b2 * hp - lp.a2 * t;
        const double c = std::clamp(t * k, -3.0, 3.0);
        y[n] = c * (27.0 + c * c) / (27.0 + 9.0 * c * c) / k;
    }
    return y;
}

std::size_t peakOf(const std::vector<double>& x) {
    std::size_t best = 0;
    for (std::size_t n = 1; n < x.size(); ++n)
        if (std::fabs(x[n]) > std::fabs(x[best])) best = n;
    return best;
}

// Local frequency of a sine from its upward zero crossings (linearly interpolated), averaged over `cycles`
// periods at a time: the largest relative deviation from `nominalHz`.
double worstPitchDeviation(std::span<const float> x, double rate, double nominalHz, std::size_t cycles = 10) {
    std::vector<double> crossings;
    for (std::size_t n = 1; n < x.size(); ++n)
        if (x[n - 1] < 0.f && x[n] >= 0.f)
            crossings.push_back(static_cast<double>(n - 1) + x[n - 1] / (x[n - 1] - x[n]));
    double worst = 0.0;
    for (std::size_t i = cycles; i < crossings.size(); i += cycles) {
        const double hz = static_cast<double>(cycles) * rate / (crossings[i] - crossings[i - cycles]);
        worst = std::max(worst, std::fabs(hz / nominalHz - 1.0));
    }
    return worst;
}

TEST(TapeEcho, MetadataIsComplete) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<TapeEcho>()).empty())
        << joined(metadataProblems(fx::infoOf<TapeEcho>()));
    EXPECT_EQ(TapeEcho::kId, "tape_echo");
    EXPECT_EQ(TapeEcho::kCategory, "delay");
    EXPECT_EQ(TapeEcho::kParams[TapeEcho::kSync].labels.size(), dsp::kSyncLabels.size());
    EXPECT_EQ(TapeEcho::kParams[TapeEcho::kSync].def, 0.f);
}

TEST(TapeEcho, HeadOneIsExactWithoutWowAndFlutter) {
    // A small impulse (the clipper is linear to 1e-5 there): the echo is the record path's own impulse
    // response, starting exactly time_ms later, and nothing comes before it.
    const float amp = 0.01f;
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        for (float ms : {20.f, 100.f, 375.f, 1000.f}) {
            const auto delay = static_cast<std::size_t>(std::lround(ms * rate / 1000.0));
            if (std::fabs(ms * rate / 1000.0 - static_cast<double>(delay)) > 1e-9) continue;
            const std::size_t at = 7;
            const std::size_t check = 2000;
            const StereoBuffer out = render<TapeEcho>(
                rate, 256, dualMono(impulse(at + delay + check, at, amp)),
                with(kSteadyTape, {{"time_ms", ms}, {"feedback", 0.f}, {"mix", 1.f}, {"tone", 0.7f}}));
            std::vector<double> x(check, 0.0);
            x[0] = amp;
            const std::vector<double> expected = recordPathResponse(x, 0.7f, rate);
            EXPECT_EQ(peak(slice(out.left, {0, at + delay})), 0.f) << rate << " Hz, " << ms << " ms";
            double worst = 0.0;
            for (std::size_t n = 0; n < check; ++n)
                worst = std::max(worst, std::fabs(out.left[at + delay + n] - expected[n]));
            EXPECT_LE(worst, 1e-4 * amp) << rate << " Hz, " << ms << " ms";
            if (rate == 48000.0 && ms == 100.f)
                std::printf(
                    "[measured] tape echo head 1 at 100 ms: starts at frame %zu (expected %zu), largest "
                    "deviation from the record path's response %.3g of the impulse\n",
                    at + delay, at + delay, worst / amp);
        }
    }
}

TEST(TapeEcho, HeadsTwoAndThreeAreTwiceAndThreeTimesTheTime) {
    const std::size_t delay = 4800; // 100 ms
    const std::size_t frames = 4 * delay;
    const float amp = 0.01f;
    const StereoBuffer out = render<TapeEcho>(
        kRate, 64, dualMono(impulse(frames, 0, amp)),
        with(kSteadyTape,
             {{"time_ms", 100.f}, {"feedback", 0.f}, {"mix", 1.f}, {"head2", 1.f}, {"head3", 1.f}}));
    std::vector<double> x(frames, 0.0);
    x[0] = amp;
    const std::vector<double> response = recordPathResponse(x, 0.5f, kRate);
    // Every head plays the same recording, 1/sqrt(3) each (three heads on), and nothing else is heard.
    const double norm = 1.0 / std::sqrt(3.0);
    double worst = 0.0;
    for (std::size_t n = 0; n < frames; ++n) {
        double expected = 0.0;
        for (std::size_t head = 1; head <= 3; ++head)
            if (n >= head * delay) expected += norm * response[n - head * delay];
        worst = std::max(worst, std::fabs(out.left[n] - expected));
    }
    EXPECT_EQ(peak(slice(out.left, {0, delay})), 0.f);
    EXPECT_LE(worst, 1e-4 * amp);
    std::printf("[measured] tape echo heads 1+2+3 at 100 ms: echoes start at frames %zu / %zu / %zu, each "
                "1/sqrt(3) of one head (largest deviation %.3g of the impulse)\n",
                delay, 2 * delay, 3 * delay, worst / amp);
}

TEST(TapeEcho, TempoSyncIsExactAndGlidesToANewTempo) {
    const std::size_t at = 10;
    const float amp = 0.01f;
    std::vector<double> x(400, 0.0);
    x[0] = amp;
    const std::vector<double> expected = recordPathResponse(x, 0.5f, kRate);
    auto startsAt = [&](const StereoBuffer& out, std::size_t from) {
        double worst = 0.0;
        for (std::size_t n = 0; n < expected.size(); ++n)
            worst = std::max(worst, std::fabs(out.left[from + n] - expected[n]));
        return worst <= 1e-4 * amp && peak(slice(out.left, {0, from})) == 0.f;
    };
    const std::vector<ParamValue> settings =
        with(kSteadyTape, {{"time_ms", 50.f}, {"sync", syncValue("1/8d")}, {"feedback", 0.f}, {"mix", 1.f}});
    // 120 BPM: a dotted eighth is 375 ms, 18000 frames.
    const StereoBuffer out =
        renderAtTempo<TapeEcho>(kRate, 64, dualMono(impulse(20000, at, amp)), 120.0, settings);
    EXPECT_TRUE(startsAt(out, at + 18000));
    // Starting at 100 BPM: 450 ms straight away (no glide from the 120 BPM default).
    const StereoBuffer slow =
        renderAtTempo<TapeEcho>(kRate, 64, dualMono(impulse(23000, at, amp)), 100.0, settings);
    EXPECT_TRUE(startsAt(slow, at + 21600));
    // 120 -> 100 BPM after 1 s: the motor glides to 450 ms and lands exactly (an impulse 8 s later).
    const std::size_t late = 9 * 48000;
    const StereoBuffer moved = renderAtTempo<TapeEcho>(kRate, 64, dualMono(impulse(late + 22000, late, amp)),
                                                       120.0, settings, {{48000, 100.0}});
    EXPECT_TRUE(startsAt(moved, late + 21600));
    std::printf("[measured] tape echo sync 1/8d: 120 BPM -> %zu frames, 100 BPM -> %zu frames (18000 / 21600 "
                "expected)\n",
                peakIndex(out.left) - at - peakOf(expected), peakIndex(moved.left) - late - peakOf(expected));
}

TEST(TapeEcho, EveryPassDarkensTheRepeats) {
    // Head 1 at 100 ms, feedback 0.5 (a loop gain of 0.55), tone 0.5 (4.24 kHz): each pass through the record
    // path multiplies the level by 0.55 |H(f)| of its filters, which loses far more at 5 kHz than at 500 Hz.
    const std::size_t delay = 4800;
    const std::size_t frames = 5 * delay;
    const float amp = 0.05f;
    const std::vector<ParamValue> settings =
        with(kSteadyTape, {{"time_ms", 100.f}, {"feedback", 0.5f}, {"mix", 1.f}, {"tone", 0.5f}});
    const double freqs[2] = {500.0, 5000.0};
    double perRepeat[2] = {0.0, 0.0};
    for (int i = 0; i < 2; ++i) {
        const double f = freqs[i];
        // A 3600-frame burst; 1920 frames (20 and 200 whole cycles) well inside each echo are measured.
        const StereoBuffer out =
            render<TapeEcho>(kRate, 64, dualMono(toneBurst(f, kRate, frames, 0, 3600, amp, 240)), settings);
        auto echoDb = [&](int n) {
            const std::size_t start = static_cast<std::size_t>(n) * delay;
            return goertzelDb(slice(out.left, {start + 600, start + 2520}), f, kRate);
        };
        std::vector<double> x(1, 1.0);
        const double lowCut = [&] {
            const double r = std::tan(std::numbers::pi * f / kRate) /
                             std::tan(std::numbers::pi * TapeEcho::kLowCutHz / kRate);
            return 20.0 * std::log10(r / std::sqrt(1.0 + r * r));
        }();
        const double tone = dsp::SvfDesign::design(dsp::FilterKind::LowPass, kRate,
                                                   TapeEcho::toneCutoffHz(0.5f), dsp::kButterworthQ)
                                .magnitudeDb(f);
        const double predicted = toDb(0.5 * TapeEcho::kMaxLoopGain) + lowCut + tone;
        const double first = echoDb(1) - toDb(amp);
        const double second = echoDb(2) - echoDb(1);
        const double third = echoDb(3) - echoDb(2);
        std::printf(
            "[measured] tape echo tone 0.5, %g Hz: first echo %+.3f dB (predicted %+.3f), each repeat "
            "%.3f / %.3f dB (predicted %.3f)\n",
            f, first, lowCut + tone, second, third, predicted);
        EXPECT_NEAR(first, lowCut + tone, 0.05) << f;
        EXPECT_NEAR(second, predicted, 0.05) << f;
        EXPECT_NEAR(third, predicted, 0.05) << f;
        perRepeat[i] = second;
    }
    std::printf("[measured] tape echo tone 0.5: 5 kHz loses %.2f dB more than 500 Hz per repeat\n",
                perRepeat[0] - perRepeat[1]);
    EXPECT_GT(perRepeat[0] - perRepeat[1], 3.0);
    // Older tape (tone 0) is darker still.
    const StereoBuffer dark =
        render<TapeEcho>(kRate, 64, dualMono(toneBurst(5000.0, kRate, frames, 0, 3600, amp, 240)),
                         with(settings, {{"tone", 0.f}}));
    const StereoBuffer bright =
        render<TapeEcho>(kRate, 64, dualMono(toneBurst(5000.0, kRate, frames, 0, 3600, amp, 240)),
                         with(settings, {{"tone", 1.f}}));
    const Window second{2 * delay + 600, 2 * delay + 2520};
    const double darkDb = goertzelDb(slice(dark.left, second), 5000.0, kRate);
    const double brightDb = goertzelDb(slice(bright.left, second), 5000.0, kRate);
    std::printf("[measured] tape echo 5 kHz second echo: tone 0 %.2f dB, tone 1 %.2f dB\n",
                darkDb - toDb(amp), brightDb - toDb(amp));
    EXPECT_GT(brightDb - darkDb, 30.0);
}

TEST(TapeEcho, WowAndFlutterBendThePitchAsDocumented) {
    const auto frames = static_cast<std::size_t>(5.0 * kRate);
    const std::size_t delay = 14400; // 300 ms
    const StereoBuffer input = dualMono(fadedSine(1000.0, kRate, frames, 0.1f, 480));
    const std::vector<ParamValue> base{
        {"time_ms", 300.f}, {"feedback", 0.f}, {"mix", 1.f}, {"saturation", 0.f}, {"tone", 1.f}};
    const Window echo{delay + 4800, frames};
    const StereoBuffer steady =
        render<TapeEcho>(kRate, 64, input, with(base, {{"wow", 0.f}, {"flutter", 0.f}}));
    const StereoBuffer wow = render<TapeEcho>(kRate, 64, input, with(base, {{"wow", 1.f}, {"flutter", 0.f}}));
    const StereoBuffer flutter =
        render<TapeEcho>(kRate, 64, input, with(base, {{"wow", 0.f}, {"flutter", 1.f}}));
    const double none = worstPitchDeviation(slice(steady.left, echo), kRate, 1000.0);
    const double wowDev = worstPitchDeviation(slice(wow.left, echo), kRate, 1000.0);
    const double flutterDev = worstPitchDeviation(slice(flutter.left, echo), kRate, 1000.0);
    std::printf(
        "[measured] tape echo pitch deviation of a 1 kHz echo: steady %.4f %%, wow 1 %.3f %%, flutter 1 "
        "%.3f %% (documented about 0.6 / 0.3 %%)\n",
        100 * none, 100 * wowDev, 100 * flutterDev);
    EXPECT_LT(none, 1e-5);
    EXPECT_GT(wowDev, 0.003);
    EXPECT_LT(wowDev, 0.009);
    EXPECT_GT(flutterDev, 0.0015);
    EXPECT_LT(flutterDev, 0.0055);
    // The randomness is a fixed seed: the same every time.
    const StereoBuffer again =
        render<TapeEcho>(kRate, 64, input, with(base, {{"wow", 1.f}, {"flutter", 1.f}}));
    const StereoBuffer again2 =
        render<TapeEcho>(kRate, 64, input, with(base, {{"wow", 1.f}, {"flutter", 1.f}}));
    EXPECT_EQ(maxAbsDiff(again.left, again2.left), 0.f);
}

TEST(TapeEcho, ALargeTimeJumpBendsThePitchByAtMostHalf) {
    // 1000 -> 100 ms: head 1 moves at most 0.5 samples per sample, i.e. the echo rises by at most 1.5x in
    // pitch (for the 1.8 s the 900 ms of travel take), and then settles back to 1x, like a tape machine
    // speeding up.
    const auto frames = static_cast<std::size_t>(8.0 * kRate);
    const std::size_t stepAt = 96000;
    const StereoBuffer out = render<TapeEcho>(
        kRate, 64, dualMono(fadedSine(500.0, kRate, frames, 0.1f, 480)),
        with(kSteadyTape, {{"time_ms", 1000.f}, {"feedback", 0.f}, {"mix", 1.f}, {"tone", 1.f}}),
        {{stepAt, {{"time_ms", 100.f}}}});
    ASSERT_TRUE(allFinite(out.left));
    const double bend = worstPitchDeviation(slice(out.left, {stepAt, frames}), kRate, 500.0, 4);
    const double settled = worstPitchDeviation(slice(out.left, {frames - 48000, frames}), kRate, 500.0, 4);
    std::printf(
        "[measured] tape echo time 1000 -> 100 ms: the echo's pitch peaks at %.3fx, settled %.5f %%\n",
        1.0 + bend, 100 * settled);
    EXPECT_GT(bend, 0.4);
    EXPECT_LT(bend, 0.52);
    EXPECT_LT(settled, 1e-4);
}

// The output is a sum of head reads: each is a cubic of tape samples bounded by the tape's ceiling
// (1 / kMinDrive = 1.5), and the cubic's weights add up to at most 1.25 in magnitude; three heads are scaled
// by 1 / sqrt(3): 3 * 1.25 * 1.5 / sqrt(3) = 3.25 (+10.2 dBFS), under the +12 dBFS (3.98) that is asserted.
constexpr float kBound = 3.98f;

TEST(TapeEcho, SelfOscillationIsBounded) {
    const std::vector<std::vector<ParamValue>> cases{
        {{"feedback", 1.f},
         {"head2", 1.f},
         {"head3", 1.f},
         {"saturation", 0.f},
         {"tone", 1.f},
         {"mix", 1.f},
         {"wow", 1.f},
         {"flutter", 1.f},
         {"time_ms", 100.f}},
        {{"feedback", 1.f}, {"saturation", 1.f}, {"tone", 0.f}, {"mix", 1.f}, {"time_ms", 20.f}},
        {{"feedback", 1.f}, {"head3", 1.f}, {"saturation", 0.3f}, {"mix", 0.5f}, {"time_ms", 1000.f}},
    };
    for (const auto& settings : cases) {
        const RingOutResult r = ringOut<TapeEcho>(kRate, settings, 1.0, 30.0);
        std::printf(
            "[measured] tape echo feedback 1 (time %g ms), 1 s full-scale burst + 30 s: peak %.3f (%.2f "
            "dBFS), last second %.3f, after the limiter %.3f (%.2f dBFS)\n",
            settings.back().value, r.effectPeak, toDb(r.effectPeak), r.latePeak, r.limitedPeak,
            toDb(r.limitedPeak));
        EXPECT_TRUE(r.finite);
        EXPECT_LT(r.effectPeak, kBound);
        EXPECT_LE(r.limitedPeak, 1.f);
    }
}

TEST(TapeEcho, BlockSizeInvariance) {
    const std::size_t frames = 40000;
    const StereoBuffer input = stereo(whiteNoise(frames, 171, 0.5f), whiteNoise(frames, 172, 0.5f));
    const float deviation = blockSizeDeviation<TapeEcho>(
        kRate, input,
        {{"time_ms", 37.f}, {"feedback", 0.7f}, {"wow", 0.6f}, {"flutter", 0.8f}, {"head3", 1.f}},
        {{0, {{"time_ms", 80.f}, {"mix", 0.7f}, {"head2", 1.f}, {"tone", 0.1f}, {"saturation", 0.9f}}},
         {17408,
          {{"time_ms", 25.f},
           {"feedback", 1.f},
           {"head1", 0.f},
           {"sync", syncValue("1/32")},
           {"wow", 0.f}}}});
    std::printf("[measured] tape echo block-size deviation %.3g\n", deviation);
    EXPECT_LE(deviation, 1e-5f);
}

TEST(TapeEcho, SampleRates) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        // Defaults without wow and flutter: finite, nothing before the first echo 300 ms after the input, and
        // the echo of a quiet 1 kHz burst at mix 0.35 times the record path's gain there (the same at every
        // rate).
        const auto echo = static_cast<std::size_t>(std::lround(0.3 * rate));
        const auto burst = static_cast<std::size_t>(0.05 * rate);
        const auto fade = static_cast<std::size_t>(0.005 * rate);
        const StereoBuffer out =
            render<TapeEcho>(rate, 256, dualMono(toneBurst(1000.0, rate, 2 * echo, 0, burst, 0.05f, fade)),
                             {{"wow", 0.f}, {"flutter", 0.f}});
        ASSERT_TRUE(allFinite(out.left) && allFinite(out.right)) << rate;
        EXPECT_EQ(peak(slice(out.left, {burst, echo})), 0.f) << rate;
        // 30 whole cycles inside the echo, clear of its fades.
        const Window w{echo + 2 * fade, echo + 2 * fade + static_cast<std::size_t>(0.03 * rate)};
        const double tone = dsp::SvfDesign::design(dsp::FilterKind::LowPass, rate,
                                                   TapeEcho::toneCutoffHz(0.5f), dsp::kButterworthQ)
                                .magnitudeDb(1000.0);
        const double levelDb = goertzelDb(slice(out.left, w), 1000.0, rate) - toDb(0.05 * 0.35);
        EXPECT_NEAR(levelDb, tone, 0.05) << rate;
        // Head 3 at the longest time (3 s) fits the preallocated tape at every rate, with wow and flutter.
        const auto longest = static_cast<std::size_t>(3.0 * rate);
        const StereoBuffer far = render<TapeEcho>(
            rate, 256, dualMono(toneBurst(1000.0, rate, longest + burst + rate / 100, 0, burst, 0.05f, fade)),
            {{"time_ms", 1000.f},
             {"head1", 0.f},
             {"head3", 1.f},
             {"mix", 1.f},
             {"feedback", 0.f},
             {"wow", 1.f},
             {"flutter", 1.f}});
        ASSERT_TRUE(allFinite(far.left)) << rate;
        EXPECT_EQ(peak(slice(far.left, {0, longest - static_cast<std::size_t>(0.004 * rate)})), 0.f) << rate;
        const Window echoed{longest + 2 * fade, longest + 2 * fade + static_cast<std::size_t>(0.03 * rate)};
        EXPECT_NEAR(goertzelDb(slice(far.left, echoed), 1000.0, rate) - toDb(0.05), 0.0, 0.5) << rate;
    }
}

TEST(TapeEcho, SilenceInSilenceOut) {
    const StereoBuffer silence = dualMono(constant(96000, 0.f));
    for (const auto& settings :
         std::vector<std::vector<ParamValue>>{{},
                                              {{"feedback", 1.f},
                                               {"mix", 1.f},
                                               {"head2", 1.f},
                                               {"head3", 1.f},
                                               {"wow", 1.f},
                                               {"flutter", 1.f}},
                                              {{"time_ms", 20.f}, {"feedback", 1.f}, {"saturation", 1.f}}}) {
        const StereoBuffer out = render<TapeEcho>(kRate, 64, silence, settings);
        EXPECT_EQ(peak(out.left), 0.f);
        EXPECT_EQ(peak(out.right), 0.f);
    }
    // Below self-oscillation a ringing loop ends in exact zeros, not in denormals.
    const auto frames = static_cast<std::size_t>(8.0 * kRate);
    const StereoBuffer rung =
        render<TapeEcho>(kRate, 64, dualMono(concat(whiteNoise(480, 181, 0.5f), constant(frames, 0.f))),
                         {{"time_ms", 20.f}, {"feedback", 0.7f}, {"mix", 1.f}});
    EXPECT_EQ(peak(slice(rung.left, {rung.frames() - 24000, rung.frames()})), 0.f);
}

TEST(TapeEcho, RandomParameterSoak) {
    const SoakResult soak = randomParamSoak<TapeEcho>(kRate, 4.0, 256, 4321, 0.5f);
    std::printf("[measured] tape echo soak peak %.3f (input %.3f)\n", soak.outputPeak, soak.inputPeak);
    EXPECT_TRUE(soak.finite);
    EXPECT_GT(soak.paramChanges, 1000u);
    EXPECT_LE(soak.outputPeak, soak.inputPeak + kBound);
}

TEST(TapeEcho, TailCoversTheRingOut) {
    const auto burst = static_cast<std::size_t>(0.1 * kRate);
    for (float fb : {0.f, 0.5f, 0.8f}) {
        TapeEcho e;
        prepareLikeHost(
            e, kRate, 256,
            with(kSteadyTape, {{"time_ms", 100.f}, {"feedback", fb}, {"mix", 1.f}, {"head2", 1.f}}));
        const std::size_t tail = e.tailSamples();
        StereoBuffer buf = dualMono(concat(whiteNoise(burst, 191, 0.5f), constant(tail + 48000, 0.f)));
        const float inputPeak = peak(buf.left);
        runBlocks(e, buf, kRate, 256);
        std::size_t last = 0;
        for (std::size_t n = 0; n < buf.frames(); ++n)
            if (std::fabs(buf.left[n]) > 1e-4f * inputPeak) last = n;
        const std::size_t ring = last + 1 - burst;
        std::printf("[measured] tape echo feedback %.2f: rings %zu frames past the input, tailSamples %zu\n",
                    fb, ring, tail);
        EXPECT_GE(tail, ring) << fb;
    }
    TapeEcho e;
    prepareLikeHost(e, kRate, 256, {{"feedback", 1.f}});
    EXPECT_EQ(e.tailSamples(), static_cast<uint32_t>(TapeEcho::kMaxTailSeconds * kRate));
}

// As for the delay: every change is a ramp or a crossfade of 20 ms or more. Feedback steps stay below
// self-oscillation (0.9 and up): a self-oscillating loop never reaches the steady state the score is measured
// against (its level wanders by 2x while it builds up and saturates), so from there the score measures the
// music, not a click; SelfOscillationIsBounded covers that range. Time changes glide the read heads
// (a pitch bend, as on tape): a step from 300 to 250 ms peaks at about 7 % pitch on head 1, which raises the
// second difference by about (1.07)^2.
constexpr double kMaxClickScore = 2.0;

TEST(TapeEcho, ParameterStepsDoNotClick) {
    StepSpec spec;
    spec.stepAt = 288000; // 6 s: 20 round trips of 300 ms, so the loop has settled before the step
    spec.freqHz = 1111.1;
    spec.steadyFrames = 9600;
    struct Step {
        std::string_view id;
        float from;
        float to;
        std::size_t eventFrames;
    };
    for (const Step s :
         {Step{"time_ms", 300.f, 250.f, 96000}, Step{"time_ms", 250.f, 300.f, 96000},
          Step{"sync", 0.f, 3.f, 96000}, Step{"feedback", 0.f, 0.8f, 48000},
          Step{"feedback", 0.8f, 0.f, 48000}, Step{"wow", 0.f, 1.f, 48000}, Step{"wow", 1.f, 0.f, 48000},
          Step{"flutter", 0.f, 1.f, 48000}, Step{"flutter", 1.f, 0.f, 48000},
          Step{"saturation", 0.f, 1.f, 48000}, Step{"saturation", 1.f, 0.f, 48000},
          Step{"tone", 0.f, 1.f, 48000}, Step{"tone", 1.f, 0.f, 48000}, Step{"mix", 0.f, 1.f, 4800},
          Step{"mix", 1.f, 0.f, 4800}, Step{"head1", 1.f, 0.f, 48000}, Step{"head2", 0.f, 1.f, 48000},
          Step{"head3", 0.f, 1.f, 48000}}) {
        spec.eventFrames = s.eventFrames;
        const StepResult r = stepParamMidSine<TapeEcho>(spec, {{"saturation", 0.5f}}, s.id, s.from, s.to);
        std::printf(
            "[measured] tape echo %s %g -> %g: click score %.3f, step ratio %.3f (changed output by %.2f)\n",
            std::string(s.id).c_str(), s.from, s.to, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, kMaxClickScore) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.01) << s.id << " " << s.from << " -> " << s.to << ": the step changed nothing";
    }
}

} // namespace
} // namespace stagerack::test
