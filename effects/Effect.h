// The contract every built-in effect satisfies (DESIGN.md section 4, STYLE.md "An effect").
// Plain data and a concept: no JACK, no Qt, no virtual functions.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace stagerack::fx {

enum class Unit : uint8_t { None, Decibel, Milliseconds, Seconds, Hertz, Fraction, Semitones, Cents, Bpm };
enum class Taper : uint8_t { Linear, Log, Integer, Enum, Toggle };

constexpr std::string_view unitName(Unit u) {
    switch (u) {
    case Unit::Decibel:
        return "dB";
    case Unit::Milliseconds:
        return "ms";
    case Unit::Seconds:
        return "s";
    case Unit::Hertz:
        return "Hz";
    case Unit::Fraction:
        return "fraction";
    case Unit::Semitones:
        return "semitones";
    case Unit::Cents:
        return "cents";
    case Unit::Bpm:
        return "BPM";
    case Unit::None:
        break;
    }
    return "";
}

constexpr std::string_view taperName(Taper t) {
    switch (t) {
    case Taper::Linear:
        return "linear";
    case Taper::Log:
        return "log";
    case Taper::Integer:
        return "integer";
    case Taper::Enum:
        return "enum";
    case Taper::Toggle:
        return "toggle";
    }
    return "linear";
}

// Static description of one parameter. `labels` is used by Taper::Enum (index = value).
struct ParamInfo {
    std::string_view id;
    std::string_view name;
    float min = 0.f;
    float max = 1.f;
    float def = 0.f;
    Unit unit = Unit::None;
    Taper taper = Taper::Linear;
    float smoothMs = 20.f; // 0 = switch-type (the effect crossfades internally)
    std::span<const std::string_view> labels = {};
    std::string_view help = {};
};

// A stereo block processed in place. Both pointers are valid for `frames` samples.
struct StereoBlock {
    float* left = nullptr;
    float* right = nullptr;
    uint32_t frames = 0;
};

struct MidiEvent {
    uint32_t offset = 0; // sample offset inside the block
    uint8_t size = 0;
    std::array<uint8_t, 3> data{};
};

// What the engine tells every processor about the current block.
struct ProcessContext {
    double sampleRate = 48000.0;
    uint32_t frames = 0;
    double tempoBpm = 120.0;
    double beat = 0.0;                    // beat position at the block start
    std::span<const MidiEvent> midi = {}; // events of this block, offsets relative to it
    const float* sidechain = nullptr;     // carrier_in (mono), valid for `frames` samples, or null
};

// A text-valued setting (a file path, e.g. a user impulse response). Set on a control thread, where the
// effect may read files and allocate; the audio thread receives the result through a lock-free hand-over.
struct PropertyInfo {
    std::string_view id;
    std::string_view name;
    std::string_view help = {};
};

// Static description of an effect, shared by the GUI, CLI help, presets, MIDI learn and OSC paths.
struct EffectInfo {
    std::string_view id;
    std::string_view name;
    std::string_view category;
    std::string_view help;
    int version = 1;
    std::span<const ParamInfo> params;
    std::span<const PropertyInfo> properties = {};
};

template <typename E>
concept Effect = requires(E e, const E ce, double sr, uint32_t n, std::size_t index, float value,
                          StereoBlock& block, const ProcessContext& ctx) {
    { E::kId } -> std::convertible_to<std::string_view>;
    { E::kName } -> std::convertible_to<std::string_view>;
    { E::kCategory } -> std::convertible_to<std::string_view>;
    { E::kHelp } -> std::convertible_to<std::string_view>;
    { E::kVersion } -> std::convertible_to<int>;
    {std::span<const ParamInfo>(E::kParams)};
    {e.prepare(sr, n)}; // control thread; the only place that allocates
    { e.reset() }
    noexcept; // audio-safe state clear
    { e.setParam(index, value) }
    noexcept; // new target; the effect smooths it per sample
    { e.process(block, ctx) }
    noexcept; // audio thread, in place
    { ce.latencySamples() }
    noexcept->std::convertible_to<uint32_t>;
    { ce.tailSamples() }
    noexcept->std::convertible_to<uint32_t>;
};

// Optional: effects with text properties. setProperty runs on a control thread and throws
// std::runtime_error with a one-line reason when the value is bad, keeping the previous state;
// collectGarbage runs on the housekeeping thread and frees what the audio thread retired.
template <typename E>
concept HasProperties = requires(E e, std::size_t index, std::string_view value) {
    {std::span<const PropertyInfo>(E::kProperties)};
    {e.setProperty(index, value)};
    {e.collectGarbage()};
};

template <Effect E>
constexpr EffectInfo infoOf() {
    EffectInfo info{E::kId,   E::kName,    E::kCategory,
                    E::kHelp, E::kVersion, std::span<const ParamInfo>(E::kParams)};
    if constexpr (HasProperties<E>) info.properties = std::span<const PropertyInfo>(E::kProperties);
    return info;
}

} // namespace stagerack::fx
