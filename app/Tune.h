// `stagerack tune IN.wav --csv`: tuner readings over a file, exactly as they would appear live.
#pragma once

#include <string>

namespace stagerack::app {

struct TuneOptions {
    std::string input;
    bool csv = false;
    double referenceHz = 440.0;
    int channel = 0;        // 0 = sum of all channels (halved), 1.. = that channel
    int divisions = 12;     // equal temperament
    std::string scala;      // a .scl file instead of the equal temperament
    std::string instrument; // a named tuning: the target string is shown
};

// Prints the CSV (DESIGN.md section 1): header `time_s,frequency_hz,note,cents,confidence`, one row per
// analysis hop; rows with no note have empty frequency, note and cents. Throws stagerack::Error.
int runTune(const TuneOptions& options);

} // namespace stagerack::app
