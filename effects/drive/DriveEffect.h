// The Effect wrapper around DriveCore: `Traits` supplies the id, metadata, help and voicing; overdrive,
// distortion and fuzz are instances (Overdrive.h, Distortion.h, Fuzz.h).
#pragma once

#include "effects/Effect.h"
#include "effects/drive/DriveCore.h"

#include <cstddef>
#include <cstdint>

namespace stagerack::fx {

template <typename Traits>
class DriveEffect {
public:
    using Param = DriveCore::Param;
    static constexpr std::size_t kDrive = DriveCore::kDrive;
    static constexpr std::size_t kTone = DriveCore::kTone;
    static constexpr std::size_t kLevelDb = DriveCore::kLevelDb;
    static constexpr std::size_t kCharacter = DriveCore::kCharacter;
    static constexpr std::size_t kParamCount = DriveCore::kParamCount;

    static constexpr std::string_view kId = Traits::kId;
    static constexpr std::string_view kName = Traits::kName;
    static constexpr std::string_view kCategory = "drive";
    static constexpr int kVersion = 1;
    static constexpr std::string_view kHelp = Traits::kHelp;
    static constexpr auto kParams = Traits::kParams;
    static constexpr DriveVoicing kVoicing = Traits::kVoicing;
    static_assert(kParams.size() == DriveCore::kParamCount);

    void prepare(double sampleRate, uint32_t maxBlock) { core_.prepare(sampleRate, maxBlock); }
    void reset() noexcept { core_.reset(); }
    void setParam(std::size_t index, float value) noexcept { core_.setParam(index, value); }
    void process(StereoBlock& block, const ProcessContext& /*ctx*/) noexcept { core_.process(block); }
    // The oversampler's delay (the ADAA curve adds 1 / (2 * oversampling) of a sample more, not counted).
    uint32_t latencySamples() const noexcept { return core_.latencySamples(); }
    uint32_t tailSamples() const noexcept { return 0; }
    const DriveCore& core() const noexcept { return core_; }

private:
    DriveCore core_{Traits::kVoicing};
};

// The parameter table every drive shares; only the character labels, default character, help texts and the
// drive range in the help differ.
constexpr std::array<ParamInfo, DriveCore::kParamCount> driveParams(std::string_view driveHelp,
                                                                    std::span<const std::string_view> labels,
                                                                    std::string_view characterHelp,
                                                                    float defaultDrive) {
    return {{
        {.id = "drive",
         .name = "Drive",
         .min = 0.f,
         .max = 1.f,
         .def = defaultDrive,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = DriveCore::kSmoothMs,
         .help = driveHelp},
        {.id = "tone",
         .name = "Tone",
         .min = 0.f,
         .max = 1.f,
         .def = 0.5f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = DriveCore::kSmoothMs,
         .help =
             "Tilt after the clipper, 0 to 1: 0.5 is flat, 0 is 12 dB darker and 1 is 12 dB brighter end to "
             "end (half of it each side of the pivot)."},
        {.id = "level_db",
         .name = "Level",
         .min = -40.f,
         .max = 12.f,
         .def = 0.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = DriveCore::kSmoothMs,
         .help = "Output level, -40 to +12 dB, on top of the automatic level compensation."},
        {.id = "character",
         .name = "Character",
         .min = 0.f,
         .max = 2.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = labels,
         .help = characterHelp},
    }};
}

} // namespace stagerack::fx
