#include "effects/pitch/Harmonizer.h"
#include "tests/support/Analysis.h"
#include "tests/support/PitchAnalysis.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <numbers>
#include <set>

namespace stagerack::test {
namespace {

using fx::Harmonizer;
constexpr double kRate = 48000.0;
constexpr float kOff = -60.f;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

struct TimedMidi {
    std::size_t frame = 0;
    uint8_t status = 0;
    uint8_t data1 = 0;
    uint8_t data2 = 0;
};

// Like render(), with MIDI events delivered in the block that contains them at their offset in it.
StereoBuffer renderWithMidi(double rate, uint32_t blockFrames, StereoBuffer buffer,
                            const std::vector<ParamValue>& settings, const std::vector<TimedMidi>& midi) {
    auto effect = std::make_unique<Harmonizer>();
    prepareLikeHost(*effect, rate, blockFrames, settings);
    std::vector<fx::MidiEvent> events;
    for (std::size_t pos = 0; pos < buffer.frames();) {
        const auto n = static_cast<uint32_t>(std::min<std::size_t>(blockFrames, buffer.frames() - pos));
        events.clear();
        for (const auto& m : midi)
            if (m.frame >= pos && m.frame < pos + n)
                events.push_back({static_cast<uint32_t>(m.frame - pos), 3, {m.status, m.data1, m.data2}});
        fx::StereoBlock block{buffer.left.data() + pos, buffer.right.data() + pos, n};
        fx::ProcessContext ctx;
        ctx.sampleRate = rate;
        ctx.frames = n;
        ctx.midi = events;
        effect->process(block, ctx);
        pos += n;
    }
    return buffer;
}

TEST(Harmonizer, MetadataIsCompleteAndIdsAreStable) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<Harmonizer>()).empty())
        << joined(metadataProblems(fx::infoOf<Harmonizer>()));
    EXPECT_EQ(Harmonizer::kId, "harmonizer");
    EXPECT_EQ(Harmonizer::kCategory, "pitch");
    const std::array<std::string_view, Harmonizer::kParamCount> ids{
        "mode",   "key",         "scale",        "voices",   "v1_interval", "v1_semitones", "v1_level",
        "v1_pan", "v2_interval", "v2_semitones", "v2_level", "v2_pan",      "dry_level",    "glide_ms"};
    for (std::size_t i = 0; i < ids.size(); ++i)
        EXPECT_EQ(Harmonizer::kParams[i].id, ids[i]);
    EXPECT_EQ(Harmonizer::kParams[Harmonizer::kScale].labels[7], "harmonic_minor");
    EXPECT_EQ(Harmonizer::kParams[Harmonizer::kKey].labels[9], "A");
}

TEST(Harmonizer, ScaleArithmetic) {
    const auto& major = fx::kScaleDegrees[0];
    // A third up from each degree of C major: 4 3 3 4 4 3 3 semitones.
    const int thirds[] = {4, 3, 3, 4, 4, 3, 3};
    for (int d = 0; d < 7; ++d)
        EXPECT_EQ(fx::diatonicShift(major, fx::ScaleNote{d}, 2), thirds[d]) << d;
    EXPECT_EQ(fx::diatonicShift(major, fx::ScaleNote{0}, 7), 12);
    EXPECT_EQ(fx::diatonicShift(major, fx::ScaleNote{0}, -3), -5);     // C down to G
    EXPECT_EQ(fx::diatonicShift(major, fx::ScaleNote{-1}, 2), 3);      // B below to D
    EXPECT_EQ(fx::nearestScaleNote(major, 4.3).index, 2);              // E
    EXPECT_EQ(fx::nearestScaleNote(major, -0.8).index, -1);            // B below
    EXPECT_EQ(fx::nearestScaleNote(major, 13.9).semitones(major), 14); // D an octave up
}

// A line of notes, `noteSeconds` each: sines with 5 ms fades, or plucks damped at the next note.
std::vector<float> line(const std::vector<double>& notesHz, double noteSeconds, bool plucked) {
    const auto noteFrames = static_cast<std::size_t>(noteSeconds * kRate);
    const std::size_t frames = noteFrames * (notesHz.size() + 1);
    std::vector<float> out(frames, 0.f);
    for (std::size_t i = 0; i < notesHz.size(); ++i) {
        const std::size_t start = i * noteFrames;
        const std::vector<float> note =
            plucked ? pluckedString(notesHz[i], kRate, frames, 0.5f, 2.0, 40 + i, start)
                    : toneBurst(notesHz[i], kRate, frames, start, noteFrames, 0.4f, 240);
        for (std::size_t n = start; n < start + noteFrames; ++n)
            out[n] += note[n];
    }
    return out;
}

