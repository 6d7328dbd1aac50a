#include "effects/delay/ReverseDelay.h"
#include "tests/support/Analysis.h"
#include "tests/support/EchoTesting.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numbers>

namespace stagerack::test {
namespace {

using fx::ReverseDelay;
constexpr double kRate = 48000.0;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

// A linear chirp from 200 Hz to 4 kHz in [start, start + length), 5 ms raised-cosine fades, zero elsewhere.
std::vector<float> chirp(double rate, std::size_t frames, std::size_t start, std::size_t length, float amp) {
    std::vector<float> x(frames, 0.f);
    const double seconds = static_cast<double>(length) / rate;
    const double sweep = (4000.0 - 200.0) / seconds;
    const auto fade = static_cast<std::size_t>(0.005 * rate);
    for (std::size_t n = 0; n < length; ++n) {
        const double t = static_cast<double>(n) / rate;
        double g = 1.0;
        if (n < fade) g = 0.5 - 0.5 * std::cos(std::numbers::pi * static_cast<double>(n) / fade);
        if (length - 1 - n < fade)
            g = 0.5 - 0.5 * std::cos(std::numbers::pi * static_cast<double>(length - 1 - n) / fade);
        x[start + n] = static_cast<float>(
            amp * g * std::sin(2.0 * std::numbers::pi * (200.0 * t + 0.5 * sweep * t * t)));
    }
    return x;
}

// Normalised correlation of y[at + n] with ref[n], n < ref.size().
double correlation(const std::vector<float>& y, std::size_t at, const std::vector<float>& ref) {
    double xy = 0.0, xx = 0.0, yy = 0.0;
    for (std::size_t n = 0; n < ref.size(); ++n) {
        xy += static_cast<double>(y[at + n]) * ref[n];
        xx += static_cast<double>(ref[n]) * ref[n];
        yy += static_cast<double>(y[at + n]) * y[at + n];
    }
    return xx > 0.0 && yy > 0.0 ? xy / std::sqrt(xx * yy) : 0.0;
}

struct ReversalCheck {
    double bestCorrelation = 0.0;
    long bestLag = 0;                // relative to the predicted position
    double forwardCorrelation = 0.0; // the best the un-reversed chirp reaches over the same lags
    float worstSampleError = 0.f;    // y[t] vs x[2 s - 1 - t] over the chunk's flat part
};

// A chirp recorded inside the chunk that ends at frame `s` comes back reversed in the chunk that starts at
// `s`: y[t] = x[2 s - 1 - t] while that chunk is at full weight.
ReversalCheck checkReversal(const StereoBuffer& out, const std::vector<float>& x, std::size_t s,
                            std::size_t chunk, std::size_t fade, std::size_t chirpStart,
                            std::size_t chirpLength) {
    ReversalCheck r;
    for (std::size_t t = s + fade; t < s + chunk; ++t)
        r.worstSampleError = std::max(r.worstSampleError, std::fabs(out.left[t] - x[2 * s - 1 - t]));
    const std::vector<float> forward(x.begin() + static_cast<long>(chirpStart),
                                     x.begin() + static_cast<long>(chirpStart + chirpLength));
    const std::vector<float> reversed(forward.rbegin(), forward.rend());
    const std::size_t predicted = 2 * s - (chirpStart + chirpLength); // where reversed[0] comes out
    r.bestCorrelation = -1.0;
    for (long lag = -1500; lag <= 1500; lag += 1) {
        const std::size_t at = predicted + static_cast<std::size_t>(lag);
        const double c = correlation(out.left, at, reversed);
        if (c > r.bestCorrelation) {
            r.bestCorrelation = c;
            r.bestLag = lag;
        }
        r.forwardCorrelation = std::max(r.forwardCorrelation, std::fabs(correlation(out.left, at, forward)));
    }
    return r;
}

TEST(ReverseDelay, MetadataIsComplete) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<ReverseDelay>()).empty())
        << joined(metadataProblems(fx::infoOf<ReverseDelay>()));
    EXPECT_EQ(ReverseDelay::kId, "reverse_delay");
    EXPECT_EQ(ReverseDelay::kCategory, "delay");
    EXPECT_EQ(ReverseDelay::kParams[ReverseDelay::kSync].labels.size(), dsp::kSyncLabels.size());
}

