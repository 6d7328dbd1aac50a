// Real JACK clients for integration tests: a source that plays a buffer from a chosen moment and a sink
// that records with absolute frame times, so latency is measured exactly in frames.
#pragma once

#include <jack/jack.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace stagerack::test {

class JackClientBase {
public:
    JackClientBase(const std::string& name, const std::string& server);
    virtual ~JackClientBase();
    JackClientBase(const JackClientBase&) = delete;
    JackClientBase& operator=(const JackClientBase&) = delete;
    bool ok() const { return client_ != nullptr; }
    jack_client_t* client() const { return client_; }
    std::string portName(const std::string& shortName) const;

protected:
    // Derived destructors call this first: the process callback must not run into a half-destroyed object.
    void stop() {
        if (client_ && !stopped_) jack_deactivate(client_);
        stopped_ = true;
    }
    bool stopped_ = false;
    jack_client_t* client_ = nullptr;
};

class SourceClient : public JackClientBase {
public:
    SourceClient(const std::string& name, const std::string& server);
    ~SourceClient() override { stop(); }
    // Loaded before start(); played once (or looped) from the first cycle after start().
    void setSignal(std::vector<float> signal, bool loop);
    void start() { armed_.store(true); }
    bool started() const { return startFrame_.load() != kNotStarted; }
    // Absolute frame time of the signal's first sample.
    uint64_t startFrame() const { return startFrame_.load(); }
    const std::vector<float>& signal() const { return signal_; }
    static constexpr uint64_t kNotStarted = ~uint64_t{0};

private:
    static int process(jack_nframes_t n, void* arg);
    jack_port_t* out_ = nullptr;
    std::vector<float> signal_;
    bool loop_ = false;
    std::size_t pos_ = 0;
    std::atomic<bool> armed_{false};
    std::atomic<uint64_t> startFrame_{kNotStarted};
};

class SinkClient : public JackClientBase {
public:
    SinkClient(const std::string& name, const std::string& server, std::size_t capacityFrames,
               int channels = 1);
    ~SinkClient() override { stop(); }
    void start() { armed_.store(true); }
    bool full() const { return recorded_.load() >= capacity_; }
    std::size_t recorded() const { return recorded_.load(); }
    uint64_t startFrame() const { return startFrame_.load(); }
    const std::vector<float>& data(int channel = 0) const { return data_[static_cast<std::size_t>(channel)]; }
    // Waits until full (or timeout); returns whether full.
    bool waitFull(double timeoutSeconds) const;

private:
    static int process(jack_nframes_t n, void* arg);
    std::vector<jack_port_t*> in_;
    std::vector<std::vector<float>> data_;
    std::size_t capacity_;
    std::atomic<std::size_t> recorded_{0};
    std::atomic<bool> armed_{false};
    std::atomic<uint64_t> startFrame_{0};
};

// A JACK MIDI source: each queued event goes out in the cycle that holds its absolute frame time, at that
// frame's offset. Events are queued before start() (no allocation in the callback).
class MidiSourceClient : public JackClientBase {
public:
    struct Event {
        uint64_t frame = 0; // absolute JACK frame time
        std::array<uint8_t, 3> bytes{};
    };
    MidiSourceClient(const std::string& name, const std::string& server);
    ~MidiSourceClient() override { stop(); }
    void setEvents(std::vector<Event> events); // sorted by frame; before start()
    void start() { armed_.store(true); }
    std::size_t sent() const { return sent_.load(); }
    // The current cycle's start frame, for scheduling.
    uint64_t frameTime() const { return jack_frame_time(client_); }

private:
    static int process(jack_nframes_t n, void* arg);
    jack_port_t* out_ = nullptr;
    std::vector<Event> events_;
    std::atomic<bool> armed_{false};
    std::atomic<std::size_t> sent_{0};
};

// Waits until `port` exists on the server (e.g. a client started in another process).
bool waitForPort(jack_client_t* client, const std::string& port, double timeoutSeconds);

} // namespace stagerack::test
