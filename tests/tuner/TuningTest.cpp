// Tuning: reference, temperaments, Scala scales and named instrument tunings, checked against values
// computed here from their definitions (1200 * log2 of frequency ratios).
#include "engine/tuner/Tuning.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

using stagerack::tuner::NoteReading;
using stagerack::tuner::Tuning;

namespace {

constexpr double kCentsTol = 1e-6;

double centsBetween(double hz, double refHz) {
    return 1200.0 * std::log2(hz / refHz);
}

std::string fixture(const std::string& name) {
    return std::string(STAGERACK_SOURCE_DIR) + "/tests/fixtures/scala/" + name;
}

// The message of the std::runtime_error thrown by f, or "" if none was thrown.
template <typename F>
std::string errorOf(F&& f) {
    try {
        f();
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

void expectOneLineError(const std::string& message, const std::string& mustContain) {
    SCOPED_TRACE(message);
    EXPECT_FALSE(message.empty());
    EXPECT_EQ(message.find('\n'), std::string::npos);
    EXPECT_NE(message.find(mustContain), std::string::npos);
}

} // namespace

TEST(Tuning, TwelveTetReferenceIsExactlyZeroCents) {
    const Tuning t;
    EXPECT_EQ(t.reference(), 440.0);
    const NoteReading r = t.nearest(440.0);
    EXPECT_EQ(r.note, "A");
    EXPECT_EQ(r.octave, 4);
    EXPECT_EQ(r.targetHz, 440.0);
    EXPECT_EQ(r.cents, 0.0);
    EXPECT_EQ(r.stringIndex, -1);
    EXPECT_EQ(Tuning::equal().nearest(440.0).cents, 0.0);
}

TEST(Tuning, TwelveTetCentsAndMiddleC) {
    const Tuning t;
    const NoteReading r = t.nearest(441.0);
    EXPECT_EQ(r.note, "A");
    EXPECT_NEAR(r.cents, 1200.0 * std::log2(441.0 / 440.0), 1e-9);
    EXPECT_NEAR(r.cents, 3.9302, 1e-4);
    std::printf("441.0 Hz at A4 = 440: %s%d %+.4f cents\n", r.note.c_str(), r.octave, r.cents);

    const NoteReading c = t.nearest(261.6256);
    EXPECT_EQ(c.note, "C");
    EXPECT_EQ(c.octave, 4);
    EXPECT_NEAR(c.targetHz, 261.6256, 1e-4);
    EXPECT_NEAR(c.targetHz, 440.0 * std::exp2(-9.0 / 12.0), 1e-9);
    EXPECT_NEAR(t.degreeHz(4, 0), 261.6255653, 1e-6);
    std::printf("C4 at A4 = 440: %.7f Hz\n", c.targetHz);

    // Cents stay inside -50..+50: just below the half-way point between A4 and A#4 is still A4.
    const double halfway = 440.0 * std::exp2(0.5 / 12.0);
    EXPECT_EQ(t.nearest(halfway * 0.99999).note, "A");
    EXPECT_NEAR(t.nearest(halfway * 0.99999).cents, 50.0, 0.02);
    EXPECT_EQ(t.nearest(halfway * 1.00001).note, "A#");
    EXPECT_NEAR(t.nearest(halfway * 1.00001).cents, -50.0, 0.02);
}

TEST(Tuning, RangeEndsAreNamedWithOctaves) {
    const Tuning t;
    const NoteReading b0 = t.nearest(30.8677);
    EXPECT_EQ(b0.note, "B");
    EXPECT_EQ(b0.octave, 0);
    EXPECT_NEAR(b0.targetHz, 30.8677, 1e-4);
    EXPECT_NEAR(b0.cents, 0.0, 0.01);
    const NoteReading e6 = t.nearest(1318.51);
    EXPECT_EQ(e6.note, "E");
    EXPECT_EQ(e6.octave, 6);
    EXPECT_NEAR(e6.targetHz, 1318.5102, 1e-4);
    EXPECT_NEAR(e6.cents, 0.0, 0.01);
    // Octave numbers change between B and C, not between G# and A.
    EXPECT_EQ(t.nearest(246.9417).octave, 3); // B3
    EXPECT_EQ(t.nearest(261.6256).octave, 4); // C4
    EXPECT_EQ(t.nearest(16.3516).note, "C");  // C0, below the tuner's range but still named
    EXPECT_EQ(t.nearest(16.3516).octave, 0);
    EXPECT_EQ(t.nearest(8.1758).octave, -1);
    std::printf("B0 %.4f Hz (%+.4f cents), E6 %.4f Hz (%+.4f cents)\n", b0.targetHz, b0.cents, e6.targetHz,
                e6.cents);
}

TEST(Tuning, ReferenceShiftsEveryNote) {
    Tuning t;
    t.setReference(432.0);
    EXPECT_EQ(t.reference(), 432.0);
    EXPECT_EQ(t.nearest(432.0).cents, 0.0);
    EXPECT_EQ(t.nearest(432.0).note, "A");
    EXPECT_NEAR(t.nearest(256.87).targetHz, 432.0 * std::exp2(-9.0 / 12.0), 1e-9);
    EXPECT_NEAR(t.nearest(256.87).targetHz, 256.8687, 1e-4);
    // 440 Hz against A4 = 432 reads A4 sharp by 1200 log2(440/432).
    EXPECT_NEAR(t.nearest(440.0).cents, centsBetween(440.0, 432.0), 1e-9);
    EXPECT_NEAR(t.nearest(440.0).cents, 31.7667, 1e-4);
    // Every 12-TET degree moves by the same ratio.
    const Tuning ref440;
    for (int octave = 0; octave <= 6; ++octave)
        for (int d = 0; d < 12; ++d)
            EXPECT_NEAR(centsBetween(t.degreeHz(octave, d), ref440.degreeHz(octave, d)),
                        centsBetween(432.0, 440.0), kCentsTol);
}

TEST(Tuning, ReferenceRangeAndRounding) {
    Tuning t;
    t.setReference(400.0);
    EXPECT_EQ(t.reference(), 400.0);
    t.setReference(480.0);
    EXPECT_EQ(t.reference(), 480.0);
    expectOneLineError(errorOf([&] { t.setReference(399.9); }), "400.0..480.0");
    expectOneLineError(errorOf([&] { t.setReference(480.1); }), "480.0");
    expectOneLineError(errorOf([&] { t.setReference(std::nan("")); }), "reference");
    EXPECT_EQ(t.reference(), 480.0) << "a refused reference leaves the old one";
    // 0.1 Hz resolution, halves away from zero: 440.05 -> 440.1, 440.04 -> 440.0, 432.149 -> 432.1.
    t.setReference(440.05);
    EXPECT_EQ(t.reference(), 440.1);
    t.setReference(440.04);
    EXPECT_EQ(t.reference(), 440.0);
    t.setReference(432.149);
    EXPECT_EQ(t.reference(), 432.1);
    // The range is checked after rounding.
    t.setReference(399.96);
    EXPECT_EQ(t.reference(), 400.0);
    expectOneLineError(errorOf([] { (void)Tuning::equal(12, 390.0); }), "reference");
}

TEST(Tuning, EqualTemperamentsHaveExactStepsAndNearestDegrees) {
    for (int n : {12, 19, 24, 31, 41, 53}) {
        SCOPED_TRACE("EDO " + std::to_string(n));
        const Tuning t = Tuning::equal(n);
        ASSERT_EQ(t.degreesPerPeriod(), n);
        EXPECT_EQ(t.description(), std::to_string(n) + "-EDO");
        const double step = 1200.0 / n;
        // A4 is the reference in every EDO.
        EXPECT_EQ(t.nearest(440.0).targetHz, 440.0);
        EXPECT_EQ(t.nearest(440.0).cents, 0.0);
        EXPECT_EQ(t.nearest(440.0).octave, 4);
        double worst = 0.0;
        for (int octave = 0; octave <= 6; ++octave) {
            for (int d = 0; d < n; ++d) {
                const double lo = t.degreeHz(octave, d);
                const double hi = d + 1 < n ? t.degreeHz(octave, d + 1) : t.degreeHz(octave + 1, 0);
                worst = std::max(worst, std::abs(centsBetween(hi, lo) - step));
                // 40 % and 60 % of the way up the step: nearest is the lower, then the upper degree.
                const NoteReading a = t.nearest(lo * std::exp2(0.4 * step / 1200.0));
                EXPECT_NEAR(a.targetHz, lo, lo * 1e-12);
                EXPECT_NEAR(a.cents, 0.4 * step, kCentsTol);
                EXPECT_EQ(a.octave, octave);
                EXPECT_EQ(a.note, n == 12 ? a.note : std::to_string(d) + "/" + std::to_string(n));
                const NoteReading b = t.nearest(lo * std::exp2(0.6 * step / 1200.0));
                EXPECT_NEAR(b.targetHz, hi, hi * 1e-12);
                EXPECT_NEAR(b.cents, -0.4 * step, kCentsTol);
            }
        }
        EXPECT_LT(worst, 1e-9);
        std::printf("%d-EDO: step %.6f cents (worst deviation %.2e), C4 = degree 0 at %.4f Hz, A4 = %s\n", n,
                    step, worst, t.degreeHz(4, 0), t.nearest(440.0).note.c_str());
    }
}

TEST(Tuning, EqualTemperamentCIsTheChainOfFifthsC) {
    // Steps from C4 up to A4: three of the EDO's best fifths minus an octave.
    const std::vector<std::pair<int, int>> cToA{{12, 9}, {19, 14}, {24, 18}, {31, 23}, {41, 31}, {53, 40}};
    for (const auto& [n, steps] : cToA) {
        const Tuning t = Tuning::equal(n);
        EXPECT_NEAR(centsBetween(440.0, t.degreeHz(4, 0)), steps * 1200.0 / n, kCentsTol) << n;
        EXPECT_EQ(t.nearest(440.0).note, n == 12 ? "A" : std::to_string(steps) + "/" + std::to_string(n));
    }
    EXPECT_EQ(Tuning::equal(24).nearest(440.0 * std::exp2(50.0 / 1200.0)).note, "19/24"); // A quarter-sharp
    expectOneLineError(errorOf([] { (void)Tuning::equal(4); }), "5..72");
    expectOneLineError(errorOf([] { (void)Tuning::equal(73); }), "5..72");
    EXPECT_EQ(Tuning::equal(5).degreesPerPeriod(), 5);
    EXPECT_EQ(Tuning::equal(72).degreesPerPeriod(), 72);
}

namespace {

// Checks a loaded 12-note scale against cents computed here: degree k of period p at
// C4 * 2^(p + cents[k] / 1200), C4 = 12-TET C from the reference.
void expectScale(const Tuning& t, const std::vector<double>& cents, double a4) {
    ASSERT_EQ(t.degreesPerPeriod(), static_cast<int>(cents.size()));
    const double c4 = a4 * std::exp2(-9.0 / 12.0);
    double worst = 0.0;
    for (int octave = 0; octave <= 6; ++octave) {
        for (std::size_t k = 0; k < cents.size(); ++k) {
            const double want = c4 * std::exp2(octave - 4 + cents[k] / 1200.0);
            const double got = t.degreeHz(octave, static_cast<int>(k));
            worst = std::max(worst, std::abs(centsBetween(got, want)));
            // A frequency 3 cents sharp of the degree reads that degree, 3 cents sharp.
            const NoteReading r = t.nearest(want * std::exp2(3.0 / 1200.0));
            EXPECT_NEAR(r.targetHz, want, want * 1e-9) << octave << " " << k;
            EXPECT_NEAR(r.cents, 3.0, kCentsTol);
            EXPECT_EQ(r.octave, octave);
        }
    }
    EXPECT_LT(worst, kCentsTol);
    std::printf("  %-70s worst degree error %.2e cents\n", t.description().c_str(), worst);
}

double ratioCents(double num, double den) {
    return 1200.0 * std::log2(num / den);
}

} // namespace

TEST(Tuning, ScalaJustIntonation) {
    const Tuning t = Tuning::fromScala(fixture("ji_12.scl"));
    EXPECT_EQ(t.description(), "5-limit just intonation on C, 12 tones (stagerack test fixture)");
    EXPECT_NEAR(t.periodCents(), 1200.0, 1e-12);
    const std::vector<double> ratios{1.0,       16.0 / 15, 9.0 / 8, 6.0 / 5, 5.0 / 4, 4.0 / 3,
                                     45.0 / 32, 3.0 / 2,   8.0 / 5, 5.0 / 3, 9.0 / 5, 15.0 / 8};
    std::vector<double> cents;
    for (double r : ratios)
        cents.push_back(ratioCents(r, 1.0));
    expectScale(t, cents, 440.0);
    // Degree 0 is the 12-TET C4; the just A (5/3) is then 436.04 Hz, not the reference.
    EXPECT_NEAR(t.degreeHz(4, 0), 261.6255653, 1e-6);
    EXPECT_NEAR(t.degreeHz(4, 9), 261.6255653005986 * 5.0 / 3.0, 1e-9);
    const NoteReading a = t.nearest(440.0);
    EXPECT_EQ(a.note, "A");
    EXPECT_EQ(a.octave, 4);
    EXPECT_NEAR(a.cents, ratioCents(440.0, 261.6255653005986 * 5.0 / 3.0), kCentsTol);
    std::printf("JI: A4 degree %.4f Hz, 440 Hz reads %+.4f cents\n", a.targetHz, a.cents);
    // The reference moves the whole scale.
    expectScale(Tuning::fromScala(fixture("ji_12.scl"), 415.3), cents, 415.3);
}

TEST(Tuning, ScalaPythagoreanWithCrlfLines) {
    const Tuning t = Tuning::fromScala(fixture("pythagorean_12.scl"));
    const std::vector<std::pair<double, double>> ratios{{1, 1},       {2187, 2048}, {9, 8},     {32, 27},
                                                        {81, 64},     {4, 3},       {729, 512}, {3, 2},
                                                        {6561, 4096}, {27, 16},     {16, 9},    {243, 128}};
    std::vector<double> cents;
    for (const auto& [n, d] : ratios)
        cents.push_back(ratioCents(n, d));
    expectScale(t, cents, 440.0);
    EXPECT_NEAR(centsBetween(t.degreeHz(4, 7), t.degreeHz(4, 0)), 701.955000865, 1e-6);
}

TEST(Tuning, ScalaQuarterCommaMeantoneInCents) {
    const Tuning t = Tuning::fromScala(fixture("meantone_quarter_comma.scl"));
    // Degrees by the number of 1/4-comma fifths (5^(1/4)) from C, folded into the octave.
    const double fifth = 1200.0 * std::log2(5.0) / 4.0;
    const std::vector<int> fifthsFromC{0, 7, 2, -3, 4, -1, 6, 1, 8, 3, -2, 5};
    std::vector<double> cents;
    for (int k : fifthsFromC)
        cents.push_back(std::fmod(k * fifth + 4800.0, 1200.0));
    expectScale(t, cents, 440.0);
    EXPECT_NEAR(fifth, 696.578428466, 1e-9);
    EXPECT_NEAR(centsBetween(t.degreeHz(4, 4), t.degreeHz(4, 0)), ratioCents(5, 4), kCentsTol);
}

TEST(Tuning, ScalaNineteenEdoInCents) {
    const Tuning t = Tuning::fromScala(fixture("edo19_cents.scl"));
    std::vector<double> cents;
    for (int k = 0; k < 19; ++k)
        cents.push_back(k * 1200.0 / 19);
    expectScale(t, cents, 440.0);
    EXPECT_EQ(t.nearest(t.degreeHz(4, 3)).note, "3/19");
    // Same steps as the built-in 19-EDO, whose C4 is 14 steps below A4 instead of the 12-TET C4.
    const Tuning edo = Tuning::equal(19);
    EXPECT_NEAR(centsBetween(edo.degreeHz(4, 0), t.degreeHz(4, 0)), 900.0 - 14 * 1200.0 / 19, kCentsTol);
}

TEST(Tuning, ScalaTextFormatDetails) {
    // An empty description, comments between lines, a whole-number ratio, text after values, a tritave.
    const Tuning bp =
        Tuning::fromScalaText("! Bohlen-Pierce\n\n 3\n! c\n27/25 x\n  1.5e2 ! cents, '.' inside\n3\n");
    EXPECT_EQ(bp.description(), "");
    EXPECT_EQ(bp.degreesPerPeriod(), 3);
    EXPECT_NEAR(bp.periodCents(), ratioCents(3, 1), 1e-9);
    const double c4 = 440.0 * std::exp2(-0.75);
    EXPECT_NEAR(bp.degreeHz(5, 0), c4 * 3.0, 1e-9);
    EXPECT_NEAR(bp.degreeHz(3, 2), c4 / 3.0 * std::exp2(150.0 / 1200.0), 1e-9);
    EXPECT_EQ(bp.nearest(c4 * 3.0 * 1.001).note, "0/3");
    EXPECT_EQ(bp.nearest(c4 * 3.0 * 1.001).octave, 5);
    // Just below the period reads the next period's degree 0.
    const NoteReading top = bp.nearest(c4 * 2.99);
    EXPECT_EQ(top.octave, 5);
    EXPECT_EQ(top.note, "0/3");
    EXPECT_NEAR(top.cents, ratioCents(2.99, 3.0), kCentsTol);
    // Exactly on each period start (and a hair around it) reads degree 0 of that period.
    for (int octave = -6; octave <= 10; ++octave) {
        for (double f : {1.0 - 1e-15, 1.0, 1.0 + 1e-15}) {
            const NoteReading r = bp.nearest(bp.degreeHz(octave, 0) * f);
            EXPECT_EQ(r.note, "0/3");
            EXPECT_EQ(r.octave, octave);
            EXPECT_NEAR(r.cents, 0.0, 1e-9);
        }
    }
    // Trailing blank and comment lines after the last pitch are fine.
    EXPECT_EQ(Tuning::fromScalaText("one\n1\n2/1\n\n! end\n").degreesPerPeriod(), 1);
}

TEST(Tuning, ScalaErrorsAreOneLineWithFileAndLine) {
    const std::string missing = errorOf([] { (void)Tuning::fromScala(fixture("no_such_scale.scl")); });
    expectOneLineError(missing, "no_such_scale.scl");
    expectOneLineError(missing, "cannot open the Scala file: No such file or directory");
    std::printf("  %s\n", missing.c_str());
    const std::string directory = errorOf([] { (void)Tuning::fromScala(fixture("")); });
    expectOneLineError(directory, "is a directory");

    const std::string count = errorOf([] { (void)Tuning::fromScala(fixture("bad_count.scl")); });
    expectOneLineError(count, "bad_count.scl: line 7:");
    expectOneLineError(count, "note count (line 3) is 5");
    std::printf("  %s\n", count.c_str());

    struct Case {
        const char* text;
        const char* expected;
    };
    const std::vector<Case> cases{
        {"", "scala text: line 1: empty Scala file"},
        {"! only comments\n!\n", "line 1: empty"},
        {"desc\n", "line 2: missing the note count"},
        {"desc\ntwelve\n", "line 2: note count 'twelve' is not a whole number"},
        {"desc\n0\n", "line 2: note count 0 is outside"},
        {"desc\n3\n9/8\n5/4\n", "line 5: file ends after 2 pitch lines"},
        {"desc\n2\n9/8\n5/4\n2/1\n", "line 5: more pitch lines than the note count 2"},
        {"desc\n2\n9/8\nfoo\n", "line 4: pitch 'foo' is not a number"},
        {"desc\n2\n9/8\n12.5.3\n", "line 4: pitch '12.5.3'"},
        {"desc\n2\n9/x\n2/1\n", "line 3: pitch '9/x'"},
        {"desc\n2\n0/1\n2/1\n", "line 3: ratio '0/1' is zero"},
        {"desc\n2\n3/0\n2/1\n", "line 3: ratio '3/0' is zero"},
        {"desc\n2\n-3/2\n2/1\n", "line 3: ratio '-3/2' is negative"},
        {"desc\n2\n-100.0\n2/1\n", "line 3: pitch is not above 1/1"},
        {"desc\n2\n0.0\n2/1\n", "line 3: pitch is not above 1/1"},
        {"desc\n3\n5/4\n9/8\n2/1\n", "line 4: pitch is not above the previous one"},
        {"desc\n2\n3/2\n3/2\n", "line 4: pitch is not above the previous one"},
        {"desc\n2\n\n2/1\n", "line 3: missing pitch value"},
        {"desc\n1\n99999999999999999999999/1\n", "line 3: ratio '99999999999999999999999/1' is too large"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        const std::string message = errorOf([&] { (void)Tuning::fromScalaText(c.text); });
        expectOneLineError(message, c.expected);
        std::printf("  %s\n", message.c_str());
    }
}

TEST(Tuning, NamedTuningsAreTwelveTetStrings) {
    const std::vector<std::pair<std::string, std::vector<std::string>>> expected{
        {"standard", {"E2", "A2", "D3", "G3", "B3", "E4"}},
        {"drop_d", {"D2", "A2", "D3", "G3", "B3", "E4"}},
        {"dadgad", {"D2", "A2", "D3", "G3", "A3", "D4"}},
        {"open_g", {"D2", "G2", "D3", "G3", "B3", "D4"}},
        {"open_d", {"D2", "A2", "D3", "F#3", "A3", "D4"}},
        {"half_step_down", {"D#2", "G#2", "C#3", "F#3", "A#3", "D#4"}},
        {"bass_4", {"E1", "A1", "D2", "G2"}},
        {"bass_5", {"B0", "E1", "A1", "D2", "G2"}},
        {"bass_6", {"B0", "E1", "A1", "D2", "G2", "C3"}},
    };
    std::vector<std::string> names;
    for (const auto& e : expected)
        names.push_back(e.first);
    EXPECT_EQ(Tuning::tuningNames(), names);

    for (double reference : {440.0, 432.0}) {
        // Strings stay 12-TET even when the temperament is not.
        Tuning t = Tuning::fromScala(fixture("ji_12.scl"), reference);
        for (const auto& [name, notes] : expected) {
            SCOPED_TRACE(name);
            t.setInstrument(name);
            EXPECT_EQ(t.instrument(), name);
            const std::vector<NoteReading> strings = t.strings();
            ASSERT_EQ(strings.size(), notes.size());
            for (std::size_t i = 0; i < strings.size(); ++i) {
                EXPECT_EQ(strings[i].note + std::to_string(strings[i].octave), notes[i]);
                EXPECT_EQ(strings[i].stringIndex, static_cast<int>(i));
                // 12-TET value of that note at this reference, from the 12-TET scale.
                Tuning tet = Tuning::equal(12, reference);
                const double want = tet.nearest(strings[i].targetHz).targetHz;
                EXPECT_NEAR(centsBetween(strings[i].targetHz, want), 0.0, 0.001);
                // Exactly in tune reads that string at 0 cents.
                const NoteReading r = t.nearestString(want);
                EXPECT_EQ(r.stringIndex, static_cast<int>(i));
                EXPECT_NEAR(r.cents, 0.0, 1e-9);
            }
        }
    }
    Tuning t;
    expectOneLineError(errorOf([&] { t.setInstrument("ukulele"); }), "unknown instrument tuning 'ukulele'");
    t.setInstrument("");
    EXPECT_EQ(t.instrument(), "");
    EXPECT_TRUE(t.strings().empty());
}

TEST(Tuning, NearestStringForDetunedInputs) {
    Tuning t;
    t.setInstrument("standard");
    const NoteReading low = t.nearestString(82.0);
    EXPECT_EQ(low.stringIndex, 0);
    EXPECT_EQ(low.note, "E");
    EXPECT_EQ(low.octave, 2);
    EXPECT_NEAR(low.targetHz, 82.4069, 1e-4);
    EXPECT_NEAR(low.cents, 1200.0 * std::log2(82.0 / (440.0 * std::exp2(-29.0 / 12.0))), 1e-9);
    EXPECT_NEAR(low.cents, -8.569, 1e-3);
    std::printf("82.0 Hz on standard: string %d (%s%d) %+.4f cents\n", low.stringIndex, low.note.c_str(),
                low.octave, low.cents);

    // A string tuned far off still names the nearest string: the A string 150 cents flat is nearer A2
    // than E2 (350 cents away), and a D string a whole tone sharp (E3) is nearer D3 than G3.
    const NoteReading a = t.nearestString(110.0 * std::exp2(-150.0 / 1200.0));
    EXPECT_EQ(a.stringIndex, 1);
    EXPECT_NEAR(a.cents, -150.0, kCentsTol);
    const NoteReading d = t.nearestString(146.8324 * std::exp2(200.0 / 1200.0));
    EXPECT_EQ(d.stringIndex, 2);
    EXPECT_NEAR(d.cents, 200.0, 1e-3);
    // High E 30 cents sharp; the reading is relative to E4, not to the chromatic F.
    const NoteReading e = t.nearestString(329.6276 * std::exp2(30.0 / 1200.0));
    EXPECT_EQ(e.stringIndex, 5);
    EXPECT_EQ(e.note, "E");
    EXPECT_NEAR(e.cents, 30.0, 1e-3);
    // nearest() keeps the degree reading and names the nearest string.
    EXPECT_EQ(t.nearest(82.0).stringIndex, 0);
    EXPECT_EQ(t.nearest(82.0).note, "E");

    // Low B on a 5-string bass, at A4 = 432.
    Tuning bass;
    bass.setReference(432.0);
    bass.setInstrument("bass_5");
    const NoteReading b = bass.nearestString(30.0);
    EXPECT_EQ(b.stringIndex, 0);
    EXPECT_EQ(b.note + std::to_string(b.octave), "B0");
    EXPECT_NEAR(b.targetHz, 432.0 * std::exp2(-46.0 / 12.0), 1e-9);
    EXPECT_NEAR(b.cents, 1200.0 * std::log2(30.0 / (432.0 * std::exp2(-46.0 / 12.0))), 1e-9);
    // Between strings: a fourth apart, the midpoint 250 cents above E1 goes to the nearer side.
    const double e1 = 432.0 * std::exp2(-41.0 / 12.0);
    EXPECT_EQ(bass.nearestString(e1 * std::exp2(240.0 / 1200.0)).stringIndex, 1);
    EXPECT_EQ(bass.nearestString(e1 * std::exp2(260.0 / 1200.0)).stringIndex, 2);

    // Without an instrument nearestString() is nearest(); no note for non-positive frequencies.
    const Tuning chromatic;
    EXPECT_EQ(chromatic.nearestString(82.0).note, "E");
    EXPECT_EQ(chromatic.nearestString(82.0).stringIndex, -1);
    EXPECT_EQ(chromatic.nearest(0.0).note, "");
    EXPECT_EQ(t.nearestString(-1.0).note, "");
    EXPECT_EQ(t.nearestString(std::nan("")).stringIndex, -1);
}
