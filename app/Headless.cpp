#include "app/Headless.h"

#include "engine/Error.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <pthread.h>
#include <thread>

namespace stagerack::app {

namespace {

std::string dbfs(float v) {
    char buf[16];
    if (v <= 1e-6f) return "-inf";
    std::snprintf(buf, sizeof buf, "%.1f", 20.0 * std::log10(static_cast<double>(v)));
    return buf;
}

const char* eventText(engine::EventType t) {
    switch (t) {
    case engine::EventType::NonFiniteOutput:
        return "non-finite output; processor reset, block muted";
    case engine::EventType::NonFiniteInput:
        return "non-finite input; block muted";
    case engine::EventType::ChainAdopted:
        return "chain adopted";
    }
    return "event";
}

} // namespace

int runHeadless(const HeadlessOptions& opt) {
    // Block the signals we wait for before any thread (ours or JACK's) exists, so they reach sigtimedwait.
    sigset_t waitSet;
    sigemptyset(&waitSet);
    sigaddset(&waitSet, SIGINT);
    sigaddset(&waitSet, SIGTERM);
    sigaddset(&waitSet, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &waitSet, nullptr);

    engine::Engine eng;
    eng.setTempo(opt.tempoBpm);
    engine::JackBackend jack(eng, opt.jack);
    eng.setChain(opt.chain);
    for (const auto& w : jack.activate())
        std::fprintf(stderr, "stagerack: %s\n", w.c_str());
    std::fprintf(stderr, "stagerack: running as '%s' at %.0f Hz, %u frames, chain latency %u samples\n",
                 jack.clientName().c_str(), jack.sampleRate(), jack.bufferSize(), eng.latency());

    std::atomic<bool> stop{false};
    std::atomic<uint64_t> nonFiniteReports{0};
    std::thread housekeeping([&] {
        while (!stop.load()) {
            eng.housekeeping([&](const engine::EngineEvent& e) {
                if (e.type == engine::EventType::ChainAdopted) return;
                // At most a few lines a second even under a flood of bad blocks.
                if (nonFiniteReports.fetch_add(1) < 20)
                    std::fprintf(stderr, "stagerack: slot %u: %s\n", e.slotId, eventText(e.type));
            });
            jack.poll();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        eng.housekeeping();
    });

    const auto start = std::chrono::steady_clock::now();
    auto lastStatus = start;
    int exitCode = 0;
    while (true) {
        timespec timeout{0, 50'000'000};
        const int sig = sigtimedwait(&waitSet, nullptr, &timeout);
        if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) break;
        if (jack.serverGone()) {
            std::fprintf(stderr, "stagerack: jack: server shut down%s%s\n",
                         jack.shutdownReason().empty() ? "" : ": ", jack.shutdownReason().c_str());
            exitCode = 3;
            break;
        }
        const auto now = std::chrono::steady_clock::now();
        if (opt.statusInterval > 0 &&
            std::chrono::duration<double>(now - lastStatus).count() >= opt.statusInterval) {
            lastStatus = now;
            const auto m = eng.meters();
            std::printf("DSP %5.2f%% (peak %5.2f%%)  in %s/%s dBFS  out %s/%s dBFS  xruns %llu\n",
                        eng.dspLoad(), eng.takeDspLoadPeak(), dbfs(m.inPeak[0]).c_str(),
                        dbfs(m.inPeak[1]).c_str(), dbfs(m.outPeak[0]).c_str(), dbfs(m.outPeak[1]).c_str(),
                        static_cast<unsigned long long>(jack.xruns()));
            std::fflush(stdout);
        }
        if (opt.runSeconds > 0 && std::chrono::duration<double>(now - start).count() >= opt.runSeconds) break;
    }
    stop.store(true);
    housekeeping.join();
    if (!jack.serverGone()) jack.deactivate();
    return exitCode;
}

} // namespace stagerack::app
