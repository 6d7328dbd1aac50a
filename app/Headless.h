// `stagerack --headless`: the engine under JACK, driven by signals (MIDI, OSC and NSM come later).
#pragma once

#include "engine/JackBackend.h"

#include <string>

namespace stagerack::app {

struct HeadlessOptions {
    engine::JackOptions jack;
    std::string chain;
    double statusInterval = 0.0; // seconds between status lines on stdout; 0 = none
    double runSeconds = 0.0;
    double tempoBpm = 120.0; // stop after this long (tests); 0 = until SIGINT/SIGTERM
    // Live tuner on stdout: "in_1", "in_2" or "sum" ("" = off), every tunerInterval seconds.
    std::string tunerSource;
    bool tunerMute = false;
    double tunerReferenceHz = 440.0;
    std::string tunerInstrument;
    double tunerInterval = 0.1;
};

// Checks the tuner options (source name, reference, instrument); throws stagerack::Error.
void validateTunerOptions(const HeadlessOptions& options);

// Returns the process exit code.
int runHeadless(const HeadlessOptions& options);

} // namespace stagerack::app
