// The built-in effect registry: one entry per effect, generated from the effects' static metadata.
#pragma once

#include "effects/Effect.h"
#include "engine/Processor.h"

#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace stagerack::engine {

struct EffectEntry {
    fx::EffectInfo info;
    std::function<std::unique_ptr<Processor>()> create;
};

class Registry {
public:
    static const Registry& builtin();

    const EffectEntry* find(std::string_view id) const noexcept;
    std::span<const EffectEntry> all() const noexcept { return entries_; }

    template <fx::Effect E>
    void add() {
        entries_.push_back({fx::infoOf<E>(), [] { return std::make_unique<EffectProcessor<E>>(); }});
    }

private:
    std::vector<EffectEntry> entries_;
};

// Parse a parameter value in the parameter's own unit: a number, an enum label or index, on/off.
// Throws stagerack::Error naming the parameter when the text is malformed or out of range.
float parseParamValue(const fx::ParamInfo& p, std::string_view text);
std::string formatParamValue(const fx::ParamInfo& p, float v);

} // namespace stagerack::engine
