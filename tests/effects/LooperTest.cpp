#include "effects/looper/Looper.h"
#include "tests/support/Analysis.h"
#include "tests/support/Modulation.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <complex>
#include <cstdio>
#include <memory>
#include <numbers>
#include <thread>

namespace stagerack::test {
namespace {

using fx::Looper;
using State = Looper::State;
constexpr double kRate = 48000.0;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

// A momentary press of a trigger parameter: up and down again before the next block (a foot switch
// sending 1 then 0 between two audio blocks); the rising edge is what counts.
std::vector<ParamValue> press(std::string_view id) {
    return {{id, 1.f}, {id, 0.f}};
}
ParamValue transport(Looper::Transport t) {
    return {"transport", static_cast<float>(t)};
}

struct Rendered {
    StereoBuffer out;
    std::unique_ptr<Looper> looper;
};

// Drives the looper the way the engine does (parameters between blocks, a running tempo and beat), but
// ends a block early where an event falls, so that actions land on exact frames whatever `block` is.
Rendered drive(double rate, uint32_t block, StereoBuffer buffer, const std::vector<ParamValue>& settings,
               std::vector<ParamEvent> events, double bpm = 120.0, double startBeat = 0.0) {
    std::sort(events.begin(), events.end(),
              [](const ParamEvent& a, const ParamEvent& b) { return a.frame < b.frame; });
    Rendered r{{}, std::make_unique<Looper>()};
    prepareLikeHost(*r.looper, rate, block, settings);
    std::size_t next = 0;
    const std::size_t total = buffer.frames();
    for (std::size_t pos = 0; pos < total;) {
        while (next < events.size() && events[next].frame <= pos) {
            for (const auto& v : events[next].values)
                setParam(*r.looper, v.id, v.value);
            ++next;
        }
        std::size_t n = std::min<std::size_t>(block, total - pos);
        if (next < events.size()) n = std::min(n, events[next].frame - pos);
        fx::StereoBlock b{buffer.left.data() + pos, buffer.right.data() + pos, static_cast<uint32_t>(n)};
        fx::ProcessContext ctx;
        ctx.sampleRate = rate;
        ctx.frames = static_cast<uint32_t>(n);
        ctx.tempoBpm = bpm;
        ctx.beat = startBeat + static_cast<double>(pos) * bpm / (60.0 * rate);
        r.looper->process(b, ctx);
        pos += n;
    }
    r.out = std::move(buffer);
    return r;
}

StereoBuffer noise(std::size_t frames, uint64_t seed, float amplitude = 0.5f) {
    return stereo(whiteNoise(frames, seed, amplitude), whiteNoise(frames, seed + 1000, amplitude));
}

// The documented seam weights: position i of the first seamFrames gets sin^2(theta) of the recording's start
// and cos^2(theta) of what was played just after its end, theta = pi/2 (i + 1) / (seamFrames + 1).
double seamWeight(std::size_t i, std::size_t seam, bool head) {
    const double theta = 0.5 * std::numbers::pi * (i + 1.0) / (seam + 1.0);
    return head ? std::pow(std::sin(theta), 2.0) : std::pow(std::cos(theta), 2.0);
}

// The loop as one pass of the output shows it (dry off, loop level 0 dB, main head at full gain).
struct LoopModel {
    std::vector<float> left;
    std::vector<float> right;
};
LoopModel capture(const StereoBuffer& out, std::size_t start, std::size_t length) {
    LoopModel m;
    m.left.assign(out.left.begin() + static_cast<std::ptrdiff_t>(start),
                  out.left.begin() + static_cast<std::ptrdiff_t>(start + length));
    m.right.assign(out.right.begin() + static_cast<std::ptrdiff_t>(start),
                   out.right.begin() + static_cast<std::ptrdiff_t>(start + length));
    return m;
}

// Frequency of the strongest component near `nominal`, from the phase advance of a Hann-windowed
// demodulation between two windows `gap` frames apart (unambiguous while |f - nominal| < rate / (2 gap)).
double phaseSlopeHz(std::span<const float> x, double nominal, double rate, std::size_t window,
                    std::size_t gap) {
    auto demod = [&](std::size_t start) {
        std::complex<double> z = 0.0;
        for (std::size_t n = 0; n < window; ++n) {
            const double w = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * (n + 0.5) / window);
            const double ph = -2.0 * std::numbers::pi * nominal * static_cast<double>(start + n) / rate;
            z += w * static_cast<double>(x[start + n]) * std::polar(1.0, ph);
        }
        return z;
    };
    const std::complex<double> a = demod(0);
    const std::complex<double> b = demod(gap);
    return nominal + std::arg(b / a) * rate / (2.0 * std::numbers::pi * static_cast<double>(gap));
}

// ------------------------------------------------------------------------------------------- metadata

TEST(Looper, MetadataIsCompleteAndIdsAreStable) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<Looper>()).empty())
        << joined(metadataProblems(fx::infoOf<Looper>()));
    EXPECT_EQ(Looper::kId, "looper");
    EXPECT_EQ(Looper::kCategory, "looper");
    const std::array<std::string_view, Looper::kParamCount> ids{
        "transport",       "footswitch", "stop",     "undo",          "redo",          "clear",
        "reverse",         "half_speed", "quantize", "beats_per_bar", "loop_level_db", "dry_level_db",
        "overdub_feedback"};
    for (std::size_t i = 0; i < ids.size(); ++i)
        EXPECT_EQ(Looper::kParams[i].id, ids[i]);
    EXPECT_EQ(Looper::kParams[Looper::kTransport].labels[Looper::kTransportOverdub], "overdub");
    EXPECT_EQ(Looper::kParams[Looper::kQuantize].labels[Looper::kQuantizeBar], "bar");
    for (std::size_t i = Looper::kFootswitch; i <= Looper::kHalfSpeed; ++i)
        EXPECT_EQ(Looper::kParams[i].taper, fx::Taper::Toggle) << Looper::kParams[i].id;
}

// ------------------------------------------------------------------------------------------ exactness

TEST(Looper, RecordedLoopPlaysBackSampleExact) {
    struct Case {
        std::size_t length;
        uint32_t block;
        std::size_t start;
    };
    const Case cases[] = {{12345, 1, 100},     {11900, 17, 17 * 30}, {24000, 64, 640},
                          {48128, 1024, 2048}, {30001, 256, 333},    {2000, 64, 64}};
    for (const Case& c : cases) {
        const std::size_t s0 = c.start;
        const std::size_t L = c.length;
        const std::size_t frames = s0 + 4 * L;
        const StereoBuffer input = noise(frames, 7 + L);
        const Rendered r = drive(
            kRate, c.block, input, {{"dry_level_db", -60.f}},
            {{s0, {transport(Looper::kTransportRecord)}}, {s0 + L, {transport(Looper::kTransportPlay)}}});
        EXPECT_EQ(r.looper->status().loopFrames, L);
        EXPECT_EQ(r.looper->status().state, State::Playing);
        const std::size_t seam = r.looper->seamFrames();
        std::size_t interiorWrong = 0, seamWrong = 0, periodWrong = 0, silentWrong = 0;
        double seamWorst = 0.0;
        for (std::size_t t = 0; t < s0 + L; ++t)
            silentWrong += r.out.left[t] != 0.f || r.out.right[t] != 0.f;
        for (std::size_t t = s0 + L; t < frames; ++t) {
            const std::size_t k = t - s0 - L;
            const std::size_t p = k % L;
            const std::size_t pass = k / L;
            if (p >= seam) {
                interiorWrong += r.out.left[t] != input.left[s0 + p] || r.out.right[t] != input.right[s0 + p];
            } else if (pass >= 1) {
                for (int ch = 0; ch < 2; ++ch) {
                    const auto& in = ch == 0 ? input.left : input.right;
                    const auto& out = ch == 0 ? r.out.left : r.out.right;
                    const double want =
                        seamWeight(p, seam, true) * in[s0 + p] + seamWeight(p, seam, false) * in[s0 + L + p];
                    const double err = std::fabs(out[t] - want);
                    seamWorst = std::max(seamWorst, err);
                    seamWrong += err > 1e-6;
                }
            }
            if (k >= 2 * L)
                periodWrong += r.out.left[t] != r.out.left[t - L] || r.out.right[t] != r.out.right[t - L];
        }
        std::printf(
            "[measured] looper L=%zu block %u: interior mismatches %zu, seam (%zu frames) worst error %.2e, "
            "period mismatches %zu\n",
            L, c.block, interiorWrong, seam, seamWorst, periodWrong);
        EXPECT_EQ(silentWrong, 0u) << L;
        EXPECT_EQ(interiorWrong, 0u) << L;
        EXPECT_EQ(seamWrong, 0u) << L;
        EXPECT_EQ(periodWrong, 0u) << L;
    }
}

