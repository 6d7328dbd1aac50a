#include "engine/tuner/Tuning.h"

#include "engine/Error.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

namespace stagerack::tuner {

namespace {

constexpr std::array<const char*, 12> kSharpNames{"C",  "C#", "D",  "D#", "E",  "F",
                                                  "F#", "G",  "G#", "A",  "A#", "B"};
constexpr int kMidiA4 = 69;

struct NamedTuning {
    const char* name;
    std::vector<int> midi; // lowest string first
};

const std::vector<NamedTuning>& namedTunings() {
    // MIDI numbers: E2 = 40, A2 = 45, D3 = 50, G3 = 55, B3 = 59, E4 = 64; B0 = 23, E1 = 28.
    static const std::vector<NamedTuning> kTunings{
        {"standard", {40, 45, 50, 55, 59, 64}}, {"drop_d", {38, 45, 50, 55, 59, 64}},
        {"dadgad", {38, 45, 50, 55, 57, 62}},   {"open_g", {38, 43, 50, 55, 59, 62}},
        {"open_d", {38, 45, 50, 54, 57, 62}},   {"half_step_down", {39, 44, 49, 54, 58, 63}},
        {"bass_4", {28, 33, 38, 43}},           {"bass_5", {23, 28, 33, 38, 43}},
        {"bass_6", {23, 28, 33, 38, 43, 48}},
    };
    return kTunings;
}

long long floorDiv(long long a, long long b) {
    long long q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

double midiHz(int midi, double a4Hz) {
    return a4Hz * std::exp2((midi - kMidiA4) / 12.0);
}

NoteReading midiReading(int midi, double a4Hz) {
    NoteReading r;
    const long long fromC4 = midi - 60;
    const long long octave = floorDiv(fromC4, 12);
    r.note = kSharpNames[static_cast<std::size_t>(fromC4 - octave * 12)];
    r.octave = static_cast<int>(4 + octave);
    r.targetHz = midiHz(midi, a4Hz);
    return r;
}

std::string_view trimLeft(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    return s;
}

[[noreturn]] void fail(const std::string& source, int line, const std::string& why) {
    throw Error(source, "line " + std::to_string(line) + ": " + why);
}

// One Scala pitch value in cents above 1/1. The value is the first whitespace-delimited token; anything
// after it is a comment. A '.' makes it cents, otherwise it is a ratio "a/b" or an integer "a".
double parsePitch(std::string_view line, const std::string& source, int lineNo) {
    line = trimLeft(line);
    std::size_t end = 0;
    while (end < line.size() && line[end] != ' ' && line[end] != '\t')
        ++end;
    const std::string_view token = line.substr(0, end);
    if (token.empty()) fail(source, lineNo, "missing pitch value");
    const std::string shown = "'" + std::string(token) + "'";
    if (token.find('.') != std::string_view::npos) {
        double cents = 0.0;
        const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), cents);
        if (ec != std::errc() || ptr != token.data() + token.size() || !std::isfinite(cents))
            fail(source, lineNo, "pitch " + shown + " is not a number of cents or a ratio");
        return cents;
    }
    if (token.front() == '-') fail(source, lineNo, "ratio " + shown + " is negative");
    const std::size_t slash = token.find('/');
    const std::string_view numText = token.substr(0, slash);
    const std::string_view denText =
        slash == std::string_view::npos ? std::string_view("1") : token.substr(slash + 1);
    auto parseInt = [&](std::string_view s) {
        std::uint64_t v = 0;
        const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
            if (ec == std::errc::result_out_of_range)
                fail(source, lineNo, "ratio " + shown + " is too large");
            fail(source, lineNo, "pitch " + shown + " is not a number of cents or a ratio");
        }
        return v;
    };
    const std::uint64_t num = parseInt(numText);
    const std::uint64_t den = parseInt(denText);
    if (num == 0 || den == 0) fail(source, lineNo, "ratio " + shown + " is zero or undefined");
    return 1200.0 * (std::log2(static_cast<double>(num)) - std::log2(static_cast<double>(den)));
}

} // namespace

Tuning::Tuning() {
    degreeCents_.resize(12);
    for (int k = 0; k < 12; ++k)
        degreeCents_[static_cast<std::size_t>(k)] = k * 100.0;
}

