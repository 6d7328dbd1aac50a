#include "effects/drive/Distortion.h"
#include "effects/drive/Fuzz.h"
#include "effects/drive/Overdrive.h"
#include "tests/support/Analysis.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <set>

namespace stagerack::test {
namespace {

using fx::Distortion;
using fx::Fuzz;
using fx::Overdrive;

constexpr double kAliasFreq = 2011.0;
constexpr std::size_t kFftSize = 65536;

template <typename E>
AliasReport aliasAtMaxDrive(double rate, float character, float tone) {
    const auto settle = static_cast<std::size_t>(0.5 * rate);
    const std::size_t frames = settle + kFftSize;
    const StereoBuffer out = render<E>(rate, 256, dualMono(sine(kAliasFreq, rate, frames, 0.5f)),
                                       {{"drive", 1.f}, {"character", character}, {"tone", tone}});
    return worstNonHarmonic(slice(out.left, {settle, frames}), kAliasFreq, rate);
}

template <typename E>
void aliasTable(double rate) {
    for (std::size_t c = 0; c < 3; ++c) {
        const AliasReport r = aliasAtMaxDrive<E>(rate, static_cast<float>(c), 1.f);
        std::printf(
            "[measured] alias %-10s %-9s %6.0f Hz: worst %7.2f dBc at %8.1f Hz (fundamental %.1f dBFS)\n",
            std::string(E::kId).c_str(), std::string(E::kParams[E::kCharacter].labels[c]).c_str(), rate,
            r.worstDbc, r.worstHz, r.fundamentalDb);
        EXPECT_LE(r.worstDbc, -70.0) << E::kId << " " << E::kParams[E::kCharacter].labels[c] << " " << rate;
    }
}

TEST(Drive, AliasingAtMaximumDrive) {
    for (double rate : {48000.0, 44100.0}) {
        aliasTable<Overdrive>(rate);
        aliasTable<Distortion>(rate);
        aliasTable<Fuzz>(rate);
    }
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

template <typename E>
std::string label(std::size_t c) {
    return std::string(E::kParams[E::kCharacter].labels[c]);
}

TEST(Drive, MetadataIsCompleteAndOffersSixCharacters) {
    std::set<std::string> all;
    auto check = [&]<typename E>(E*) {
        EXPECT_TRUE(metadataProblems(fx::infoOf<E>()).empty()) << joined(metadataProblems(fx::infoOf<E>()));
        EXPECT_EQ(E::kCategory, "drive");
        const std::array<std::string_view, 4> ids{"drive", "tone", "level_db", "character"};
        for (std::size_t i = 0; i < ids.size(); ++i)
            EXPECT_EQ(E::kParams[i].id, ids[i]);
        EXPECT_EQ(E::kParams[E::kCharacter].smoothMs, 0.f);
        for (std::size_t i = 0; i < 3; ++i)
            EXPECT_GT(E::kParams[i].smoothMs, 0.f);
        for (std::size_t c = 0; c < 3; ++c)
            all.insert(label<E>(c));
    };
    check(static_cast<Overdrive*>(nullptr));
    check(static_cast<Distortion*>(nullptr));
    check(static_cast<Fuzz*>(nullptr));
    for (const char* c : {"soft", "triode", "diode", "germanium", "rectifier", "foldback"})
        EXPECT_TRUE(all.count(c)) << c;
    EXPECT_EQ(Overdrive::kId, "overdrive");
    EXPECT_EQ(Distortion::kId, "distortion");
    EXPECT_EQ(Fuzz::kId, "fuzz");
}

// A low-level impulse at drive 0 passes the linear part of the chain: its peak lands on the reported
// latency (the characters that are linear near zero; germanium gates and the rectifier folds small signals).
template <typename E>
void checkLatency(double rate, float character) {
    const std::size_t at = 100;
    const StereoBuffer out =
        render<E>(rate, 64, dualMono(impulse(2000, at, 1e-3f)), {{"drive", 0.f}, {"character", character}});
    E probe;
    probe.prepare(rate, 64);
    const std::size_t measured = peakIndex(out.left) - at;
    std::printf("[measured] %s %s at %.0f Hz: latency %zu samples measured, %u reported (%ux oversampling)\n",
                std::string(E::kId).c_str(), label<E>(static_cast<std::size_t>(character)).c_str(), rate,
                measured, probe.latencySamples(), probe.core().oversampling());
    EXPECT_EQ(measured, probe.latencySamples()) << E::kId << " " << rate;
    // The peak is the impulse itself, smoothed a little by the curve's ADAA (half a top-rate sample: at 2x,
    // 192 kHz, a quarter of a base sample) and the decimator.
    EXPECT_GT(out.left[at + measured], 0.7e-3f) << E::kId << " " << rate;
    EXPECT_LT(out.left[at + measured], 1.05e-3f) << E::kId << " " << rate;
}

TEST(Drive, LatencyMatchesTheMeasuredDelay) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        checkLatency<Overdrive>(rate, 0.f);
        checkLatency<Distortion>(rate, 0.f);
        checkLatency<Fuzz>(rate, 1.f);
    }
}

// Gain for a -30 dBFS 1 kHz sine at drive 0, tone 0.5 (flat), level 0 dB.
template <typename E>
double gainAtDriveZero(float character) {
    const double rate = 48000.0;
    const std::size_t frames = 24000;
    const std::vector<float> x = sine(1000.0, rate, frames, 0.0316f);
    const StereoBuffer out = render<E>(rate, 64, dualMono(x), {{"drive", 0.f}, {"character", character}});
    const Window w{4800, 4800 + 19200};
    return goertzelDb(slice(out.left, w), 1000.0, rate) - goertzelDb(slice(x, w), 1000.0, rate);
}

TEST(Drive, GainAtDriveZeroIsUnity) {
    // Characters that are linear near zero pass a -30 dBFS sine at 0 dB within 0.25 dB; the gated germanium
    // and the half-rectifying rectifier are reported only.
    auto check = [&]<typename E>(E*) {
        for (std::size_t c = 0; c < 3; ++c) {
            const double g = gainAtDriveZero<E>(static_cast<float>(c));
            std::printf("[measured] %s %s: gain at drive 0 %.3f dB\n", std::string(E::kId).c_str(),
                        label<E>(c).c_str(), g);
            if (label<E>(c) != "germanium" && label<E>(c) != "rectifier") {
                EXPECT_NEAR(g, 0.0, 0.25) << E::kId << " " << label<E>(c);
            }
        }
    };
    check(static_cast<Overdrive*>(nullptr));
    check(static_cast<Distortion*>(nullptr));
    check(static_cast<Fuzz*>(nullptr));
}

TEST(Drive, LevelCompensationKeepsLoudnessInCheck) {
    // A -18 dBFS 1 kHz sine: the RMS output at drive 1 against drive 0.
    const double rate = 48000.0;
    const std::vector<float> x = sine(1000.0, rate, 24000, 0.125f);
    const Window w{9600, 24000};
    auto check = [&]<typename E>(E*) {
        for (std::size_t c = 0; c < 3; ++c) {
            const auto ch = static_cast<float>(c);
            const StereoBuffer lo = render<E>(rate, 64, dualMono(x), {{"drive", 0.f}, {"character", ch}});
            const StereoBuffer hi = render<E>(rate, 64, dualMono(x), {{"drive", 1.f}, {"character", ch}});
            const double change = rmsDb(slice(hi.left, w)) - rmsDb(slice(lo.left, w));
            std::printf(
                "[measured] %s %s: drive 0 -> 1 changes the level by %+.2f dB (uncompensated gain %+.0f "
                "dB)\n",
                std::string(E::kId).c_str(), label<E>(c).c_str(), change, E::kVoicing.maxDriveDb);
            EXPECT_LT(std::fabs(change), 6.0) << E::kId << " " << label<E>(c);
        }
    };
    check(static_cast<Overdrive*>(nullptr));
    check(static_cast<Distortion*>(nullptr));
    check(static_cast<Fuzz*>(nullptr));
}

StereoBuffer testSignal(std::size_t frames) {
    // Dual-mono first (the linked path), then different channels (unlinked), at guitar levels.
    StereoBuffer b = dualMono(whiteNoise(frames, 7, 0.3f));
    const std::vector<float> other = whiteNoise(frames, 8, 0.3f);
    for (std::size_t n = frames / 2; n < frames; ++n)
        b.right[n] = other[n];
    return b;
}

template <typename E>
void checkBlockSizes() {
    const double rate = 48000.0;
    for (std::size_t c = 0; c < 3; ++c) {
        const float deviation = blockSizeDeviation<E>(
            rate, testSignal(40000), {{"character", static_cast<float>(c)}, {"drive", 0.3f}},
            {{0, {{"drive", 0.9f}, {"tone", 0.2f}}},
             {17408, {{"level_db", -12.f}, {"tone", 0.9f}, {"character", static_cast<float>((c + 1) % 3)}}}});
        std::printf("[measured] %s %s: block-size deviation %.3g\n", std::string(E::kId).c_str(),
                    label<E>(c).c_str(), deviation);
        EXPECT_LE(deviation, 1e-5f) << E::kId << " " << label<E>(c);
    }
}

TEST(Drive, BlockSizeInvariance) {
    checkBlockSizes<Overdrive>();
    checkBlockSizes<Distortion>();
    checkBlockSizes<Fuzz>();
}

template <typename E>
void checkLinking() {
    // Right = left for a while, then its own signal: the right output must be exactly what a dual-mono run of
    // the right input gives (the unlinked channel takes over the shared state exactly).
    const double rate = 48000.0;
    const StereoBuffer in = testSignal(20000);
    const StereoBuffer both = render<E>(rate, 64, in, {{"drive", 0.8f}});
    const StereoBuffer rightAlone = render<E>(rate, 64, dualMono(in.right), {{"drive", 0.8f}});
    const StereoBuffer leftAlone = render<E>(rate, 64, dualMono(in.left), {{"drive", 0.8f}});
    EXPECT_EQ(maxAbsDiff(both.right, rightAlone.left), 0.f) << E::kId;
    EXPECT_EQ(maxAbsDiff(both.left, leftAlone.left), 0.f) << E::kId;
}

TEST(Drive, StereoChannelsAreIndependentAndMonoIsSharedExactly) {
    checkLinking<Overdrive>();
    checkLinking<Distortion>();
    checkLinking<Fuzz>();
}

template <typename E>
void checkRates() {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        const auto frames = static_cast<std::size_t>(0.5 * rate);
        for (std::size_t c = 0; c < 3; ++c) {
            const StereoBuffer out = render<E>(rate, 256, dualMono(sine(440.0, rate, frames, 0.2f)),
                                               {{"drive", 0.7f}, {"character", static_cast<float>(c)}});
            ASSERT_TRUE(allFinite(out.left) && allFinite(out.right)) << E::kId << " " << rate;
            const Window w{frames / 2, frames};
            // Distorted but still clearly the note, at a sane level.
            const double fund = goertzelDb(slice(out.left, w), 440.0, rate);
            EXPECT_GT(fund, -40.0) << E::kId << " " << label<E>(c) << " " << rate;
            EXPECT_LT(peak(slice(out.left, w)), 1.5f) << E::kId << " " << label<E>(c) << " " << rate;
        }
    }
}

