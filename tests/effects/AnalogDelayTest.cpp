#include "effects/delay/AnalogDelay.h"
#include "effects/dsp/Biquad.h"
#include "tests/support/Analysis.h"
#include "tests/support/EchoTesting.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

namespace stagerack::test {
namespace {

using fx::AnalogDelay;
constexpr double kRate = 48000.0;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

std::vector<ParamValue> with(std::vector<ParamValue> base, const std::vector<ParamValue>& more) {
    base.insert(base.end(), more.begin(), more.end());
    return base;
}

// The anti-alias and the reconstruction filter as documented (two 12 dB/octave Butterworth low-passes at the
// same cutoff; the SVF's exact biquad), run in double over `x`.
std::vector<double> bbdFilters(const std::vector<double>& x, double cutoffHz, double rate) {
    const dsp::BiquadCoeffs c =
        dsp::SvfDesign::design(dsp::FilterKind::LowPass, rate, cutoffHz, dsp::kButterworthQ).toBiquad();
    std::vector<double> y = x;
    for (int pass = 0; pass < 2; ++pass) {
        double z1 = 0.0, z2 = 0.0;
        for (double& v : y) {
            const double in = v;
            v = c.b0 * in + z1;
            z1 = c.b1 * in - c.a1 * v + z2;
            z2 = c.b2 * in - c.a2 * v;
        }
    }
    return y;
}

double bbdDb(double freqHz, double cutoffHz, double rate) {
    return 2.0 * dsp::SvfDesign::design(dsp::FilterKind::LowPass, rate, cutoffHz, dsp::kButterworthQ)
                     .magnitudeDb(freqHz);
}

std::size_t peakOf(const std::vector<double>& x) {
    std::size_t best = 0;
    for (std::size_t n = 1; n < x.size(); ++n)
        if (std::fabs(x[n]) > std::fabs(x[best])) best = n;
    return best;
}

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

const std::vector<ParamValue> kDry{{"mod_depth", 0.f}, {"feedback", 0.f}, {"mix", 1.f}};

TEST(AnalogDelay, MetadataIsComplete) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<AnalogDelay>()).empty())
        << joined(metadataProblems(fx::infoOf<AnalogDelay>()));
    EXPECT_EQ(AnalogDelay::kId, "analog_delay");
    EXPECT_EQ(AnalogDelay::kCategory, "delay");
    EXPECT_EQ(AnalogDelay::kParams[AnalogDelay::kSync].labels.size(), dsp::kSyncLabels.size());
}

TEST(AnalogDelay, EchoIsTheBbdFiltersExactlyTimeMsLater) {
    // A small impulse (the clipper is linear there): the echo is the two filters' impulse response starting
    // exactly at time_ms, and its peak lies just after it (by the filters' group delay).
    const float amp = 0.01f;
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        for (float ms : {20.f, 100.f, 300.f, 600.f}) {
            const auto delay = static_cast<std::size_t>(std::lround(ms * rate / 1000.0));
            const std::size_t at = 5;
            const std::size_t check = 2000;
            const StereoBuffer out = render<AnalogDelay>(
                rate, 256, dualMono(impulse(at + delay + check, at, amp)), with(kDry, {{"time_ms", ms}}));
            std::vector<double> x(check, 0.0);
            x[0] = amp;
            const double fc = AnalogDelay::filterCutoffHz(ms, 0.5f, rate);
            const std::vector<double> expected = bbdFilters(x, fc, rate);
            EXPECT_EQ(peak(slice(out.left, {0, at + delay})), 0.f) << rate << " Hz, " << ms << " ms";
            double worst = 0.0;
            for (std::size_t n = 0; n < check; ++n)
                worst = std::max(worst, std::fabs(out.left[at + delay + n] - expected[n]));
            EXPECT_LE(worst, 1e-4 * amp) << rate << " Hz, " << ms << " ms";
            const double peakMs = static_cast<double>(peakIndex(out.left) - at) * 1000.0 / rate;
            EXPECT_GE(peakMs, ms);
            EXPECT_LE(peakMs, ms + 1.0 / (fc / 1000.0)); // within one period of the cutoff
            if (rate == 48000.0)
                std::printf(
                    "[measured] analog delay %g ms: echo starts at %.4f ms, peaks at %.3f ms (filters at "
                    "%.0f Hz), deviation from the filters' response %.3g of the impulse\n",
                    ms, static_cast<double>(delay) * 1000.0 / rate, peakMs, fc, worst / amp);
        }
    }
}