TEST(ReverseDelay, AChirpComesBackTimeReversed) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        // 500 ms chunks from the first sample: the chunk [T, 2T) is played backwards during [2T, 3T).
        const auto chunk = static_cast<std::size_t>(std::lround(0.5 * rate));
        const auto fade = static_cast<std::size_t>(std::lround(0.02 * rate));
        const std::size_t start = chunk + chunk / 20;
        const std::size_t length = chunk - chunk / 10 - fade;
        const std::vector<float> x = chirp(rate, 3 * chunk + fade, start, length, 0.5f);
        const StereoBuffer out = render<ReverseDelay>(rate, 256, dualMono(x),
                                                      {{"time_ms", 500.f}, {"feedback", 0.f}, {"mix", 1.f}});
        const ReversalCheck r = checkReversal(out, x, 2 * chunk, chunk, fade, start, length);
        std::printf("[measured] reverse delay 500 ms at %g Hz: reversed chirp correlation %.6f at lag %ld (0 "
                    "expected), forward chirp at most %.3f, largest sample error %.3g\n",
                    rate, r.bestCorrelation, r.bestLag, r.forwardCorrelation, r.worstSampleError);
        EXPECT_GT(r.bestCorrelation, 0.99999) << rate;
        EXPECT_EQ(r.bestLag, 0) << rate;
        EXPECT_LT(r.forwardCorrelation, 0.2) << rate;
        EXPECT_EQ(r.worstSampleError, 0.f) << rate;
        // Nothing comes out before the second chunk (the first plays what came before the input).
        EXPECT_EQ(peak(slice(out.left, {0, chunk})), 0.f) << rate;
    }
}

TEST(ReverseDelay, ChunkEdgesCrossfadeToExactlyOne) {
    // A constant input: every chunk plays the same constant back, and where two chunks overlap their weights
    // add up to one, so the output is flat straight through every edge (no dip, no click).
    const std::size_t frames = 5 * 24000;
    for (float ms : {50.f, 137.f, 500.f}) {
        const StereoBuffer out = render<ReverseDelay>(kRate, 64, dualMono(constant(frames, 0.5f)),
                                                      {{"time_ms", ms}, {"feedback", 0.f}, {"mix", 1.f}});
        const auto chunk = static_cast<std::size_t>(std::lround(ms * 48.0));
        const std::size_t fade = std::min<std::size_t>(960, chunk / 4);
        // From the first edge whose fading-out head reads only recorded input (the one at 2T reaches back
        // before the first sample).
        float worst = 0.f;
        for (std::size_t n = 2 * chunk + fade; n < frames; ++n)
            worst = std::max(worst, std::fabs(out.left[n] - 0.5f));
        std::printf(
            "[measured] reverse delay %g ms, constant 0.5 in: largest deviation through the chunk edges "
            "%.3g\n",
            ms, worst);
        EXPECT_LE(worst, 1e-6f) << ms;
    }
}

TEST(ReverseDelay, TempoSyncSetsTheChunkLength) {
    const std::size_t fade = 960;
    // 120 BPM, a quarter: 24000-frame chunks, whatever time_ms says.
    {
        const std::size_t chunk = 24000;
        const std::size_t start = chunk + 1200, length = chunk - 2400 - fade;
        const std::vector<float> x = chirp(kRate, 3 * chunk + fade, start, length, 0.5f);
        const StereoBuffer out = renderAtTempo<ReverseDelay>(
            kRate, 64, dualMono(x), 120.0,
            {{"time_ms", 80.f}, {"sync", syncValue("1/4")}, {"feedback", 0.f}, {"mix", 1.f}});
        const ReversalCheck r = checkReversal(out, x, 2 * chunk, chunk, fade, start, length);
        EXPECT_EQ(r.bestLag, 0);
        EXPECT_EQ(r.worstSampleError, 0.f);
        std::printf("[measured] reverse delay sync 1/4 at 120 BPM: correlation %.6f at lag %ld\n",
                    r.bestCorrelation, r.bestLag);
    }
    // 100 BPM from the start: 28800-frame chunks.
    {
        const std::size_t chunk = 28800;
        const std::size_t start = chunk + 1200, length = chunk - 2400 - fade;
        const std::vector<float> x = chirp(kRate, 3 * chunk + fade, start, length, 0.5f);
        const StereoBuffer out = renderAtTempo<ReverseDelay>(
            kRate, 64, dualMono(x), 100.0, {{"sync", syncValue("1/4")}, {"feedback", 0.f}, {"mix", 1.f}});
        const ReversalCheck r = checkReversal(out, x, 2 * chunk, chunk, fade, start, length);
        EXPECT_EQ(r.bestLag, 0);
        EXPECT_EQ(r.worstSampleError, 0.f);
        std::printf("[measured] reverse delay sync 1/4 at 100 BPM: correlation %.6f at lag %ld\n",
                    r.bestCorrelation, r.bestLag);
    }
    // 120 -> 100 BPM at frame 30016: the chunk that starts at 48000 is the first 28800 long.
    {
        const std::size_t s = 48000, chunk = 28800;
        const std::size_t start = s - chunk + 1200, length = chunk - 2400 - fade;
        const std::vector<float> x = chirp(kRate, s + chunk + fade, start, length, 0.5f);
        const StereoBuffer out = renderAtTempo<ReverseDelay>(
            kRate, 64, dualMono(x), 120.0, {{"sync", syncValue("1/4")}, {"feedback", 0.f}, {"mix", 1.f}},
            {{30016, 100.0}});
        const ReversalCheck r = checkReversal(out, x, s, chunk, fade, start, length);
        EXPECT_EQ(r.bestLag, 0);
        EXPECT_EQ(r.worstSampleError, 0.f);
    }
}

