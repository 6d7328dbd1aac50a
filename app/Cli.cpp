#include "app/Cli.h"

#include "app/Bench.h"
#include "app/Headless.h"
#include "app/Tune.h"
#include "engine/Error.h"
#include "engine/OfflineRenderer.h"
#include "engine/Registry.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <string>

#ifndef STAGERACK_VERSION
#define STAGERACK_VERSION "0.0.0"
#endif

namespace stagerack::app {

namespace {

using nlohmann::json;

json paramJson(const fx::ParamInfo& p) {
    json labels = json::array();
    for (auto l : p.labels)
        labels.push_back(std::string(l));
    return {{"id", std::string(p.id)},
            {"name", std::string(p.name)},
            {"unit", std::string(fx::unitName(p.unit))},
            {"min", p.min},
            {"max", p.max},
            {"default", p.def},
            {"scale", std::string(fx::taperName(p.taper))},
            {"labels", labels}};
}

uint32_t latencyOf(const engine::EffectEntry& e) {
    auto proc = e.create();
    proc->prepare(48000.0, 256);
    return proc->latency();
}

int listEffects(bool asJson) {
    const auto& reg = engine::Registry::builtin();
    if (asJson) {
        json arr = json::array();
        for (const auto& e : reg.all()) {
            json params = json::array();
            for (const auto& p : e.info.params)
                params.push_back(paramJson(p));
            json properties = json::array();
            for (const auto& p : e.info.properties)
                properties.push_back({{"id", std::string(p.id)},
                                      {"name", std::string(p.name)},
                                      {"help", std::string(p.help)}});
            arr.push_back({{"id", std::string(e.info.id)},
                           {"name", std::string(e.info.name)},
                           {"category", std::string(e.info.category)},
                           {"help", std::string(e.info.help)},
                           {"latency_samples", latencyOf(e)},
                           {"params", params},
                           {"properties", properties}});
        }
        std::cout << arr.dump(2) << "\n";
        return 0;
    }
    for (const auto& e : reg.all())
        std::printf("%-16s %-12s %s\n", std::string(e.info.id).c_str(), std::string(e.info.category).c_str(),
                    std::string(e.info.name).c_str());
    return 0;
}

std::string rangeText(const fx::ParamInfo& p) {
    const std::string unit(fx::unitName(p.unit));
    auto num = [](float v) {
        char b[32];
        std::snprintf(b, sizeof b, "%g", static_cast<double>(v));
        return std::string(b);
    };
    if (p.taper == fx::Taper::Toggle)
        return "on/off (default " + std::string(p.def >= 0.5f ? "on" : "off") + ")";
    if (p.taper == fx::Taper::Enum) {
        std::string s;
        for (std::size_t i = 0; i < p.labels.size(); ++i)
            s += (i ? " | " : "") + std::string(p.labels[i]);
        return s + " (default " + engine::formatParamValue(p, p.def) + ")";
    }
    return num(p.min) + " .. " + num(p.max) + (unit.empty() ? "" : " " + unit) + " (default " + num(p.def) +
           ")";
}

int helpEffect(const std::string& id) {
    const auto* e = engine::Registry::builtin().find(id);
    if (!e) throw Error(id, "unknown effect (see 'stagerack effects')");
    std::printf("%s - %s [%s]\n\n%s\n\nLatency: %u samples\n\nParameters:\n", std::string(e->info.id).c_str(),
                std::string(e->info.name).c_str(), std::string(e->info.category).c_str(),
                std::string(e->info.help).c_str(), latencyOf(*e));
    for (const auto& p : e->info.params) {
        std::printf("  %-14s %-14s %s\n", std::string(p.id).c_str(), std::string(p.name).c_str(),
                    rangeText(p).c_str());
        if (!p.help.empty()) std::printf("  %-14s %s\n", "", std::string(p.help).c_str());
    }
    for (const auto& p : e->info.properties) {
        std::printf("  %-14s %-14s text (a file path; no ',' or '>' inside a chain SPEC)\n",
                    std::string(p.id).c_str(), std::string(p.name).c_str());
        if (!p.help.empty()) std::printf("  %-14s %s\n", "", std::string(p.help).c_str());
    }
    std::printf("\nEvery slot also takes: bypass (on/off) and dry_wet (0..1, default 1).\n"
                "Example: stagerack render in.wav out.wav --chain '%s'\n",
                std::string(e->info.id).c_str());
    return 0;
}

} // namespace

int runCli(int argc, char** argv) {
    CLI::App app{"stagerack - realtime audio effects rack for JACK", "stagerack"};
    app.set_version_flag("--version", std::string("stagerack ") + STAGERACK_VERSION);
    app.require_subcommand(0, 1);

    HeadlessOptions headless;
    bool headlessFlag = false;
    std::vector<std::string> midiIn;
    std::string session, preset, bank;
    app.add_flag("--headless", headlessFlag, "Run the engine without the GUI");
    app.add_option("--jack-name", headless.jack.clientName, "JACK client name")->capture_default_str();
    app.add_option("--server", headless.jack.serverName, "JACK server name");
    app.add_option("--connect-in", headless.jack.connectIn, "Ports to connect to in_1 (and in_2)")
        ->expected(1, 2);
    app.add_option("--connect-out", headless.jack.connectOut, "Ports to connect out_L (and out_R) to")
        ->expected(1, 2);
    app.add_option("--midi-in", midiIn, "MIDI ports to connect to midi_in")->expected(0, -1);
    app.add_option("--chain", headless.chain, "Chain SPEC, e.g. 'gate>delay:time_ms=375'");
    app.add_option("--session", session, "Session file");
    app.add_option("--preset", preset, "Preset name");
    app.add_option("--bank", bank, "Bank file");
    app.add_option("--tempo", headless.tempoBpm, "Global tempo in BPM for tempo-synced effects")
        ->check(CLI::Range(20.0, 300.0))
        ->capture_default_str();
    app.add_option("--status-interval", headless.statusInterval, "Print DSP load and levels every N seconds")
        ->check(CLI::Range(0.0, 3600.0));
    app.add_option("--tuner", headless.tunerSource,
                   "Live tuner on stdout from this input: in_1, in_2 or sum (one line per interval)");
    app.add_flag("--tuner-mute", headless.tunerMute, "Mute the output (crossfaded) while the tuner runs");
    app.add_option("--tuner-reference", headless.tunerReferenceHz, "Tuner A4 reference in Hz (400..480)")
        ->capture_default_str();
    app.add_option("--tuner-instrument", headless.tunerInstrument,
                   "Named tuning whose nearest string the tuner shows (see 'stagerack tune --help')");
    app.add_option("--tuner-interval", headless.tunerInterval, "Seconds between tuner lines (0.02..10)")
        ->capture_default_str();
    app.add_option("--run-seconds", headless.runSeconds, "Stop after N seconds (0: until Ctrl-C)")
        ->check(CLI::Range(0.0, 1e9));

    engine::RenderOptions render;
    std::string renderPreset;
    auto* renderCmd =
        app.add_subcommand("render", "Render a file through a chain, offline and deterministic");
    renderCmd->add_option("input", render.input, "Input WAV (mono or stereo)")->required();
    renderCmd->add_option("output", render.output, "Output WAV (stereo, 32-bit float)")->required();
    auto* renderChain = renderCmd->add_option("--chain", render.chain, "Chain SPEC");
    auto* renderPresetOpt = renderCmd->add_option("--preset", renderPreset, "Preset name");
    renderChain->excludes(renderPresetOpt);
    renderCmd->add_option("--block", render.block, "Block size in frames (1..8192)")->capture_default_str();
    renderCmd
        ->add_option("--tempo", render.tempoBpm, "Global tempo in BPM (20..300) for tempo-synced effects")
        ->capture_default_str();
    renderCmd->add_option("--tail", render.tailSeconds, "Seconds of silence appended for ring-out")
        ->capture_default_str();

    bool effectsJson = false;
    auto* effectsCmd = app.add_subcommand("effects", "List built-in effects");
    effectsCmd->add_flag("--json", effectsJson, "Machine-readable output");

    std::string helpId;
    auto* helpCmd = app.add_subcommand("help", "Full help of one effect");
    helpCmd->add_option("effect", helpId, "Effect id")->required();

    TuneOptions tune;
    auto* tuneCmd = app.add_subcommand(
        "tune", "Tuner readings over a file (CSV: time_s,frequency_hz,note,cents,confidence)");
    tuneCmd->add_option("input", tune.input, "Input audio file (any sample rate 22.05..192 kHz)")->required();
    tuneCmd->add_flag("--csv", tune.csv, "Machine-readable CSV, one row per analysis hop");
    tuneCmd->add_option("--reference", tune.referenceHz, "A4 reference in Hz (400..480, 0.1 Hz steps)")
        ->capture_default_str();
    tuneCmd->add_option("--channel", tune.channel, "Channel to analyse (1..N; 0 = the sum)")
        ->capture_default_str();
    tuneCmd->add_option("--edo", tune.divisions, "Equal temperament: divisions of the octave (5..72)")
        ->capture_default_str();
    tuneCmd->add_option("--scala", tune.scala, "A Scala .scl tuning file instead of equal temperament");
    tuneCmd->add_option(
        "--instrument", tune.instrument,
        "Show the target string: standard, drop_d, dadgad, open_g, open_d, half_step_down, bass_4, "
        "bass_5, bass_6");

    BenchOptions bench;
    bool benchJson = false;
    auto* benchCmd = app.add_subcommand("bench", "Measure the cost of each effect and of a chain");
    benchCmd->add_flag("--json", benchJson, "Machine-readable output");
    benchCmd->add_option("--chain", bench.chain, "Also measure this chain (whole engine)");
    benchCmd->add_option("--effect", bench.only, "Measure only this effect");
    benchCmd->add_option("--block", bench.block, "Block size")->capture_default_str();
    benchCmd->add_option("--rate", bench.rate, "Sample rate in Hz")->capture_default_str();
    benchCmd->add_option("--seconds", bench.seconds, "Audio seconds per repetition")
        ->check(CLI::Range(0.01, 60.0))
        ->capture_default_str();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);
        std::string msg = e.what();
        for (auto& c : msg)
            if (c == '\n') c = ' ';
        std::fprintf(stderr, "stagerack: usage: %s (see --help)\n", msg.c_str());
        return 2;
    }

    try {
        if (*renderCmd) {
            if (!renderPreset.empty())
                throw Error("preset " + renderPreset, "presets are not available in this build yet");
            engine::renderFile(render);
            return 0;
        }
        if (*effectsCmd) return listEffects(effectsJson);
        if (*tuneCmd) return runTune(tune);
        if (*helpCmd) return helpEffect(helpId);
        if (*benchCmd) {
            const auto results = runBench(bench);
            if (benchJson) {
                nlohmann::json arr = nlohmann::json::array();
                for (const auto& r : results)
                    arr.push_back({{"name", r.name},
                                   {"ns_per_sample", r.nsPerSample},
                                   {"percent_core", r.percentCore}});
                nlohmann::json out = {{"rate", bench.rate}, {"block", bench.block}, {"results", arr}};
                std::cout << out.dump(2) << "\n";
            } else {
                std::printf("%-52s %12s %14s\n", "name", "ns/sample", "% of one core");
                for (const auto& r : results)
                    std::printf("%-52s %12.2f %14.4f\n", r.name.c_str(), r.nsPerSample, r.percentCore);
                std::printf("(rate %.0f Hz, block %u; %% of one core = ns/sample x rate)\n", bench.rate,
                            bench.block);
            }
            return 0;
        }
        if (!session.empty() || !preset.empty() || !bank.empty())
            throw Error("sessions and presets", "not available in this build yet");
        if (!midiIn.empty()) throw Error("--midi-in", "MIDI input is not available in this build yet");
        if (!headlessFlag)
            std::fprintf(stderr, "stagerack: gui: not built yet; running headless (Ctrl-C to stop)\n");
        // Validate the chain before touching JACK, so a typo is reported as such.
        engine::parseChainSpec(headless.chain);
        validateTunerOptions(headless);
        return runHeadless(headless);
    } catch (const Error& e) {
        std::fprintf(stderr, "stagerack: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "stagerack: error: %s\n", e.what());
        return 1;
    }
}

} // namespace stagerack::app
