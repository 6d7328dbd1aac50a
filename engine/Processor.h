// The one interface the chain runs: built-in effects (through EffectProcessor<E>) and hosted plugin
// adapters implement it. Parameter targets are atomics written by any control thread; the audio thread
// reads each once per block and hands changes to the processor, which smooths them per sample.
#pragma once

#include "effects/Effect.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace stagerack::engine {

class Processor {
public:
    explicit Processor(const fx::EffectInfo& info);
    virtual ~Processor() = default;
    Processor(const Processor&) = delete;
    Processor& operator=(const Processor&) = delete;

    const fx::EffectInfo& info() const noexcept { return info_; }
    std::size_t paramCount() const noexcept { return info_.params.size(); }
    // Index of a parameter id, or -1.
    int paramIndex(std::string_view id) const noexcept;

    // Control threads. Values are clamped to the parameter's range (and rounded for integer/enum/toggle).
    void setParam(std::size_t index, float value) noexcept;
    float param(std::size_t index) const noexcept;

    // Text properties (control threads; may read files). Throws stagerack::Error with a one-line reason
    // and keeps the previous state when the value is bad.
    std::size_t propertyCount() const noexcept { return info_.properties.size(); }
    int propertyIndex(std::string_view id) const noexcept;
    void setProperty(std::size_t index, std::string_view value);
    const std::string& property(std::size_t index) const;
    // Housekeeping thread: frees what the audio thread retired (e.g. a replaced impulse response).
    virtual void collectGarbage() {}

    // Control thread: may allocate. Applies the current targets without smoothing.
    void prepare(double sampleRate, uint32_t maxBlock);
    // Audio thread.
    void reset() noexcept;
    void process(fx::StereoBlock& block, const fx::ProcessContext& ctx) noexcept {
        pullParams();
        doProcess(block, ctx);
    }
    virtual uint32_t latency() const noexcept = 0;
    virtual uint32_t tail() const noexcept { return 0; }
    // The largest latency() the processor can report after prepare (e.g. a limiter's longest lookahead):
    // the slot sizes its dry-path delay for it.
    virtual uint32_t maxLatency() const noexcept { return latency(); }
    // A new, unprepared instance of the same kind (parameters not copied): used for rebuilds.
    virtual std::unique_ptr<Processor> createFresh() const = 0;
    double sampleRate() const noexcept { return sampleRate_; }
    uint32_t maxBlock() const noexcept { return maxBlock_; }

protected:
    virtual void doPrepare(double sampleRate, uint32_t maxBlock) = 0;
    virtual void doReset() noexcept = 0;
    virtual void applyParam(std::size_t index, float value) noexcept = 0;
    virtual void doProcess(fx::StereoBlock& block, const fx::ProcessContext& ctx) noexcept = 0;
    virtual void applyProperty(std::size_t, std::string_view) {}

private:
    static constexpr uint32_t kMaxReplayedPresses = 8; // per parameter and block
    void pullParams() noexcept;

    fx::EffectInfo info_;
    std::unique_ptr<std::atomic<float>[]> targets_;
    std::unique_ptr<float[]> applied_;
    // Toggle parameters count their presses (off -> on writes), so that a press released before the audio
    // thread looked (a foot switch's CC 127 then 0 within one period) still reaches the effect. One word
    // holds both, read and written atomically: bit 0 = on, the rest = presses so far.
    std::unique_ptr<std::atomic<uint32_t>[]> toggles_;
    std::unique_ptr<uint32_t[]> pressesSeen_;
    std::vector<std::string> properties_;
    double sampleRate_ = 0.0;
    uint32_t maxBlock_ = 0;
};

// Clamp and quantise a value to what the parameter accepts.
float constrainParam(const fx::ParamInfo& p, float v) noexcept;

// The slot model of STYLE.md: wraps a built-in effect into a Processor.
template <fx::Effect E>
class EffectProcessor final : public Processor {
public:
    EffectProcessor()
        : Processor(fx::infoOf<E>()) {}
    uint32_t latency() const noexcept override { return effect_.latencySamples(); }
    uint32_t tail() const noexcept override { return effect_.tailSamples(); }
    uint32_t maxLatency() const noexcept override {
        if constexpr (requires(const E& e) { e.maxLatencySamples(); })
            return effect_.maxLatencySamples();
        else
            return effect_.latencySamples();
    }
    std::unique_ptr<Processor> createFresh() const override { return std::make_unique<EffectProcessor<E>>(); }
    void collectGarbage() override {
        if constexpr (fx::HasProperties<E>) effect_.collectGarbage();
    }
    E& effect() noexcept { return effect_; }

protected:
    void doPrepare(double sr, uint32_t maxBlock) override { effect_.prepare(sr, maxBlock); }
    void doReset() noexcept override { effect_.reset(); }
    void applyParam(std::size_t index, float value) noexcept override { effect_.setParam(index, value); }
    void doProcess(fx::StereoBlock& block, const fx::ProcessContext& ctx) noexcept override {
        effect_.process(block, ctx);
    }
    void applyProperty(std::size_t index, std::string_view value) override {
        if constexpr (fx::HasProperties<E>) effect_.setProperty(index, value);
    }

private:
    E effect_;
};

} // namespace stagerack::engine
