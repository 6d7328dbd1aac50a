#include "tests/support/JackClients.h"

#include <jack/midiport.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace stagerack::test {

JackClientBase::JackClientBase(const std::string& name, const std::string& server) {
    jack_status_t status{};
    client_ = jack_client_open(name.c_str(), static_cast<jack_options_t>(JackNoStartServer | JackServerName),
                               &status, server.c_str());
}

JackClientBase::~JackClientBase() {
    if (client_) {
        if (!stopped_) jack_deactivate(client_);
        jack_client_close(client_);
    }
}

std::string JackClientBase::portName(const std::string& shortName) const {
    return std::string(jack_get_client_name(client_)) + ":" + shortName;
}

SourceClient::SourceClient(const std::string& name, const std::string& server)
    : JackClientBase(name, server) {
    if (!client_) return;
    out_ = jack_port_register(client_, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    jack_set_process_callback(client_, process, this);
    jack_activate(client_);
}

void SourceClient::setSignal(std::vector<float> signal, bool loop) {
    signal_ = std::move(signal);
    loop_ = loop;
}

int SourceClient::process(jack_nframes_t n, void* arg) {
    auto* self = static_cast<SourceClient*>(arg);
    auto* out = static_cast<float*>(jack_port_get_buffer(self->out_, n));
    std::fill(out, out + n, 0.f);
    if (!self->armed_.load()) return 0;
    if (self->startFrame_.load() == kNotStarted) self->startFrame_.store(jack_last_frame_time(self->client_));
    for (jack_nframes_t i = 0; i < n && !self->signal_.empty(); ++i) {
        if (self->pos_ >= self->signal_.size()) {
            if (!self->loop_) break;
            self->pos_ = 0;
        }
        out[i] = self->signal_[self->pos_++];
    }
    return 0;
}

SinkClient::SinkClient(const std::string& name, const std::string& server, std::size_t capacityFrames,
                       int channels)
    : JackClientBase(name, server)
    , capacity_(capacityFrames) {
    if (!client_) return;
    for (int c = 0; c < channels; ++c) {
        in_.push_back(jack_port_register(client_, ("in_" + std::to_string(c + 1)).c_str(),
                                         JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0));
        data_.emplace_back(capacityFrames, 0.f);
    }
    jack_set_process_callback(client_, process, this);
    jack_activate(client_);
}

int SinkClient::process(jack_nframes_t n, void* arg) {
    auto* self = static_cast<SinkClient*>(arg);
    if (!self->armed_.load()) return 0;
    std::size_t rec = self->recorded_.load();
    if (rec == 0) self->startFrame_.store(jack_last_frame_time(self->client_));
    const std::size_t take = std::min<std::size_t>(n, self->capacity_ - rec);
    for (std::size_t c = 0; c < self->in_.size(); ++c) {
        auto* in = static_cast<const float*>(jack_port_get_buffer(self->in_[c], n));
        std::copy(in, in + take, self->data_[c].begin() + static_cast<std::ptrdiff_t>(rec));
    }
    self->recorded_.store(rec + take);
    return 0;
}

MidiSourceClient::MidiSourceClient(const std::string& name, const std::string& server)
    : JackClientBase(name, server) {
    if (!client_) return;
    out_ = jack_port_register(client_, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    jack_set_process_callback(client_, &MidiSourceClient::process, this);
    jack_activate(client_);
}

void MidiSourceClient::setEvents(std::vector<Event> events) {
    events_ = std::move(events);
}

int MidiSourceClient::process(jack_nframes_t n, void* arg) {
    auto* self = static_cast<MidiSourceClient*>(arg);
    void* buf = jack_port_get_buffer(self->out_, n);
    jack_midi_clear_buffer(buf);
    if (!self->armed_.load()) return 0;
    const uint64_t start = jack_last_frame_time(self->client_);
    std::size_t i = self->sent_.load();
    while (i < self->events_.size() && self->events_[i].frame < start + n) {
        const auto& e = self->events_[i];
        const auto offset = static_cast<jack_nframes_t>(e.frame > start ? e.frame - start : 0);
        jack_midi_event_write(buf, offset, e.bytes.data(), 3);
        ++i;
    }
    self->sent_.store(i);
    return 0;
}

bool SinkClient::waitFull(double timeoutSeconds) const {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeoutSeconds);
    while (!full() && std::chrono::steady_clock::now() < end)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return full();
}

bool waitForPort(jack_client_t* client, const std::string& port, double timeoutSeconds) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeoutSeconds);
    while (std::chrono::steady_clock::now() < end) {
        if (jack_port_by_name(client, port.c_str())) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

} // namespace stagerack::test
