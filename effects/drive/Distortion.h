// Distortion: a RAT-style hard clipping drive (diode, triode and foldback curves).
#pragma once

#include "effects/drive/DriveEffect.h"

namespace stagerack::fx {

struct DistortionTraits {
    static constexpr std::string_view kId = "distortion";
    static constexpr std::string_view kName = "Distortion";
    static constexpr std::array<std::string_view, 3> kLabels{"diode", "triode", "foldback"};
    static constexpr DriveVoicing kVoicing{
        .characters = {DriveCharacter::Diode, DriveCharacter::Triode, DriveCharacter::Foldback},
        .inputScaleDb = {6.f, 6.f, -20.f},
        .maxDriveDb = 46.f,
        .preCornerHz = 400.f,
        .deCornerHz = 5000.f,
        .tiltPivotHz = 1000.f,
        .tiltRangeDb = 12.f};
    static constexpr std::string_view kHelp =
        "A high-gain distortion in the manner of a RAT: the signal above 400 Hz is amplified by up to 46 dB "
        "(x + (G - 1) * highpass(x)) and hard clipped, for a thick, compressed sound. "
        "Drive (drive, 0 to 1, default 0.5) sets that gain G from 0 dB to +46 dB, linear in dB; the diode "
        "and triode curves get 6 dB more and the foldback curve 20 dB less, so each bites where it is "
        "useful. "
        "The clipper runs 8x oversampled at 44.1 and 48 kHz (4x at 96 kHz, 2x at 192 kHz) with "
        "antiderivative anti-aliasing; after it a 5 kHz low-pass fades in with the drive, and a 10 Hz DC "
        "blocker removes the offset of the asymmetric curves. "
        "Level compensation divides by the clipper's gain on a -18 dBFS sine at the current drive, so "
        "turning "
        "drive up makes it dirtier rather than much louder. "
        "Tone (tone, 0 to 1, default 0.5) tilts the spectrum around 1 kHz: 0.5 is flat, 0 is 12 dB darker "
        "and 1 is 12 dB brighter end to end. "
        "Level (level_db, -40 to +12 dB, default 0 dB) is the output level after the compensation. "
        "Character (character: diode, triode, foldback; switching crossfades over 20 ms): diode is a hard "
        "symmetric clip, triode a biased asymmetric tube-like clip, foldback a wavefolder that folds the "
        "peaks back down instead of flattening them (a synth-like, ringing distortion). "
        "Typical settings: drive 0.4-0.6 and tone 0.4 for rhythm crunch, drive 0.8-1 with diode for "
        "leads and metal rhythm (put a noise gate first), foldback at drive 0.5-1 for experimental sounds.";
    static constexpr std::array<ParamInfo, DriveCore::kParamCount> kParams = driveParams(
        "Pre-clip gain, 0 to 1: 0 dB to +46 dB above the 400 Hz corner, linear in dB (0 is nearly clean).",
        kLabels, "Clipping curve: diode (hard), triode (asymmetric), foldback (wavefolder); crossfaded.",
        0.5f);
};

using Distortion = DriveEffect<DistortionTraits>;
static_assert(Effect<Distortion>);

} // namespace stagerack::fx
