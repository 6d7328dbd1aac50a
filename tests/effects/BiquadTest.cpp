#include "effects/dsp/Biquad.h"
#include "tests/support/Analysis.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <numbers>

namespace stagerack::test {
namespace {

using dsp::BiquadCoeffs;
using dsp::FilterKind;
using dsp::SvfDesign;

constexpr FilterKind kKinds[] = {FilterKind::LowPass, FilterKind::HighPass, FilterKind::BandPass,
                                 FilterKind::Peak,    FilterKind::LowShelf, FilterKind::HighShelf};

// Steady-state gain of a mono per-sample filter at one frequency: sine in, settle, Goertzel over whole
// cycles of output against the same window of input.
template <typename Tick>
double measuredGainDb(Tick&& tick, double freqHz, double rate) {
    const auto settle = static_cast<std::size_t>(0.3 * rate);
    const double cycles = std::max(20.0, std::round(0.2 * freqHz));
    const auto window = static_cast<std::size_t>(std::lround(cycles * rate / freqHz));
    const std::vector<float> x = sine(freqHz, rate, settle + window, 0.25f);
    std::vector<float> y(x.size());
    for (std::size_t n = 0; n < x.size(); ++n)
        y[n] = tick(x[n]);
    const Window w{settle, settle + window};
    return goertzelDb(slice(y, w), freqHz, rate) - goertzelDb(slice(x, w), freqHz, rate);
}

TEST(Biquad, SvfPrototypeIsExactlyTheCookbookBiquad) {
    // Independent formulas: the cookbook's z-domain coefficients against the bilinear transform of the
    // SVF's analog mix. They must describe the same filter.
    Rng rng(17);
    double worst = 0.0;
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        for (FilterKind kind : kKinds) {
            for (int i = 0; i < 50; ++i) {
                const double f = std::exp(rng.uniform(std::log(20.0), std::log(0.45 * rate)));
                const double q = std::exp(rng.uniform(std::log(0.3), std::log(12.0)));
                const double db = rng.uniform(-24.0, 24.0);
                const BiquadCoeffs rbj = BiquadCoeffs::design(kind, rate, f, q, db);
                const BiquadCoeffs svf = SvfDesign::design(kind, rate, f, q, db).toBiquad();
                for (double c :
                     {rbj.b0 - svf.b0, rbj.b1 - svf.b1, rbj.b2 - svf.b2, rbj.a1 - svf.a1, rbj.a2 - svf.a2})
                    worst = std::max(worst, std::fabs(c));
            }
        }
    }
    std::printf("[measured] biquad: largest cookbook vs SVF coefficient difference %.3g\n", worst);
    EXPECT_LE(worst, 1e-9);
}

TEST(Biquad, AnalyticResponsesHaveTheTextbookValues) {
    const double rate = 48000.0;
    // Butterworth: -3.01 dB at the cutoff; 12 dB/octave and 24 dB/octave far below it.
    const BiquadCoeffs hp = BiquadCoeffs::design(FilterKind::HighPass, rate, 1000.0, dsp::kButterworthQ);
    EXPECT_NEAR(hp.magnitudeDb(1000.0), -3.0103, 1e-3);
    EXPECT_NEAR(hp.magnitudeDb(50.0) - hp.magnitudeDb(100.0), -12.04, 0.05);
    const BiquadCoeffs lp = BiquadCoeffs::design(FilterKind::LowPass, rate, 1000.0, dsp::kButterworthQ);
    EXPECT_NEAR(lp.magnitudeDb(1000.0), -3.0103, 1e-3);
    const BiquadCoeffs h4a = BiquadCoeffs::design(FilterKind::HighPass, rate, 1000.0, dsp::kButterworth4QLow);
    const BiquadCoeffs h4b =
        BiquadCoeffs::design(FilterKind::HighPass, rate, 1000.0, dsp::kButterworth4QHigh);
    EXPECT_NEAR(h4a.magnitudeDb(1000.0) + h4b.magnitudeDb(1000.0), -3.0103, 1e-3);
    EXPECT_NEAR(h4a.magnitudeDb(50.0) + h4b.magnitudeDb(50.0) - h4a.magnitudeDb(100.0) -
                    h4b.magnitudeDb(100.0),
                -24.08, 0.05);
    // Peak: the full gain at the centre; shelves: the full gain far inside, half of it (in dB) at f0.
    const BiquadCoeffs peak = BiquadCoeffs::design(FilterKind::Peak, rate, 1000.0, 2.0, 9.0);
    EXPECT_NEAR(peak.magnitudeDb(1000.0), 9.0, 1e-9);
    const BiquadCoeffs ls =
        BiquadCoeffs::design(FilterKind::LowShelf, rate, 200.0, dsp::kButterworthQ, -12.0);
    EXPECT_NEAR(ls.magnitudeDb(200.0), -6.0, 1e-9);
    EXPECT_NEAR(ls.magnitudeDb(5.0), -12.0, 0.01);
    EXPECT_NEAR(ls.magnitudeDb(20000.0), 0.0, 0.01);
    const BiquadCoeffs hs =
        BiquadCoeffs::design(FilterKind::HighShelf, rate, 4000.0, dsp::kButterworthQ, 6.0);
    EXPECT_NEAR(hs.magnitudeDb(4000.0), 3.0, 1e-9);
    EXPECT_NEAR(hs.magnitudeDb(23900.0), 6.0, 0.01);
    const BiquadCoeffs bp = BiquadCoeffs::design(FilterKind::BandPass, rate, 700.0, 5.0);
    EXPECT_NEAR(bp.magnitudeDb(700.0), 0.0, 1e-9);
}

TEST(Biquad, BothTopologiesMeasureTheAnalyticResponse) {
    double worst = 0.0;
    for (double rate : {44100.0, 96000.0}) {
        for (FilterKind kind : kKinds) {
            const double f0 = 800.0;
            const double q = 2.0;
            const double db = 10.0;
            const BiquadCoeffs target = BiquadCoeffs::design(kind, rate, f0, q, db);
            for (double f : {100.0, 400.0, 800.0, 1600.0, 6400.0}) {
                dsp::Biquad df;
                df.setCoeffs(target);
                const double tdf = measuredGainDb([&](float x) { return df.process(x); }, f, rate);
                dsp::SvfState<float> s;
                const dsp::SvfCoeffs c = dsp::SvfCoeffs::from(SvfDesign::design(kind, rate, f0, q, db));
                const double svf = measuredGainDb([&](float x) { return dsp::svfTick(s, x, c); }, f, rate);
                const double want = target.magnitudeDb(f);
                if (want < -60.0) continue; // deep stop band: float noise, not the design
                EXPECT_NEAR(tdf, want, 0.02) << static_cast<int>(kind) << " " << f << " Hz at " << rate;
                EXPECT_NEAR(svf, want, 0.02) << static_cast<int>(kind) << " " << f << " Hz at " << rate;
                worst = std::max({worst, std::fabs(tdf - want), std::fabs(svf - want)});
            }
        }
    }
    std::printf("[measured] biquad: TDF-II and SVF vs analytic, worst %.4f dB\n", worst);
}

TEST(Biquad, SvfSurvivesCoefficientsJumpingEveryFewSamples) {
    // The reason the modulated effects use the SVF: a resonant band-pass swept between its extremes every
    // 8 samples stays bounded.
    const double rate = 48000.0;
    const std::vector<float> x = whiteNoise(96000, 5, 0.5f);
    dsp::SvfState<float> s;
    Rng rng(3);
    dsp::SvfCoeffs c;
    float outPeak = 0.f;
    for (std::size_t n = 0; n < x.size(); ++n) {
        if (n % 8 == 0)
            c = dsp::SvfCoeffs::from(
                SvfDesign::design(FilterKind::BandPass, rate, rng.uniform() < 0.5 ? 30.0 : 20000.0, 10.0));
        const float y = dsp::svfTick(s, x[n], c);
        ASSERT_TRUE(std::isfinite(y)) << n;
        outPeak = std::max(outPeak, std::fabs(y));
    }
    std::printf("[measured] biquad: SVF band-pass Q 10 jumping 30 Hz <-> 20 kHz every 8 samples: peak %.3f\n",
                outPeak);
    EXPECT_LT(outPeak, 20.f);
}

TEST(Biquad, SanitizeFlushesTinyAndNonFiniteStates) {
    EXPECT_EQ(dsp::sanitizeState(1e-21f), 0.f);
    EXPECT_EQ(dsp::sanitizeState(std::numeric_limits<float>::quiet_NaN()), 0.f);
    EXPECT_EQ(dsp::sanitizeState(std::numeric_limits<float>::infinity()), 0.f);
    EXPECT_EQ(dsp::sanitizeState(-0.5f), -0.5f);
}

} // namespace
} // namespace stagerack::test
