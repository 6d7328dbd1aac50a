// Reverb: decay accuracy (Schroeder T30 against decay_s for every character and several rates), echo
// density build-up, exact dry at mix 0, mono at width 0, silence, soak, clicks, block-size invariance, cost.
#include "effects/reverb/Reverb.h"
#include "tests/support/Analysis.h"
#include "tests/support/RoomAcoustics.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace stagerack::test {
namespace {

using fx::Reverb;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

// The wet impulse response with damping neutral, no pre-delay and the low cut at its lowest.
StereoBuffer impulseResponse(double rate, float character, float decay, double seconds) {
    const auto frames = static_cast<std::size_t>(seconds * rate);
    return render<Reverb>(rate, 256, dualMono(impulse(frames)),
                          {{"character", character},
                           {"decay_s", decay},
                           {"predelay_ms", 0.f},
                           {"damping", 0.f},
                           {"lowcut_hz", 20.f},
                           {"mix", 1.f}});
}

struct Rt60Row {
    std::string character;
    double rate;
    double setting;
    double measured;
    double errorPct;
};

// T30 (fit of the energy decay curve from -5 to -35 dB) at every length: the tail has no noise floor
// (it is flushed to exact zero only below 1e-20, 400 dB down), so T20 is never needed.
Rt60Row measureRt60(double rate, int character, double decay) {
    // Long enough for the -35 dB point plus the same again, so the backward integral is not truncated.
    const double seconds = 1.3 * decay + 0.6;
    const auto ir = impulseResponse(rate, static_cast<float>(character), static_cast<float>(decay), seconds);
    const DecayFit fit = schroederRt60(ir.left, ir.right, rate, -5.0, -35.0);
    return {std::string(Reverb::kCharacterLabels[static_cast<std::size_t>(character)]), rate, decay, fit.rt60,
            100.0 * (fit.rt60 - decay) / decay};
}

void printRow(const Rt60Row& r) {
    std::printf("[measured] reverb %-6s %6.1f kHz  decay_s %5.2f  T30 %6.3f s  error %+6.2f %%\n",
                r.character.c_str(), r.rate / 1000.0, r.setting, r.measured, r.errorPct);
}

TEST(Reverb, MetadataIsComplete) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<Reverb>()).empty())
        << joined(metadataProblems(fx::infoOf<Reverb>()));
    EXPECT_EQ(Reverb::kParams[Reverb::kCharacter].def, 0.f) << "hall is the default";
}

TEST(Reverb, HallDecayTimeIsWithinFivePercentFrom03To10Seconds) {
    for (double decay : {0.3, 0.5, 1.0, 2.0, 4.0, 7.0, 10.0}) {
        const auto row = measureRt60(48000.0, 0, decay);
        printRow(row);
        EXPECT_LT(std::fabs(row.errorPct), 5.0) << "hall decay_s " << decay;
    }
}

TEST(Reverb, RoomPlateAndSpringDecayTimesAreWithinFivePercent) {
    for (int c = 1; c <= 3; ++c)
        for (double decay : {0.5, 1.0, 3.0, 6.0}) {
            const auto row = measureRt60(48000.0, c, decay);
            printRow(row);
            EXPECT_LT(std::fabs(row.errorPct), 5.0) << row.character << " decay_s " << decay;
        }
}

TEST(Reverb, DecayTimeHoldsAtEverySampleRate) {
    for (double rate : {44100.0, 96000.0, 192000.0})
        for (int c = 0; c <= 3; ++c) {
            const auto row = measureRt60(rate, c, 2.0);
            printRow(row);
            EXPECT_LT(std::fabs(row.errorPct), 5.0) << row.character << " at " << rate;
        }
    const auto row = measureRt60(44100.0, 0, 0.5);
    printRow(row);
    EXPECT_LT(std::fabs(row.errorPct), 5.0);
}

TEST(Reverb, HallEchoDensityReachesNoiseWithin100Ms) {
    for (int c = 0; c <= 3; ++c) {
        const auto ir = impulseResponse(48000.0, static_cast<float>(c), 2.f, 0.5);
        const double tl = echoDensityTime(ir.left, 48000.0);
        const double tr = echoDensityTime(ir.right, 48000.0);
        std::printf("[measured] reverb %-6s normalised echo density reaches 1 at %.1f ms (L) / %.1f ms (R)\n",
                    std::string(Reverb::kCharacterLabels[static_cast<std::size_t>(c)]).c_str(), tl * 1e3,
                    tr * 1e3);
        if (c == 0) {
            EXPECT_GT(tl, 0.0);
            EXPECT_LE(tl, 0.100);
            EXPECT_GT(tr, 0.0);
            EXPECT_LE(tr, 0.100);
        }
    }
}

