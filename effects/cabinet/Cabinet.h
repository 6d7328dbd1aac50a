// Speaker cabinet: zero-latency convolution with a built-in response or a user impulse response file.
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/Convolver.h"
#include "effects/dsp/Smoothed.h"

#include <readerwriterqueue/readerwriterqueue.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace stagerack::fx {

class Cabinet {
public:
    enum Param : std::size_t { kModel, kLevelDb, kParamCount };
    static constexpr std::array<std::string_view, 6> kModelLabels{"1x12",      "2x12",      "4x12_closed",
                                                                  "open_back", "bass_8x10", "acoustic"};
    static constexpr double kMaxIrSeconds = 2.0;
    static constexpr float kFadeMs = 30.f; // switching responses runs old and new in parallel this long

    static constexpr std::string_view kId = "cabinet";
    static constexpr std::string_view kName = "Cabinet";
    static constexpr std::string_view kCategory = "amp";
    static constexpr int kVersion = 1;
    static constexpr std::string_view kHelp =
        "Speaker cabinet simulation by convolution with zero latency (a 64-tap direct head plus "
        "uniformly partitioned FFT convolution, libzita-convolver). model picks one of six responses "
        "designed by the project (1x12 combo, 2x12 combo, closed-back 4x12, open-back, bass 8x10, "
        "acoustic body; see effects/cabinet/irs/README.md for how they were made). ir_file loads your own "
        "impulse response instead (WAV/FLAC/AIFF, mono or stereo, any sample rate from 8 to 384 kHz, "
        "resampled to the engine's rate, at most 2 s); it is read off the audio thread and swapped in with "
        "a 30 ms crossfade; a bad file is refused with a one-line reason and the previous response stays. "
        "level_db (-24 to +12 dB, default 0) trims the output. Place it after an amp; typical: amp > "
        "cabinet:model=4x12_closed for rock, 1x12 or 2x12 for blues and clean, bass_8x10 after a bass amp.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "model",
         .name = "Model",
         .min = 0.f,
         .max = 5.f,
         .def = 2.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = kModelLabels,
         .help = "Built-in response; changes crossfade over 30 ms. A loaded ir_file takes precedence."},
        {.id = "level_db",
         .name = "Level",
         .min = -24.f,
         .max = 12.f,
         .def = 0.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Output level, -24 to +12 dB."},
    }};
    static constexpr std::array<PropertyInfo, 1> kProperties{{
        {"ir_file", "Impulse response file",
         "Path of a user impulse response (mono or stereo, <= 2 s); empty returns to the built-in model."},
    }};

    Cabinet();
    ~Cabinet();
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return 0; }
    uint32_t tailSamples() const noexcept;

    void setProperty(std::size_t index, std::string_view value);
    void collectGarbage();

    // The built-in response `model` at its native 48 kHz, for tests and documentation.
    static std::vector<float> builtinResponse(std::size_t model);

private:
    void startFade(dsp::Convolver* to) noexcept;

    double sampleRate_ = 48000.0;
    std::vector<std::unique_ptr<dsp::Convolver>> builtins_;
    std::string userPath_;

    // Audio-thread side.
    std::atomic<dsp::Convolver*> pendingUser_{nullptr};
    std::atomic<bool> clearUser_{false};
    dsp::Convolver* user_ = nullptr; // owned; retired through retired_
    dsp::Convolver* current_ = nullptr;
    dsp::Convolver* next_ = nullptr;
    dsp::Convolver* retireAfterFade_ = nullptr;
    uint32_t fadePos_ = 0, fadeLen_ = 1;
    std::size_t model_ = 2;
    dsp::LinearSmoothed level_;
    std::vector<float> scratchL_, scratchR_, nextL_, nextR_;
    moodycamel::ReaderWriterQueue<dsp::Convolver*> retired_{16};
};

static_assert(Effect<Cabinet>);
static_assert(HasProperties<Cabinet>);

} // namespace stagerack::fx
