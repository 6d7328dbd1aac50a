#include "effects/pitch/Octaver.h"
#include "tests/support/Analysis.h"
#include "tests/support/PitchAnalysis.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace stagerack::test {
namespace {

using fx::Octaver;
constexpr double kRate = 48000.0;
constexpr float kOff = -60.f;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

// Only one voice sounding, at 0 dB, tone filter open.
std::vector<ParamValue> only(std::string_view voice) {
    std::vector<ParamValue> s{{"sub2_level", kOff},
                              {"sub1_level", kOff},
                              {"up1_level", kOff},
                              {"dry_level", kOff},
                              {"sub_tone_hz", 12000.f}};
    for (auto& v : s)
        if (v.id == voice) v.value = 0.f;
    return s;
}

TEST(Octaver, MetadataIsCompleteAndIdsAreStable) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<Octaver>()).empty())
        << joined(metadataProblems(fx::infoOf<Octaver>()));
    EXPECT_EQ(Octaver::kId, "octaver");
    EXPECT_EQ(Octaver::kCategory, "pitch");
    const std::array<std::string_view, Octaver::kParamCount> ids{"sub2_level", "sub1_level", "up1_level",
                                                                 "dry_level", "sub_tone_hz"};
    for (std::size_t i = 0; i < ids.size(); ++i)
        EXPECT_EQ(Octaver::kParams[i].id, ids[i]);
}

struct VoiceResult {
    double cents = 0.0;
    double spurDbc = 0.0;
    double spurHz = 0.0;
    double gainDb = 0.0;
};

VoiceResult voiceOfSine(double rate, std::string_view voice, double ratio, double inHz) {
    const auto settle = static_cast<std::size_t>(0.6 * rate);
    std::size_t window = 1;
    while (window < static_cast<std::size_t>(1.3 * rate))
        window *= 2;
    const std::size_t frames = settle + window;
    const StereoBuffer out = render<Octaver>(
        rate, 64, dualMono(fadedSine(inHz, rate, frames, 0.5f, static_cast<std::size_t>(0.01 * rate))),
        only(voice));
    const double target = inHz * ratio;
    const auto tail = slice(out.left, {settle, frames});
    VoiceResult r;
    const double f = measureFrequency(tail, rate, target * 0.97, target * 1.03);
    r.cents = centsBetween(f, target);
    const SpurReport spur = spuriousAround(tail, rate, target);
    r.spurDbc = spur.worstDbc;
    r.spurHz = spur.worstHz;
    r.gainDb = toDb(4.0 * std::abs(hannDft(tail, f, rate)) / static_cast<double>(tail.size()) / 0.5);
    return r;
}

// The test: the sub-octave of a 110 Hz tone is 55 Hz within 1 cent; the other voices and other
// notes across the neck likewise, with everything else 40 dB down.
TEST(Octaver, VoicesOfASineAreExactOctaves) {
    struct V {
        std::string_view id;
        double ratio;
    };
    for (const V v : {V{"sub1_level", 0.5}, V{"sub2_level", 0.25}, V{"up1_level", 2.0}}) {
        for (double in : {110.0, 82.41, 146.83, 246.94, 440.0, 659.26, 1318.5}) {
            if (in * v.ratio < 20.0) continue;
            const VoiceResult r = voiceOfSine(kRate, v.id, v.ratio, in);
            std::printf(
                "[measured] octaver %s of %.2f Hz: %.4f Hz expected, error %+.4f cents, spurious %.1f "
                "dBc at %.1f Hz, gain %+.3f dB\n",
                std::string(v.id).c_str(), in, in * v.ratio, r.cents, r.spurDbc, r.spurHz, r.gainDb);
            EXPECT_LE(std::fabs(r.cents), 1.0) << v.id << " " << in;
            EXPECT_LE(r.spurDbc, -40.0) << v.id << " " << in;
            EXPECT_LE(std::fabs(r.gainDb), 0.5) << v.id << " " << in;
        }
    }
}