TEST(Reverb, DampingShortensTheHighFrequencyDecayOnly) {
    const double rate = 48000.0;
    auto bandRt60 = [&](float damping, double centreHz) {
        auto ir = render<Reverb>(rate, 256, dualMono(impulse(static_cast<std::size_t>(3.5 * rate))),
                                 {{"decay_s", 2.f},
                                  {"predelay_ms", 0.f},
                                  {"damping", damping},
                                  {"lowcut_hz", 20.f},
                                  {"mix", 1.f}});
        // Octave band: two cascaded band-pass sections.
        dsp::Biquad a, b;
        const auto c = dsp::BiquadCoeffs::design(dsp::FilterKind::BandPass, rate, centreHz, 1.41);
        a.setCoeffs(c);
        b.setCoeffs(c);
        for (auto* ch : {&ir.left, &ir.right}) {
            a.reset();
            b.reset();
            for (float& x : *ch)
                x = b.process(a.process(x));
        }
        return schroederRt60(ir.left, ir.right, rate, -5.0, -25.0).rt60;
    };
    const double low0 = bandRt60(0.f, 250.0), high0 = bandRt60(0.f, 8000.0);
    const double low1 = bandRt60(1.f, 250.0), high1 = bandRt60(1.f, 8000.0);
    std::printf("[measured] reverb decay 2 s, T20 per octave band: damping 0: 250 Hz %.3f s, 8 kHz %.3f s; "
                "damping 1: 250 Hz %.3f s, 8 kHz %.3f s\n",
                low0, high0, low1, high1);
    EXPECT_NEAR(low0, 2.0, 0.15);
    EXPECT_NEAR(high0, 2.0, 0.15) << "damping 0 is neutral";
    EXPECT_NEAR(low1, 2.0, 0.25);
    EXPECT_LT(high1, 0.5) << "damping 1: highs decay several times faster";
}

TEST(Reverb, LatencyIsZeroAndTheTailCoversTheDecay) {
    Reverb rev;
    prepareLikeHost(rev, 48000.0, 64, {{"decay_s", 3.f}, {"predelay_ms", 100.f}});
    EXPECT_EQ(rev.latencySamples(), 0u);
    EXPECT_EQ(rev.tailSamples(), static_cast<uint32_t>((2.0 * 3.0 + 0.1) * 48000.0)) << "120 dB of decay";
    // The first wet sample arrives after the pre-delay and the shortest line, never before.
    const auto out = render<Reverb>(48000.0, 64, dualMono(impulse(48000)),
                                    {{"predelay_ms", 100.f}, {"mix", 1.f}, {"lowcut_hz", 20.f}});
    std::size_t first = 0;
    while (first < out.frames() && out.left[first] == 0.f)
        ++first;
    std::printf("[measured] reverb hall, pre-delay 100 ms: first wet sample at %.2f ms\n", first / 48.0);
    EXPECT_GE(first, 4800u);
    EXPECT_LT(first, 4800u + 48u * 40u);
}

TEST(Reverb, MixZeroIsExactlyDry) {
    const auto input = stereo(whiteNoise(48000, 3, 0.5f), whiteNoise(48000, 4, 0.5f));
    for (int c = 0; c <= 3; ++c) {
        const auto out =
            render<Reverb>(48000.0, 64, input, {{"character", static_cast<float>(c)}, {"mix", 0.f}});
        EXPECT_EQ(maxAbsDiff(out.left, input.left), 0.f);
        EXPECT_EQ(maxAbsDiff(out.right, input.right), 0.f);
    }
}

