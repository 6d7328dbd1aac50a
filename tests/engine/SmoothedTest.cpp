#include "effects/dsp/Smoothed.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace stagerack;

TEST(LinearSmoothed, ReachesTargetExactlyAfterTheRampWithConstantSteps) {
    dsp::LinearSmoothed s;
    s.prepare(48000.0, 10.f); // 480 samples
    s.setImmediate(0.f);
    s.setTarget(1.f);
    float prev = 0.f;
    for (int i = 0; i < 479; ++i) {
        const float v = s.next();
        EXPECT_NEAR(v - prev, 1.f / 480.f, 1e-6f);
        prev = v;
    }
    EXPECT_EQ(s.next(), 1.f);
    EXPECT_FALSE(s.smoothing());
    EXPECT_EQ(s.next(), 1.f);
}

TEST(LinearSmoothed, RetargetingMidRampStartsFromTheCurrentValue) {
    dsp::LinearSmoothed s;
    s.prepare(1000.0, 10.f); // 10 samples
    s.setImmediate(0.f);
    s.setTarget(1.f);
    for (int i = 0; i < 5; ++i)
        s.next();
    EXPECT_NEAR(s.current(), 0.5f, 1e-6f);
    s.setTarget(0.f);
    EXPECT_NEAR(s.next(), 0.45f, 1e-6f);
    EXPECT_EQ(s.skip(100), 0.f);
}

TEST(MultiplicativeSmoothed, MovesByAConstantRatio) {
    dsp::MultiplicativeSmoothed s;
    s.prepare(1000.0, 10.f);
    s.setImmediate(100.f);
    s.setTarget(1000.f);
    float prev = 100.f;
    for (int i = 0; i < 9; ++i) {
        const float v = s.next();
        EXPECT_NEAR(v / prev, std::pow(10.f, 0.1f), 1e-4f);
        prev = v;
    }
    EXPECT_EQ(s.next(), 1000.f);
}