// A plucked low E (Karplus-Strong: bright attack, decaying, darkening): each voice is the exact octave of the
// string's measured pitch, and splicing the decaying string leaves nothing 35 dB above between the harmonics.
TEST(Octaver, TracksAPluckedLowE) {
    const auto frames = static_cast<std::size_t>(2.0 * kRate);
    const std::vector<float> pluck = pluckedString(82.41, kRate, frames, 0.6f, 3.0, 11);
    const Window w{static_cast<std::size_t>(0.25 * kRate), frames};
    const double inHz = measureFrequency(slice(pluck, w), kRate, 80.0, 85.0);
    struct V {
        std::string_view id;
        double ratio;
    };
    for (const V v : {V{"sub1_level", 0.5}, V{"sub2_level", 0.25}, V{"up1_level", 2.0}}) {
        const StereoBuffer out = render<Octaver>(kRate, 64, dualMono(pluck), only(v.id));
        const double target = inHz * v.ratio;
        const double f = measureFrequency(slice(out.left, w), kRate, target * 0.97, target * 1.03);
        const AliasReport spur =
            worstNonHarmonic(slice(out.left, {frames - 65536, frames}), target, kRate, 6);
        std::printf("[measured] octaver %s of a plucked low E (%.3f Hz): %.4f Hz, error %+.4f cents, worst "
                    "between harmonics %.1f dBc at %.0f Hz\n",
                    std::string(v.id).c_str(), inHz, f, centsBetween(f, target), spur.worstDbc, spur.worstHz);
        EXPECT_LE(std::fabs(centsBetween(f, target)), 1.0) << v.id;
        EXPECT_LE(spur.worstDbc, -35.0) << v.id;
    }
}

// Notes played one after another (open strings, 0.5 s each): the sub-octave follows every one.
TEST(Octaver, FollowsAPlayedLine) {
    const double notes[] = {82.41, 110.0, 146.83, 196.0, 246.94, 329.63, 246.94, 110.0};
    const auto noteFrames = static_cast<std::size_t>(0.5 * kRate);
    const std::size_t frames = noteFrames * std::size(notes);
    std::vector<float> line(frames, 0.f);
    for (std::size_t i = 0; i < std::size(notes); ++i) {
        // Each pluck stops (is damped) when the next starts, as on one string.
        const std::vector<float> p =
            pluckedString(notes[i], kRate, frames, 0.5f, 2.0, 20 + i, i * noteFrames);
        for (std::size_t n = i * noteFrames; n < (i + 1) * noteFrames; ++n)
            line[n] += p[n];
    }
    const StereoBuffer out = render<Octaver>(kRate, 64, dualMono(line), only("sub1_level"));
    const auto latency = Octaver().latencySamples();
    double worst = 0.0;
    for (std::size_t i = 0; i < std::size(notes); ++i) {
        const std::size_t start = i * noteFrames + latency + static_cast<std::size_t>(0.12 * kRate);
        const Window w{start, std::min(frames, (i + 1) * noteFrames + latency)};
        const double inHz = measureFrequency(slice(line, {w.begin - latency, w.end - latency}), kRate,
                                             notes[i] * 0.97, notes[i] * 1.03);
        const double f = measureFrequency(slice(out.left, w), kRate, inHz * 0.5 * 0.97, inHz * 0.5 * 1.03);
        const double cents = centsBetween(f, 0.5 * inHz);
        std::printf("[measured] octaver sub1 of note %zu (%.2f Hz): %.3f Hz, error %+.3f cents\n", i, inHz, f,
                    cents);
        worst = std::max(worst, std::fabs(cents));
        EXPECT_LE(std::fabs(cents), 1.0) << i;
    }
    std::printf("[measured] octaver sub1 over a played line: worst %.3f cents\n", worst);
}