struct NoteCheck {
    double worstCents = 0.0;
    int wrong = 0;
};

// Measures the output note under each input note (its steady part, 130 ms after the onset to 10 ms before
// the end) against the expected MIDI note, searching three semitones either way.
NoteCheck checkNotes(const std::vector<float>& out, const std::vector<double>& expectedMidi,
                     double noteSeconds, const char* what) {
    NoteCheck c;
    const auto noteFrames = static_cast<std::size_t>(noteSeconds * kRate);
    for (std::size_t i = 0; i < expectedMidi.size(); ++i) {
        const Window w{i * noteFrames + static_cast<std::size_t>(0.13 * kRate),
                       (i + 1) * noteFrames - static_cast<std::size_t>(0.01 * kRate)};
        const double want = midiToHz(expectedMidi[i]);
        const double f =
            measureFrequency(slice(out, w), kRate, want * std::exp2(-3.0 / 12), want * std::exp2(3.0 / 12));
        const double cents = centsBetween(f, want);
        std::printf("[measured] harmonizer %s note %zu: %.3f Hz, expected %.3f Hz (MIDI %g), %+.3f cents\n",
                    what, i, f, want, expectedMidi[i], cents);
        c.worstCents = std::max(c.worstCents, std::fabs(cents));
        if (std::fabs(cents) > 5.0) ++c.wrong;
    }
    return c;
}

// The test: a C major scale played (sines and plucks, 300 ms a note) with a diatonic third up comes
// out C->E, D->F, E->G, F->A, G->B, A->C, B->D, C->E; a second voice a fifth up at the same time.
TEST(Harmonizer, DiatonicThirdsOverACMajorScale) {
    const std::vector<double> scale{60, 62, 64, 65, 67, 69, 71, 72};
    const std::vector<double> thirds{64, 65, 67, 69, 71, 72, 74, 76};
    const std::vector<double> fifths{67, 69, 71, 72, 74, 76, 77, 79};
    std::vector<double> hz;
    for (double m : scale)
        hz.push_back(midiToHz(m));
    for (bool plucked : {false, true}) {
        const std::vector<float> in = line(hz, 0.3, plucked);
        const StereoBuffer out = render<Harmonizer>(kRate, 64, dualMono(in),
                                                    {{"mode", 1.f},
                                                     {"key", 0.f},
                                                     {"scale", 0.f},
                                                     {"voices", 2.f},
                                                     {"v1_interval", 2.f},
                                                     {"v2_interval", 4.f},
                                                     {"v1_pan", -1.f},
                                                     {"v2_pan", 1.f},
                                                     {"dry_level", kOff}});
        const NoteCheck third = checkNotes(out.left, thirds, 0.3, plucked ? "pluck third" : "sine third");
        const NoteCheck fifth = checkNotes(out.right, fifths, 0.3, plucked ? "pluck fifth" : "sine fifth");
        std::printf("[measured] harmonizer C major, %s: thirds worst %.3f cents, fifths worst %.3f cents\n",
                    plucked ? "plucked" : "sines", third.worstCents, fifth.worstCents);
        EXPECT_EQ(third.wrong, 0);
        EXPECT_EQ(fifth.wrong, 0);
        EXPECT_LE(third.worstCents, 5.0);
        EXPECT_LE(fifth.worstCents, 5.0);
    }
}

