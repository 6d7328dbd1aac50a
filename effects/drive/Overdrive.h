// Overdrive: a Tube Screamer-style mid-focused drive (soft, triode and diode curves).
#pragma once

#include "effects/drive/DriveEffect.h"

namespace stagerack::fx {

struct OverdriveTraits {
    static constexpr std::string_view kId = "overdrive";
    static constexpr std::string_view kName = "Overdrive";
    static constexpr std::array<std::string_view, 3> kLabels{"soft", "triode", "diode"};
    static constexpr DriveVoicing kVoicing{
        .characters = {DriveCharacter::Soft, DriveCharacter::Triode, DriveCharacter::Diode},
        .inputScaleDb = {0.f, 0.f, 0.f},
        .maxDriveDb = 40.f,
        .preCornerHz = 720.f,
        .deCornerHz = 5000.f,
        .tiltPivotHz = 1000.f,
        .tiltRangeDb = 12.f};
    static constexpr std::string_view kHelp =
        "A mid-focused overdrive in the manner of a Tube Screamer: only what lies above 720 Hz is "
        "amplified before the clipper (the pedal's gain leg, x + (G - 1) * highpass(x)), so low strings stay "
        "tight and the mids push forward. "
        "Drive (drive, 0 to 1, default 0.5) sets that gain G from 0 dB to +40 dB, linear in dB; at 0 the "
        "effect is clean. "
        "The clipper runs 8x oversampled at 44.1 and 48 kHz (4x at 96 kHz, 2x at 192 kHz) with "
        "antiderivative anti-aliasing; after it a 5 kHz low-pass fades in with the drive to take off the "
        "fizz, "
        "and a 10 Hz DC blocker removes the offset of the asymmetric curves. "
        "Level compensation divides by the clipper's gain on a -18 dBFS sine at the current drive, so "
        "turning "
        "drive up makes it dirtier rather than much louder. "
        "Tone (tone, 0 to 1, default 0.5) tilts the spectrum around 1 kHz: 0.5 is flat, 0 is 12 dB darker "
        "and 1 is 12 dB brighter end to end. "
        "Level (level_db, -40 to +12 dB, default 0 dB) is the output level after the compensation. "
        "Character (character: soft, triode, diode; switching crossfades over 20 ms): soft is a smooth "
        "symmetric tube-like curve, triode a biased asymmetric one with even harmonics, diode a harder "
        "symmetric knee like the pedal's silicon diodes. "
        "Typical settings: drive 0.2-0.4 with level +3 to +6 dB as a clean boost into an amp, drive 0.5-0.7 "
        "and tone 0.4-0.6 for blues crunch, drive 0.8-1 with the diode character for leads.";
    static constexpr std::array<ParamInfo, DriveCore::kParamCount> kParams = driveParams(
        "Pre-clip gain, 0 to 1: 0 dB to +40 dB above the 720 Hz corner, linear in dB (0 is clean).", kLabels,
        "Clipping curve: soft (symmetric tube-like), triode (asymmetric), diode (hard knee); crossfaded.",
        0.5f);
};

using Overdrive = DriveEffect<OverdriveTraits>;
static_assert(Effect<Overdrive>);

} // namespace stagerack::fx