TEST(Drive, SampleRates) {
    checkRates<Overdrive>();
    checkRates<Distortion>();
    checkRates<Fuzz>();
}

template <typename E>
void checkSilence() {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0})
        for (std::size_t c = 0; c < 3; ++c) {
            const StereoBuffer out = render<E>(rate, 64, dualMono(constant(9600, 0.f)),
                                               {{"drive", 1.f}, {"character", static_cast<float>(c)}});
            EXPECT_EQ(peak(out.left), 0.f) << E::kId << " " << rate;
            EXPECT_EQ(peak(out.right), 0.f) << E::kId << " " << rate;
        }
    // After a burst the output decays to silence (no denormal residue).
    const StereoBuffer after = render<E>(
        48000.0, 64, dualMono(concat(whiteNoise(4800, 3, 0.5f), constant(96000, 0.f))), {{"drive", 1.f}});
    EXPECT_LT(peak(slice(after.left, {90000, after.frames()})), 1e-20f) << E::kId;
}

TEST(Drive, SilenceInSilenceOut) {
    checkSilence<Overdrive>();
    checkSilence<Distortion>();
    checkSilence<Fuzz>();
}

TEST(Drive, RandomParameterSoak) {
    for (uint64_t seed : {11u, 12u}) {
        const SoakResult a = randomParamSoak<Overdrive>(48000.0, 2.0, 256, seed, 0.7f);
        const SoakResult b = randomParamSoak<Distortion>(48000.0, 2.0, 256, seed, 0.7f);
        const SoakResult c = randomParamSoak<Fuzz>(48000.0, 2.0, 256, seed, 0.7f);
        EXPECT_TRUE(a.finite && b.finite && c.finite);
        EXPECT_GT(a.paramChanges, 500u);
        // Compensated and clipped: nothing runs away (level_db can add 12 dB).
        EXPECT_LT(std::max({a.outputPeak, b.outputPeak, c.outputPeak}), 12.f);
    }
}