// Overdub adds the new input to the old loop exactly (the reference model does the same float additions),
// also over more than one cycle; undo restores the loop as it was, redo brings the overdub back.
TEST(Looper, OverdubSumsExactlyAndUndoRestoresTheLoop) {
    for (float feedback : {1.f, 0.5f}) {
        const std::size_t L = 24000;
        const std::size_t odStart = 3 * L + 5056;
        const std::size_t odLength = 36032; // 1.5 cycles: part of the loop gets two layers
        const std::size_t undoAt = odStart + odLength + 2 * L + 704;
        const std::size_t redoAt = undoAt + 2 * L;
        const std::size_t frames = redoAt + 2 * L;
        StereoBuffer input = noise(frames, 21);
        const StereoBuffer layer = noise(frames, 99, 0.3f);
        for (std::size_t t = odStart; t < odStart + odLength; ++t) {
            input.left[t] = layer.left[t];
            input.right[t] = layer.right[t];
        }
        const Rendered r = drive(kRate, 64, input, {{"dry_level_db", -60.f}, {"overdub_feedback", feedback}},
                                 {{0, {transport(Looper::kTransportRecord)}},
                                  {L, {transport(Looper::kTransportPlay)}},
                                  {odStart, {transport(Looper::kTransportOverdub)}},
                                  {odStart + odLength, {transport(Looper::kTransportPlay)}},
                                  {undoAt, press("undo")},
                                  {redoAt, press("redo")}});
        // The loop before the overdub, as pass 1 plays it; then the model runs the overdub itself. Punch-in
        // and punch-out fade the layer over 5 ms: the positions written then are left out of the comparison.
        const std::size_t fade = static_cast<std::size_t>(std::lround(Looper::kFadeMs * 0.001 * kRate));
        const std::size_t odEnd = odStart + odLength;
        const LoopModel before = capture(r.out, 2 * L, L);
        LoopModel model = before;
        std::vector<bool> faded(L, false);
        std::size_t duringWrong = 0;
        for (std::size_t t = odStart; t < odEnd + fade; ++t) {
            const std::size_t p = (t - L) % L;
            if (t < odStart + fade || t >= odEnd) {
                faded[p] = true;
                continue;
            }
            // The output is the loop as it was before this pass wrote into it.
            if (!faded[p]) duringWrong += r.out.left[t] != model.left[p] || r.out.right[t] != model.right[p];
            const float fl = feedback * model.left[p];
            const float fr = feedback * model.right[p];
            model.left[p] = (std::fabs(fl) < 1e-20f ? 0.f : fl) + input.left[t];
            model.right[p] = (std::fabs(fr) < 1e-20f ? 0.f : fr) + input.right[t];
        }
        auto mismatches = [&](const LoopModel& m, std::size_t from, std::size_t to, bool all) {
            std::size_t wrong = 0;
            for (std::size_t t = from; t < to; ++t) {
                const std::size_t p = (t - L) % L;
                if (all || !faded[p]) wrong += r.out.left[t] != m.left[p] || r.out.right[t] != m.right[p];
            }
            return wrong;
        };
        const std::size_t pIn = (odStart - L) % L;
        const double firstStep = r.out.left[odStart + L] - static_cast<double>(before.left[pIn]);
        // The first step of the punch-in: amount 1/fade of the input, and of the feedback's cut.
        EXPECT_NEAR(firstStep,
                    (input.left[odStart] - (1.0 - feedback) * before.left[pIn]) / static_cast<double>(fade),
                    1e-6);
        EXPECT_EQ(r.out.left[odStart + L - 1], before.left[pIn - 1]);
        const std::size_t afterWrong = mismatches(model, odEnd + fade, undoAt, false);
        const std::size_t undoneWrong = mismatches(before, undoAt + fade, redoAt, true);
        const std::size_t redoneWrong = mismatches(model, redoAt + fade, frames, false);
        std::printf(
            "[measured] looper overdub (feedback %.1f): mismatches during %zu, after %zu, after undo %zu, "
            "after redo %zu\n",
            feedback, duringWrong, afterWrong, undoneWrong, redoneWrong);
        EXPECT_EQ(std::count(faded.begin(), faded.end(), true), static_cast<std::ptrdiff_t>(2 * fade));
        EXPECT_EQ(duringWrong, 0u);
        EXPECT_EQ(afterWrong, 0u);
        EXPECT_EQ(undoneWrong, 0u);
        EXPECT_EQ(redoneWrong, 0u);
        // The overdub really changed the loop, and undo really changed it back.
        EXPECT_GT(maxAbsDiff(model.left, before.left), 0.1f);
        EXPECT_TRUE(r.looper->status().canUndo);
    }
}

// 70 000 overdub sessions, more than the 65 536 slots that remember which sessions were undone (so session
// ids wrap round them), now and then over the whole loop. A session that will be undone for good layers
// noise; one that stays (or is undone and redone) layers silence: if any undone layer came back, or any
// undo lost track of the layer underneath, the loop would change. Then a real layer is undone and redone.
TEST(Looper, SeventyThousandOverdubSessionsKeepTheLoopExact) {
    constexpr uint32_t kBlock = 64;
    const std::size_t L = 48000;
    auto looper = std::make_unique<Looper>();
    prepareLikeHost(*looper, kRate, kBlock, {{"dry_level_db", -60.f}});
    const StereoBuffer recording = noise(L, 5);
    const StereoBuffer layer = noise(L, 6, 0.3f);
    const StereoBuffer junk = noise(1 << 16, 7);
    std::size_t t = 0;
    std::vector<float> l(kBlock), r(kBlock);
    // Runs `blocks` blocks; the input is silence unless `src` is given (indexed from `srcStart`), or
    // noise when `noisy`.
    auto run = [&](std::size_t blocks, const StereoBuffer* src = nullptr, std::size_t srcStart = 0,
                   bool noisy = false) {
        for (std::size_t b = 0; b < blocks; ++b) {
            for (uint32_t i = 0; i < kBlock; ++i) {
                const std::size_t j = (t + i) & 0xFFFF;
                l[i] = src ? src->left[t + i - srcStart] : noisy ? junk.left[j] : 0.f;
                r[i] = src ? src->right[t + i - srcStart] : noisy ? junk.right[j] : 0.f;
            }
            fx::StereoBlock block{l.data(), r.data(), kBlock};
            fx::ProcessContext ctx;
            ctx.frames = kBlock;
            looper->process(block, ctx);
            t += kBlock;
        }
    };
    auto tap = [&](std::size_t p) {
        looper->setParam(p, 1.f);
        looper->setParam(p, 0.f);
    };
    // One pass of the loop as heard, indexed by loop position (playback started at frame L).
    auto pass = [&] {
        LoopModel m{std::vector<float>(L), std::vector<float>(L)};
        for (std::size_t b = 0; b < L / kBlock; ++b) {
            const std::size_t p0 = (t - L) % L;
            run(1);
            for (uint32_t i = 0; i < kBlock; ++i) {
                m.left[(p0 + i) % L] = l[i];
                m.right[(p0 + i) % L] = r[i];
            }
        }
        return m;
    };
    tap(Looper::kFootswitch);
    run(L / kBlock, &recording, 0);
    tap(Looper::kFootswitch);
    run(L / kBlock);
    const LoopModel original = pass();

    Rng rng(2024);
    std::size_t undos = 0, redos = 0, sessions = 0;
    for (; sessions < 70000; ++sessions) {
        const double fate = rng.uniform();
        const bool undoForGood = fate < 0.2;
        tap(Looper::kFootswitch); // play -> overdub
        run(sessions % 5000 == 4999 ? L / kBlock + 20 : 1 + rng.below(4), nullptr, 0, undoForGood);
        tap(Looper::kFootswitch); // overdub -> play
        run(5);                   // past the punch-out fade
        if (fate < 0.35) {
            tap(Looper::kUndo);
            run(5);
            ++undos;
            if (!undoForGood) {
                tap(Looper::kRedo);
                run(5);
                ++redos;
            }
        }
    }
    const LoopModel after = pass();
    std::size_t wrong = 0;
    for (std::size_t p = 0; p < L; ++p)
        wrong += after.left[p] != original.left[p] || after.right[p] != original.right[p];

    // A real layer over one whole cycle, then undo and redo.
    const std::size_t odAt = t;
    tap(Looper::kFootswitch);
    run(L / kBlock, &layer, odAt);
    tap(Looper::kFootswitch);
    run(5);
    const LoopModel layered = pass();
    const std::size_t fade = static_cast<std::size_t>(std::lround(Looper::kFadeMs * 0.001 * kRate));
    const std::size_t pIn = (odAt - L) % L;
    std::size_t layerWrong = 0;
    for (std::size_t k = fade; k < L; ++k) { // the punch-in and punch-out fades share the first 5 ms
        const std::size_t p = (pIn + k) % L;
        layerWrong += layered.left[p] != original.left[p] + layer.left[k] ||
                      layered.right[p] != original.right[p] + layer.right[k];
    }
    tap(Looper::kUndo);
    run(5);
    const LoopModel undone = pass();
    tap(Looper::kRedo);
    run(5);
    const LoopModel redone = pass();
    std::size_t undoWrong = 0, redoWrong = 0;
    for (std::size_t p = 0; p < L; ++p) {
        undoWrong += undone.left[p] != original.left[p] || undone.right[p] != original.right[p];
        redoWrong += redone.left[p] != layered.left[p] || redone.right[p] != layered.right[p];
    }
    std::printf(
        "[measured] looper %zu overdub sessions (%zu undone, %zu redone): %zu loop samples changed; real "
        "layer %zu wrong, undo %zu, redo %zu\n",
        sessions, undos, redos, wrong, layerWrong, undoWrong, redoWrong);
    EXPECT_EQ(wrong, 0u);
    EXPECT_EQ(layerWrong, 0u);
    EXPECT_EQ(undoWrong, 0u);
    EXPECT_EQ(redoWrong, 0u);
    EXPECT_GT(maxAbsDiff(layered.left, original.left), 0.1f);
}

