#include "engine/Processor.h"

#include "engine/Error.h"

#include <algorithm>
#include <cmath>

namespace stagerack::engine {

float constrainParam(const fx::ParamInfo& p, float v) noexcept {
    if (!std::isfinite(v)) v = p.def;
    v = std::clamp(v, p.min, p.max);
    if (p.taper == fx::Taper::Integer || p.taper == fx::Taper::Enum || p.taper == fx::Taper::Toggle)
        v = std::round(v);
    return v;
}

Processor::Processor(const fx::EffectInfo& info)
    : info_(info)
    , targets_(std::make_unique<std::atomic<float>[]>(info.params.size()))
    , applied_(std::make_unique<float[]>(info.params.size()))
    , toggles_(std::make_unique<std::atomic<uint32_t>[]>(info.params.size()))
    , pressesSeen_(std::make_unique<uint32_t[]>(info.params.size()))
    , properties_(info.properties.size()) {
    for (std::size_t i = 0; i < info_.params.size(); ++i) {
        targets_[i].store(info_.params[i].def, std::memory_order_relaxed);
        applied_[i] = info_.params[i].def;
        toggles_[i].store(info_.params[i].def >= 0.5f ? 1u : 0u, std::memory_order_relaxed);
        pressesSeen_[i] = 0;
    }
}

int Processor::paramIndex(std::string_view id) const noexcept {
    for (std::size_t i = 0; i < info_.params.size(); ++i)
        if (info_.params[i].id == id) return static_cast<int>(i);
    return -1;
}

int Processor::propertyIndex(std::string_view id) const noexcept {
    for (std::size_t i = 0; i < info_.properties.size(); ++i)
        if (info_.properties[i].id == id) return static_cast<int>(i);
    return -1;
}

void Processor::setProperty(std::size_t index, std::string_view value) {
    if (index >= properties_.size()) throw Error(std::string(info_.id), "no such property");
    try {
        applyProperty(index, value);
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error(std::string(info_.properties[index].id), e.what());
    }
    properties_[index] = std::string(value);
}

const std::string& Processor::property(std::size_t index) const {
    return properties_.at(index);
}

void Processor::setParam(std::size_t index, float value) noexcept {
    if (index >= info_.params.size()) return;
    const float v = constrainParam(info_.params[index], value);
    if (info_.params[index].taper != fx::Taper::Toggle) {
        targets_[index].store(v, std::memory_order_relaxed);
        return;
    }
    const uint32_t on = v >= 0.5f ? 1u : 0u;
    uint32_t state = toggles_[index].load(std::memory_order_relaxed);
    uint32_t next = 0;
    do {
        const uint32_t pressed = on != 0u && (state & 1u) == 0u ? 1u : 0u;
        next = (((state >> 1) + pressed) << 1) | on;
    } while (!toggles_[index].compare_exchange_weak(state, next, std::memory_order_acq_rel,
                                                    std::memory_order_relaxed));
    targets_[index].store(v, std::memory_order_relaxed);
}

float Processor::param(std::size_t index) const noexcept {
    if (index >= info_.params.size()) return 0.f;
    return targets_[index].load(std::memory_order_relaxed);
}

void Processor::prepare(double sampleRate, uint32_t maxBlock) {
    sampleRate_ = sampleRate;
    maxBlock_ = maxBlock;
    doPrepare(sampleRate, maxBlock);
    for (std::size_t i = 0; i < info_.params.size(); ++i) {
        applied_[i] = targets_[i].load(std::memory_order_relaxed);
        pressesSeen_[i] = toggles_[i].load(std::memory_order_acquire) >> 1; // presses before now are history
        applyParam(i, applied_[i]);
    }
    doReset(); // by contract reset() snaps smoothers to their targets
}

void Processor::reset() noexcept {
    doReset();
}

void Processor::pullParams() noexcept {
    for (std::size_t i = 0; i < info_.params.size(); ++i) {
        if (info_.params[i].taper == fx::Taper::Toggle) {
            const uint32_t state = toggles_[i].load(std::memory_order_acquire);
            const uint32_t presses = state >> 1;
            const uint32_t missed = (presses - pressesSeen_[i]) & 0x7fffffffu;
            pressesSeen_[i] = presses;
            const float v = (state & 1u) != 0u ? 1.f : 0.f;
            if (missed > 0) {
                // Replay the presses since the last block as edges, in order: every press but a last one
                // still held is a full press and release.
                const bool held = v >= 0.5f;
                const uint32_t cycles = std::min(held ? missed - 1 : missed, kMaxReplayedPresses);
                for (uint32_t k = 0; k < cycles; ++k) {
                    if (applied_[i] >= 0.5f) applyParam(i, 0.f);
                    applyParam(i, 1.f);
                    applyParam(i, 0.f);
                    applied_[i] = 0.f;
                }
                if (held) {
                    if (applied_[i] >= 0.5f) applyParam(i, 0.f);
                    applyParam(i, 1.f);
                    applied_[i] = 1.f;
                }
            }
            if (v != applied_[i]) {
                applied_[i] = v;
                applyParam(i, v);
            }
            continue;
        }
        const float v = targets_[i].load(std::memory_order_relaxed);
        if (v != applied_[i]) {
            applied_[i] = v;
            applyParam(i, v);
        }
    }
}

} // namespace stagerack::engine
