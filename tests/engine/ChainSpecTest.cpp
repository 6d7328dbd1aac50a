#include "engine/ChainSpec.h"
#include "engine/Error.h"
#include "engine/Registry.h"

#include <gtest/gtest.h>

using namespace stagerack;
using engine::parseChainSpec;
using engine::SlotSpec;

TEST(ChainSpec, ParsesTheDesignExample) {
    const auto s = parseChainSpec("gate>amp:gain=0.7,model=plexi>cabinet>delay:time_ms=375>reverb:mix=0.2");
    ASSERT_EQ(s.size(), 5u);
    EXPECT_EQ(s[0].name, "gate");
    EXPECT_TRUE(s[0].params.empty());
    EXPECT_EQ(s[1].name, "amp");
    ASSERT_EQ(s[1].params.size(), 2u);
    EXPECT_EQ(s[1].params[0], (std::pair<std::string, std::string>{"gain", "0.7"}));
    EXPECT_EQ(s[1].params[1], (std::pair<std::string, std::string>{"model", "plexi"}));
    EXPECT_EQ(s[3].params[0].second, "375");
    EXPECT_EQ(engine::toChainSpec(s),
              "gate>amp:gain=0.7,model=plexi>cabinet>delay:time_ms=375>reverb:mix=0.2");
}

TEST(ChainSpec, IgnoresWhitespaceAndAcceptsAnEmptyChain) {
    EXPECT_TRUE(parseChainSpec("").empty());
    EXPECT_TRUE(parseChainSpec("   ").empty());
    const auto s = parseChainSpec(" gate : threshold_db = -40 , hold_ms=10 > delay ");
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s[0].params[0].first, "threshold_db");
    EXPECT_EQ(s[0].params[0].second, "-40");
    EXPECT_EQ(s[1].name, "delay");
}

TEST(ChainSpec, HostedPluginNamesMayContainColonsAndSlashes) {
    const auto s = parseChainSpec("lv2(http://calf.sourceforge.net/plugins/Reverb):amount=0.5>ladspa(1043)");
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s[0].kind, SlotSpec::Kind::Lv2);
    EXPECT_EQ(s[0].name, "http://calf.sourceforge.net/plugins/Reverb");
    EXPECT_EQ(s[0].params[0].first, "amount");
    EXPECT_EQ(s[1].kind, SlotSpec::Kind::Ladspa);
    EXPECT_EQ(s[1].name, "1043");
    EXPECT_EQ(engine::toChainSpec(s),
              "lv2(http://calf.sourceforge.net/plugins/Reverb):amount=0.5>ladspa(1043)");
}

TEST(ChainSpec, MalformedTextIsRefusedWithTheSlotNamed) {
    const char* bad[] = {"gate>>delay", ">gate",   "gate>", "gate:",        "gate:threshold_db",
                         "gate:=3",     "gate:x=", "ga te", "lv2(http://x", "delay:time_ms=3,,mix=1",
                         "gate;delay",  "lv2()"};
    for (const char* text : bad) {
        try {
            parseChainSpec(text);
            ADD_FAILURE() << "accepted: " << text;
        } catch (const Error& e) {
            const std::string what = e.what();
            EXPECT_EQ(what.rfind("chain: ", 0), 0u) << what;
            EXPECT_EQ(what.find('\n'), std::string::npos);
        }
    }
}

TEST(ParamValue, NumbersEnumsAndTogglesAreCheckedAgainstTheParameter) {
    static constexpr std::string_view labels[] = {"clean", "crunch", "lead"};
    const fx::ParamInfo num{"time_ms", "Time", 1.f, 2000.f, 375.f, fx::Unit::Milliseconds};
    const fx::ParamInfo en{"model", "Model", 0.f, 2.f, 0.f, fx::Unit::None, fx::Taper::Enum, 0.f, labels};
    const fx::ParamInfo tog{"pingpong", "Ping-pong", 0.f, 1.f, 0.f, fx::Unit::None, fx::Taper::Toggle, 0.f};
    EXPECT_EQ(engine::parseParamValue(num, "375"), 375.f);
    EXPECT_EQ(engine::parseParamValue(num, "1.5"), 1.5f);
    EXPECT_EQ(engine::parseParamValue(num, "+2000"), 2000.f);
    EXPECT_EQ(engine::parseParamValue(en, "crunch"), 1.f);
    EXPECT_EQ(engine::parseParamValue(en, "2"), 2.f);
    EXPECT_EQ(engine::parseParamValue(tog, "on"), 1.f);
    EXPECT_EQ(engine::parseParamValue(tog, "off"), 0.f);
    for (auto [p, text] : {std::pair{num, "0.5"},
                           {num, "2000.1"},
                           {num, "abc"},
                           {num, "12ms"},
                           {num, "nan"},
                           {num, "inf"},
                           {en, "metal"},
                           {en, "1.5"},
                           {en, "3"},
                           {tog, "maybe"}}) {
        EXPECT_THROW(engine::parseParamValue(p, text), Error) << text;
    }
    try {
        engine::parseParamValue(num, "5000");
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "time_ms: value 5000 out of range 1..2000 ms");
    }
}