// Overdubbing straight from a recording (transport record -> overdub) keeps the whole input, and undo leaves
// exactly the loop that record -> play would have made, seam included.
TEST(Looper, UndoOfAnOverdubStartedAsTheLoopClosesLeavesThePlainLoop) {
    const std::size_t L = 20000;
    const std::size_t frames = 7 * L;
    const StereoBuffer input = noise(frames, 5);
    const std::vector<ParamValue> settings{{"dry_level_db", -60.f}};
    const Rendered plain =
        drive(kRate, 64, input, settings,
              {{0, {transport(Looper::kTransportRecord)}}, {L, {transport(Looper::kTransportPlay)}}});
    const Rendered layered = drive(kRate, 64, input, settings,
                                   {{0, {transport(Looper::kTransportRecord)}},
                                    {L, {transport(Looper::kTransportOverdub)}},
                                    {2 * L + 1000, {transport(Looper::kTransportPlay)}},
                                    {4 * L, press("undo")}});
    // Before the undo the loop holds the recording plus the input of the next cycle and 1000 frames more:
    // at the seam the input keeps its full weight (the crossfaded tail plus the rest as overdub). The
    // punch-out fade (5 ms after frame 1000) is left out.
    const std::size_t seam = layered.looper->seamFrames();
    const std::size_t fade = static_cast<std::size_t>(std::lround(Looper::kFadeMs * 0.001 * kRate));
    double worst = 0.0;
    for (std::size_t p = 0; p < L; ++p) {
        if (p >= 1000 && p < 1000 + fade) continue;
        const double head = p < seam ? seamWeight(p, seam, true) * input.left[p] : input.left[p];
        const double want = head + input.left[L + p] + (p < 1000 ? input.left[2 * L + p] : 0.0);
        worst = std::max(worst, std::fabs(layered.out.left[3 * L + p] - want));
    }
    std::size_t wrong = 0;
    for (std::size_t t = 4 * L + fade; t < frames; ++t)
        wrong += layered.out.left[t] != plain.out.left[t] || layered.out.right[t] != plain.out.right[t];
    std::printf(
        "[measured] looper record->overdub: layer error %.2e; after undo %zu mismatches with record->play\n",
        worst, wrong);
    EXPECT_LT(worst, 1e-6);
    EXPECT_EQ(wrong, 0u);
}

// Undo while the seam of a recording closed into an overdub is still being written, then redo: the seam
// goes on into both layers, so the redone layer holds the whole seam plus what the overdub added before
// the undo, and the undone loop is exactly the plain record -> play loop.
TEST(Looper, UndoDuringTheSeamOfACloseIntoOverdubAndRedoKeepTheWholeSeam) {
    const std::size_t L = 20000;
    const std::size_t k = 128; // seam positions the overdub wrote before the undo
    const std::size_t frames = 5 * L;
    const StereoBuffer input = noise(frames, 91);
    const std::vector<ParamValue> settings{{"dry_level_db", -60.f}};
    const Rendered plain =
        drive(kRate, 64, input, settings,
              {{0, {transport(Looper::kTransportRecord)}}, {L, {transport(Looper::kTransportPlay)}}});
    const Rendered layered = drive(kRate, 64, input, settings,
                                   {{0, {transport(Looper::kTransportRecord)}},
                                    {L, {transport(Looper::kTransportOverdub)}},
                                    {L + k, press("undo")},
                                    {3 * L, press("redo")}});
    const std::size_t seam = layered.looper->seamFrames();
    ASSERT_GT(seam, k);
    const std::size_t fade = static_cast<std::size_t>(std::lround(Looper::kFadeMs * 0.001 * kRate));
    std::size_t undoneWrong = 0, redoneWrong = 0;
    double redoneWorst = 0.0;
    for (std::size_t t = L + k + fade; t < 3 * L; ++t)
        undoneWrong += layered.out.left[t] != plain.out.left[t] || layered.out.right[t] != plain.out.right[t];
    for (std::size_t t = 3 * L + fade; t < frames; ++t) {
        const std::size_t p = (t - L) % L;
        if (p >= k) {
            redoneWrong +=
                layered.out.left[t] != plain.out.left[t] || layered.out.right[t] != plain.out.right[t];
        } else {
            const double want = plain.out.left[t] + (1.0 - seamWeight(p, seam, false)) * input.left[L + p];
            redoneWorst = std::max(redoneWorst, std::fabs(layered.out.left[t] - want));
        }
    }
    std::printf(
        "[measured] looper undo in the seam: undone mismatches %zu; redone mismatches %zu, overdub part "
        "error %.2e\n",
        undoneWrong, redoneWrong, redoneWorst);
    EXPECT_EQ(undoneWrong, 0u);
    EXPECT_EQ(redoneWrong, 0u);
    EXPECT_LT(redoneWorst, 1e-6);
}

TEST(Looper, ClearGivesSilenceAndANewLoopRecords) {
    const std::size_t L = 9600;
    const std::size_t clearAt = 4 * L;
    const std::size_t s1 = clearAt + 4800;
    const std::size_t L2 = 7000;
    const std::size_t frames = s1 + 4 * L2;
    StereoBuffer input = noise(frames, 3);
    const Rendered r = drive(kRate, 64, input, {{"dry_level_db", -60.f}},
                             {{0, press("footswitch")},
                              {L, press("footswitch")},
                              {2 * L, press("footswitch")}, // overdub a cycle: there is something to undo
                              {3 * L, press("footswitch")},
                              {clearAt, press("clear")},
                              {s1, press("footswitch")},
                              {s1 + L2, press("footswitch")}});
    const std::size_t fade = static_cast<std::size_t>(std::lround(Looper::kFadeMs * 0.001 * kRate));
    EXPECT_EQ(peak(slice(r.out.left, {clearAt + fade, s1 + L2})), 0.f);
    EXPECT_EQ(peak(slice(r.out.right, {clearAt + fade, s1 + L2})), 0.f);
    EXPECT_EQ(r.looper->status().loopFrames, L2);
    EXPECT_EQ(r.looper->tailSamples(), L2);   // a playing loop rings on for (at least) another cycle
    EXPECT_FALSE(r.looper->status().canUndo); // a new recording has no overdub to undo
    const std::size_t seam = r.looper->seamFrames();
    std::size_t wrong = 0;
    for (std::size_t k = seam; k < 3 * L2; ++k) {
        const std::size_t p = k % L2;
        if (p < seam) continue;
        wrong += r.out.left[s1 + L2 + k] != input.left[s1 + p];
    }
    EXPECT_EQ(wrong, 0u);

    // Clear on an empty looper, and undo without an overdub, change nothing: silence stays silence.
    const Rendered idle =
        drive(kRate, 64, dualMono(constant(20000, 0.f)), {},
              {{0, press("clear")}, {640, press("undo")}, {1280, press("redo")}, {1920, press("stop")}});
    EXPECT_EQ(peak(idle.out.left), 0.f);
    EXPECT_EQ(idle.looper->status().state, State::Empty);
    EXPECT_EQ(idle.looper->tailSamples(), 0u);
}

// ------------------------------------------------------------------------------------ reverse, half speed

TEST(Looper, ReversePlaysTheTimeReversedLoop) {
    const std::size_t L = 15000;
    const std::size_t rev = 3 * L + 7040; // in pass 2: pass 1 is the reference
    const std::size_t back = rev + 3 * L;
    const std::size_t frames = back + 3 * L;
    const StereoBuffer input = noise(frames, 77);
    const Rendered r = drive(kRate, 64, input, {{"dry_level_db", -60.f}},
                             {{0, press("footswitch")},
                              {L, press("footswitch")},
                              {rev, {{"reverse", 1.f}}},
                              {back, {{"reverse", 0.f}}}});
    const LoopModel m = capture(r.out, L + L, L); // pass 1, positions 0..L-1
    const std::size_t fade = static_cast<std::size_t>(std::lround(Looper::kFadeMs * 0.001 * kRate));
    const std::size_t p0 = (rev - L) % L;
    std::size_t wrong = 0;
    for (std::size_t k = fade; k < 2 * L; ++k) {
        const std::size_t p = (p0 + 2 * L - k) % L;
        wrong += r.out.left[rev + k] != m.left[p] || r.out.right[rev + k] != m.right[p];
    }
    // Forwards again from where it was.
    const std::size_t p1 = (p0 + 3 * L - (back - rev)) % L;
    std::size_t forwardWrong = 0;
    for (std::size_t k = fade; k < 2 * L; ++k) {
        const std::size_t p = (p1 + k) % L;
        forwardWrong += r.out.left[back + k] != m.left[p];
    }
    std::printf("[measured] looper reverse: %zu mismatches over two reversed cycles, %zu forwards again\n",
                wrong, forwardWrong);
    EXPECT_EQ(wrong, 0u);
    EXPECT_EQ(forwardWrong, 0u);
}

TEST(Looper, HalfSpeedDoublesThePeriodExactly) {
    const std::size_t L = 12000;
    const std::size_t on = 3 * L + 3008;
    const std::size_t frames = on + 6 * L;
    const StereoBuffer input = noise(frames, 31);
    const Rendered r =
        drive(kRate, 64, input, {{"dry_level_db", -60.f}},
              {{0, press("footswitch")}, {L, press("footswitch")}, {on, {{"half_speed", 1.f}}}});
    const LoopModel m = capture(r.out, 2 * L, L);
    const std::size_t fade = static_cast<std::size_t>(std::lround(Looper::kFadeMs * 0.001 * kRate));
    const std::size_t p0 = (on - L) % L;
    std::size_t wrong = 0, periodWrong = 0;
    for (std::size_t k = fade; k < 4 * L; ++k) {
        const std::size_t h2 = (2 * p0 + k) % (2 * L);
        const std::size_t a = h2 / 2;
        const std::size_t b = (a + 1) % L;
        const float wantL = h2 % 2 == 0 ? m.left[a] : 0.5f * (m.left[a] + m.left[b]);
        const float wantR = h2 % 2 == 0 ? m.right[a] : 0.5f * (m.right[a] + m.right[b]);
        wrong += r.out.left[on + k] != wantL || r.out.right[on + k] != wantR;
        if (k >= 2 * L + fade) periodWrong += r.out.left[on + k] != r.out.left[on + k - 2 * L];
    }
    std::printf(
        "[measured] looper half speed: %zu mismatches with the interpolated loop, %zu with period 2L\n",
        wrong, periodWrong);
    EXPECT_EQ(wrong, 0u);
    EXPECT_EQ(periodWrong, 0u);
}