TEST(AnalogDelay, TempoSyncIsExactAndGlidesToANewTempo) {
    const std::size_t at = 10;
    const float amp = 0.01f;
    std::vector<double> x(400, 0.0);
    x[0] = amp;
    auto startsAt = [&](const StereoBuffer& out, std::size_t from, double ms) {
        const std::vector<double> expected =
            bbdFilters(x, AnalogDelay::filterCutoffHz(ms, 0.5f, kRate), kRate);
        double worst = 0.0;
        for (std::size_t n = 0; n < expected.size(); ++n)
            worst = std::max(worst, std::fabs(out.left[from + n] - expected[n]));
        return worst <= 1e-4 * amp && peak(slice(out.left, {0, from})) == 0.f;
    };
    const std::vector<ParamValue> settings = with(kDry, {{"time_ms", 50.f}, {"sync", syncValue("1/8d")}});
    const StereoBuffer out =
        renderAtTempo<AnalogDelay>(kRate, 64, dualMono(impulse(20000, at, amp)), 120.0, settings);
    EXPECT_TRUE(startsAt(out, at + 18000, 375.0));
    const StereoBuffer slow =
        renderAtTempo<AnalogDelay>(kRate, 64, dualMono(impulse(23000, at, amp)), 100.0, settings);
    EXPECT_TRUE(startsAt(slow, at + 21600, 450.0));
    const std::size_t late = 4 * 48000;
    const StereoBuffer moved = renderAtTempo<AnalogDelay>(
        kRate, 64, dualMono(impulse(late + 22000, late, amp)), 120.0, settings, {{48000, 100.0}});
    EXPECT_TRUE(startsAt(moved, late + 21600, 450.0));
    // A quarter at 120 BPM is 500 ms, within range; a whole note (2 s) is held at 600 ms.
    const StereoBuffer whole = renderAtTempo<AnalogDelay>(kRate, 64, dualMono(impulse(30000, at, amp)), 120.0,
                                                          with(kDry, {{"sync", syncValue("1/1")}}));
    EXPECT_TRUE(startsAt(whole, at + 28800, 600.0));
    std::printf(
        "[measured] analog delay sync 1/8d: 120 BPM -> %zu frames, 100 BPM -> %zu frames (18000 / 21600 "
        "expected, each plus the filters' %zu-frame peak delay)\n",
        peakIndex(out.left) - at, peakIndex(moved.left) - late,
        peakOf(bbdFilters(x, AnalogDelay::filterCutoffHz(375.0, 0.5f, kRate), kRate)));
}

TEST(AnalogDelay, RepeatsGetDarkerAndLongerTimesAreDarker) {
    const std::size_t delay = 14400; // 300 ms: filters at 3 kHz
    const std::size_t frames = 4 * delay;
    const float amp = 0.05f;
    const std::vector<ParamValue> settings{
        {"time_ms", 300.f}, {"feedback", 0.5f}, {"mix", 1.f}, {"mod_depth", 0.f}};
    const double fc = AnalogDelay::filterCutoffHz(300.0, 0.5f, kRate);
    double perRepeat[2] = {0.0, 0.0};
    const double freqs[2] = {500.0, 5000.0};
    for (int i = 0; i < 2; ++i) {
        const double f = freqs[i];
        const StereoBuffer out = render<AnalogDelay>(
            kRate, 64, dualMono(toneBurst(f, kRate, frames, 0, 9600, amp, 480)), settings);
        auto echoDb = [&](int n) {
            const std::size_t start = static_cast<std::size_t>(n) * delay;
            return goertzelDb(slice(out.left, {start + 1200, start + 8880}), f, kRate); // 80 / 800 cycles
        };
        const double first = echoDb(1) - toDb(amp);
        const double second = echoDb(2) - echoDb(1);
        const double predicted = toDb(0.5 * AnalogDelay::kMaxLoopGain) + bbdDb(f, fc, kRate);
        std::printf(
            "[measured] analog delay 300 ms, %g Hz: first echo %+.3f dB (predicted %+.3f), each repeat "
            "%.3f dB (predicted %.3f)\n",
            f, first, bbdDb(f, fc, kRate), second, predicted);
        EXPECT_NEAR(first, bbdDb(f, fc, kRate), 0.05) << f;
        EXPECT_NEAR(second, predicted, 0.05) << f;
        perRepeat[i] = second;
    }
    std::printf("[measured] analog delay 300 ms: 5 kHz loses %.2f dB more than 500 Hz per repeat\n",
                perRepeat[0] - perRepeat[1]);
    EXPECT_GT(perRepeat[0] - perRepeat[1], 15.0);
    // The first echo at 3 kHz: 100 ms (filters at 9 kHz) is nearly flat, 600 ms (1.5 kHz) much darker.
    double level[2];
    const float times[2] = {100.f, 600.f};
    for (int i = 0; i < 2; ++i) {
        const auto d = static_cast<std::size_t>(times[i] * 48);
        const StereoBuffer out =
            render<AnalogDelay>(kRate, 64, dualMono(toneBurst(3000.0, kRate, d + 9600, 0, 4800, amp, 480)),
                                with(kDry, {{"time_ms", times[i]}}));
        level[i] = goertzelDb(slice(out.left, {d + 960, d + 3840}), 3000.0, kRate) - toDb(amp);
        EXPECT_NEAR(level[i], bbdDb(3000.0, AnalogDelay::filterCutoffHz(times[i], 0.5f, kRate), kRate), 0.05);
    }
    std::printf("[measured] analog delay first echo at 3 kHz: %.2f dB at 100 ms, %.2f dB at 600 ms\n",
                level[0], level[1]);
    EXPECT_GT(level[0] - level[1], 10.0);
}

