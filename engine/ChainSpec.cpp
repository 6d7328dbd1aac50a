#include "engine/ChainSpec.h"

#include "engine/Error.h"

#include <cctype>

namespace stagerack::engine {

namespace {

std::string trim(const std::string& s) {
    std::size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b])))
        ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1])))
        --e;
    return s.substr(b, e - b);
}

bool isIdent(const std::string& s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
    return true;
}

SlotSpec parseSlot(const std::string& raw, std::size_t index) {
    const std::string where = "slot " + std::to_string(index + 1);
    std::string text = trim(raw);
    if (text.empty()) throw Error("chain", where + " is empty");
    SlotSpec slot;
    std::size_t rest = 0;
    auto hosted = [&](const char* prefix, SlotSpec::Kind kind) {
        const std::string p(prefix);
        if (text.rfind(p, 0) != 0) return false;
        const auto close = text.find(')', p.size());
        if (close == std::string::npos) throw Error("chain", where + ": missing ')' after " + p);
        slot.kind = kind;
        slot.name = trim(text.substr(p.size(), close - p.size()));
        if (slot.name.empty()) throw Error("chain", where + ": empty plugin name in " + p + ")");
        rest = close + 1;
        return true;
    };
    if (!hosted("lv2(", SlotSpec::Kind::Lv2) && !hosted("ladspa(", SlotSpec::Kind::Ladspa)) {
        const auto colon = text.find(':');
        slot.name = trim(text.substr(0, colon));
        rest = colon == std::string::npos ? text.size() : colon;
        if (!isIdent(slot.name)) throw Error("chain", where + ": bad effect name '" + slot.name + "'");
    }
    std::string tail = trim(text.substr(rest));
    if (tail.empty()) return slot;
    if (tail[0] != ':') throw Error("chain", where + ": expected ':' after '" + slot.name + "'");
    tail = tail.substr(1);
    std::size_t pos = 0;
    while (true) {
        const auto comma = tail.find(',', pos);
        const std::string item =
            trim(tail.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
        const auto eq = item.find('=');
        if (eq == std::string::npos)
            throw Error("chain", where + " (" + slot.name + "): expected PARAM=VALUE, got '" + item + "'");
        std::string key = trim(item.substr(0, eq));
        std::string value = trim(item.substr(eq + 1));
        if (!isIdent(key))
            throw Error("chain", where + " (" + slot.name + "): bad parameter name '" + key + "'");
        if (value.empty())
            throw Error("chain", where + " (" + slot.name + "): empty value for '" + key + "'");
        slot.params.emplace_back(std::move(key), std::move(value));
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
    return slot;
}

} // namespace

std::vector<SlotSpec> parseChainSpec(const std::string& text) {
    std::vector<SlotSpec> slots;
    if (trim(text).empty()) return slots;
    // Split on '>' outside parentheses (an LV2 URI may not contain ')' but the split must skip it).
    std::size_t start = 0;
    int depth = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        const char c = i < text.size() ? text[i] : '>';
        if (c == '(')
            ++depth;
        else if (c == ')')
            depth = depth > 0 ? depth - 1 : 0;
        else if (c == '>' && (depth == 0 || i == text.size())) {
            slots.push_back(parseSlot(text.substr(start, i - start), slots.size()));
            start = i + 1;
        }
    }
    return slots;
}

std::string toChainSpec(const std::vector<SlotSpec>& slots) {
    std::string out;
    for (std::size_t i = 0; i < slots.size(); ++i) {
        const auto& s = slots[i];
        if (i) out += '>';
        switch (s.kind) {
        case SlotSpec::Kind::Builtin:
            out += s.name;
            break;
        case SlotSpec::Kind::Lv2:
            out += "lv2(" + s.name + ")";
            break;
        case SlotSpec::Kind::Ladspa:
            out += "ladspa(" + s.name + ")";
            break;
        }
        for (std::size_t p = 0; p < s.params.size(); ++p)
            out += (p ? "," : ":") + s.params[p].first + "=" + s.params[p].second;
    }
    return out;
}

} // namespace stagerack::engine
