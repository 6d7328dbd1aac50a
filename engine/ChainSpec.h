// The chain SPEC text grammar of DESIGN.md section 1 (a contract read by scripts outside the project):
//   SPEC  = SLOT ('>' SLOT)*
//   SLOT  = NAME [':' PARAM '=' VALUE (',' PARAM '=' VALUE)*]
//   NAME  = built-in id | 'lv2(' URI ')' | 'ladspa(' ID_OR_LABEL ')'
// Whitespace around tokens is ignored. Slot-level parameters every slot accepts: `bypass` (on/off) and
// `dry_wet` (0..1, the slot's own dry/wet, default 1) unless the effect has a parameter of that id.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace stagerack::engine {

struct SlotSpec {
    enum class Kind { Builtin, Lv2, Ladspa };
    Kind kind = Kind::Builtin;
    std::string name; // effect id, LV2 URI or LADSPA id/label
    std::vector<std::pair<std::string, std::string>> params;
};

// Throws stagerack::Error("chain", why) for malformed text. An empty SPEC is an empty chain.
std::vector<SlotSpec> parseChainSpec(const std::string& text);
std::string toChainSpec(const std::vector<SlotSpec>& slots);

} // namespace stagerack::engine