Tuning Tuning::equal(int divisions, double a4Hz) {
    if (divisions < kMinDivisions || divisions > kMaxDivisions)
        throw Error("tuning",
                    "equal temperament of " + std::to_string(divisions) + " divisions is outside 5..72");
    Tuning t;
    t.setReference(a4Hz);
    t.edo_ = divisions;
    // C4 sits round(-9N/12) steps from A4: the EDO's own C by its chain of fifths for the usual EDOs.
    t.edoStepsAToC_ = static_cast<int>(std::lround(-0.75 * divisions));
    t.degreeCents_.assign(static_cast<std::size_t>(divisions), 0.0);
    for (int k = 0; k < divisions; ++k)
        t.degreeCents_[static_cast<std::size_t>(k)] = 1200.0 * k / divisions;
    t.periodCents_ = 1200.0;
    t.description_ = std::to_string(divisions) + "-EDO";
    return t;
}

Tuning Tuning::fromScala(const std::string& path, double a4Hz) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw Error(path, "is a directory, not a Scala file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path, std::string("cannot open the Scala file: ") + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw Error(path, "cannot read the Scala file");
    return parseScala(text.str(), path, a4Hz);
}

Tuning Tuning::fromScalaText(const std::string& text, double a4Hz) {
    return parseScala(text, "scala text", a4Hz);
}

Tuning Tuning::parseScala(const std::string& text, const std::string& source, double a4Hz) {
    Tuning t;
    t.setReference(a4Hz);
    enum class Want { Description, Count, Pitches, Nothing } want = Want::Description;
    long long count = 0;
    int countLine = 0;
    std::vector<double> pitches;
    int lineNo = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t eol = text.find('\n', pos);
        if (eol == std::string::npos) eol = text.size();
        std::string_view line(text.data() + pos, eol - pos);
        pos = eol + 1;
        ++lineNo;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!line.empty() && line.front() == '!') continue;
        switch (want) {
        case Want::Description:
            // The description may be empty: the first non-comment line is it, whatever it holds.
            t.description_ = std::string(trimLeft(line));
            want = Want::Count;
            break;
        case Want::Count: {
            const std::string_view v = trimLeft(line);
            std::size_t end = 0;
            while (end < v.size() && v[end] >= '0' && v[end] <= '9')
                ++end;
            const auto [ptr, ec] = std::from_chars(v.data(), v.data() + end, count);
            if (end == 0 || ec != std::errc() || (end < v.size() && v[end] != ' ' && v[end] != '\t'))
                fail(source, lineNo, "note count '" + std::string(v) + "' is not a whole number");
            if (count < 1 || count > 4096)
                fail(source, lineNo, "note count " + std::to_string(count) + " is outside 1..4096");
            countLine = lineNo;
            want = Want::Pitches;
            break;
        }
        case Want::Pitches: {
            const double cents = parsePitch(line, source, lineNo);
            if (cents <= (pitches.empty() ? 0.0 : pitches.back()))
                fail(source, lineNo,
                     pitches.empty() ? "pitch is not above 1/1 (0 cents)"
                                     : "pitch is not above the previous one (pitches must increase)");
            pitches.push_back(cents);
            if (static_cast<long long>(pitches.size()) == count) want = Want::Nothing;
            break;
        }
        case Want::Nothing:
            if (!trimLeft(line).empty())
                fail(source, lineNo,
                     "more pitch lines than the note count " + std::to_string(count) + " (line " +
                         std::to_string(countLine) + ")");
            break;
        }
    }
    // A final newline does not open another line: the missing line is the one after the last.
    const int lastLine = lineNo;
    switch (want) {
    case Want::Description:
        throw Error(source, "line 1: empty Scala file (no description line)");
    case Want::Count:
        fail(source, lastLine + 1, "missing the note count line");
    case Want::Pitches:
        fail(source, lastLine + 1,
             "file ends after " + std::to_string(pitches.size()) + " pitch lines, but the note count (line " +
                 std::to_string(countLine) + ") is " + std::to_string(count));
    case Want::Nothing:
        break;
    }
    t.edo_ = 0;
    t.periodCents_ = pitches.back();
    t.degreeCents_.assign(1, 0.0);
    t.degreeCents_.insert(t.degreeCents_.end(), pitches.begin(), pitches.end() - 1);
    return t;
}

void Tuning::setReference(double a4Hz) {
    const auto outOfRange = [&] {
        std::ostringstream s;
        s << "reference A4 = " << a4Hz << " Hz is outside 400.0..480.0 Hz";
        return Error("tuning", s.str());
    };
    if (!std::isfinite(a4Hz)) throw outOfRange();
    const long long tenths = std::llround(a4Hz * 10.0);
    if (tenths < 4000 || tenths > 4800) throw outOfRange();
    referenceHz_ = static_cast<double>(tenths) / 10.0;
}