// Another key and scale: A natural minor with a third up and a fourth below.
TEST(Harmonizer, DiatonicIntervalsInAMinor) {
    const std::vector<double> scale{57, 59, 60, 62, 64, 65, 67, 69};
    const std::vector<double> thirds{60, 62, 64, 65, 67, 69, 71, 72};
    const std::vector<double> fourthsBelow{52, 53, 55, 57, 59, 60, 62, 64};
    std::vector<double> hz;
    for (double m : scale)
        hz.push_back(midiToHz(m));
    const StereoBuffer out = render<Harmonizer>(kRate, 64, dualMono(line(hz, 0.3, true)),
                                                {{"mode", 1.f},
                                                 {"key", 9.f},
                                                 {"scale", 1.f},
                                                 {"voices", 2.f},
                                                 {"v1_interval", 2.f},
                                                 {"v2_interval", -3.f},
                                                 {"v1_pan", -1.f},
                                                 {"v2_pan", 1.f},
                                                 {"dry_level", kOff}});
    const NoteCheck third = checkNotes(out.left, thirds, 0.3, "A minor third");
    const NoteCheck fourth = checkNotes(out.right, fourthsBelow, 0.3, "A minor fourth below");
    EXPECT_EQ(third.wrong + fourth.wrong, 0);
    EXPECT_LE(std::max(third.worstCents, fourth.worstCents), 5.0);
}

// A note that drifts 0.57 semitone sharp (past the half-way point, within the 0.2 semitone hysteresis) keeps
// its harmony; the same pitch played fresh is taken as the next scale note.
TEST(Harmonizer, BendsDoNotFlipTheInterval) {
    const auto frames = static_cast<std::size_t>(1.2 * kRate);
    const double e4 = midiToHz(64), sharp = midiToHz(64.57);
    // E4 for 0.4 s, then a 0.2 s glide up to E4 + 0.57 semitone, held.
    std::vector<float> bend(frames);
    double phase = 0.0;
    for (std::size_t n = 0; n < frames; ++n) {
        const double t = static_cast<double>(n) / kRate;
        const double f = t < 0.4 ? e4 : t < 0.6 ? e4 * std::pow(sharp / e4, (t - 0.4) / 0.2) : sharp;
        bend[n] = static_cast<float>(0.4 * std::sin(phase) * std::min(1.0, t / 0.01));
        phase += 2.0 * std::numbers::pi * f / kRate;
    }
    const std::vector<ParamValue> settings{{"mode", 1.f}, {"v1_interval", 2.f}, {"dry_level", kOff}};
    const StereoBuffer bent = render<Harmonizer>(kRate, 64, dualMono(bend), settings);
    const Window w{static_cast<std::size_t>(0.8 * kRate), frames};
    const double bentOut = measureFrequency(slice(bent.left, w), kRate, sharp, sharp * 1.5);
    const StereoBuffer fresh =
        render<Harmonizer>(kRate, 64, dualMono(fadedSine(sharp, kRate, frames, 0.4f, 480)), settings);
    const double freshOut = measureFrequency(slice(fresh.left, w), kRate, sharp, sharp * 1.5);
    std::printf(
        "[measured] harmonizer E4+0.57 st bent up from E4: harmony %+.4f semitones above it (E->G: +3); the "
        "same pitch played fresh: %+.4f (taken as F, F->A: +4)\n",
        12.0 * std::log2(bentOut / sharp), 12.0 * std::log2(freshOut / sharp));
    EXPECT_NEAR(12.0 * std::log2(bentOut / sharp), 3.0, 0.01);  // E -> G, transposing the bent note
    EXPECT_NEAR(12.0 * std::log2(freshOut / sharp), 4.0, 0.01); // taken as F: F -> A
}

