// JACK backend (libjack directly): ports in_1, in_2, carrier_in, out_L, out_R, midi_in; the process
// callback runs Engine::process; latency, buffer-size, sample-rate and shutdown are handled off the
// audio thread.
#pragma once

#include "engine/Engine.h"

#include <jack/jack.h>

#include <array>
#include <atomic>
#include <string>
#include <vector>

namespace stagerack::engine {

struct JackOptions {
    std::string clientName = "stagerack";
    std::string serverName;              // empty: JACK's default ($JACK_DEFAULT_SERVER or "default")
    std::vector<std::string> connectIn;  // first -> in_1, second -> in_2
    std::vector<std::string> connectOut; // first -> out_L, second -> out_R
    bool startServer = false;            // never autostart a server unless asked
};

class JackBackend {
public:
    // Opens the client and registers the ports. Throws stagerack::Error when no server answers.
    JackBackend(Engine& engine, const JackOptions& options);
    ~JackBackend();
    JackBackend(const JackBackend&) = delete;
    JackBackend& operator=(const JackBackend&) = delete;

    // Activates and makes the requested connections. Returns one warning line per connection that
    // failed (the rack keeps running).
    std::vector<std::string> activate();
    void deactivate();

    // Control thread, a few times a second: refreshes connection state and reported latency.
    void poll();

    bool serverGone() const noexcept { return shutdown_.load(std::memory_order_acquire); }
    std::string shutdownReason() const;
    uint64_t xruns() const noexcept { return xruns_.load(std::memory_order_relaxed); }
    jack_client_t* client() const noexcept { return client_; }
    std::string clientName() const;
    std::string portName(const char* shortName) const;
    double sampleRate() const noexcept;
    uint32_t bufferSize() const noexcept;
    uint32_t reportedLatency() const noexcept { return reportedLatency_.load(std::memory_order_relaxed); }

private:
    static int processCallback(jack_nframes_t nframes, void* arg);
    static int bufferSizeCallback(jack_nframes_t nframes, void* arg);
    static int sampleRateCallback(jack_nframes_t rate, void* arg);
    static void latencyCallback(jack_latency_callback_mode_t mode, void* arg);
    static void portConnectCallback(jack_port_id_t a, jack_port_id_t b, int connect, void* arg);
    static void shutdownCallback(jack_status_t code, const char* reason, void* arg);
    static int xrunCallback(void* arg);
    void refreshConnections() noexcept;

    Engine& engine_;
    jack_client_t* client_ = nullptr;
    jack_port_t* in1_ = nullptr;
    jack_port_t* in2_ = nullptr;
    jack_port_t* carrier_ = nullptr;
    jack_port_t* outL_ = nullptr;
    jack_port_t* outR_ = nullptr;
    jack_port_t* midiIn_ = nullptr;
    JackOptions options_;
    bool active_ = false;

    std::array<fx::MidiEvent, Engine::kMaxMidiEvents> midi_{};
    std::atomic<bool> in2Connected_{false};
    std::atomic<bool> carrierConnected_{false};
    std::atomic<bool> shutdown_{false};
    std::atomic<uint64_t> xruns_{0};
    std::atomic<uint32_t> reportedLatency_{0};
    char shutdownReason_[256]{};
};

} // namespace stagerack::engine