// Levels are decibels of the input's amplitude (the voices keep it); the sub tone is the 12 dB/octave
// Butterworth low-pass its design says.
TEST(Octaver, LevelsAndToneAreAsDocumented) {
    const auto frames = static_cast<std::size_t>(1.5 * kRate);
    const std::vector<ParamValue> settings{{"sub2_level", 3.f},
                                           {"sub1_level", -6.f},
                                           {"up1_level", -12.f},
                                           {"dry_level", -3.f},
                                           {"sub_tone_hz", 12000.f}};
    const StereoBuffer out =
        render<Octaver>(kRate, 64, dualMono(fadedSine(110.0, kRate, frames, 0.5f, 480)), settings);
    // 0.4 s holds whole cycles of 27.5, 55, 110 and 220 Hz.
    const Window w{frames - static_cast<std::size_t>(0.4 * kRate) * 2,
                   frames - static_cast<std::size_t>(0.4 * kRate)};
    const double expected[][2] = {{27.5, 3.0}, {55.0, -6.0}, {220.0, -12.0}, {110.0, -3.0}};
    for (const auto& e : expected) {
        const double db = goertzelDb(slice(out.left, w), e[0], kRate) - toDb(0.5);
        std::printf("[measured] octaver level at %g Hz: %+.3f dB (set %+g dB)\n", e[0], db, e[1]);
        EXPECT_NEAR(db, e[1], 0.2) << e[0];
    }
    for (double cutoff : {200.0, 800.0, 3000.0}) {
        const double in = 880.0;
        const StereoBuffer toned = render<Octaver>(
            kRate, 64, dualMono(fadedSine(in, kRate, frames, 0.5f, 480)),
            {{"sub1_level", 0.f}, {"dry_level", kOff}, {"sub_tone_hz", static_cast<float>(cutoff)}});
        const double db = goertzelDb(slice(toned.left, w), in / 2, kRate) - toDb(0.5);
        const double predicted =
            dsp::SvfDesign::design(dsp::FilterKind::LowPass, kRate, cutoff, dsp::kButterworthQ)
                .magnitudeDb(in / 2);
        std::printf("[measured] octaver sub tone %g Hz at 440 Hz: %.3f dB (predicted %.3f dB)\n", cutoff, db,
                    predicted);
        EXPECT_NEAR(db, predicted, 0.2) << cutoff;
    }
}

TEST(Octaver, LatencyIsReportedAndMeasured) {
    for (double rate : {44100.0, 48000.0, 96000.0}) {
        Octaver probe;
        prepareLikeHost(probe, rate, 64);
        const uint32_t latency = probe.latencySamples();
        const StereoBuffer out = render<Octaver>(rate, 64, dualMono(impulse(20000, 3000)), only("dry_level"));
        std::printf("[measured] octaver at %g Hz: latency %u samples (%.2f ms), dry impulse at %zu\n", rate,
                    latency, 1000.0 * latency / rate, peakIndex(out.left) - 3000);
        EXPECT_EQ(peakIndex(out.left), 3000 + latency);
        EXPECT_EQ(out.left[3000 + latency], 1.f);
        EXPECT_LE(latency, static_cast<uint32_t>(0.010 * rate));
    }
    // The voices: the sub-octave of a tone burst starts and ends within the read head's window around it.
    const fx::SpliceGeometry g = fx::SpliceGeometry::forRate(kRate);
    double lo = 1e9, hi = 0.0, sum = 0.0;
    int count = 0;
    for (std::size_t start : {9000u, 9611u, 10222u, 10833u, 11444u}) {
        const std::vector<float> burst = toneBurst(220.0, kRate, 48000, start, 14400, 0.5f, 96);
        const StereoBuffer out = render<Octaver>(kRate, 64, dualMono(burst), only("sub1_level"));
        auto halfCross = [](const std::vector<float>& x, bool rising) {
            std::vector<double> env;
            for (std::size_t n = 0; n + 24 <= x.size(); n += 24)
                env.push_back(rms(std::span<const float>(x).subspan(n, 24)));
            const double half = 0.5 * *std::max_element(env.begin(), env.end());
            if (rising) {
                for (std::size_t i = 1; i < env.size(); ++i)
                    if (env[i] >= half) return 24.0 * (i - 1 + (half - env[i - 1]) / (env[i] - env[i - 1]));
            } else {
                for (std::size_t i = env.size() - 1; i > 0; --i)
                    if (env[i - 1] >= half)
                        return 24.0 * (i - 1 + (env[i - 1] - half) / (env[i - 1] - env[i]));
            }
            return 0.0;
        };
        for (bool rising : {true, false}) {
            const double d = halfCross(out.left, rising) - halfCross(burst, rising);
            lo = std::min(lo, d);
            hi = std::max(hi, d);
            sum += d;
            ++count;
        }
    }
    std::printf("[measured] octaver sub1 burst delay %.2f .. %.2f ms, mean %.2f ms (reported %.2f ms)\n",
                1000.0 * lo / kRate, 1000.0 * hi / kRate, 1000.0 * sum / count / kRate,
                1000.0 * g.centre / kRate);
    EXPECT_GE(lo, g.minDelay - 48.0);
    EXPECT_LE(hi, g.maxDelay + 48.0);
    EXPECT_NEAR(sum / count, g.centre, 0.25 * (g.maxDelay - g.minDelay));
}

