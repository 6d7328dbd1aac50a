#include "effects/dsp/Lfo.h"
#include "effects/dsp/ModDelay.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numbers>

namespace stagerack::test {
namespace {

using dsp::Lfo;

TEST(Lfo, PolynomialSineMatchesStdSin) {
    double worst = 0.0;
    for (int i = -20000; i <= 20000; ++i) {
        const double p = i / 7919.0;
        worst = std::max(worst, std::fabs(dsp::sineCycles(p) - std::sin(2.0 * std::numbers::pi * p)));
    }
    std::printf("[measured] lfo polynomial sine: worst error %.3g\n", worst);
    EXPECT_LT(worst, 2e-7);
}

TEST(Lfo, ShapesSpanPlusMinusOneAndStayContinuous) {
    for (auto shape :
         {dsp::LfoShape::Sine, dsp::LfoShape::Triangle, dsp::LfoShape::Square, dsp::LfoShape::Saw}) {
        float lo = 1.f, hi = -1.f, jump = 0.f, previous = dsp::lfoShape(shape, 0.0, 0.02);
        for (int i = 1; i <= 100000; ++i) {
            const float v = dsp::lfoShape(shape, i / 100000.0, 0.02);
            lo = std::min(lo, v);
            hi = std::max(hi, v);
            jump = std::max(jump, std::fabs(v - previous));
            previous = v;
        }
        EXPECT_NEAR(lo, -1.f, 1e-4f);
        EXPECT_NEAR(hi, 1.f, 1e-4f);
        // The square's and saw's edges take 2 % of a cycle: at most ~2 / 2000 * 1.5 per 1e-5 cycle step.
        EXPECT_LT(jump, 2e-3f) << static_cast<int>(shape);
    }
}

TEST(Lfo, PhaseAdvancesExactlyAndSyncUsesTheNoteLength) {
    const double rate = 48000.0;
    Lfo lfo;
    lfo.prepare(rate, 16);
    lfo.reset(3.7, 0);
    const int steps = 30000; // 10 s
    for (int i = 0; i < steps; ++i) {
        if (i % 4 == 0) lfo.beginBlock(0, 120.0, 0.0, 64);
        lfo.step(3.7, static_cast<uint32_t>(16 * (i % 4)));
    }
    const double expected = 3.7 * steps * 16 / rate;
    EXPECT_NEAR(Lfo::wrapSigned(lfo.phase() - expected), 0.0, 1e-9); // 3.7 Hz for 10 s: 37 whole cycles
    // A dotted eighth at 100 BPM: 0.45 s.
    EXPECT_NEAR(Lfo::targetRate(1.f, 9, 100.0), 1.0 / 0.45, 1e-12);
    EXPECT_EQ(Lfo::targetRate(1.f, 0, 100.0), 1.0);
}

TEST(Lfo, BeatLockPullsThePhaseOntoTheBeatWithoutJumps) {
    const double rate = 48000.0, bpm = 120.0;
    Lfo lfo;
    lfo.prepare(rate, 16);
    lfo.reset(1.0, 0); // free-running first, then switched to 1/4
    double beat = 0.0;
    double maxStep = 0.0;
    double error = 1.0;
    for (int block = 0; block < 3000; ++block) { // 4 s
        const std::size_t sync = block < 100 ? 0 : 3;
        lfo.beginBlock(sync, bpm, beat, 64);
        for (uint32_t g = 0; g < 4; ++g) {
            const double before = lfo.phase();
            lfo.step(0.77, 16 * g);
            maxStep = std::max(maxStep, Lfo::wrap(lfo.phase() - before));
        }
        beat += 64 * bpm / (60.0 * rate);
        error = std::fabs(Lfo::wrapSigned(lfo.phase() - beat)); // a quarter note: one cycle per beat
    }
    const double nominal = 2.0 * 16 / rate;
    std::printf("[measured] lfo beat lock: phase error after 4 s %.2g cycles; largest step %.4f x nominal\n",
                error, maxStep / nominal);
    EXPECT_LT(error, 1e-6);
    EXPECT_LE(maxStep, nominal * (1.0 + Lfo::kMaxLockTrim) * 1.0001);
}

TEST(Lfo, ModDelayIsExactAtWholeDelaysAndSmoothBetween) {
    dsp::ModDelay line;
    line.prepare(64);
    for (int n = 0; n < 200; ++n) {
        const float x = std::sin(0.05f * static_cast<float>(n));
        if (n >= 40) {
            EXPECT_EQ(line.read(10.f), line.at(10));
            // A 0.05 rad/sample sine through a fractional delay: Lagrange error is tiny at low frequencies.
            const float want = std::sin(0.05f * (static_cast<float>(n) - 10.25f));
            EXPECT_NEAR(line.read(10.25f), want, 2e-5f);
        }
        line.push(x);
    }
}

} // namespace
} // namespace stagerack::test