TEST(AnalogDelay, ModulationBendsThePitchAsDocumented) {
    const auto frames = static_cast<std::size_t>(4.0 * kRate);
    const StereoBuffer input = dualMono(fadedSine(1000.0, kRate, frames, 0.1f, 480));
    const std::vector<ParamValue> base{{"time_ms", 100.f}, {"feedback", 0.f}, {"mix", 1.f}, {"tone", 1.f}};
    const Window echo{9600, frames};
    const StereoBuffer still = render<AnalogDelay>(kRate, 64, input, with(base, {{"mod_depth", 0.f}}));
    const StereoBuffer moving =
        render<AnalogDelay>(kRate, 64, input, with(base, {{"mod_depth", 1.f}, {"mod_rate_hz", 1.f}}));
    const double none = worstPitchDeviation(slice(still.left, echo), kRate, 1000.0);
    const double dev = worstPitchDeviation(slice(moving.left, echo), kRate, 1000.0);
    // A +-1.5 ms sine swing at 1 Hz: 2 pi * 1 Hz * 1.5 ms = 0.94 % peak pitch deviation.
    std::printf(
        "[measured] analog delay pitch deviation of a 1 kHz echo: no modulation %.4f %%, depth 1 at 1 Hz "
        "%.3f %% (predicted 0.94 %%)\n",
        100 * none, 100 * dev);
    EXPECT_LT(none, 1e-5);
    EXPECT_NEAR(dev, 0.0094, 0.0008);
}

// The line holds soft-clipped samples (|x| <= 1); the cubic read's weights add up to at most 1.25 and the
// reconstruction filter's impulse response to at most about 1.1 in magnitude: the wet signal stays below
// 1.4, and the asserted bound is +6 dBFS (2.0), well under +12 dBFS.
constexpr float kBound = 2.f;

TEST(AnalogDelay, SelfOscillationIsBounded) {
    const std::vector<std::vector<ParamValue>> cases{
        {{"feedback", 1.f},
         {"tone", 1.f},
         {"mix", 1.f},
         {"mod_depth", 1.f},
         {"mod_rate_hz", 8.f},
         {"time_ms", 20.f}},
        {{"feedback", 1.f}, {"tone", 0.f}, {"mix", 1.f}, {"time_ms", 600.f}},
        {{"feedback", 1.f}, {"mix", 0.5f}, {"time_ms", 300.f}},
    };
    for (const auto& settings : cases) {
        const RingOutResult r = ringOut<AnalogDelay>(kRate, settings, 1.0, 30.0);
        std::printf(
            "[measured] analog delay feedback 1 (time %g ms), 1 s full-scale burst + 30 s: peak %.3f (%.2f "
            "dBFS), last second %.3f, after the limiter %.3f (%.2f dBFS)\n",
            settings.back().value, r.effectPeak, toDb(r.effectPeak), r.latePeak, r.limitedPeak,
            toDb(r.limitedPeak));
        EXPECT_TRUE(r.finite);
        EXPECT_LT(r.effectPeak, kBound);
        EXPECT_LE(r.limitedPeak, 1.f);
    }
}