TEST(Octaver, BlockSizeInvariance) {
    const std::size_t frames = 17408 * 3;
    std::vector<float> left = pluckedString(98.0, kRate, frames, 0.4f, 2.0, 1);
    const std::vector<float> noise = whiteNoise(frames, 9, 0.02f);
    for (std::size_t n = 0; n < frames; ++n)
        left[n] += noise[n];
    const StereoBuffer input = stereo(left, pluckedString(98.0, kRate, frames, 0.3f, 2.0, 2));
    const float deviation = blockSizeDeviation<Octaver>(
        kRate, input, {{"sub2_level", -6.f}, {"up1_level", -3.f}, {"sub_tone_hz", 900.f}},
        {{17408, {{"sub2_level", kOff}, {"sub1_level", -12.f}, {"sub_tone_hz", 5000.f}}},
         {34816, {{"sub2_level", 0.f}, {"dry_level", kOff}, {"up1_level", kOff}}}});
    std::printf("[measured] octaver block-size deviation %.3g\n", deviation);
    EXPECT_LE(deviation, 1e-5f);
}

TEST(Octaver, SampleRatesSilenceAndSoak) {
    for (double rate : {44100.0, 96000.0, 192000.0}) {
        const VoiceResult r = voiceOfSine(rate, "sub1_level", 0.5, 110.0);
        std::printf("[measured] octaver at %g Hz: sub-octave of 110 Hz %+.4f cents, spurious %.1f dBc\n",
                    rate, r.cents, r.spurDbc);
        EXPECT_LE(std::fabs(r.cents), 1.0) << rate;
        EXPECT_LE(r.spurDbc, -40.0) << rate;
    }
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        const StereoBuffer silent = render<Octaver>(rate, 64, dualMono(constant(48000, 0.f)),
                                                    {{"sub2_level", 0.f}, {"up1_level", 0.f}});
        EXPECT_EQ(peak(silent.left), 0.f);
        EXPECT_EQ(peak(silent.right), 0.f);
        const SoakResult soak = randomParamSoak<Octaver>(rate, 4.0, 512, 4321, 0.5f);
        std::printf("[measured] octaver soak at %g Hz: peak %.3f (input %.3f)\n", rate, soak.outputPeak,
                    soak.inputPeak);
        EXPECT_TRUE(soak.finite) << rate;
        // Four sources at up to +6 dB each.
        EXPECT_LE(soak.outputPeak, 4.f * 2.f * 1.42f * soak.inputPeak) << rate;
    }
}

TEST(Octaver, ParameterStepsDoNotClick) {
    struct Step {
        std::string_view id;
        float from;
        float to;
    };
    const std::vector<Step> steps{
        {"sub1_level", kOff, 0.f},       {"sub1_level", 0.f, kOff}, {"sub2_level", kOff, 6.f},
        {"sub2_level", 0.f, kOff},       {"up1_level", kOff, 0.f},  {"up1_level", 0.f, kOff},
        {"dry_level", 0.f, kOff},        {"dry_level", kOff, 6.f},  {"sub_tone_hz", 100.f, 12000.f},
        {"sub_tone_hz", 12000.f, 300.f},
    };
    for (const auto& s : steps) {
        StepSpec spec; // 997 Hz: inside the tracker's range
        const StepResult r = stepParamMidSine<Octaver>(spec, {{"sub_tone_hz", 2000.f}}, s.id, s.from, s.to);
        std::printf(
            "[measured] octaver %s %g -> %g: click score %.3f, step ratio %.3f (changed output by %.2f)\n",
            std::string(s.id).c_str(), s.from, s.to, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, 2.0) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_LE(r.stepRatio, 1.5) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.01) << s.id << " " << s.from << " -> " << s.to;
    }
}

} // namespace
} // namespace stagerack::test