TEST(Harmonizer, FixedIntervalsLevelsAndPan) {
    const auto frames = static_cast<std::size_t>(1.5 * kRate);
    const std::vector<float> in = fadedSine(196.0, kRate, frames, 0.5f, 480);
    const Window w{static_cast<std::size_t>(0.5 * kRate), frames};
    const StereoBuffer out = render<Harmonizer>(kRate, 64, dualMono(in),
                                                {{"mode", 0.f},
                                                 {"voices", 2.f},
                                                 {"v1_semitones", 7.f},
                                                 {"v2_semitones", -12.f},
                                                 {"v1_level", -6.f},
                                                 {"v2_level", 0.f},
                                                 {"v1_pan", -1.f},
                                                 {"v2_pan", 0.5f},
                                                 {"dry_level", -3.f}});
    const double f1 = measureFrequency(slice(out.left, w), kRate, 250.0, 350.0);
    const double f2 = measureFrequency(slice(out.right, w), kRate, 80.0, 120.0);
    std::printf("[measured] harmonizer fixed +7 of 196 Hz: %+.4f cents; -12: %+.4f cents\n",
                centsBetween(f1, 196.0 * std::exp2(7.0 / 12)), centsBetween(f2, 98.0));
    EXPECT_LE(std::fabs(centsBetween(f1, 196.0 * std::exp2(7.0 / 12))), 1.0);
    EXPECT_LE(std::fabs(centsBetween(f2, 98.0)), 1.0);
    // Levels: voice 1 -6 dB panned hard left (+3 dB there, nothing right); voice 2 0 dB at pan 0.5.
    const double a = 0.5;
    auto level = [&](const std::vector<float>& ch, double f) {
        return toDb(4.0 * std::abs(hannDft(slice(ch, w), f, kRate)) / static_cast<double>(w.size()) / a);
    };
    const double angle = 1.5 * 0.25 * std::numbers::pi;
    const double checks[][3] = {
        {level(out.left, f1), -6.0 + toDb(std::numbers::sqrt2), 0},
        {level(out.right, f1), -400.0, 1},
        {level(out.left, f2), toDb(std::numbers::sqrt2 * std::cos(angle)), 0},
        {level(out.right, f2), toDb(std::numbers::sqrt2 * std::sin(angle)), 0},
        {level(out.left, 196.0), -3.0, 0},
        {level(out.right, 196.0), -3.0, 0},
    };
    for (const auto& c : checks) {
        std::printf("[measured] harmonizer level %.3f dB (expected %.3f dB)\n", c[0], c[1]);
        if (c[2] > 0)
            EXPECT_LE(c[0], -80.0);
        else
            EXPECT_NEAR(c[0], c[1], 0.1);
    }
}

// MIDI mode: voice 1 plays the most recent held note, voice 2 the one held before it; a note-on acts at
// its sample offset; releasing notes hands the voices back and finally silences them.
TEST(Harmonizer, MidiNotesSetTheVoicePitches) {
    const auto frames = static_cast<std::size_t>(2.5 * kRate);
    const std::vector<float> in = fadedSine(220.0, kRate, frames, 0.5f, 480);
    const std::vector<TimedMidi> midi{
        {12037, 0x90, 64, 100}, // E4 on
        {48011, 0x91, 67, 90},  // G4 on (another channel)
        {76805, 0x80, 67, 0},   // G4 off
        {100850, 0x90, 64, 0},  // E4 off (note-on with velocity 0)
    };
    const std::vector<ParamValue> settings{
        {"mode", 2.f}, {"voices", 2.f}, {"v1_pan", -1.f}, {"v2_pan", 1.f}, {"dry_level", kOff}};
    const StereoBuffer out = renderWithMidi(kRate, 64, dualMono(in), settings, midi);
    // Nothing before the first note-on; the voice from its very sample.
    EXPECT_EQ(peak(slice(out.left, {0, 12037})), 0.f);
    EXPECT_EQ(peak(slice(out.right, {0, 12037})), 0.f);
    EXPECT_GT(peak(slice(out.left, {12037, 12037 + 48})), 0.f);
    struct Span {
        double from, to;
        double left, right; // expected MIDI notes, 0 = silent
    };
    for (const Span s :
         {Span{0.4, 0.98, 64, 0}, Span{1.15, 1.58, 67, 64}, Span{1.75, 2.08, 64, 0}, Span{2.15, 2.5, 0, 0}}) {
        const Window w{static_cast<std::size_t>(s.from * kRate), static_cast<std::size_t>(s.to * kRate)};
        for (int ch = 0; ch < 2; ++ch) {
            const std::vector<float>& x = ch == 0 ? out.left : out.right;
            const double note = ch == 0 ? s.left : s.right;
            if (note == 0) {
                EXPECT_LE(rmsDb(slice(x, w)), -100.0) << s.from << " ch " << ch;
                continue;
            }
            const double want = midiToHz(note);
            const double f = measureFrequency(slice(x, w), kRate, want * 0.9, want * 1.1);
            std::printf("[measured] harmonizer midi %.2f-%.2f s voice %d: %.3f Hz for note %g (%.3f Hz), "
                        "%+.3f cents\n",
                        s.from, s.to, ch + 1, f, note, want, centsBetween(f, want));
            EXPECT_LE(std::fabs(centsBetween(f, want)), 3.0) << s.from << " ch " << ch;
        }
    }
    // Any host block size gives the same output, whatever offsets the events land on.
    float worst = 0.f;
    for (uint32_t size : {1u, 17u, 1024u}) {
        const StereoBuffer other = renderWithMidi(kRate, size, dualMono(in), settings, midi);
        worst = std::max({worst, maxAbsDiff(out.left, other.left), maxAbsDiff(out.right, other.right)});
    }
    std::printf("[measured] harmonizer midi block-size deviation %.3g\n", worst);
    EXPECT_LE(worst, 1e-5f);
}