TEST(Reverb, WidthZeroGivesMonoWetAndWidthOneIsStereo) {
    const auto input = stereo(whiteNoise(24000, 5, 0.5f), whiteNoise(24000, 6, 0.5f));
    const auto mono = render<Reverb>(48000.0, 64, input, {{"width", 0.f}, {"mix", 1.f}});
    EXPECT_EQ(maxAbsDiff(mono.left, mono.right), 0.f);
    EXPECT_GT(rms(mono.left), 0.01);
    const auto wide = render<Reverb>(48000.0, 64, input, {{"width", 1.f}, {"mix", 1.f}});
    double lr = 0, ll = 0, rr = 0;
    for (std::size_t i = 4800; i < wide.frames(); ++i) {
        lr += static_cast<double>(wide.left[i]) * wide.right[i];
        ll += static_cast<double>(wide.left[i]) * wide.left[i];
        rr += static_cast<double>(wide.right[i]) * wide.right[i];
    }
    const double corr = lr / std::sqrt(ll * rr);
    std::printf("[measured] reverb width 1: wet L/R correlation %.3f\n", corr);
    EXPECT_LT(std::fabs(corr), 0.3);
}

TEST(Reverb, SilenceGivesExactSilenceAndTailsDieToExactZero) {
    for (int c = 0; c <= 3; ++c) {
        auto silent = render<Reverb>(48000.0, 64, dualMono(constant(9600, 0.f)),
                                     {{"character", static_cast<float>(c)}, {"mix", 1.f}});
        EXPECT_EQ(peak(silent.left), 0.f);
        EXPECT_EQ(peak(silent.right), 0.f);
        // A 1 s tail falls by 400 dB (the flush level, 1e-20) in under 7 s: everything after is exactly 0.
        const auto tail = render<Reverb>(
            48000.0, 256, dualMono(impulse(48000 * 10)),
            {{"character", static_cast<float>(c)}, {"decay_s", 1.f}, {"mix", 1.f}, {"damping", 0.f}});
        const Window last{48000 * 9, 48000 * 10};
        EXPECT_EQ(peak(slice(tail.left, last)), 0.f) << c;
        EXPECT_EQ(peak(slice(tail.right, last)), 0.f) << c;
        float smallest = 1.f;
        for (float x : tail.left)
            if (x != 0.f) smallest = std::min(smallest, std::fabs(x));
        EXPECT_GE(smallest, 1e-30f) << "no denormals on the way down";
    }
}

TEST(Reverb, RandomParameterSoakStaysFinite) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        const auto soak = randomParamSoak<Reverb>(rate, 3.0, 512, 21, 0.5f);
        EXPECT_TRUE(soak.finite) << rate;
        EXPECT_LT(soak.outputPeak, 8.f) << rate;
    }
}

TEST(Reverb, SteppingEveryParameterMidSineDoesNotClick) {
    StepSpec spec;
    const std::vector<ParamValue> base{{"mix", 0.5f}};
    struct Step {
        const char* id;
        float from, to;
    } steps[] = {{"decay_s", 2.f, 0.3f},      {"decay_s", 0.5f, 10.f}, {"predelay_ms", 10.f, 200.f},
                 {"predelay_ms", 100.f, 0.f}, {"damping", 0.f, 1.f},   {"lowcut_hz", 20.f, 1000.f},
                 {"width", 1.f, 0.f},         {"mix", 0.f, 1.f},       {"mix", 1.f, 0.f},
                 {"character", 0.f, 3.f},     {"character", 2.f, 1.f}};
    for (const auto& s : steps) {
        const auto r = stepParamMidSine<Reverb>(spec, base, s.id, s.from, s.to);
        std::printf("[measured] reverb step %-12s %6.1f -> %6.1f: click score %.2f\n", s.id,
                    static_cast<double>(s.from), static_cast<double>(s.to), r.clickScore);
        EXPECT_LT(r.clickScore, 2.0) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.005) << s.id << ": the change must be audible";
    }
}

TEST(Reverb, OutputIsBlockSizeInvariant) {
    const auto input = stereo(whiteNoise(17408 * 3, 8, 0.3f), whiteNoise(17408 * 3, 9, 0.3f));
    for (int c = 0; c <= 3; ++c) {
        const float dev = blockSizeDeviation<Reverb>(
            48000.0, input, {{"character", static_cast<float>(c)}, {"mix", 0.7f}},
            {{17408, {{"decay_s", 5.f}, {"predelay_ms", 40.f}, {"damping", 0.8f}, {"lowcut_hz", 300.f}}},
             {34816, {{"character", static_cast<float>((c + 1) % 4)}, {"width", 0.3f}, {"mix", 0.4f}}}});
        EXPECT_LT(dev, 1e-5f) << c;
    }
}

// Cost is measured by `stagerack bench` and bench/stagerack_bench, never in a timed unit test.

} // namespace
} // namespace stagerack::test