TEST(AnalogDelay, BlockSizeInvariance) {
    const std::size_t frames = 40000;
    const StereoBuffer input = stereo(whiteNoise(frames, 271, 0.5f), whiteNoise(frames, 272, 0.5f));
    const float deviation = blockSizeDeviation<AnalogDelay>(
        kRate, input, {{"time_ms", 37.f}, {"feedback", 0.7f}, {"mod_depth", 0.6f}, {"mod_rate_hz", 3.f}},
        {{0, {{"time_ms", 80.f}, {"mix", 0.7f}, {"tone", 0.1f}}},
         {17408,
          {{"time_ms", 25.f}, {"feedback", 1.f}, {"sync", syncValue("1/32")}, {"mod_rate_hz", 0.2f}}}});
    std::printf("[measured] analog delay block-size deviation %.3g\n", deviation);
    EXPECT_LE(deviation, 1e-5f);
}

TEST(AnalogDelay, SampleRates) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        // Defaults: finite, nothing before the echo, and a quiet 1 kHz burst comes back at mix 0.35 times the
        // filters' gain (the same curve at every rate).
        const auto echo = static_cast<std::size_t>(std::lround(0.3 * rate));
        const auto burst = static_cast<std::size_t>(0.05 * rate);
        const auto fade = static_cast<std::size_t>(0.005 * rate);
        const StereoBuffer out =
            render<AnalogDelay>(rate, 256, dualMono(toneBurst(1000.0, rate, 2 * echo, 0, burst, 0.05f, fade)),
                                {{"mod_depth", 0.f}});
        ASSERT_TRUE(allFinite(out.left) && allFinite(out.right)) << rate;
        EXPECT_EQ(peak(slice(out.left, {burst, echo})), 0.f) << rate;
        const Window w{echo + 2 * fade, echo + 2 * fade + static_cast<std::size_t>(0.03 * rate)};
        const double expected = bbdDb(1000.0, AnalogDelay::filterCutoffHz(300.0, 0.5f, rate), rate);
        EXPECT_NEAR(goertzelDb(slice(out.left, w), 1000.0, rate) - toDb(0.05 * 0.35), expected, 0.05) << rate;
        // The longest time with full modulation fits the preallocated line.
        const auto longest = static_cast<std::size_t>(0.6 * rate);
        const StereoBuffer far = render<AnalogDelay>(
            rate, 256, dualMono(toneBurst(1000.0, rate, longest + burst + rate / 100, 0, burst, 0.05f, fade)),
            {{"time_ms", 600.f}, {"mix", 1.f}, {"feedback", 0.f}, {"mod_depth", 1.f}, {"tone", 1.f}});
        ASSERT_TRUE(allFinite(far.left)) << rate;
        EXPECT_EQ(peak(slice(far.left, {burst + fade, longest - static_cast<std::size_t>(0.002 * rate)})),
                  0.f)
            << rate;
        const Window echoed{longest + 2 * fade, longest + 2 * fade + static_cast<std::size_t>(0.03 * rate)};
        // The modulation moves the pitch by up to 0.7 % here: the level is measured as RMS, not at one
        // frequency.
        EXPECT_NEAR(rmsDb(slice(far.left, echoed)) - toDb(0.05 / std::sqrt(2.0)),
                    bbdDb(1000.0, AnalogDelay::filterCutoffHz(600.0, 1.f, rate), rate), 0.3)
            << rate;
    }
}