// MIDI mode with a held note more than two octaves from the played one: the voice's ratio is limited to two
// octaves either way, so the note is brought into range by whole octaves and keeps its name (A stays an A),
// in the nearest octave within reach. Found by review: the ratio used to be clamped, so an E2 with A4, C5,
// E5 or C6 held played E4 every time.
TEST(Harmonizer, MidiNotesOutOfRangeKeepTheirNameInTheNearestOctave) {
    struct Case {
        double playedMidi, heldMidi, expectedMidi;
    };
    const Case cases[] = {{40, 69, 57}, {40, 72, 60}, {40, 76, 64}, {40, 84, 60},
                          {40, 64, 64}, {84, 40, 64}, {84, 28, 64}, {84, 55, 67}};
    const auto frames = static_cast<std::size_t>(1.0 * kRate);
    for (const Case& c : cases) {
        const std::vector<float> in = fadedSine(midiToHz(c.playedMidi), kRate, frames, 0.5f, 480);
        const StereoBuffer out = renderWithMidi(kRate, 64, dualMono(in), {{"mode", 2.f}, {"dry_level", kOff}},
                                                {{4800, 0x90, static_cast<uint8_t>(c.heldMidi), 100}});
        const double want = midiToHz(c.expectedMidi);
        const double f = measureFrequency(slice(out.left, {frames / 2, frames}), kRate, 30.0, 2000.0);
        std::printf("[measured] harmonizer midi: played MIDI %g, held %g: voice %.3f Hz, expected %.3f Hz "
                    "(MIDI %g), %+.3f cents\n",
                    c.playedMidi, c.heldMidi, f, want, c.expectedMidi, centsBetween(f, want));
        EXPECT_LE(std::fabs(centsBetween(f, want)), 3.0) << c.playedMidi << " " << c.heldMidi;
    }
}

// A held note exactly two octaves above the played one, with the played note's vibrato crossing that
// boundary (+-25 cents): the voice stays in one octave instead of flipping between two.
TEST(Harmonizer, MidiOctaveFoldingDoesNotFlickerAtTheBoundary) {
    const auto frames = static_cast<std::size_t>(2.0 * kRate);
    std::vector<float> in(frames);
    double phase = 0.0;
    for (std::size_t n = 0; n < frames; ++n) {
        const double t = static_cast<double>(n) / kRate;
        const double f = midiToHz(40.0 + 0.25 * std::sin(2.0 * std::numbers::pi * 5.0 * t));
        in[n] = static_cast<float>(0.4 * std::sin(phase) * std::min(1.0, t / 0.01));
        phase += 2.0 * std::numbers::pi * f / kRate;
    }
    const StereoBuffer out =
        renderWithMidi(kRate, 64, dualMono(in), {{"mode", 2.f}, {"dry_level", kOff}}, {{0, 0x90, 64, 100}});
    std::set<long> octaves;
    const auto win = static_cast<std::size_t>(0.04 * kRate);
    for (std::size_t n = static_cast<std::size_t>(0.3 * kRate); n + win <= frames; n += win) {
        const double f = measureFrequency(slice(out.left, {n, n + win}), kRate, 100.0, 600.0);
        octaves.insert(std::lround(std::log2(f / midiToHz(64))));
    }
    std::printf("[measured] harmonizer midi E4 over a vibrato E2: the voice sounded in %zu octave(s)\n",
                octaves.size());
    EXPECT_EQ(octaves.size(), 1u);
}

