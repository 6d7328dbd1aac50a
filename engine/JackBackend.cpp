#include "engine/JackBackend.h"

#include "engine/Error.h"
#include "engine/RtScope.h"

#include <jack/midiport.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace stagerack::engine {

namespace {
// libjack prints its own multi-line diagnostics to stderr; we report one line of our own instead.
void quietJack(const char*) {}
} // namespace

JackBackend::JackBackend(Engine& engine, const JackOptions& options)
    : engine_(engine)
    , options_(options) {
    jack_set_error_function(quietJack);
    jack_set_info_function(quietJack);
    int flags = options.startServer ? JackNullOption : JackNoStartServer;
    if (!options.serverName.empty()) flags |= JackServerName;
    jack_status_t status{};
    client_ = options.serverName.empty()
                  ? jack_client_open(options.clientName.c_str(), static_cast<jack_options_t>(flags), &status)
                  : jack_client_open(options.clientName.c_str(), static_cast<jack_options_t>(flags), &status,
                                     options.serverName.c_str());
    if (!client_) {
        const std::string server =
            options.serverName.empty() ? "default server" : "server '" + options.serverName + "'";
        std::string why = "cannot connect to " + server;
        if (status & JackServerFailed)
            why += " (is jackd running?)";
        else if (status & JackNameNotUnique)
            why += " (client name taken)";
        throw Error("jack", why);
    }
    auto reg = [&](const char* name, const char* type, unsigned long portFlags) {
        jack_port_t* p = jack_port_register(client_, name, type, portFlags, 0);
        if (!p) {
            jack_client_close(client_);
            client_ = nullptr;
            throw Error("jack", std::string("cannot register port ") + name);
        }
        return p;
    };
    in1_ = reg("in_1", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput);
    in2_ = reg("in_2", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput);
    carrier_ = reg("carrier_in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput);
    outL_ = reg("out_L", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput);
    outR_ = reg("out_R", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput);
    midiIn_ = reg("midi_in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput);

    jack_set_process_callback(client_, processCallback, this);
    jack_set_buffer_size_callback(client_, bufferSizeCallback, this);
    jack_set_sample_rate_callback(client_, sampleRateCallback, this);
    jack_set_latency_callback(client_, latencyCallback, this);
    jack_set_port_connect_callback(client_, portConnectCallback, this);
    jack_set_xrun_callback(client_, xrunCallback, this);
    jack_on_info_shutdown(client_, shutdownCallback, this);

    engine_.configure(jack_get_sample_rate(client_), jack_get_buffer_size(client_));
    engine_.settle();
}

JackBackend::~JackBackend() {
    if (client_) {
        if (!serverGone()) deactivate();
        jack_client_close(client_);
    }
}

std::vector<std::string> JackBackend::activate() {
    engine_.settle();
    reportedLatency_.store(engine_.latency());
    if (jack_activate(client_) != 0) throw Error("jack", "cannot activate client");
    active_ = true;
    std::vector<std::string> warnings;
    auto connect = [&](const std::string& from, const std::string& to) {
        const int rc = jack_connect(client_, from.c_str(), to.c_str());
        if (rc != 0 && rc != EEXIST)
            warnings.push_back("connect: " + from + " -> " + to + ": failed (no such port?)");
    };
    const char* ins[] = {"in_1", "in_2"};
    const char* outs[] = {"out_L", "out_R"};
    for (std::size_t i = 0; i < options_.connectIn.size(); ++i) {
        if (i >= 2) {
            warnings.push_back("connect: " + options_.connectIn[i] + ": only two inputs (in_1, in_2)");
            continue;
        }
        connect(options_.connectIn[i], portName(ins[i]));
    }
    for (std::size_t i = 0; i < options_.connectOut.size(); ++i) {
        if (i >= 2) {
            warnings.push_back("connect: " + options_.connectOut[i] + ": only two outputs (out_L, out_R)");
            continue;
        }
        connect(portName(outs[i]), options_.connectOut[i]);
    }
    refreshConnections();
    return warnings;
}

void JackBackend::deactivate() {
    if (active_ && client_) jack_deactivate(client_);
    active_ = false;
}

std::string JackBackend::clientName() const {
    return jack_get_client_name(client_);
}

std::string JackBackend::portName(const char* shortName) const {
    return clientName() + ":" + shortName;
}

double JackBackend::sampleRate() const noexcept {
    return jack_get_sample_rate(client_);
}
uint32_t JackBackend::bufferSize() const noexcept {
    return jack_get_buffer_size(client_);
}

std::string JackBackend::shutdownReason() const {
    return shutdownReason_;
}

void JackBackend::refreshConnections() noexcept {
    in2Connected_.store(jack_port_connected(in2_) > 0, std::memory_order_relaxed);
    carrierConnected_.store(jack_port_connected(carrier_) > 0, std::memory_order_relaxed);
}

void JackBackend::poll() {
    if (serverGone() || !client_) return;
    refreshConnections();
    const uint32_t latency = engine_.latency();
    if (latency != reportedLatency_.load(std::memory_order_relaxed)) {
        reportedLatency_.store(latency, std::memory_order_relaxed);
        jack_recompute_total_latencies(client_);
    }
}

int JackBackend::processCallback(jack_nframes_t nframes, void* arg) {
    auto* self = static_cast<JackBackend*>(arg);
    rt::AudioThreadScope scope;
    AudioIO io;
    io.in1 = static_cast<const float*>(jack_port_get_buffer(self->in1_, nframes));
    if (self->in2Connected_.load(std::memory_order_relaxed))
        io.in2 = static_cast<const float*>(jack_port_get_buffer(self->in2_, nframes));
    if (self->carrierConnected_.load(std::memory_order_relaxed))
        io.carrier = static_cast<const float*>(jack_port_get_buffer(self->carrier_, nframes));
    io.outL = static_cast<float*>(jack_port_get_buffer(self->outL_, nframes));
    io.outR = static_cast<float*>(jack_port_get_buffer(self->outR_, nframes));
    io.frames = nframes;

    void* midiBuf = jack_port_get_buffer(self->midiIn_, nframes);
    const uint32_t count = jack_midi_get_event_count(midiBuf);
    std::size_t n = 0;
    for (uint32_t i = 0; i < count && n < self->midi_.size(); ++i) {
        jack_midi_event_t ev;
        if (jack_midi_event_get(&ev, midiBuf, i) != 0 || ev.size == 0 || ev.size > 3)
            continue; // no SysEx yet
        auto& m = self->midi_[n++];
        m.offset = ev.time;
        m.size = static_cast<uint8_t>(ev.size);
        m.data = {};
        std::memcpy(m.data.data(), ev.buffer, ev.size);
    }
    io.midi = std::span<const fx::MidiEvent>(self->midi_.data(), n);
    self->engine_.process(io);
    return 0;
}

int JackBackend::bufferSizeCallback(jack_nframes_t nframes, void* arg) {
    // JACK2 calls this on a non-RT thread, possibly while process() runs: a chain rebuild, published
    // like any other. The engine also splits blocks, so the first block of the new size is safe.
    auto* self = static_cast<JackBackend*>(arg);
    try {
        self->engine_.configure(jack_get_sample_rate(self->client_), nframes);
    } catch (...) {
        return 1;
    }
    return 0;
}

int JackBackend::sampleRateCallback(jack_nframes_t rate, void* arg) {
    auto* self = static_cast<JackBackend*>(arg);
    try {
        self->engine_.configure(rate, jack_get_buffer_size(self->client_));
    } catch (...) {
        return 1;
    }
    return 0;
}

void JackBackend::latencyCallback(jack_latency_callback_mode_t mode, void* arg) {
    auto* self = static_cast<JackBackend*>(arg);
    const uint32_t latency = self->engine_.latency();
    self->reportedLatency_.store(latency, std::memory_order_relaxed);
    jack_latency_range_t range;
    if (mode == JackCaptureLatency) {
        jack_latency_range_t r2;
        jack_port_get_latency_range(self->in1_, JackCaptureLatency, &range);
        jack_port_get_latency_range(self->in2_, JackCaptureLatency, &r2);
        range.min = std::min(range.min, r2.min) + latency;
        range.max = std::max(range.max, r2.max) + latency;
        jack_port_set_latency_range(self->outL_, JackCaptureLatency, &range);
        jack_port_set_latency_range(self->outR_, JackCaptureLatency, &range);
    } else {
        jack_latency_range_t r2;
        jack_port_get_latency_range(self->outL_, JackPlaybackLatency, &range);
        jack_port_get_latency_range(self->outR_, JackPlaybackLatency, &r2);
        range.min = std::min(range.min, r2.min) + latency;
        range.max = std::max(range.max, r2.max) + latency;
        jack_port_set_latency_range(self->in1_, JackPlaybackLatency, &range);
        jack_port_set_latency_range(self->in2_, JackPlaybackLatency, &range);
        jack_port_set_latency_range(self->carrier_, JackPlaybackLatency, &range);
    }
}

void JackBackend::portConnectCallback(jack_port_id_t, jack_port_id_t, int, void* arg) {
    static_cast<JackBackend*>(arg)->refreshConnections();
}

void JackBackend::shutdownCallback(jack_status_t, const char* reason, void* arg) {
    // Runs like a signal handler: only copy and flag; the main loop reports it.
    auto* self = static_cast<JackBackend*>(arg);
    if (reason) {
        std::size_t i = 0;
        for (; reason[i] && i + 1 < sizeof self->shutdownReason_; ++i)
            self->shutdownReason_[i] = reason[i];
        self->shutdownReason_[i] = '\0';
    }
    self->shutdown_.store(true, std::memory_order_release);
}

int JackBackend::xrunCallback(void* arg) {
    static_cast<JackBackend*>(arg)->xruns_.fetch_add(1, std::memory_order_relaxed);
    return 0;
}

} // namespace stagerack::engine