TEST(ReverseDelay, FeedbackPlaysTheReversedChunkForwardsAgain) {
    // Chunk n + 1 plays chunk n backwards and, at feedback f, records f times that: chunk n + 2 plays it
    // forwards, f times the original.
    const std::size_t chunk = 24000, fade = 960;
    const std::size_t start = chunk + 1200, length = chunk - 2400 - fade;
    const std::vector<float> x = chirp(kRate, 4 * chunk + fade, start, length, 0.5f);
    const StereoBuffer out =
        render<ReverseDelay>(kRate, 64, dualMono(x), {{"time_ms", 500.f}, {"feedback", 0.5f}, {"mix", 1.f}});
    // The second pass: chunk [2T, 3T) was recorded as 0.5 * reversed; played backwards in [3T, 4T) it is
    // forwards.
    float worst = 0.f;
    const std::size_t s = 3 * chunk;
    for (std::size_t t = s + fade; t < s + chunk; ++t) {
        // y[t] = 0.5 * y1[2 s - 1 - t], y1[u] = x[4T - 1 - u]  ->  x[t - 2T] (plus the input, which is 0
        // here)
        worst = std::max(worst, std::fabs(out.left[t] - 0.5f * x[t - 2 * chunk]));
    }
    std::printf(
        "[measured] reverse delay feedback 0.5: second pass = 0.5 * the chirp forwards, largest error %.3g\n",
        worst);
    EXPECT_LE(worst, 1e-6f);
}

TEST(ReverseDelay, SelfOscillationIsBounded) {
    // The line holds |input| plus the feedback limit (2), and the crossfaded heads never exceed what they
    // read: the wet signal stays below 3 (+9.5 dBFS) for a full-scale input.
    for (float ms : {50.f, 500.f, 2000.f}) {
        const RingOutResult r =
            ringOut<ReverseDelay>(kRate, {{"feedback", 1.f}, {"mix", 1.f}, {"time_ms", ms}}, 1.0, 30.0);
        std::printf(
            "[measured] reverse delay feedback 1 (time %g ms), 1 s full-scale burst + 30 s: peak %.3f (%.2f "
            "dBFS), last second %.3f, after the limiter %.3f (%.2f dBFS)\n",
            ms, r.effectPeak, toDb(r.effectPeak), r.latePeak, r.limitedPeak, toDb(r.limitedPeak));
        EXPECT_TRUE(r.finite);
        EXPECT_LE(r.effectPeak, 1.f + ReverseDelay::kFeedbackLimit);
        EXPECT_LE(r.limitedPeak, 1.f);
    }
}

TEST(ReverseDelay, BlockSizeInvariance) {
    const std::size_t frames = 40000;
    const StereoBuffer input = stereo(whiteNoise(frames, 371, 0.5f), whiteNoise(frames, 372, 0.5f));
    const float deviation = blockSizeDeviation<ReverseDelay>(
        kRate, input, {{"time_ms", 60.f}, {"feedback", 0.7f}},
        {{0, {{"time_ms", 90.f}, {"mix", 0.7f}}},
         {17408, {{"time_ms", 55.f}, {"feedback", 1.f}, {"sync", syncValue("1/32")}}}});
    std::printf("[measured] reverse delay block-size deviation %.3g\n", deviation);
    EXPECT_LE(deviation, 1e-5f);
}