TEST(Looper, HalfSpeedDropsThePitchAnOctave) {
    // A 1010 Hz sine over exactly one second: whole cycles, so the loop is a steady tone across its seam.
    const std::size_t L = 48000;
    const std::size_t frames = 5 * L;
    const StereoBuffer input = dualMono(sine(1010.0, kRate, frames, 0.5f));
    const Rendered r =
        drive(kRate, 64, input, {{"dry_level_db", -60.f}},
              {{0, press("footswitch")}, {L, press("footswitch")}, {L + 64, {{"half_speed", 1.f}}}});
    const auto tail = slice(r.out.left, {2 * L, frames});
    const double f = phaseSlopeHz(tail, 505.0, kRate, 16384, 49234);
    const double cents = 1200.0 * std::log2(f / 505.0);
    const auto spectrumWindow = slice(r.out.left, {2 * L, 2 * L + 65536});
    const double fundamental = goertzelAmplitude(slice(r.out.left, {2 * L, 4 * L}), 505.0, kRate);
    // Linear interpolation at one half leaves an image at rate/2 - f, tan^2(pi f / rate) below the tone.
    const double image = goertzelAmplitude(slice(r.out.left, {2 * L, 4 * L}), 24000.0 - 505.0, kRate);
    const AliasReport spurious = worstNonHarmonic(spectrumWindow, 505.0, kRate);
    const double predicted = toDb(std::pow(std::tan(std::numbers::pi * 505.0 / kRate), 2.0));
    std::printf(
        "[measured] looper half speed: 1010 Hz -> %.6f Hz (%+.4f cents), level %.3f dB, image at %.0f Hz "
        "%.1f dBc (predicted %.1f), worst non-harmonic %.1f dBc at %.0f Hz\n",
        f, cents, toDb(fundamental / 0.5), 24000.0 - 505.0, toDb(image / fundamental), predicted,
        spurious.worstDbc, spurious.worstHz);
    EXPECT_NEAR(cents, 0.0, 0.01);
    EXPECT_NEAR(toDb(fundamental / 0.5), toDb(std::pow(std::cos(std::numbers::pi * 505.0 / kRate), 2.0)),
                0.01);
    EXPECT_NEAR(toDb(image / fundamental), predicted, 0.5);
    EXPECT_LT(spurious.worstDbc, -55.0);
}

// An overdub made at half speed is written at half speed: back at normal speed it plays an octave up.
TEST(Looper, HalfSpeedOverdubPlaysAnOctaveUpAtNormalSpeed) {
    const std::size_t L = 48000;
    const std::size_t onAt = 2 * L;                 // half speed from here (a loop cycle now lasts 2L)
    const std::size_t odAt = onAt + 4 * L;          // overdub one half-speed cycle
    const std::size_t offAt = odAt + 2 * L + 4 * L; // back to normal speed
    const std::size_t frames = offAt + 3 * L;
    StereoBuffer input = dualMono(sine(1010.0, kRate, frames, 0.25f));
    const std::vector<float> overdub = sine(200.0, kRate, frames, 0.25f);
    for (std::size_t t = L; t < frames; ++t)
        input.left[t] = input.right[t] = t >= odAt && t < odAt + 2 * L ? overdub[t] : 0.f;
    const Rendered r = drive(kRate, 64, input, {{"dry_level_db", -60.f}},
                             {{0, press("footswitch")},
                              {L, press("footswitch")},
                              {onAt, {{"half_speed", 1.f}}},
                              {odAt, press("footswitch")},
                              {odAt + 2 * L, press("footswitch")},
                              {offAt, {{"half_speed", 0.f}}}});
    const auto steady = slice(r.out.left, {offAt + L, offAt + 3 * L});
    const double f = phaseSlopeHz(steady, 400.0, kRate, 16384, 30011);
    const double level = goertzelAmplitude(steady, 400.0, kRate);
    const double original = goertzelAmplitude(steady, 1010.0, kRate);
    // The half-speed write low-passes with (1/4, 1/2, 1/4): cos^2(pi f / rate) at the input frequency.
    const double expected = 0.25 * std::pow(std::cos(std::numbers::pi * 200.0 / kRate), 2.0);
    std::printf("[measured] looper 200 Hz overdubbed at half speed plays at %.5f Hz at normal speed, %.3f dB "
                "(expected %.3f dB); the 1010 Hz layer %.3f dB\n",
                f, toDb(level), toDb(expected), toDb(original / 0.25));
    EXPECT_NEAR(f, 400.0, 0.01);
    EXPECT_NEAR(toDb(level), toDb(expected), 0.05);
    EXPECT_NEAR(toDb(original / 0.25), 0.0, 0.05);
}

TEST(Looper, HalfSpeedRecordingPlaysAnOctaveUp) {
    const std::size_t rec = 96000; // 2 s at half speed: 48000 positions
    const std::size_t frames = rec + 3 * 48000;
    const StereoBuffer input = dualMono(sine(500.0, kRate, frames, 0.5f));
    const Rendered r =
        drive(kRate, 64, input, {{"dry_level_db", -60.f}, {"half_speed", 1.f}},
              {{0, press("footswitch")}, {rec, press("footswitch")}, {rec + 96000, {{"half_speed", 0.f}}}});
    EXPECT_EQ(r.looper->status().loopFrames, 48000u);
    const auto steady = slice(r.out.left, {rec + 96000 + 4800, frames});
    const double f = phaseSlopeHz(steady, 1000.0, kRate, 8192, 24000);
    std::printf("[measured] looper 500 Hz recorded at half speed plays at %.5f Hz at normal speed\n", f);
    EXPECT_NEAR(f, 1000.0, 0.01);
}

// ------------------------------------------------------------------------------------------- quantize

TEST(Looper, QuantizeStartsAndClosesOnTheBeat) {
    struct Case {
        double bpm;
        float quantize;
        float beatsPerBar;
        double startBeat;
        std::size_t recordAt;
        std::size_t playAt;
    };
    const Case cases[] = {
        {120.0, 1.f, 4.f, 0.3, 0, 44800},     // beats: start at beat 1, close at beat 3 (2 beats)
        {133.0, 2.f, 3.f, 1.7, 6400, 128000}, // bars of 3 at 133 BPM (a beat is 21654.1 samples)
        {97.0, 1.f, 4.f, 0.0, 64, 32000},     // asked before a whole beat: the loop is one beat
    };
    for (const Case& c : cases) {
        const double perBeat = 60.0 * kRate / c.bpm;
        const double grid = c.quantize == 2.f ? c.beatsPerBar : 1.0;
        const std::size_t frames = c.playAt + static_cast<std::size_t>(4 * grid * perBeat) + 200000;
        const StereoBuffer input = noise(frames, 123);
        const Rendered r =
            drive(kRate, 64, input,
                  {{"dry_level_db", -60.f}, {"quantize", c.quantize}, {"beats_per_bar", c.beatsPerBar}},
                  {{c.recordAt, {transport(Looper::kTransportRecord)}},
                   {c.playAt, {transport(Looper::kTransportPlay)}}},
                  c.bpm, c.startBeat);
        auto beatAt = [&](std::size_t t) { return c.startBeat + static_cast<double>(t) / perBeat; };
        // Expected: the first sample at or after the next grid line, and a whole number of grid steps.
        const double startLine = std::ceil(beatAt(c.recordAt) / grid - 1e-9) * grid;
        const auto s0 = static_cast<std::size_t>(std::ceil((startLine - c.startBeat) * perBeat - 1e-4));
        const double elapsed = beatAt(c.playAt) - startLine;
        const double beats = std::max(grid, std::ceil(elapsed / grid - 1e-9) * grid);
        const auto L = static_cast<std::size_t>(std::llround(beats * perBeat));
        const Looper::Status st = r.looper->status();
        std::printf(
            "[measured] looper quantize %s at %g BPM: recording started at frame %zu (beat %.6f), loop %u "
            "frames = %.6f beats\n",
            c.quantize == 2.f ? "bar" : "beat", c.bpm, s0, beatAt(s0), st.loopFrames,
            st.loopFrames / perBeat);
        EXPECT_EQ(st.loopFrames, L);
        EXPECT_GE(beatAt(s0), startLine - 1e-9);
        EXPECT_LT(beatAt(s0 - 1), startLine);
        // The loop's content starts at s0, and playback starts at s0 + L: check the interior, sample-exact.
        const std::size_t seam = r.looper->seamFrames();
        std::size_t wrong = 0, silent = 0;
        for (std::size_t t = 0; t < s0 + L; ++t)
            silent += r.out.left[t] != 0.f;
        for (std::size_t k = 0; k < 2 * L && s0 + L + k < frames; ++k) {
            const std::size_t p = k % L;
            if (p >= seam) wrong += r.out.left[s0 + L + k] != input.left[s0 + p];
        }
        EXPECT_EQ(silent, 0u);
        EXPECT_EQ(wrong, 0u);
    }
}

