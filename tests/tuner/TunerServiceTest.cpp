// The live path: the engine's tap feeds the tuner thread, which publishes readings lock-free.
#include "engine/tuner/TunerService.h"
#include "engine/Engine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>

using namespace stagerack;

TEST(TunerService, ReadsTheTappedInputAndPublishesTheLatestReading) {
    engine::Engine eng;
    eng.configure(48000, 256);
    eng.settle();
    eng.setTunerSource(engine::Engine::TunerSource::In1);
    eng.setTunerMute(true);
    tuner::TunerService service(eng.tunerTap(), 48000);
    std::vector<float> in(256), l(256), r(256);
    const double f0 = 82.40689; // E2
    std::size_t t = 0;
    for (int block = 0; block < 48000 * 2 / 256; ++block) {
        for (auto& x : in)
            x = 0.4f * static_cast<float>(std::sin(2 * M_PI * f0 * static_cast<double>(t++) / 48000.0));
        engine::AudioIO io{in.data(), nullptr, nullptr, l.data(), r.data(), 256, {}};
        eng.process(io);
        std::this_thread::sleep_for(std::chrono::microseconds(500)); // let the tuner thread keep up
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (service.latest().timeS < 1.9 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const auto reading = service.latest();
    std::printf("tuner service: %llu readings, last at %.3f s: %.4f Hz\n",
                static_cast<unsigned long long>(service.readings()), reading.timeS, reading.frequencyHz);
    EXPECT_GT(service.readings(), 100u);
    EXPECT_NEAR(1200.0 * std::log2(reading.frequencyHz / f0), 0.0, 0.1) << reading.frequencyHz;
    EXPECT_EQ(l.back(), 0.f) << "muted while tuning";
    EXPECT_EQ(eng.tunerTap().dropped(), 0u);
}
