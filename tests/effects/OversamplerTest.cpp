#include "effects/dsp/Oversampler.h"
#include "effects/dsp/Waveshapers.h"
#include "tests/support/Analysis.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <numbers>

namespace stagerack::test {
namespace {

using dsp::Oversampler;

std::vector<float> roundTrip(Oversampler& os, const std::vector<float>& x) {
    std::vector<float> y(x.size());
    float up[Oversampler::kMaxFactor];
    for (std::size_t n = 0; n < x.size(); ++n) {
        os.upsample(x[n], up);
        y[n] = os.downsample(up);
    }
    return y;
}

TEST(Oversampler, LatencyIsExactAndTheResponseLinearPhase) {
    for (uint32_t factor : {2u, 4u, 8u}) {
        Oversampler os;
        os.prepare(factor);
        const std::size_t at = 10;
        const std::vector<float> y = roundTrip(os, impulse(400, at));
        const std::size_t measured = peakIndex(y) - at;
        std::printf("[measured] oversampler %ux: reported latency %u, impulse peak after %zu samples "
                    "(first up stage %zu taps, final decimator %zu taps)\n",
                    factor, os.latencySamples(), measured, os.firstUpTaps(), os.finalDownTaps());
        EXPECT_EQ(measured, os.latencySamples()) << factor;
        // Linear phase: the impulse response is symmetric about the reported delay.
        const std::size_t c = at + os.latencySamples();
        for (std::size_t k = 1; k <= os.latencySamples(); ++k)
            EXPECT_NEAR(y[c - k], y[c + k], 2e-7f) << factor << " x, offset " << k;
        // And it preserves DC exactly enough.
        Oversampler dc;
        dc.prepare(factor);
        const std::vector<float> ones = roundTrip(dc, constant(400, 1.f));
        EXPECT_NEAR(ones.back(), 1.f, 1e-5f);
    }
}

TEST(Oversampler, PassbandIsFlat) {
    const double rate = 48000.0;
    for (uint32_t factor : {2u, 4u, 8u}) {
        double worst = 0.0;
        for (double f = 20.0; f <= Oversampler::kPassband * rate + 1.0; f *= 1.05) {
            Oversampler os;
            os.prepare(factor);
            const std::vector<float> x = sine(f, rate, 24000, 0.5f);
            const std::vector<float> y = roundTrip(os, x);
            const std::size_t lat = os.latencySamples();
            // Compare with the input delayed by the latency, over the same span.
            const Window in{2000, 24000 - lat};
            const Window out{2000 + lat, 24000};
            const double gainDb = goertzelDb(slice(y, out), f, rate) - goertzelDb(slice(x, in), f, rate);
            const double err = maxAbsDiff(slice(y, out), slice(x, in));
            worst = std::max(worst, std::fabs(gainDb));
            EXPECT_LT(std::fabs(gainDb), 0.01) << factor << "x at " << f << " Hz";
            // Also in the time domain: a delayed copy of the input, to -70 dB.
            EXPECT_LT(err, 0.5 * 3.2e-4) << factor << "x at " << f << " Hz";
        }
        std::printf("[measured] oversampler %ux: passband 20 Hz..%.0f Hz at 48 kHz flat within %.5f dB\n",
                    factor, Oversampler::kPassband * rate, worst);
    }
}

TEST(Oversampler, UpsamplerImagesAreRejected) {
    const double rate = 48000.0;
    for (uint32_t factor : {2u, 4u, 8u}) {
        double worst = -400.0;
        // Frequencies on the analysis grid (whole cycles in the window) so that neither the sine nor its
        // images leak into each other's Goertzel bins.
        const std::size_t window = 6144;
        for (std::size_t m = 13; m * rate / window <= Oversampler::kPassband * rate; m += 131) {
            const double f = static_cast<double>(m) * rate / window;
            Oversampler os;
            os.prepare(factor);
            const std::vector<float> x = sine(f, rate, 2048 + window, 0.5f);
            std::vector<float> up(x.size() * factor);
            for (std::size_t n = 0; n < x.size(); ++n)
                os.upsample(x[n], up.data() + n * factor);
            const double hiRate = rate * factor;
            const Window w{2048 * factor, up.size()};
            const double signal = goertzelDb(slice(up, w), f, hiRate);
            // Images sit at k fs +- f for every k up to the top rate's Nyquist frequency.
            for (uint32_t k = 1; k < factor; ++k)
                for (double image : {k * rate - f, k * rate + f})
                    if (image < hiRate / 2)
                        worst = std::max(worst, goertzelDb(slice(up, w), image, hiRate) - signal);
        }
        std::printf("[measured] oversampler %ux: worst upsampling image %.1f dB\n", factor, worst);
        EXPECT_LT(worst, -85.0) << factor;
    }
}

TEST(Oversampler, DecimatorRejectsEverythingAboveTheBaseNyquist) {
    // What a clipper makes above fs / 2 must not fold back: feed the top rate with sines from just above
    // fs / 2 to the top Nyquist frequency and measure whatever comes out at the base rate.
    const double rate = 48000.0;
    for (uint32_t factor : {2u, 4u, 8u}) {
        Oversampler probe;
        probe.prepare(factor);
        const double hiRate = rate * factor;
        double worst = -400.0;
        double worstHz = 0.0;
        for (double f = 0.5 * rate + 7.0; f < hiRate / 2; f += 0.5 * rate / 9.3) {
            Oversampler os;
            os.prepare(factor);
            const std::vector<float> hi = sine(f, hiRate, 4096 * factor, 0.5f);
            std::vector<float> y(4096);
            for (std::size_t n = 0; n < y.size(); ++n)
                y[n] = os.downsample(hi.data() + n * factor);
            const double level = toDb(rms(slice(y, {1024, y.size()})) * std::sqrt(2.0) / 0.5);
            if (level > worst) {
                worst = level;
                worstHz = f;
            }
        }
        std::printf(
            "[measured] oversampler %ux: worst fold-back from above %.0f Hz: %.1f dB (input at %.0f Hz)\n",
            factor, rate / 2, worst, worstHz);
        EXPECT_LT(worst, -85.0) << factor;
    }
}

TEST(Oversampler, SpectrumAnalyserSeesAliases) {
    // The control for the drives' aliasing test: a hard clip without oversampling must read badly.
    const double rate = 48000.0;
    std::vector<float> x = sine(2011.0, rate, 65536, 0.5f);
    for (float& v : x)
        v = std::clamp(v * 20.f, -1.f, 1.f);
    const AliasReport naive = worstNonHarmonic(x, 2011.0, rate);
    // The clean sine reads far lower.
    const AliasReport clean = worstNonHarmonic(sine(2011.0, rate, 65536, 0.5f), 2011.0, rate);
    std::printf("[measured] analyser: naive hard clip %.1f dBc at %.0f Hz; clean sine %.1f dBc\n",
                naive.worstDbc, naive.worstHz, clean.worstDbc);
    EXPECT_GT(naive.worstDbc, -40.0);
    EXPECT_LT(clean.worstDbc, -90.0); // the window's own floor 8 bins from a full-scale line
}

// Every curve: F' = f (central difference), F(0) = 0, f(0) = 0 and f'(0) = 1.
template <typename S>
void checkShaper(const S& s, const char* name, double slopeTol = 1e-4) {
    EXPECT_EQ(s.f(0.0), 0.0) << name;
    EXPECT_NEAR(s.F(0.0), 0.0, 1e-15) << name;
    const double h = 1e-5;
    EXPECT_NEAR((s.f(h) - s.f(0.0)) / h, 1.0, slopeTol) << name; // one-sided: the rectifier has a kink
    double worst = 0.0;
    for (double x = -40.0; x <= 40.0; x += 0.0137) {
        const double d = (s.F(x + h) - s.F(x - h)) / (2 * h);
        worst = std::max(worst, std::fabs(d - s.f(x)));
    }
    EXPECT_LT(worst, 1e-5) << name;
}

TEST(Waveshapers, AntiderivativesMatchTheCurves) {
    using namespace dsp::shapers;
    checkShaper(Soft{}, "soft");
    checkShaper(Triode{0.35, 0.55}, "triode");
    checkShaper(Triode{-0.2, 0.7}, "triode negative bias");
    checkShaper(Diode{1.0}, "diode");
    checkShaper(Germanium{}, "germanium", 1e-4);
    checkShaper(Rectifier{0.5}, "rectifier");
    checkShaper(Foldback{}, "foldback");
}

TEST(Waveshapers, AdaaFallbackAndSilence) {
    using namespace dsp::shapers;
    Adaa1 a;
    const Diode d;
    a.reset(d, 0.0);
    EXPECT_EQ(a.process(d, 0.0), 0.0); // silence stays exactly silent
    // A constant input returns f of it (the ill-conditioned case), a ramp the mean of f along it.
    a.reset(d, 5.0);
    EXPECT_NEAR(a.process(d, 5.0), 1.0, 1e-12);
    a.reset(d, 0.5);
    EXPECT_NEAR(a.process(d, 0.5 + 1e-9), d.f(0.5), 1e-9);
    a.reset(d, -3.0);
    EXPECT_NEAR(a.process(d, 3.0), 0.0, 1e-12); // odd curve, symmetric segment
}

} // namespace
} // namespace stagerack::test
