// Fuzz: full-range, heavily clipped fuzz (germanium, silicon and rectifier curves).
#pragma once

#include "effects/drive/DriveEffect.h"

namespace stagerack::fx {

struct FuzzTraits {
    static constexpr std::string_view kId = "fuzz";
    static constexpr std::string_view kName = "Fuzz";
    static constexpr std::array<std::string_view, 3> kLabels{"germanium", "silicon", "rectifier"};
    static constexpr DriveVoicing kVoicing{
        .characters = {DriveCharacter::Germanium, DriveCharacter::Silicon, DriveCharacter::Rectifier},
        .inputScaleDb = {6.f, 6.f, 6.f},
        .maxDriveDb = 46.f,
        .preCornerHz = 120.f,
        .deCornerHz = 4000.f,
        .tiltPivotHz = 800.f,
        .tiltRangeDb = 12.f};
    static constexpr std::string_view kHelp =
        "A full-range fuzz: nearly the whole spectrum (above 120 Hz) is amplified by up to 46 dB and clipped "
        "into a square-ish wave, the sound of a Fuzz Face or Tone Bender. "
        "Drive (drive, 0 to 1, default 0.7) sets that gain G from 0 dB to +46 dB, linear in dB, with 6 dB "
        "more into each curve. "
        "The clipper runs 8x oversampled at 44.1 and 48 kHz (4x at 96 kHz, 2x at 192 kHz) with "
        "antiderivative anti-aliasing; after it a 4 kHz low-pass fades in with the drive, and a 10 Hz DC "
        "blocker removes the offset of the asymmetric curves. "
        "Level compensation divides by the clipper's gain on a -18 dBFS sine at the current drive, so "
        "turning "
        "drive up makes it dirtier rather than much louder. "
        "Tone (tone, 0 to 1, default 0.5) tilts the spectrum around 800 Hz: 0.5 is flat, 0 is 12 dB darker "
        "and 1 is 12 dB brighter end to end. "
        "Level (level_db, -40 to +12 dB, default 0 dB) is the output level after the compensation. "
        "Character (character: germanium, silicon, rectifier; switching crossfades over 20 ms): germanium "
        "clips asymmetrically and has a starved dead zone around zero, so decaying notes sputter and gate; "
        "silicon is a hard symmetric clip, brighter and tighter; rectifier mixes half- and full-wave "
        "rectification for an octave-up fuzz (best on single notes above the 12th fret). "
        "Typical settings: drive 0.6-0.8 with germanium and tone 0.4 for classic rock, roll the guitar's "
        "volume back to clean up; silicon at drive 1 for a wall of fuzz; rectifier at drive 0.5-1 on leads.";
    static constexpr std::array<ParamInfo, DriveCore::kParamCount> kParams = driveParams(
        "Pre-clip gain, 0 to 1: 0 dB to +46 dB above the 120 Hz corner, linear in dB.", kLabels,
        "Clipping curve: germanium (asymmetric, gated), silicon (hard), rectifier (octave); crossfaded.",
        0.7f);
};

using Fuzz = DriveEffect<FuzzTraits>;
static_assert(Effect<Fuzz>);

} // namespace stagerack::fx
