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
    , properties_(info.properties.size()) {
    for (std::size_t i = 0; i < info_.params.size(); ++i) {
        targets_[i].store(info_.params[i].def, std::memory_order_relaxed);
        applied_[i] = info_.params[i].def;
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
    targets_[index].store(constrainParam(info_.params[index], value), std::memory_order_relaxed);
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
        applyParam(i, applied_[i]);
    }
    doReset(); // by contract reset() snaps smoothers to their targets
}

void Processor::reset() noexcept {
    doReset();
}

void Processor::pullParams() noexcept {
    for (std::size_t i = 0; i < info_.params.size(); ++i) {
        const float v = targets_[i].load(std::memory_order_relaxed);
        if (v != applied_[i]) {
            applied_[i] = v;
            applyParam(i, v);
        }
    }
}

} // namespace stagerack::engine
