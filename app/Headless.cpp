#include "app/Headless.h"

#include "engine/Error.h"
#include "engine/tuner/TunerService.h"
#include "engine/tuner/Tuning.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <memory>
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

engine::Engine::TunerSource tunerSourceOf(const std::string& name) {
    if (name == "in_1") return engine::Engine::TunerSource::In1;
    if (name == "in_2") return engine::Engine::TunerSource::In2;
    if (name == "sum") return engine::Engine::TunerSource::Sum;
    throw Error("--tuner", "'" + name + "' is not an input (in_1, in_2 or sum)");
}

tuner::Tuning tuningOf(const HeadlessOptions& opt) {
    try {
        tuner::Tuning tuning = tuner::Tuning::equal(12, 440.0);
        tuning.setReference(opt.tunerReferenceHz);
        if (!opt.tunerInstrument.empty()) tuning.setInstrument(opt.tunerInstrument);
        return tuning;
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error("tuner", e.what());
    }
}

// One line per interval: "tuner: A2 +0.31 cents 110.0197 Hz confidence 0.98" (plus "string N" with an
// instrument, 1 = the highest string), or "tuner: --" when no note sounds.
void printTuner(const tuner::Tuning& tuning, bool instrument, const tuner::PitchReading& r) {
    if (r.frequencyHz <= 0.0) {
        std::printf("tuner: --\n");
        return;
    }
    const auto note = instrument ? tuning.nearestString(r.frequencyHz) : tuning.nearest(r.frequencyHz);
    std::printf("tuner: %s%d %+.2f cents %.4f Hz confidence %.2f", note.note.c_str(), note.octave, note.cents,
                r.frequencyHz, r.confidence);
    // Strings are numbered as players do: 1 is the highest.
    if (note.stringIndex >= 0)
        std::printf(" string %d", static_cast<int>(tuning.strings().size()) - note.stringIndex);
    std::printf("\n");
}

} // namespace

void validateTunerOptions(const HeadlessOptions& opt) {
    if (opt.tunerSource.empty()) {
        if (opt.tunerMute) throw Error("--tuner-mute", "needs --tuner in_1|in_2|sum");
        return;
    }
    tunerSourceOf(opt.tunerSource);
    tuningOf(opt);
    if (!(opt.tunerInterval >= 0.02 && opt.tunerInterval <= 10.0))
        throw Error("--tuner-interval", std::to_string(opt.tunerInterval) + " s is outside 0.02..10");
}

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

    // The live tuner: the engine copies the chosen input into its tap, the service's thread analyses it.
    std::unique_ptr<tuner::TunerService> tunerService;
    const bool tunerOn = !opt.tunerSource.empty();
    const tuner::Tuning tuning = tuningOf(opt);
    if (tunerOn) {
        eng.setTunerMute(opt.tunerMute);
        eng.setTunerSource(tunerSourceOf(opt.tunerSource));
        tunerService = std::make_unique<tuner::TunerService>(eng.tunerTap(), jack.sampleRate());
    }

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
    auto lastTuner = start;
    int exitCode = 0;
    while (true) {
        timespec timeout{0, tunerOn ? 10'000'000 : 50'000'000};
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
        if (tunerService && std::chrono::duration<double>(now - lastTuner).count() >= opt.tunerInterval) {
            lastTuner = now;
            printTuner(tuning, !opt.tunerInstrument.empty(), tunerService->latest());
            std::fflush(stdout);
        }
        if (opt.runSeconds > 0 && std::chrono::duration<double>(now - start).count() >= opt.runSeconds) break;
    }
    stop.store(true);
    housekeeping.join();
    tunerService.reset();
    if (!jack.serverGone()) jack.deactivate();
    return exitCode;
}

} // namespace stagerack::app