// A voice that starts two octaves up reads input that was written before it started; that input must
// already be free of what would fold over Nyquist at four times the speed. Input: 440 Hz plus a strong
// 14 kHz partial; at +24 semitones the partial would alias to 4 x 14 - 48 = 8 kHz. Over the voice's first
// 30 ms the 8 kHz alias stays 40 dB below the shifted 1760 Hz fundamental (-47 dB in the steady state;
// it was -22 dB), whether the voice starts by its level (fixed mode) or by a MIDI note-on. Found by review:
// the anti-alias filter only followed voices already running, and glided 20 ms to them.
TEST(Harmonizer, AVoiceStartingTwoOctavesUpDoesNotAlias) {
    const auto frames = static_cast<std::size_t>(1.2 * kRate);
    std::vector<float> in = sine(440.0, kRate, frames, 0.3f);
    const std::vector<float> high = sine(14000.0, kRate, frames, 0.3f);
    for (std::size_t n = 0; n < frames; ++n)
        in[n] += high[n];
    constexpr std::size_t kStart = 24000;
    const auto first = static_cast<std::size_t>(0.03 * kRate);
    auto aliasDb = [&](const std::vector<float>& x, std::size_t from) {
        const auto w = slice(x, {from, from + first});
        return toDb(std::abs(hannDft(w, 8000.0, kRate)) / std::abs(hannDft(w, 1760.0, kRate)));
    };
    for (int how = 0; how < 2; ++how) {
        const StereoBuffer out =
            how == 0 ? render<Harmonizer>(
                           kRate, 64, dualMono(in),
                           {{"mode", 0.f}, {"v1_semitones", 24.f}, {"v1_level", kOff}, {"dry_level", kOff}},
                           {{kStart, {{"v1_level", 0.f}}}})
                     : renderWithMidi(kRate, 64, dualMono(in), {{"mode", 2.f}, {"dry_level", kOff}},
                                      {{kStart, 0x90, 93, 100}});
        const double start = aliasDb(out.left, kStart);
        const double steady = aliasDb(out.left, kStart + static_cast<std::size_t>(0.5 * kRate));
        std::printf("[measured] harmonizer voice starting at +24 (%s): 8 kHz alias %.1f dB re the "
                    "fundamental over its first 30 ms, %.1f dB 0.5 s later\n",
                    how == 0 ? "level" : "MIDI note-on", start, steady);
        EXPECT_LE(start, -40.0) << how;
        EXPECT_LE(steady, -40.0) << how;
    }
}

TEST(Harmonizer, LatencyIsReportedAndMeasured) {
    for (double rate : {44100.0, 48000.0, 96000.0}) {
        Harmonizer probe;
        prepareLikeHost(probe, rate, 64);
        const uint32_t latency = probe.latencySamples();
        const StereoBuffer out = render<Harmonizer>(rate, 64, dualMono(impulse(20000, 3000)),
                                                    {{"v1_level", kOff}, {"v2_level", kOff}});
        std::printf("[measured] harmonizer at %g Hz: latency %u samples (%.2f ms), dry impulse at %zu\n",
                    rate, latency, 1000.0 * latency / rate, peakIndex(out.left) - 3000);
        EXPECT_EQ(peakIndex(out.left), 3000 + latency);
        EXPECT_EQ(out.left[3000 + latency], 1.f);
        EXPECT_LE(latency, static_cast<uint32_t>(0.010 * rate));
    }
}

TEST(Harmonizer, BlockSizeInvariance) {
    const std::size_t frames = 17408 * 4;
    std::vector<double> hz{196.0, 220.0, 246.94, 261.63, 293.66};
    std::vector<float> l = line(hz, 0.3, true);
    l.resize(frames, 0.f);
    const std::vector<float> noise = whiteNoise(frames, 5, 0.01f);
    for (std::size_t n = 0; n < frames; ++n)
        l[n] += noise[n];
    const StereoBuffer input = stereo(l, l);
    const float deviation = blockSizeDeviation<Harmonizer>(
        kRate, input, {{"voices", 2.f}, {"v2_interval", -2.f}, {"v1_pan", -0.5f}},
        {{17408, {{"key", 7.f}, {"scale", 5.f}, {"glide_ms", 80.f}}},
         {34816, {{"mode", 0.f}, {"v1_semitones", -5.f}, {"v2_level", -12.f}}},
         {52224, {{"voices", 1.f}, {"mode", 1.f}, {"v1_interval", 4.f}, {"dry_level", kOff}}}});
    std::printf("[measured] harmonizer block-size deviation %.3g\n", deviation);
    EXPECT_LE(deviation, 1e-5f);
}

