// What the tuner compares a measured frequency with: the A4 reference, the temperament (N-EDO or a Scala
// scale) and optionally a named instrument tuning whose strings become the targets.
//
// Mapping rules (a contract the CLI and the GUI show to users):
// - Reference: A4 from 400.0 to 480.0 Hz in 0.1 Hz steps. setReference() rounds to the nearest 0.1 Hz,
//   halves away from zero (440.05 -> 440.1, 440.04 -> 440.0), and checks the range after rounding, so
//   399.95 is accepted as 400.0 and 399.9 or 480.1 are refused.
// - Every temperament has a "period start" degree 0 in each octave; octave 4's degree 0 is C4 (middle C)
//   and the `octave` of a reading is 4 plus the number of whole periods from C4 (scientific pitch notation
//   when the period is 2/1). Periods repeat upward and downward without limit.
// - N-EDO (5..72 divisions): A4 is exactly the reference (a tuner's A must read 0 cents in every EDO).
//   Degree 0 ("C") is the degree round(-9N/12) steps from A4 (halves away from zero), which for 12, 19,
//   24, 31, 41 and 53 is exactly the C reached by the EDO's own chain of fifths (9, 14, 18, 23, 31 and
//   40 steps below A). Steps are exactly 1200/N cents.
// - Scala: degree 0 (1/1) is C4 as 12-TET computes it from the reference (reference * 2^(-9/12), 261.6256
//   Hz at A4 = 440); degree k of period p is C4 * period^p * pitch[k]. A just scale's A is therefore not
//   the reference (5/3 above C4 is 436.04 Hz at A4 = 440): the rule keeps every scale's 1/1 on a C
//   that does not move when the scale changes.
// - Scala text: '!' lines are comments anywhere; the first other line is the description (may be empty),
//   the next the note count (1..4096), then that many pitch lines: the first token is cents if it holds
//   a '.', else a ratio "a/b" or a whole number "a"; the rest of the line is ignored. The last pitch is
//   the period. Pitches must be above 1/1 and strictly increasing; after the last one only blank and
//   comment lines may follow (more pitch lines than the count is an error). CRLF line ends are accepted.
// - Note names: scales with 12 degrees per period (12-TET and 12-note Scala files) name degree k as the
//   k-th chromatic name from C with sharps ("C", "C#", ..., "B"); all others name it "k/N" (k = degree
//   from 0 to N-1, N = degrees per period), e.g. "14/19" is the 19-EDO A.
// - Named instrument tunings are always 12-TET at the current reference, whatever the temperament: a
//   string reads cents from its own 12-TET frequency.
// Threads: a plain value type with no synchronisation, for the tuner and control threads only (readings
// hold a std::string). A control thread builds or edits a copy and hands it over whole.
#pragma once

#include <string>
#include <vector>

namespace stagerack::tuner {

struct NoteReading {
    std::string note;      // "C#" for 12 degrees per period, else "k/N" (see above); "" = no note
    int octave = 0;        // scientific pitch notation: A4 = reference, C4 = middle C
    double cents = 0.0;    // deviation from the nearest degree (or target string); -50..+50 in 12-TET
    double targetHz = 0.0; // frequency of that degree / string
    int stringIndex = -1;  // with a named tuning: index of the nearest string (0 = lowest), else -1
};

class Tuning {
public:
    static constexpr double kMinReferenceHz = 400.0;
    static constexpr double kMaxReferenceHz = 480.0;
    static constexpr int kMinDivisions = 5;
    static constexpr int kMaxDivisions = 72;

    // 12-TET at A4 = 440 Hz.
    Tuning();

    // Throws std::runtime_error for divisions outside 5..72 or a reference out of range.
    static Tuning equal(int divisions = 12, double a4Hz = 440.0);
    // Throw a one-line std::runtime_error (stagerack::Error) naming the file and the line at fault.
    static Tuning fromScala(const std::string& path, double a4Hz = 440.0);
    static Tuning fromScalaText(const std::string& text, double a4Hz = 440.0);

    // Rounds to 0.1 Hz (see above); throws std::runtime_error out of 400..480 Hz.
    void setReference(double a4Hz);
    double reference() const noexcept { return referenceHz_; }

    // Nearest degree of the temperament. With an instrument set, stringIndex also names the nearest
    // string. A frequency that is not finite and positive gives a reading with an empty note.
    NoteReading nearest(double hz) const;

    // Named instrument tunings: "standard", "drop_d", "dadgad", "open_g", "open_d", "half_step_down",
    // "bass_4" (E1 A1 D2 G2), "bass_5" (B0 E1 A1 D2 G2), "bass_6" (B0 E1 A1 D2 G2 C3).
    static std::vector<std::string> tuningNames();
    // "" = chromatic; throws std::runtime_error for an unknown name.
    void setInstrument(const std::string& name);
    const std::string& instrument() const noexcept { return instrument_; }
    // With an instrument: the string nearest in cents is the target. Without one: nearest(hz).
    NoteReading nearestString(double hz) const;
    // The strings of the current instrument, lowest first, at the current reference (cents = 0).
    std::vector<NoteReading> strings() const;

    // The temperament itself: "12-EDO", "19-EDO", or the Scala description line.
    const std::string& description() const noexcept { return description_; }
    int degreesPerPeriod() const noexcept { return static_cast<int>(degreeCents_.size()); }
    double periodCents() const noexcept { return periodCents_; }
    // Frequency of degree `degree` (0..degreesPerPeriod()-1) in period `octave` (4 = the one starting at C4).
    double degreeHz(int octave, int degree) const;

private:
    static Tuning parseScala(const std::string& text, const std::string& source, double a4Hz);
    NoteReading reading(long long stepsFromC4, double hz) const;

    double referenceHz_ = 440.0;
    int edo_ = 12;                    // divisions for an EDO, 0 for a Scala scale
    int edoStepsAToC_ = -9;           // EDO only: steps from A4 down to C4 (negative)
    std::vector<double> degreeCents_; // degree 0 (= 0 cents) .. N-1, above the period start
    double periodCents_ = 1200.0;
    std::string description_ = "12-EDO";
    std::string instrument_;
    std::vector<int> stringMidi_; // MIDI note numbers of the instrument's strings, lowest first
};

} // namespace stagerack::tuner