TEST(Looper, QuantizedOverdubPunchesInAndOutOnTheBeat) {
    const double bpm = 120.0; // 24000 samples a beat, the loop is two beats
    const std::size_t L = 48000;
    const std::size_t askIn = 2 * L + 64 * 150;  // 0.4 beat into the pass: starts at the next beat
    const std::size_t askOut = askIn + 64 * 300; // 0.8 beat later: ends on the beat after that
    const std::size_t frames = 6 * L;
    StereoBuffer input = noise(frames, 8);
    const StereoBuffer layer = noise(frames, 9, 0.25f);
    for (std::size_t t = L; t < frames; ++t)
        input.left[t] = input.right[t] = layer.left[t];
    const Rendered r = drive(kRate, 64, input, {{"dry_level_db", -60.f}, {"quantize", 1.f}},
                             {{0, {transport(Looper::kTransportRecord)}},
                              {L, {transport(Looper::kTransportPlay)}},
                              {askIn, {transport(Looper::kTransportOverdub)}},
                              {askOut, {transport(Looper::kTransportPlay)}}},
                             bpm, 0.0);
    const LoopModel before = capture(r.out, L + L, L);
    const std::size_t in = 2 * L + 24000, out = 2 * L + 48000; // beats 5 and 6
    // The punch-in fades the layer in over 5 ms from the beat on (the punch-out fade, from frame `out`,
    // writes where this pass has already been heard).
    const std::size_t fade = static_cast<std::size_t>(std::lround(Looper::kFadeMs * 0.001 * kRate));
    std::size_t wrong = 0;
    for (std::size_t p = 0; p < L; ++p) {
        const std::size_t t = 3 * L + p;
        const std::size_t when = 2 * L + p;
        if (when >= in && when < in + fade) continue;
        const float want = when >= in && when < out ? before.left[p] + input.left[when] : before.left[p];
        wrong += r.out.left[t] != want;
    }
    EXPECT_EQ(r.out.left[in + L - 1], before.left[in - 2 * L - 1]); // the sample before the beat: untouched
    EXPECT_NEAR(r.out.left[in + L] - static_cast<double>(before.left[in - 2 * L]),
                input.left[in] / static_cast<double>(fade), 1e-6); // the beat: the fade's first step
    std::printf("[measured] looper quantized overdub: punch-in at frame %zu, out at %zu, %zu mismatches\n",
                in, out, wrong);
    EXPECT_EQ(wrong, 0u);
}

// ------------------------------------------------------------------------------------------- capacity

// Procedural noise, so that five minutes of input need no 115 MB buffer.
float noiseAt(uint64_t t, int channel) {
    uint64_t z = (t * 2 + static_cast<uint64_t>(channel)) + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return static_cast<float>(static_cast<double>(z >> 11) / 9007199254740992.0 - 0.5);
}

TEST(Looper, FiveMinutesAt48kHzAndRecordingPastTheEndClosesTheLoop) {
    auto looper = std::make_unique<Looper>();
    prepareLikeHost(*looper, kRate, 8192, {{"dry_level_db", -60.f}});
    const uint32_t capacity = looper->capacityFrames();
    EXPECT_GE(capacity, static_cast<uint32_t>(300 * kRate));
    setParam(*looper, "transport", Looper::kTransportRecord);
    const std::size_t frames = static_cast<std::size_t>(capacity) + 3 * 48000;
    std::vector<float> l(8192), r(8192);
    std::size_t wrong = 0, checked = 0;
    bool closedAtCapacity = false;
    const uint32_t seam = looper->seamFrames();
    for (std::size_t pos = 0; pos < frames; pos += l.size()) {
        const auto n = static_cast<uint32_t>(std::min<std::size_t>(l.size(), frames - pos));
        for (uint32_t i = 0; i < n; ++i) {
            l[i] = noiseAt(pos + i, 0);
            r[i] = noiseAt(pos + i, 1);
        }
        fx::StereoBlock b{l.data(), r.data(), n};
        fx::ProcessContext ctx;
        ctx.frames = n;
        looper->process(b, ctx);
        if (!closedAtCapacity && looper->status().state == State::Playing) closedAtCapacity = true;
        for (uint32_t i = 0; i < n; ++i) {
            const std::size_t t = pos + i;
            if (t < capacity) continue;
            const std::size_t p = t - capacity;
            if (p < seam) continue;
            wrong += l[i] != noiseAt(p, 0) || r[i] != noiseAt(p, 1);
            ++checked;
        }
    }
    const Looper::Status st = looper->status();
    std::printf(
        "[measured] looper capacity at 48 kHz: %u frames (%.1f s), %.1f MB; loop closed at %u frames, "
        "%zu of %zu checked samples wrong\n",
        capacity, capacity / kRate, looper->memoryBytes() / 1e6, st.loopFrames, wrong, checked);
    EXPECT_TRUE(closedAtCapacity);
    EXPECT_EQ(st.state, State::Playing);
    EXPECT_EQ(st.loopFrames, capacity);
    EXPECT_EQ(wrong, 0u);
    EXPECT_GT(checked, 100000u);

    // The documented capacities at the other rates, and the memory they take.
    for (double rate : {44100.0, 96000.0, 192000.0}) {
        Looper other;
        other.prepare(rate, 256);
        const double seconds = other.capacityFrames() / rate;
        std::printf("[measured] looper capacity at %g Hz: %.1f s, %.1f MB\n", rate, seconds,
                    other.memoryBytes() / 1e6);
        EXPECT_NEAR(seconds, 300.0 * std::min(1.0, 48000.0 / rate), 1e-6);
        EXPECT_LT(other.memoryBytes(), 250e6);
    }
}

// ------------------------------------------------------------------------------------- memory, latency

TEST(Looper, MemoryIsTakenAndTouchedInPrepareOnly) {
    auto looper = std::make_unique<Looper>();
    EXPECT_EQ(looper->memoryBytes(), 0u); // constructing allocates nothing big
    prepareLikeHost(*looper, kRate, 256, {{"dry_level_db", -60.f}});
    const float* layer0 = looper->layerStorage(0);
    const float* layer1 = looper->layerStorage(1);
    const std::size_t bytes = looper->memoryBytes();
    // Every page of both layers is resident after prepare: the audio thread never faults one in.
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    std::size_t missing = 0, pages = 0;
    for (const float* base : {layer0, layer1}) {
        const auto begin = reinterpret_cast<uintptr_t>(base) & ~(page - 1);
        const auto end = reinterpret_cast<uintptr_t>(base + looper->layerStorageFloats());
        std::vector<unsigned char> resident((end - begin + page - 1) / page);
        ASSERT_EQ(mincore(reinterpret_cast<void*>(begin), end - begin, resident.data()), 0);
        for (unsigned char v : resident)
            missing += (v & 1) == 0;
        pages += resident.size();
    }
    std::printf("[measured] looper: %.1f MB, %zu of %zu layer pages not resident after prepare\n",
                bytes / 1e6, missing, pages);
    EXPECT_EQ(missing, 0u);

    // Record, overdub, undo, clear, reset and play through blocks: the heap does not change.
    std::vector<float> l(256), r(256);
    StereoBuffer input = noise(256 * 400, 4);
    const struct mallinfo2 before = mallinfo2();
    for (std::size_t b = 0; b < 400; ++b) {
        if (b == 1) looper->setParam(Looper::kFootswitch, 1.f);
        if (b == 2) looper->setParam(Looper::kFootswitch, 0.f);
        if (b == 100 || b == 150 || b == 200 || b == 300) looper->setParam(Looper::kFootswitch, 1.f);
        if (b == 101 || b == 151 || b == 201 || b == 301) looper->setParam(Looper::kFootswitch, 0.f);
        if (b == 220) looper->setParam(Looper::kUndo, 1.f);
        if (b == 250) looper->setParam(Looper::kHalfSpeed, 1.f);
        if (b == 260) looper->setParam(Looper::kReverse, 1.f);
        if (b == 280) looper->reset();
        if (b == 350) looper->setParam(Looper::kClear, 1.f);
        std::copy_n(input.left.begin() + static_cast<std::ptrdiff_t>(b * 256), 256, l.begin());
        std::copy_n(input.right.begin() + static_cast<std::ptrdiff_t>(b * 256), 256, r.begin());
        fx::StereoBlock block{l.data(), r.data(), 256};
        fx::ProcessContext ctx;
        ctx.frames = 256;
        looper->process(block, ctx);
    }
    const struct mallinfo2 after = mallinfo2();
    EXPECT_EQ(after.uordblks, before.uordblks);
    EXPECT_EQ(after.hblkhd, before.hblkhd);
    EXPECT_EQ(looper->layerStorage(0), layer0);
    EXPECT_EQ(looper->layerStorage(1), layer1);
    EXPECT_EQ(looper->memoryBytes(), bytes);
}

TEST(Looper, LatencyIsZeroAsReported) {
    const Rendered r = drive(kRate, 64, dualMono(impulse(4800, 1234)), {}, {});
    EXPECT_EQ(r.looper->latencySamples(), 0u);
    EXPECT_EQ(peakIndex(r.out.left), 1234u);
    EXPECT_EQ(r.out.left[1234], 1.f);
    // The dry path at 0 dB is the input, untouched.
    const StereoBuffer in = noise(9000, 44);
    const Rendered passthrough = drive(kRate, 64, in, {}, {});
    EXPECT_EQ(maxAbsDiff(passthrough.out.left, in.left), 0.f);
    EXPECT_EQ(maxAbsDiff(passthrough.out.right, in.right), 0.f);
}

// --------------------------------------------------------------------------------------------- transport