TEST(AnalogDelay, SilenceInSilenceOut) {
    const StereoBuffer silence = dualMono(constant(96000, 0.f));
    for (const auto& settings :
         std::vector<std::vector<ParamValue>>{{},
                                              {{"feedback", 1.f}, {"mix", 1.f}, {"mod_depth", 1.f}},
                                              {{"time_ms", 20.f}, {"feedback", 1.f}}}) {
        const StereoBuffer out = render<AnalogDelay>(kRate, 64, silence, settings);
        EXPECT_EQ(peak(out.left), 0.f);
        EXPECT_EQ(peak(out.right), 0.f);
    }
    const auto frames = static_cast<std::size_t>(6.0 * kRate);
    const StereoBuffer rung =
        render<AnalogDelay>(kRate, 64, dualMono(concat(whiteNoise(480, 281, 0.5f), constant(frames, 0.f))),
                            {{"time_ms", 20.f}, {"feedback", 0.7f}, {"mix", 1.f}});
    EXPECT_EQ(peak(slice(rung.left, {rung.frames() - 24000, rung.frames()})), 0.f);
}

TEST(AnalogDelay, RandomParameterSoak) {
    const SoakResult soak = randomParamSoak<AnalogDelay>(kRate, 4.0, 256, 5432, 0.5f);
    std::printf("[measured] analog delay soak peak %.3f (input %.3f)\n", soak.outputPeak, soak.inputPeak);
    EXPECT_TRUE(soak.finite);
    EXPECT_GT(soak.paramChanges, 1000u);
    EXPECT_LE(soak.outputPeak, soak.inputPeak + kBound);
}

TEST(AnalogDelay, TailCoversTheRingOut) {
    const auto burst = static_cast<std::size_t>(0.1 * kRate);
    for (float fb : {0.f, 0.5f, 0.8f}) {
        AnalogDelay e;
        prepareLikeHost(e, kRate, 256, {{"time_ms", 100.f}, {"feedback", fb}, {"mix", 1.f}, {"tone", 1.f}});
        const std::size_t tail = e.tailSamples();
        StereoBuffer buf = dualMono(concat(whiteNoise(burst, 291, 0.5f), constant(tail + 48000, 0.f)));
        const float inputPeak = peak(buf.left);
        runBlocks(e, buf, kRate, 256);
        std::size_t last = 0;
        for (std::size_t n = 0; n < buf.frames(); ++n)
            if (std::fabs(buf.left[n]) > 1e-4f * inputPeak) last = n;
        const std::size_t ring = last + 1 - burst;
        std::printf(
            "[measured] analog delay feedback %.2f: rings %zu frames past the input, tailSamples %zu\n", fb,
            ring, tail);
        EXPECT_GE(tail, ring) << fb;
    }
    AnalogDelay e;
    prepareLikeHost(e, kRate, 256, {{"feedback", 1.f}});
    EXPECT_EQ(e.tailSamples(), static_cast<uint32_t>(AnalogDelay::kMaxTailSeconds * kRate));
}

// Every change is a ramp of 20 ms or more; time changes glide the read head (a pitch bend, like a re-clocked
// BBD): 300 -> 250 ms peaks at about 18 % pitch, which raises the second difference by about 1.4x. Feedback
// steps stay below self-oscillation (see TapeEcho: a self-oscillating loop has no steady state to compare
// to).
constexpr double kMaxClickScore = 2.0;

TEST(AnalogDelay, ParameterStepsDoNotClick) {
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
         {Step{"time_ms", 300.f, 250.f, 48000}, Step{"time_ms", 250.f, 300.f, 48000},
          Step{"sync", 0.f, 3.f, 48000}, Step{"feedback", 0.f, 0.8f, 48000},
          Step{"feedback", 0.8f, 0.f, 48000}, Step{"tone", 0.f, 1.f, 48000}, Step{"tone", 1.f, 0.f, 48000},
          Step{"mod_depth", 0.f, 1.f, 48000}, Step{"mod_depth", 1.f, 0.f, 48000},
          Step{"mod_rate_hz", 0.1f, 8.f, 48000}, Step{"mod_rate_hz", 8.f, 0.1f, 48000},
          Step{"mix", 0.f, 1.f, 4800}, Step{"mix", 1.f, 0.f, 4800}}) {
        spec.eventFrames = s.eventFrames;
        const StepResult r = stepParamMidSine<AnalogDelay>(spec, {{"mod_depth", 0.3f}}, s.id, s.from, s.to);
        std::printf(
            "[measured] analog delay %s %g -> %g: click score %.3f, step ratio %.3f (changed output by "
            "%.2f)\n",
            std::string(s.id).c_str(), s.from, s.to, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, kMaxClickScore) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.01) << s.id << " " << s.from << " -> " << s.to << ": the step changed nothing";
    }
}

} // namespace
} // namespace stagerack::test