double Tuning::degreeHz(int octave, int degree) const {
    const int n = degreesPerPeriod();
    if (degree < 0 || degree >= n)
        throw Error("tuning", "degree " + std::to_string(degree) + " is outside 0.." + std::to_string(n - 1));
    if (edo_ > 0) {
        const long long fromA = static_cast<long long>(octave - 4) * edo_ + degree + edoStepsAToC_;
        return referenceHz_ * std::exp2(static_cast<double>(fromA) / edo_);
    }
    const double c4 = referenceHz_ * std::exp2(-9.0 / 12.0);
    return c4 *
           std::exp2(((octave - 4) * periodCents_ + degreeCents_[static_cast<std::size_t>(degree)]) / 1200.0);
}

NoteReading Tuning::reading(long long stepsFromC4, double hz) const {
    const long long n = degreesPerPeriod();
    const long long period = floorDiv(stepsFromC4, n);
    const int degree = static_cast<int>(stepsFromC4 - period * n);
    NoteReading r;
    r.note = n == 12 ? std::string(kSharpNames[static_cast<std::size_t>(degree)])
                     : std::to_string(degree) + "/" + std::to_string(n);
    r.octave = static_cast<int>(4 + period);
    r.targetHz = degreeHz(r.octave, degree);
    r.cents = 1200.0 * std::log2(hz / r.targetHz);
    if (!stringMidi_.empty()) r.stringIndex = nearestString(hz).stringIndex;
    return r;
}

NoteReading Tuning::nearest(double hz) const {
    if (!std::isfinite(hz) || hz <= 0.0) return {};
    if (edo_ > 0) {
        // Rounded in steps from A4 so that the reference itself lands on its degree with exactly 0 cents.
        const long long fromA = std::llround(edo_ * std::log2(hz / referenceHz_));
        return reading(fromA - edoStepsAToC_, hz);
    }
    const double c4 = referenceHz_ * std::exp2(-9.0 / 12.0);
    const double cents = 1200.0 * std::log2(hz / c4);
    const long long period = static_cast<long long>(std::floor(cents / periodCents_));
    // Rounding may leave `within` a hair below 0: clamp so that degree 0 is the lowest candidate.
    const double within = std::max(0.0, cents - static_cast<double>(period) * periodCents_);
    // First degree above `within` (or the next period's degree 0); the nearest is it or the one below.
    const auto above = std::upper_bound(degreeCents_.begin(), degreeCents_.end(), within);
    const long long upper = above - degreeCents_.begin();
    const double upperCents = above == degreeCents_.end() ? periodCents_ : *above;
    const double lowerCents = degreeCents_[static_cast<std::size_t>(upper - 1)];
    const long long degree = (upperCents - within < within - lowerCents) ? upper : upper - 1;
    return reading(period * degreesPerPeriod() + degree, hz);
}

std::vector<std::string> Tuning::tuningNames() {
    std::vector<std::string> names;
    for (const auto& t : namedTunings())
        names.emplace_back(t.name);
    return names;
}

void Tuning::setInstrument(const std::string& name) {
    if (name.empty()) {
        instrument_.clear();
        stringMidi_.clear();
        return;
    }
    for (const auto& t : namedTunings()) {
        if (name == t.name) {
            instrument_ = name;
            stringMidi_ = t.midi;
            return;
        }
    }
    std::string known;
    for (const auto& t : namedTunings())
        known += (known.empty() ? "" : ", ") + std::string(t.name);
    throw Error("tuning", "unknown instrument tuning '" + name + "' (known: " + known + ")");
}

std::vector<NoteReading> Tuning::strings() const {
    std::vector<NoteReading> out;
    for (std::size_t i = 0; i < stringMidi_.size(); ++i) {
        out.push_back(midiReading(stringMidi_[i], referenceHz_));
        out.back().stringIndex = static_cast<int>(i);
    }
    return out;
}

NoteReading Tuning::nearestString(double hz) const {
    if (stringMidi_.empty()) return nearest(hz);
    if (!std::isfinite(hz) || hz <= 0.0) return {};
    std::size_t best = 0;
    double bestCents = 0.0;
    for (std::size_t i = 0; i < stringMidi_.size(); ++i) {
        const double cents = 1200.0 * std::log2(hz / midiHz(stringMidi_[i], referenceHz_));
        if (i == 0 || std::abs(cents) < std::abs(bestCents)) {
            best = i;
            bestCents = cents;
        }
    }
    NoteReading r = midiReading(stringMidi_[best], referenceHz_);
    r.cents = bestCents;
    r.stringIndex = static_cast<int>(best);
    return r;
}

} // namespace stagerack::tuner