TEST(Looper, FootswitchCyclesLikeALooperPedalAndStopRestartsFromTheTop) {
    const std::size_t L = 9600;
    const std::size_t frames = 12 * L;
    const StereoBuffer input = noise(frames, 61);
    struct Step {
        std::size_t frame;
        std::vector<ParamValue> values;
        State expect;
    };
    const std::vector<Step> steps{
        {L / 2, press("footswitch"), State::Recording},
        {L / 2 + L, press("footswitch"), State::Playing},
        {3 * L, press("footswitch"), State::Overdubbing},
        {4 * L, press("footswitch"), State::Playing},
        {5 * L + 3200, press("stop"), State::Stopped},
        {6 * L, press("footswitch"), State::Playing},
        {7 * L, {transport(Looper::kTransportOverdub)}, State::Overdubbing},
        {8 * L, {transport(Looper::kTransportStop)}, State::Stopped},
        {9 * L, {transport(Looper::kTransportPlay)}, State::Playing},
        {10 * L, {transport(Looper::kTransportOverdub)}, State::Overdubbing},
    };
    for (std::size_t upto = 0; upto < steps.size(); ++upto) {
        std::vector<ParamEvent> events;
        for (std::size_t s = 0; s <= upto; ++s)
            events.push_back({steps[s].frame, steps[s].values});
        const std::size_t end = upto + 1 < steps.size() ? steps[upto + 1].frame : frames;
        StereoBuffer part{
            std::vector<float>(input.left.begin(), input.left.begin() + static_cast<std::ptrdiff_t>(end)),
            std::vector<float>(input.right.begin(), input.right.begin() + static_cast<std::ptrdiff_t>(end))};
        const Rendered r = drive(kRate, 64, part, {{"dry_level_db", -60.f}}, events);
        EXPECT_EQ(r.looper->status().state, steps[upto].expect) << "after step " << upto;
    }
    // After a stop, play starts from the loop's first frame: compare with the first pass after recording.
    const Rendered r = drive(kRate, 64, input, {{"dry_level_db", -60.f}},
                             {{steps[0].frame, steps[0].values},
                              {steps[1].frame, steps[1].values},
                              {5 * L + 3200, press("stop")},
                              {6 * L, press("footswitch")}});
    const std::size_t start = L / 2 + L;
    const std::size_t fade = static_cast<std::size_t>(std::lround(Looper::kFadeMs * 0.001 * kRate));
    // The restart fades in over the first 5 ms (like the first pass); after that both are the same loop.
    EXPECT_EQ(maxAbsDiff(slice(r.out.left, {6 * L + fade, 7 * L}),
                         slice(r.out.left, {start + L + fade, start + 2 * L})),
              0.f);
    // A stopped loop is silent (after its fade).
    EXPECT_EQ(peak(slice(r.out.left, {5 * L + 3200 + fade, 6 * L})), 0.f);
}

TEST(Looper, ResetStopsButKeepsTheLoop) {
    const std::size_t L = 9600;
    auto looper = std::make_unique<Looper>();
    prepareLikeHost(*looper, kRate, 64, {{"dry_level_db", -60.f}});
    StereoBuffer input = noise(6 * L, 2);
    const StereoBuffer original = input;
    runBlocks(*looper, input, kRate, 64, [&](std::size_t pos, uint32_t) {
        if (pos == 0 || pos == L) {
            looper->setParam(Looper::kFootswitch, 1.f);
            looper->setParam(Looper::kFootswitch, 0.f);
        }
        if (pos == 3 * L) looper->reset();
        if (pos == 4 * L) {
            looper->setParam(Looper::kFootswitch, 1.f); // stopped -> play from the top
            looper->setParam(Looper::kFootswitch, 0.f);
        }
    });
    EXPECT_EQ(peak(slice(input.left, {3 * L, 4 * L})), 0.f);
    const std::size_t seam = looper->seamFrames();
    std::size_t wrong = 0;
    for (std::size_t p = seam; p < L; ++p)
        wrong += input.left[4 * L + p] != original.left[p];
    EXPECT_EQ(wrong, 0u);
    // A recording that a reset interrupts is dropped: there is no half loop.
    auto other = std::make_unique<Looper>();
    prepareLikeHost(*other, kRate, 64);
    StereoBuffer again = noise(4 * L, 3);
    runBlocks(*other, again, kRate, 64, [&](std::size_t pos, uint32_t) {
        if (pos == 0) other->setParam(Looper::kFootswitch, 1.f);
        if (pos == L) other->reset();
    });
    EXPECT_EQ(other->status().state, State::Empty);
}

// A reset (a bypass at 192 kHz, where the seam is longer than the engine's bypass fade, or a host's reset)
// while the seam is still being written: the part written so far is redone as a shorter seam, so the loop
// point stays click-free and the loop stays consistent (a close into overdub gives the loop close into play
// would have given).
TEST(Looper, ResetInsideTheSeamLeavesAShorterSeamWithoutAClick) {
    const std::size_t L = 24000 + 211; // not whole cycles: the seam joins two phases
    const std::size_t s0 = 9600;
    const std::size_t k = 120; // seam positions written before the reset (of 240)
    const std::size_t restartAt = s0 + 2 * L;
    const std::size_t frames = restartAt + 5 * L;
    StereoBuffer out = dualMono(fadedSine(997.0, kRate, frames, 0.25f, 480));
    auto looper = std::make_unique<Looper>();
    prepareLikeHost(*looper, kRate, 1, {{"dry_level_db", -60.f}});
    runBlocks(*looper, out, kRate, 1, [&](std::size_t pos, uint32_t) {
        if (pos == s0 || pos == s0 + L || pos == restartAt) {
            looper->setParam(Looper::kFootswitch, 1.f);
            looper->setParam(Looper::kFootswitch, 0.f);
        }
        if (pos == s0 + L + k) looper->reset();
    });
    ASSERT_EQ(looper->status().state, State::Playing);
    double worst = 0.0;
    for (std::size_t pass = 1; pass < 4; ++pass) {
        const std::size_t seamAt = restartAt + pass * L;
        const Window event{seamAt - 48, seamAt + 480};
        const Window before{seamAt - 4800, seamAt - 48};
        const Window after{seamAt + 480, seamAt + 5280};
        worst = std::max(worst, clickScore(out.left, event, before, after));
    }
    std::printf("[measured] looper reset %zu frames into the seam: click score at the loop point %.3f\n", k,
                worst);
    EXPECT_LE(worst, 1.5);

    // Closed into an overdub, reset inside the seam: the loop close into play and the same reset leave.
    const std::size_t L2 = 19200;
    auto run = [&](Looper::Transport close) {
        StereoBuffer x = noise(6 * L2, 93);
        auto lp = std::make_unique<Looper>();
        prepareLikeHost(*lp, kRate, 64, {{"dry_level_db", -60.f}});
        runBlocks(*lp, x, kRate, 64, [&](std::size_t pos, uint32_t) {
            if (pos == 0) lp->setParam(Looper::kTransport, static_cast<float>(Looper::kTransportRecord));
            if (pos == L2) lp->setParam(Looper::kTransport, static_cast<float>(close));
            if (pos == L2 + 128) lp->reset();
            if (pos == 3 * L2) {
                lp->setParam(Looper::kFootswitch, 1.f);
                lp->setParam(Looper::kFootswitch, 0.f);
            }
        });
        return x;
    };
    const StereoBuffer played = run(Looper::kTransportPlay);
    const StereoBuffer overdubbed = run(Looper::kTransportOverdub);
    EXPECT_EQ(maxAbsDiff(slice(played.left, {3 * L2, 6 * L2}), slice(overdubbed.left, {3 * L2, 6 * L2})),
              0.f);
    EXPECT_EQ(maxAbsDiff(slice(played.right, {3 * L2, 6 * L2}), slice(overdubbed.right, {3 * L2, 6 * L2})),
              0.f);
    EXPECT_GT(peak(slice(played.left, {4 * L2, 5 * L2})), 0.1f);
}

// status() from another thread (a GUI) while the audio thread runs: state, length and position always
// belong to the same moment (one atomic word), never a mix of two blocks.
TEST(Looper, StatusReadFromAnotherThreadIsNeverTorn) {
    constexpr uint32_t kBlock = 16;
    auto looper = std::make_unique<Looper>();
    prepareLikeHost(*looper, kRate, kBlock, {{"dry_level_db", -60.f}});
    std::atomic<bool> done{false};
    std::size_t reads = 0, recordingReads = 0, playingReads = 0, emptyReads = 0;
    std::size_t tornRec = 0, tornPlay = 0, tornEmpty = 0;
    std::thread reader([&] {
        while (!done.load(std::memory_order_acquire)) {
            const Looper::Status s = looper->status();
            ++reads;
            switch (s.state) {
            case State::Recording: // the write position is the length recorded so far (full speed)
                ++recordingReads;
                tornRec += s.positionFrames != s.loopFrames;
                break;
            case State::Playing:
                ++playingReads;
                tornPlay += s.loopFrames == 0 || s.positionFrames >= s.loopFrames;
                break;
            case State::Empty:
                ++emptyReads;
                tornEmpty += s.loopFrames != 0 || s.positionFrames != 0;
                break;
            default:
                break;
            }
        }
    });
    // Load: more busy threads than cores, so the audio thread is also preempted mid-publish now and then.
    std::vector<std::thread> load;
    std::atomic<uint64_t> sink{0};
    for (unsigned n = 0; n < std::max(2u, std::thread::hardware_concurrency()); ++n)
        load.emplace_back([&, n] {
            uint64_t x = n + 1;
            while (!done.load(std::memory_order_relaxed))
                x = x * 6364136223846793005ull + 1442695040888963407ull;
            sink += x;
        });
    std::vector<float> l(kBlock, 0.1f), r(kBlock, -0.1f);
    auto press = [&](std::size_t index) {
        looper->setParam(index, 1.f);
        looper->setParam(index, 0.f);
    };
    for (int cycle = 0; cycle < 1500; ++cycle) {
        // record 150-549 blocks, play 300 blocks, clear, 20 blocks empty
        const int recordBlocks = 150 + (cycle * 37) % 400;
        for (int b = 0; b < recordBlocks + 320; ++b) {
            if (b == 0) press(Looper::kFootswitch);
            if (b == recordBlocks) press(Looper::kFootswitch);
            if (b == recordBlocks + 300) press(Looper::kClear);
            fx::StereoBlock block{l.data(), r.data(), kBlock};
            fx::ProcessContext ctx;
            ctx.frames = kBlock;
            looper->process(block, ctx);
        }
    }
    done.store(true, std::memory_order_release);
    reader.join();
    for (auto& th : load)
        th.join();
    const std::size_t torn = tornRec + tornPlay + tornEmpty;
    std::printf("[measured] looper status torn: recording %zu, playing %zu, empty %zu\n", tornRec, tornPlay,
                tornEmpty);
    std::printf("[measured] looper status: %zu reads from a second thread (%zu recording, %zu playing, %zu "
                "empty), %zu torn\n",
                reads, recordingReads, playingReads, emptyReads, torn);
    EXPECT_GT(recordingReads, 0u);
    EXPECT_GT(playingReads, 0u);
    EXPECT_EQ(torn, 0u);
}