// Bounds as for the gate: a smooth 20 ms change adds little to the second difference; a one-sample jump of
// 5 % of the amplitude would score about 3.
constexpr double kMaxClickScore = 2.0;
constexpr double kMaxStepRatio = 1.5;

template <typename E>
void checkClicks() {
    StepSpec spec;
    spec.amplitude = 0.1f;
    struct Step {
        std::string_view id;
        float from;
        float to;
    };
    const std::vector<Step> steps{
        {"drive", 0.f, 1.f},     {"drive", 1.f, 0.f},       {"tone", 0.f, 1.f},
        {"tone", 1.f, 0.f},      {"level_db", -40.f, 12.f}, {"level_db", 12.f, -40.f},
        {"character", 0.f, 1.f}, {"character", 1.f, 2.f},   {"character", 2.f, 0.f}};
    for (const auto& s : steps) {
        const StepResult r = stepParamMidSine<E>(spec, {{"drive", 0.4f}}, s.id, s.from, s.to);
        std::printf("[measured] %s %s %g -> %g: click score %.3f, step ratio %.3f (changed output by %.2f)\n",
                    std::string(E::kId).c_str(), std::string(s.id).c_str(), s.from, s.to, r.clickScore,
                    r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, kMaxClickScore) << E::kId << " " << s.id << " " << s.from << " -> " << s.to;
        EXPECT_LE(r.stepRatio, kMaxStepRatio) << E::kId << " " << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.01) << E::kId << " " << s.id << ": the step changed nothing";
    }
}

TEST(Drive, ParameterStepsDoNotClick) {
    checkClicks<Overdrive>();
    checkClicks<Distortion>();
    checkClicks<Fuzz>();
}

} // namespace
} // namespace stagerack::test