TEST(Harmonizer, SampleRatesSilenceAndSoak) {
    for (double rate : {44100.0, 96000.0, 192000.0}) {
        const auto frames = static_cast<std::size_t>(1.5 * rate);
        const double in = midiToHz(62); // D: a third up is F, 3 semitones
        const StereoBuffer out = render<Harmonizer>(
            rate, 64, dualMono(fadedSine(in, rate, frames, 0.5f, 480)), {{"dry_level", kOff}});
        const double f = measureFrequency(slice(out.left, {frames / 3, frames}), rate, 320.0, 380.0);
        std::printf("[measured] harmonizer at %g Hz: third above D4 %+.4f cents from F4\n", rate,
                    centsBetween(f, midiToHz(65)));
        EXPECT_LE(std::fabs(centsBetween(f, midiToHz(65))), 1.0) << rate;
    }
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        const StereoBuffer silent =
            render<Harmonizer>(rate, 64, dualMono(constant(48000, 0.f)), {{"voices", 2.f}, {"mode", 0.f}});
        EXPECT_EQ(peak(silent.left), 0.f);
        EXPECT_EQ(peak(silent.right), 0.f);
        const SoakResult soak = randomParamSoak<Harmonizer>(rate, 4.0, 512, 99, 0.5f);
        std::printf("[measured] harmonizer soak at %g Hz: peak %.3f (input %.3f)\n", rate, soak.outputPeak,
                    soak.inputPeak);
        EXPECT_TRUE(soak.finite) << rate;
        EXPECT_LE(soak.outputPeak, 3.f * 2.f * 1.42f * soak.inputPeak) << rate;
    }
}

TEST(Harmonizer, ParameterStepsDoNotClick) {
    struct Step {
        std::string_view id;
        float from;
        float to;
        std::vector<ParamValue> settings;
    };
    const std::vector<ParamValue> solo{{"dry_level", kOff}};
    const std::vector<Step> steps{
        {"mode", 1.f, 0.f, solo},
        {"mode", 0.f, 1.f, solo},
        {"mode", 1.f, 2.f, solo}, // no notes held: the voice fades out
        {"key", 0.f, 5.f, solo},
        {"scale", 0.f, 5.f,
         solo}, // 997 Hz (B + 16 cents): B in C major (third up +3), C in C mixolydian (+4)
        {"voices", 1.f, 2.f, solo},
        {"voices", 2.f, 1.f, solo},
        {"v1_interval", 2.f, 7.f, solo},
        {"v1_interval", 2.f, -7.f, solo},
        {"v1_semitones", 4.f, -12.f, {{"mode", 0.f}, {"dry_level", kOff}}},
        {"v1_level", 0.f, kOff, solo},
        {"v1_level", kOff, 6.f, {}},
        {"v1_pan", -1.f, 1.f, solo},
        {"v2_interval", 4.f, -4.f, {{"voices", 2.f}, {"dry_level", kOff}}},
        {"v2_semitones", 7.f, 19.f, {{"voices", 2.f}, {"mode", 0.f}, {"dry_level", kOff}}},
        {"v2_level", kOff, 0.f, {{"voices", 2.f}}},
        {"v2_pan", 1.f, -1.f, {{"voices", 2.f}, {"v1_level", kOff}}},
        {"dry_level", 0.f, kOff, {}},
        {"glide_ms", 0.f, 200.f, {{"mode", 0.f}}},
    };
    for (const auto& s : steps) {
        StepSpec spec; // 997 Hz: inside the tracker's range
        const StepResult r = stepParamMidSine<Harmonizer>(spec, s.settings, s.id, s.from, s.to);
        std::printf(
            "[measured] harmonizer %s %g -> %g: click score %.3f, step ratio %.3f (changed output by %.2f)\n",
            std::string(s.id).c_str(), s.from, s.to, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, 2.0) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_LE(r.stepRatio, 1.5) << s.id << " " << s.from << " -> " << s.to;
        if (s.id != "glide_ms") { // the glide time alone changes nothing until the interval moves
            EXPECT_GT(r.effect, 0.01) << s.id << " " << s.from << " -> " << s.to;
        }
    }
}

} // namespace
} // namespace stagerack::test