TEST(Looper, ValuesSetWhilePreparingStartNothing) {
    // A preset or session holding transport = record, or a held trigger, must not start a recording.
    const Rendered r = drive(kRate, 64, noise(9600, 1), {{"transport", 1.f}, {"footswitch", 1.f}}, {});
    EXPECT_EQ(r.looper->status().state, State::Empty);
    // Releasing and pressing again does.
    const Rendered r2 = drive(kRate, 64, noise(9600, 1), {{"footswitch", 1.f}},
                              {{640, {{"footswitch", 0.f}}}, {1280, {{"footswitch", 1.f}}}});
    EXPECT_EQ(r2.looper->status().state, State::Recording);
}

// Controls that reach the looper in one audio period act one after the other, in the order setParam
// delivers them (the engine: parameter order, transport first, clear last), each finishing before the
// next acts; only a wait for the beat lets later controls act meanwhile (a stop or transport replaces the
// waiting action, undo ends a waiting overdub, a footswitch press never cancels a waiting stop).
TEST(Looper, ControlsInOnePeriodActInTheOrderTheyArrive) {
    const std::size_t L = 9600;
    const std::size_t at = 3 * L + 640; // loop position 640 (pass 2)
    const std::size_t frames = 7 * L;
    const StereoBuffer input = noise(frames, 81);
    const std::size_t fade = static_cast<std::size_t>(std::lround(Looper::kFadeMs * 0.001 * kRate));
    const std::size_t beat = 48000; // the first beat after `at` at 120 BPM
    auto presses = [](std::initializer_list<std::string_view> ids) {
        std::vector<ParamValue> v;
        for (auto id : ids) {
            v.push_back({id, 1.f});
            v.push_back({id, 0.f});
        }
        return v;
    };
    auto withQuantize = [](std::vector<ParamValue> v) {
        v.insert(v.begin(), ParamValue{"quantize", static_cast<float>(Looper::kQuantizeBeat)});
        return v;
    };
    const std::vector<ParamEvent> recordLoop{{0, press("footswitch")}, {L, press("footswitch")}};
    auto run = [&](std::vector<ParamEvent> more) {
        std::vector<ParamEvent> events = recordLoop;
        events.insert(events.end(), more.begin(), more.end());
        return drive(kRate, 64, input, {{"dry_level_db", -60.f}}, events);
    };
    const Rendered ref = run({});
    // The loop as pass 1 plays it (positions past the seam are the recording itself).
    auto loopAt = [&](std::size_t p) { return ref.out.left[2 * L + p]; };
    auto unchangedFrom = [&](const Rendered& r, std::size_t from) {
        std::size_t wrong = 0;
        for (std::size_t t = from; t < frames; ++t)
            wrong += r.out.left[t] != ref.out.left[t] || r.out.right[t] != ref.out.right[t];
        return wrong;
    };
    auto restartedAt = [&](const Rendered& r, std::size_t from) {
        std::size_t wrong = 0;
        for (std::size_t j = fade; j < 2 * L; ++j)
            wrong += r.out.left[from + j] != loopAt(j % L);
        return wrong;
    };

    // footswitch (playing -> overdub) then undo: the overdub ends before it writes anything.
    const Rendered odUndo = run({{at, presses({"footswitch", "undo"})}});
    EXPECT_EQ(odUndo.looper->status().state, State::Playing);
    EXPECT_EQ(unchangedFrom(odUndo, at + fade), 0u);
    // footswitch then stop: stopped, the loop untouched (footswitch plays it again from the top).
    const Rendered odStop = run({{at, presses({"footswitch", "stop"})}, {5 * L, press("footswitch")}});
    EXPECT_EQ(peak(slice(odStop.out.left, {at + fade, 5 * L})), 0.f);
    EXPECT_EQ(restartedAt(odStop, 5 * L), 0u);
    // stop then footswitch: the stop happens, then the footswitch plays the loop from its top.
    const Rendered stopPlay = run({{at, presses({"stop", "footswitch"})}});
    EXPECT_EQ(stopPlay.looper->status().state, State::Playing);
    EXPECT_EQ(restartedAt(stopPlay, at), 0u);
    // transport stop then play: a restart from the top (transport reads play first: it acts on changes).
    const Rendered restart =
        run({{2 * L, {transport(Looper::kTransportPlay)}},
             {at, {transport(Looper::kTransportStop), transport(Looper::kTransportPlay)}}});
    EXPECT_EQ(restart.looper->status().state, State::Playing);
    EXPECT_EQ(restartedAt(restart, at), 0u);
    // transport record then play from empty: a recording of the shortest length, then playing.
    const Rendered recPlay =
        drive(kRate, 64, input, {},
              {{640, {transport(Looper::kTransportRecord), transport(Looper::kTransportPlay)}}});
    EXPECT_EQ(recPlay.looper->status().state, State::Playing);
    EXPECT_EQ(recPlay.looper->status().loopFrames,
              static_cast<uint32_t>(std::lround(Looper::kMinLoopMs * 0.001 * kRate)));

    // Quantized: footswitch then undo before the beat: no overdub starts at the beat.
    const Rendered qUndo = run({{at, withQuantize(presses({"footswitch", "undo"}))}});
    EXPECT_EQ(qUndo.looper->status().state, State::Playing);
    EXPECT_EQ(unchangedFrom(qUndo, at), 0u);
    // Quantized: footswitch then stop: the stop replaces the overdub; silent from the beat on.
    const Rendered qStop = run({{at, withQuantize(presses({"footswitch", "stop"}))}});
    EXPECT_EQ(qStop.looper->status().state, State::Stopped);
    EXPECT_EQ(peak(slice(qStop.out.left, {beat + fade, frames})), 0.f);
    EXPECT_EQ(maxAbsDiff(slice(qStop.out.left, {0, beat}), slice(ref.out.left, {0, beat})), 0.f);
    // Quantized: a stop waiting for the beat is not cancelled by a footswitch press in a later period.
    const Rendered qStopFs = run({{at, withQuantize(press("stop"))}, {at + 64, press("footswitch")}});
    EXPECT_EQ(qStopFs.looper->status().state, State::Stopped);
    EXPECT_EQ(peak(slice(qStopFs.out.left, {beat + fade, frames})), 0.f);
    // ... while a footswitch press still cancels an action it started itself.
    const Rendered qCancel = run({{at, withQuantize(press("footswitch"))}, {at + 64, press("footswitch")}});
    EXPECT_EQ(qCancel.looper->status().state, State::Playing);
    EXPECT_EQ(unchangedFrom(qCancel, 0), 0u);
}

// A stop that waits for the loop's seam (the 5 ms after it closes) is never cancelled or overtaken: a
// footswitch and an undo in the next periods act after it, in order.
TEST(Looper, ControlsWaitBehindAnActionThatWaitsForTheSeam) {
    const std::size_t L = 9600;
    const std::size_t frames = 5 * L;
    const StereoBuffer input = noise(frames, 82);
    const std::size_t fade = static_cast<std::size_t>(std::lround(Looper::kFadeMs * 0.001 * kRate));
    // record -> overdub at L (the seam is written until L + 240); stop at L + 64 waits for it; the
    // footswitch at L + 128 then restarts the loop from its top, with the overdub ended.
    const Rendered r = drive(kRate, 64, input, {{"dry_level_db", -60.f}},
                             {{0, {transport(Looper::kTransportRecord)}},
                              {L, {transport(Looper::kTransportOverdub)}},
                              {L + 64, press("stop")},
                              {L + 128, press("footswitch")}});
    EXPECT_EQ(r.looper->status().state, State::Playing);
    const std::size_t seam = r.looper->seamFrames();
    // Restarted from the top at L + seam: the loop's first pass there equals its next pass.
    std::size_t wrong = 0;
    for (std::size_t j = fade; j < L; ++j)
        wrong += r.out.left[L + seam + j] != r.out.left[2 * L + seam + j];
    EXPECT_EQ(wrong, 0u);
    EXPECT_GT(peak(slice(r.out.left, {L + seam + fade, 2 * L})), 0.1f);
}

// --------------------------------------------------------------------------------------------- clicks

