#include "engine/Registry.h"

#include "effects/amp/Amp.h"
#include "effects/cabinet/Cabinet.h"
#include "effects/delay/AnalogDelay.h"
#include "effects/delay/Delay.h"
#include "effects/delay/ReverseDelay.h"
#include "effects/delay/TapeEcho.h"
#include "effects/drive/Distortion.h"
#include "effects/drive/Fuzz.h"
#include "effects/drive/Overdrive.h"
#include "effects/dynamics/Compressor.h"
#include "effects/dynamics/Gate.h"
#include "effects/dynamics/Limiter.h"
#include "effects/eq/Eq.h"
#include "effects/eq/Geq.h"
#include "effects/looper/Looper.h"
#include "effects/modulation/Chorus.h"
#include "effects/modulation/Flanger.h"
#include "effects/modulation/Phaser.h"
#include "effects/modulation/RingMod.h"
#include "effects/modulation/Tremolo.h"
#include "effects/modulation/Vibrato.h"
#include "effects/pitch/Harmonizer.h"
#include "effects/pitch/Octaver.h"
#include "effects/pitch/PitchShift.h"
#include "effects/reverb/ConvolutionReverb.h"
#include "effects/reverb/Reverb.h"
#include "effects/rotary/Rotary.h"
#include "effects/stereo/Exciter.h"
#include "effects/stereo/Widener.h"
#include "effects/utility/Utility.h"
#include "effects/vocoder/Vocoder.h"
#include "effects/wah/Wah.h"
#include "engine/Error.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

namespace stagerack::engine {

const Registry& Registry::builtin() {
    static const Registry registry = [] {
        Registry r;
        // The order `stagerack effects` lists them in: signal-chain order of a guitar rig.
        r.add<fx::Utility>();
        r.add<fx::Gate>();
        r.add<fx::Compressor>();
        r.add<fx::Wah>();
        r.add<fx::Octaver>();
        r.add<fx::Overdrive>();
        r.add<fx::Distortion>();
        r.add<fx::Fuzz>();
        r.add<fx::Amp>();
        r.add<fx::Cabinet>();
        r.add<fx::Eq>();
        r.add<fx::Geq>();
        r.add<fx::PitchShift>();
        r.add<fx::Harmonizer>();
        r.add<fx::Chorus>();
        r.add<fx::Flanger>();
        r.add<fx::Phaser>();
        r.add<fx::Tremolo>();
        r.add<fx::Vibrato>();
        r.add<fx::Rotary>();
        r.add<fx::RingMod>();
        r.add<fx::Vocoder>();
        r.add<fx::Delay>();
        r.add<fx::TapeEcho>();
        r.add<fx::AnalogDelay>();
        r.add<fx::ReverseDelay>();
        r.add<fx::Reverb>();
        r.add<fx::ConvolutionReverb>();
        r.add<fx::Widener>();
        r.add<fx::Exciter>();
        r.add<fx::Looper>();
        r.add<fx::Limiter>();
        return r;
    }();
    return registry;
}

const EffectEntry* Registry::find(std::string_view id) const noexcept {
    for (const auto& e : entries_)
        if (e.info.id == id) return &e;
    return nullptr;
}

namespace {
std::string fmt(float v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
    return buf;
}
} // namespace

float parseParamValue(const fx::ParamInfo& p, std::string_view text) {
    const std::string name(p.id);
    if (text.empty()) throw Error(name, "empty value");
    if (p.taper == fx::Taper::Toggle) {
        if (text == "on" || text == "true" || text == "yes" || text == "1") return 1.f;
        if (text == "off" || text == "false" || text == "no" || text == "0") return 0.f;
        throw Error(name, "'" + std::string(text) + "' is not on/off");
    }
    if (p.taper == fx::Taper::Enum) {
        for (std::size_t i = 0; i < p.labels.size(); ++i)
            if (p.labels[i] == text) return static_cast<float>(i);
    }
    float v = 0.f;
    const char* first = text.data();
    const char* last = text.data() + text.size();
    if (*first == '+') ++first;
    auto [ptr, ec] = std::from_chars(first, last, v);
    if (ec != std::errc() || ptr != last || !std::isfinite(v)) {
        std::string why = "'" + std::string(text) + "' is not a number";
        if (p.taper == fx::Taper::Enum) {
            why = "'" + std::string(text) + "' is not one of";
            for (auto l : p.labels)
                why += " " + std::string(l);
        }
        throw Error(name, why);
    }
    if (v < p.min || v > p.max) {
        std::string unit(fx::unitName(p.unit));
        throw Error(name, "value " + std::string(text) + " out of range " + fmt(p.min) + ".." + fmt(p.max) +
                              (unit.empty() ? "" : " " + unit));
    }
    if ((p.taper == fx::Taper::Integer || p.taper == fx::Taper::Enum) && v != std::round(v))
        throw Error(name, "'" + std::string(text) + "' is not a whole number");
    return v;
}

std::string formatParamValue(const fx::ParamInfo& p, float v) {
    if (p.taper == fx::Taper::Toggle) return v >= 0.5f ? "on" : "off";
    if (p.taper == fx::Taper::Enum) {
        const auto i = static_cast<std::size_t>(std::lround(v));
        if (i < p.labels.size()) return std::string(p.labels[i]);
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
    return buf;
}

} // namespace stagerack::engine