TEST(ReverseDelay, SilenceInSilenceOut) {
    const StereoBuffer silence = dualMono(constant(96000, 0.f));
    for (const auto& settings : std::vector<std::vector<ParamValue>>{
             {}, {{"feedback", 1.f}, {"mix", 1.f}}, {{"time_ms", 50.f}, {"feedback", 1.f}}}) {
        const StereoBuffer out = render<ReverseDelay>(kRate, 64, silence, settings);
        EXPECT_EQ(peak(out.left), 0.f);
        EXPECT_EQ(peak(out.right), 0.f);
    }
    const auto frames = static_cast<std::size_t>(20.0 * kRate);
    const StereoBuffer rung =
        render<ReverseDelay>(kRate, 64, dualMono(concat(whiteNoise(480, 381, 0.5f), constant(frames, 0.f))),
                             {{"time_ms", 50.f}, {"feedback", 0.7f}, {"mix", 1.f}});
    EXPECT_EQ(peak(slice(rung.left, {rung.frames() - 24000, rung.frames()})), 0.f);
}

TEST(ReverseDelay, RandomParameterSoak) {
    const SoakResult soak = randomParamSoak<ReverseDelay>(kRate, 4.0, 256, 6543, 0.5f);
    std::printf("[measured] reverse delay soak peak %.3f (input %.3f)\n", soak.outputPeak, soak.inputPeak);
    EXPECT_TRUE(soak.finite);
    EXPECT_GT(soak.paramChanges, 500u);
    EXPECT_LE(soak.outputPeak, soak.inputPeak + ReverseDelay::kFeedbackLimit);
}

TEST(ReverseDelay, TailCoversTheRingOut) {
    const auto burst = static_cast<std::size_t>(0.1 * kRate);
    for (float fb : {0.f, 0.5f, 0.8f}) {
        ReverseDelay e;
        prepareLikeHost(e, kRate, 256, {{"time_ms", 200.f}, {"feedback", fb}, {"mix", 1.f}});
        const std::size_t tail = e.tailSamples();
        StereoBuffer buf = dualMono(concat(whiteNoise(burst, 391, 0.5f), constant(tail + 48000, 0.f)));
        const float inputPeak = peak(buf.left);
        runBlocks(e, buf, kRate, 256);
        std::size_t last = 0;
        for (std::size_t n = 0; n < buf.frames(); ++n)
            if (std::fabs(buf.left[n]) > 1e-4f * inputPeak) last = n;
        const std::size_t ring = last + 1 - burst;
        std::printf(
            "[measured] reverse delay feedback %.2f: rings %zu frames past the input, tailSamples %zu\n", fb,
            ring, tail);
        EXPECT_GE(tail, ring) << fb;
    }
}

// Every change is a 20 ms ramp or waits for the next chunk edge, which is a raised-cosine crossfade.
constexpr double kMaxClickScore = 2.0;

TEST(ReverseDelay, ParameterStepsDoNotClick) {
    StepSpec spec;
    spec.stepAt = 288000;
    spec.freqHz = 1111.1;
    spec.steadyFrames = 9600;
    struct Step {
        std::string_view id;
        float from;
        float to;
        std::size_t eventFrames;
    };
    for (const Step s :
         {Step{"time_ms", 500.f, 300.f, 96000}, Step{"time_ms", 300.f, 500.f, 96000},
          Step{"sync", 0.f, 4.f, 96000}, Step{"feedback", 0.f, 0.8f, 96000},
          Step{"feedback", 0.8f, 0.f, 96000}, Step{"mix", 0.f, 1.f, 4800}, Step{"mix", 1.f, 0.f, 4800}}) {
        spec.eventFrames = s.eventFrames;
        const StepResult r = stepParamMidSine<ReverseDelay>(spec, {}, s.id, s.from, s.to);
        std::printf(
            "[measured] reverse delay %s %g -> %g: click score %.3f, step ratio %.3f (changed output by "
            "%.2f)\n",
            std::string(s.id).c_str(), s.from, s.to, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, kMaxClickScore) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.01) << s.id << " " << s.from << " -> " << s.to << ": the step changed nothing";
    }
}

} // namespace
} // namespace stagerack::test