TEST(Looper, TransitionsDoNotClick) {
    const double f = 997.0;
    const std::size_t L = 24000 + 137; // not whole cycles: the seam joins two phases
    const std::size_t gap = 24000;
    struct Ev {
        const char* what;
        std::vector<ParamValue> values;
    };
    const std::vector<Ev> script{
        {"record", press("footswitch")},
        {"close->play", press("footswitch")},
        {"overdub", press("footswitch")},
        {"play", press("footswitch")},
        {"undo", press("undo")},
        {"redo", press("redo")},
        {"reverse on", {{"reverse", 1.f}}},
        {"half speed on", {{"half_speed", 1.f}}},
        {"half speed off", {{"half_speed", 0.f}}},
        {"reverse off", {{"reverse", 0.f}}},
        {"stop", press("stop")},
        {"play from stop", press("footswitch")},
        {"record over", {transport(Looper::kTransportRecord)}},
        {"overdub from record", {transport(Looper::kTransportOverdub)}},
        {"clear", press("clear")},
    };
    for (float dryDb : {0.f, -60.f}) {
        std::vector<ParamEvent> events;
        std::vector<std::size_t> at;
        std::size_t t = 9600;
        for (std::size_t e = 0; e < script.size(); ++e) {
            // Recording takes L; the others are spaced by `gap`, all at multiples of 64.
            at.push_back(t);
            events.push_back({t, script[e].values});
            t += (e == 0 || e == 12) ? (L / 64 + 1) * 64 : gap;
        }
        const std::size_t frames = t + gap;
        const StereoBuffer input = stereo(fadedSine(f, kRate, frames, 0.25f, 480),
                                          fadedSine(f, kRate, frames, 0.25f, 480, 1.5707963267948966));
        const Rendered r = drive(kRate, 64, input, {{"dry_level_db", dryDb}}, events);
        for (std::size_t e = 1; e < script.size(); ++e) {
            const Window event{at[e], at[e] + 960};
            const Window before{at[e] - 4800, at[e]};
            const Window after{at[e] + 960, at[e] + 960 + 4800};
            double score = 0.0;
            for (const auto* ch : {&r.out.left, &r.out.right})
                score = std::max(score, clickScore(*ch, event, before, after));
            const bool silentAround =
                peak(slice(r.out.left, before)) == 0.f && peak(slice(r.out.left, after)) == 0.f;
            std::printf("[measured] looper %-20s (dry %3.0f dB): click score %.3f\n", script[e].what, dryDb,
                        score);
            if (!silentAround) {
                EXPECT_LE(score, 2.0) << script[e].what << " dry " << dryDb;
            }
        }
    }
}

TEST(Looper, TheSeamDoesNotClick) {
    // Loop-only output of a sine whose loop is not a whole number of cycles: every pass crosses the seam.
    const std::size_t L = 24000 + 211;
    const std::size_t frames = 9600 + 6 * L;
    const StereoBuffer input = dualMono(fadedSine(997.0, kRate, frames, 0.25f, 480));
    const Rendered r = drive(kRate, 1, input, {{"dry_level_db", -60.f}},
                             {{9600, press("footswitch")}, {9600 + L, press("footswitch")}});
    double worst = 0.0;
    for (std::size_t pass = 2; pass < 5; ++pass) {
        const std::size_t seamAt = 9600 + L + pass * L;
        const Window event{seamAt - 48, seamAt + 480};
        const Window before{seamAt - 4800, seamAt - 48};
        const Window after{seamAt + 480, seamAt + 5280};
        worst = std::max(worst, clickScore(r.out.left, event, before, after));
    }
    std::printf("[measured] looper seam of a 997 Hz loop: click score %.3f\n", worst);
    EXPECT_LE(worst, 1.5);
}

TEST(Looper, ParameterStepsDoNotClick) {
    struct Step {
        std::string_view id;
        float from;
        float to;
    };
    const std::vector<Step> steps{
        {"loop_level_db", 0.f, -60.f}, {"loop_level_db", -60.f, 6.f},
        {"dry_level_db", 0.f, -60.f},  {"dry_level_db", -60.f, 0.f},
        {"reverse", 0.f, 1.f},         {"half_speed", 0.f, 1.f},
        {"footswitch", 0.f, 1.f},      {"stop", 0.f, 1.f},
        {"clear", 0.f, 1.f},           {"transport", 2.f, 1.f},
        {"transport", 2.f, 0.f},       {"overdub_feedback", 1.f, 0.f},
    };
    // A loop of the sine plays from frame 9600 (recorded over the fade-in; overdub from 19200 for feedback).
    for (const auto& s : steps) {
        std::vector<ParamEvent> scenario{{64, press("footswitch")}, {9600, press("footswitch")}};
        if (s.id == "overdub_feedback") scenario.push_back({19200, press("footswitch")});
        if (s.id == "transport")
            scenario = {{64, {transport(Looper::kTransportRecord)}},
                        {9600, {transport(Looper::kTransportPlay)}}};
        StepSpec spec;
        const std::vector<ParamValue> settings{{"dry_level_db", s.id == "dry_level_db" ? s.from : -60.f}};
        const StepResult r = stepParamMidSine<Looper>(spec, settings, s.id, s.from, s.to, scenario);
        std::printf(
            "[measured] looper %s %g -> %g: click score %.3f, step ratio %.3f (changed output by %.2f)\n",
            std::string(s.id).c_str(), s.from, s.to, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, 2.0) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_LE(r.stepRatio, 1.5) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.01) << s.id << " " << s.from << " -> " << s.to;
    }
}

// --------------------------------------------------------------------------------- generic properties

TEST(Looper, BlockSizeInvariance) {
    const std::size_t u = 17408; // a multiple of 1, 17, 64 and 1024
    const StereoBuffer input = noise(16 * u, 71);
    const std::vector<ParamEvent> events{
        {0, press("footswitch")},      {2 * u, press("footswitch")},
        {4 * u, press("footswitch")},  {5 * u, {{"reverse", 1.f}}},
        {6 * u, press("footswitch")},  {7 * u, {{"half_speed", 1.f}}},
        {8 * u, press("undo")},        {9 * u, {{"loop_level_db", -9.f}, {"overdub_feedback", 0.6f}}},
        {10 * u, press("footswitch")}, {11 * u, {{"half_speed", 0.f}, {"reverse", 0.f}}},
        {12 * u, press("stop")},       {13 * u, press("footswitch")},
        {14 * u, press("clear")},      {15 * u, {transport(Looper::kTransportRecord)}},
    };
    const float deviation = blockSizeDeviation<Looper>(kRate, input, {{"dry_level_db", -6.f}}, events);
    // Quantized actions fall inside blocks: the beat grid decides, not the block size.
    const std::vector<ParamValue> q{{"quantize", 1.f}, {"dry_level_db", -60.f}};
    const std::vector<ParamEvent> qEvents{
        {0, {transport(Looper::kTransportRecord)}},      {2 * u, {transport(Looper::kTransportPlay)}},
        {4 * u, {transport(Looper::kTransportOverdub)}}, {5 * u, {transport(Looper::kTransportPlay)}},
        {6 * u, {transport(Looper::kTransportStop)}},    {7 * u, {transport(Looper::kTransportPlay)}}};
    const StereoBuffer qInput = noise(9 * u, 72);
    const StereoBuffer ref = renderWithTempo<Looper>(kRate, 1, qInput, q, 133.0, 0.37, qEvents);
    float quantized = 0.f;
    for (uint32_t size : {17u, 64u, 1024u}) {
        const StereoBuffer out = renderWithTempo<Looper>(kRate, size, qInput, q, 133.0, 0.37, qEvents);
        quantized = std::max({quantized, maxAbsDiff(ref.left, out.left), maxAbsDiff(ref.right, out.right)});
    }
    std::printf("[measured] looper block-size deviation %.3g, quantized %.3g\n", deviation, quantized);
    EXPECT_LE(deviation, 1e-5f);
    EXPECT_LE(quantized, 1e-5f);
    EXPECT_GT(peak(ref.left), 0.1f); // the quantized run did record and play something
}

TEST(Looper, SampleRatesSilenceAndSoak) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        // Exact playback at every rate.
        const auto L = static_cast<std::size_t>(0.25 * rate);
        const StereoBuffer input = noise(4 * L, 17);
        const Rendered r = drive(rate, 64, input, {{"dry_level_db", -60.f}},
                                 {{0, press("footswitch")}, {L, press("footswitch")}});
        const std::size_t seam = r.looper->seamFrames();
        std::size_t wrong = 0;
        for (std::size_t k = 0; k < 3 * L; ++k)
            if (k % L >= seam) wrong += r.out.left[L + k] != input.left[k % L];
        EXPECT_EQ(wrong, 0u) << rate;
        EXPECT_EQ(seam, static_cast<std::size_t>(std::lround(Looper::kSeamMs * 0.001 * rate))) << rate;
        // Silence in, silence out: empty, and while recording, playing and overdubbing silence.
        const Rendered silent = drive(rate, 64, dualMono(constant(4 * L, 0.f)), {},
                                      {{64, press("footswitch")},
                                       {L, press("footswitch")},
                                       {2 * L, press("footswitch")},
                                       {3 * L, {{"reverse", 1.f}, {"half_speed", 1.f}}}});
        EXPECT_EQ(peak(silent.out.left), 0.f) << rate;
        EXPECT_EQ(peak(silent.out.right), 0.f) << rate;
        const SoakResult soak = randomParamSoak<Looper>(rate, 4.0, 256, 4242, 0.5f);
        std::printf("[measured] looper soak at %g Hz: %zu parameter changes, output peak %.2f\n", rate,
                    soak.paramChanges, soak.outputPeak);
        EXPECT_TRUE(soak.finite) << rate;
        EXPECT_LT(soak.outputPeak, 100.f) << rate;
    }
}

TEST(Looper, NonFiniteInputNeverEntersTheLoop) {
    const std::size_t L = 4800;
    StereoBuffer input = noise(4 * L, 12);
    input.left[1000] = std::numeric_limits<float>::quiet_NaN();
    input.right[2000] = std::numeric_limits<float>::infinity();
    const Rendered r = drive(kRate, 64, input, {{"dry_level_db", -60.f}},
                             {{0, press("footswitch")}, {L, press("footswitch")}});
    EXPECT_TRUE(allFinite(r.out.left));
    EXPECT_TRUE(allFinite(r.out.right));
    EXPECT_EQ(r.out.left[L + 1000 + L], 0.f);
    EXPECT_EQ(r.out.right[L + 2000 + L], 0.f);
}

} // namespace
} // namespace stagerack::test
