// Looper: record, overdub, play, stop, undo/redo of the last overdub, clear, reverse and half speed, with an
// optional quantize to the global tempo. Every control is a parameter, so MIDI and foot switches drive it.
//
// Memory: two layer buffers (the live loop and its undo copy) sized and touched in prepare(); the audio
// thread never allocates. The undo copy is made copy-on-write per chunk of kChunkFrames frames the first
// time an overdub writes into it, so undo, redo and clear cost O(1) and overdub O(1) per sample.
#pragma once

#include "effects/Effect.h"
#include "effects/dsp/Smoothed.h"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace stagerack::fx {

class Looper {
public:
    // New parameters go at the end: presets and MIDI maps address them by id, the engine by index.
    enum Param : std::size_t {
        kTransport,
        kFootswitch,
        kStop,
        kUndo,
        kRedo,
        kClear,
        kReverse,
        kHalfSpeed,
        kQuantize,
        kBeatsPerBar,
        kLoopLevelDb,
        kDryLevelDb,
        kOverdubFeedback,
        kParamCount
    };
    enum Transport : int {
        kTransportStop,
        kTransportRecord,
        kTransportPlay,
        kTransportOverdub,
        kTransportCount
    };
    enum Quantize : int { kQuantizeOff, kQuantizeBeat, kQuantizeBar, kQuantizeCount };
    enum class State : uint8_t { Empty, Recording, Playing, Overdubbing, Stopped };

    static constexpr std::string_view kId = "looper";
    static constexpr std::string_view kName = "Looper";
    static constexpr std::string_view kCategory = "looper";
    static constexpr int kVersion = 1;

    // Capacity: 5 minutes of stereo at 44.1 and 48 kHz. Above 48 kHz the same number of frames is kept
    // (150 s at 96 kHz, 75 s at 192 kHz), so one looper always holds 2 layers x 2 channels x 14.4 M
    // frames x 4 bytes = 230 MB, whatever the rate.
    static constexpr double kMaxLoopSeconds = 300.0;
    static constexpr double kCapacityReferenceRate = 48000.0;
    // Play/stop fades and the crossfades of reverse, half speed, undo and redo.
    static constexpr double kFadeMs = 5.0;
    // The loop seam: the first kSeamMs of the loop are crossfaded with what was played just after its end.
    static constexpr double kSeamMs = 5.0;
    // A recording closes no earlier than this (and never shorter than two seams).
    static constexpr double kMinLoopMs = 20.0;
    static constexpr float kLevelFloorDb = -60.f; // a level at the floor is silence (gain exactly 0)
    static constexpr uint32_t kChunkShift = 8;
    static constexpr uint32_t kChunkFrames = 1u << kChunkShift; // undo copy-on-write granularity
    static constexpr std::size_t kMaxEvents = 32;               // controls waiting to act (a FIFO)

    static constexpr std::array<std::string_view, kTransportCount> kTransportLabels{"stop", "record", "play",
                                                                                    "overdub"};
    static constexpr std::array<std::string_view, kQuantizeCount> kQuantizeLabels{"off", "beat", "bar"};

    static constexpr std::string_view kHelp =
        "A stereo looper for live playing: record a phrase, let it repeat, play over it and stack more "
        "layers. It holds 5 minutes of stereo at 44.1 or 48 kHz; above 48 kHz it keeps the same number of "
        "samples (150 s at 96 kHz, 75 s at 192 kHz). The memory (230 MB: the loop and its undo copy) is "
        "taken and touched when the slot is added, never while playing. Recording past the capacity closes "
        "the loop and plays it. "
        "Every control is a parameter, so a MIDI controller or foot switch can drive it. transport (stop, "
        "record, play, overdub) acts when its value changes: record starts a new loop (replacing the old "
        "one); play closes a recording or ends an overdub, or restarts a stopped loop from its start; "
        "overdub closes a recording and goes straight on layering, or starts layering over a playing loop; "
        "stop closes a recording or silences the loop (a 5 ms fade), keeping it. "
        "The trigger parameters act on a rising edge (0 to 0.5 or more; a foot switch sends 1 on press and "
        "0 on release): footswitch is the one-button cycle of a looper pedal (empty: record; recording: "
        "play; playing: overdub; overdubbing: play; stopped: play), and pressing it while an action waits "
        "for the beat cancels that action (except a waiting stop: a stop is never lost); stop stops; undo "
        "removes the last overdub (ending it if it is still going) and redo puts it back, both crossfaded "
        "over 5 ms; clear empties the looper at once. "
        "Controls act one after the other in the order they arrive, each once the one before it has "
        "happened; one that waits for the 5 ms seam or a recording's 20 ms minimum holds those behind it. "
        "Controls pressed within one audio period arrive in parameter order (transport, footswitch, stop, "
        "undo, redo, clear), so a stop, undo or clear pressed with footswitch or transport has the last "
        "word: footswitch and undo together leave the loop playing with nothing overdubbed, footswitch and "
        "stop leave it stopped. "
        "reverse plays (and overdubs) the loop backwards from where it is; half_speed plays it at half "
        "speed, an octave lower (the samples between are the average of their two neighbours), and a "
        "recording or overdub made at half speed is written at half speed, so it sounds an octave up and "
        "twice as fast at normal speed; both switches crossfade over 5 ms. "
        "quantize (off, beat, bar) makes record, play, overdub and stop wait for the next beat or bar of "
        "the global tempo, to the sample; a recording then closes after a whole number of beats (bars), so "
        "the loop is exactly that many beats long (rounded to the sample). beats_per_bar (1 to 16, default "
        "4) sets the bar. Undo, redo and clear never wait for the beat (an undo also ends an overdub "
        "that waits for it), and a transport change or stop made while an action waits replaces it. "
        "loop_level_db (-60 to +6 dB, default 0) is the level of the loop in the output, dry_level_db (-60 "
        "to +6 dB, default 0) the level of the live input; -60 dB is silence. overdub_feedback (0 to 1, "
        "default 1) is the fraction of the old loop kept under each overdub pass: 1 adds the new layer to "
        "the old, 0.7 lets older layers fade out as you go on playing over them. "
        "The loop plays back exactly what was played, sample for sample, and an overdub adds exactly what "
        "was played to it, except at the edges: when a recording closes, the input keeps being written "
        "for 5 ms and crossfaded into the first 5 ms of the loop (raised-cosine weights summing to one: a "
        "note held across the seam keeps its level), so the end of the phrase flows into its start without "
        "a click; an overdub fades in and out over 5 ms where it is punched in and out; play and stop fade "
        "the loop over 5 ms. "
        "Values the parameters hold when the looper is created (from a preset or a session) start nothing. "
        "Bypassing the slot stops the loop and keeps it (a recording in progress is dropped; if the seam "
        "was still being written, the part written becomes a shorter seam). "
        "Typical use: a foot switch on footswitch, another on stop (or undo), quantize bar when playing to "
        "a click or a drum machine, overdub_feedback 1 for stacking parts or 0.6-0.8 for an evolving "
        "soundscape, dry_level_db -60 when the looper sits on a parallel send.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "transport",
         .name = "Transport",
         .min = 0.f,
         .max = static_cast<float>(kTransportCount - 1),
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = kTransportLabels,
         .help = "stop, record, play or overdub; acts when the value changes (quantized if quantize is on)."},
        {.id = "footswitch",
         .name = "Footswitch",
         .min = 0.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Toggle,
         .smoothMs = 0.f,
         .help = "One-button cycle on each press (rising edge): record, play, overdub, play, ..."},
        {.id = "stop",
         .name = "Stop",
         .min = 0.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Toggle,
         .smoothMs = 0.f,
         .help = "Stop on each press: closes a recording, or fades the loop out and keeps it."},
        {.id = "undo",
         .name = "Undo",
         .min = 0.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Toggle,
         .smoothMs = 0.f,
         .help = "Remove the last overdub on each press (crossfaded); ends an overdub in progress first."},
        {.id = "redo",
         .name = "Redo",
         .min = 0.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Toggle,
         .smoothMs = 0.f,
         .help = "Put the undone overdub back on each press (until a new overdub or recording starts)."},
        {.id = "clear",
         .name = "Clear",
         .min = 0.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Toggle,
         .smoothMs = 0.f,
         .help = "Empty the looper on each press (the loop fades out over 5 ms)."},
        {.id = "reverse",
         .name = "Reverse",
         .min = 0.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Toggle,
         .smoothMs = 0.f,
         .help = "Play and overdub backwards from the current position (crossfaded over 5 ms)."},
        {.id = "half_speed",
         .name = "Half Speed",
         .min = 0.f,
         .max = 1.f,
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Toggle,
         .smoothMs = 0.f,
         .help = "Play at half speed, an octave down; records and overdubs at half speed too (crossfaded)."},
        {.id = "quantize",
         .name = "Quantize",
         .min = 0.f,
         .max = static_cast<float>(kQuantizeCount - 1),
         .def = 0.f,
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = kQuantizeLabels,
         .help = "off, beat or bar: transport changes wait for the next beat or bar of the global tempo."},
        {.id = "beats_per_bar",
         .name = "Beats per Bar",
         .min = 1.f,
         .max = 16.f,
         .def = 4.f,
         .unit = Unit::None,
         .taper = Taper::Integer,
         .smoothMs = 0.f,
         .help = "Beats in a bar for quantize bar, 1 to 16."},
        {.id = "loop_level_db",
         .name = "Loop Level",
         .min = kLevelFloorDb,
         .max = 6.f,
         .def = 0.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Level of the loop in the output, -60 (silent) to +6 dB."},
        {.id = "dry_level_db",
         .name = "Dry Level",
         .min = kLevelFloorDb,
         .max = 6.f,
         .def = 0.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Level of the live input in the output, -60 (silent) to +6 dB."},
        {.id = "overdub_feedback",
         .name = "Overdub Feedback",
         .min = 0.f,
         .max = 1.f,
         .def = 1.f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Fraction of the old loop kept under each overdub pass, 0 to 1 (1 = layers add up)."},
    }};

    // What a GUI shows; published at the end of every block as one atomic word (any thread may read it,
    // and always sees the fields of one moment).
    struct Status {
        State state = State::Empty;
        bool waiting = false; // an action waits for the beat, the seam or the minimum length
        bool canUndo = false;
        bool canRedo = false;
        uint32_t loopFrames = 0; // loop length in frames (frames recorded so far while recording)
        uint32_t positionFrames = 0;
    };

    Looper() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    // Stops playback and ends an overdub (an unfinished first recording is dropped); the loop is kept.
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return 0; }
    // One more cycle of a playing loop (it repeats until stopped), a fade otherwise.
    uint32_t tailSamples() const noexcept;

    Status status() const noexcept;
    uint32_t capacityFrames() const noexcept { return capacity_; }
    uint32_t seamFrames() const noexcept { return seamLen_; }
    std::size_t memoryBytes() const noexcept;
    // The two layer buffers (interleaved stereo), for tests that check they stay put and resident.
    const float* layerStorage(int layer) const noexcept { return layers_[layer & 1].data(); }
    std::size_t layerStorageFloats() const noexcept { return layers_[0].size(); }

private:
    enum class Action : uint8_t { None, Stop, Record, Play, Overdub };
    enum class EventKind : uint8_t { Transport, Footswitch, Stop, Undo, Redo, Clear };
    struct Event {
        EventKind kind = EventKind::Transport;
        uint8_t value = 0;
    };

    // A linear gain ramp over kFadeMs that lands exactly on its target.
    struct Ramp {
        float gain = 0.f;
        float target = 0.f;
        float step = 0.f;
        uint32_t left = 0;
    };
    // A read (and, for the main head, write) position in half frames, so half speed stays exact.
    struct Head {
        int64_t h2 = 0;
        uint32_t len = 0; // loop length it wraps at (0 = nothing to play)
        int dir = 1;
        bool half = false;
        Ramp amp;
    };

    static bool isClose(Action a) noexcept {
        return a == Action::Stop || a == Action::Play || a == Action::Overdub;
    }
    void clearAll() noexcept;
    void pushEvent(EventKind kind, uint8_t value) noexcept;
    void takeClear() noexcept;
    void serviceControls(const ProcessContext& ctx, uint32_t frame, uint32_t frames) noexcept;
    void handleEvent(Event ev, const ProcessContext& ctx, uint32_t frame, uint32_t frames) noexcept;
    bool waitsForGrid() const noexcept;
    void setPending(Action a, const ProcessContext& ctx, uint32_t frame, uint32_t frames) noexcept;
    void computeCloseAt(const ProcessContext& ctx) noexcept;
    void schedulePending(const ProcessContext& ctx, uint32_t frames, uint32_t from) noexcept;
    bool quantizeActive(const ProcessContext& ctx) const noexcept;
    double gridBeats() const noexcept; // 1, or beats_per_bar for quantize bar
    void firePending(uint32_t frame) noexcept;
    void apply(Action a) noexcept;
    void startRecording() noexcept;
    void closeLoop(Action a) noexcept;
    void restart() noexcept;
    void startSession() noexcept;
    void undo() noexcept;
    void redo() noexcept;
    void clear() noexcept;
    void moveMainToFade() noexcept; // renders the main head's fade-out and silences it
    void crossfadeView() noexcept;
    void updateMainTarget() noexcept;
    void updateMotion() noexcept;
    void setRamp(Ramp& r, float target) const noexcept;
    static float stepRamp(Ramp& r) noexcept;
    static void snapRamp(Ramp& r, float value) noexcept { r = Ramp{value, value, 0.f, 0}; }
    void endOverdub() noexcept;
    void finishSeamEarly() noexcept;
    void advance(Head& h) const noexcept;
    void readHead(const Head& h, float& l, float& r) const noexcept;
    void processMain(float xL, float xR, float decL, float decR, float fb, float amount, float& loopL,
                     float& loopR) noexcept;
    void writeLoop(uint32_t p, float xL, float xR, float fb, float amount) noexcept;
    void ensureCow(uint32_t chunk) noexcept;
    void normalizeStep() noexcept;
    void publishStatus() noexcept;

    bool undoneBit(uint32_t session) const noexcept {
        return (undoneBits_[(session >> 6) & (kSessionSlots / 64 - 1)] >> (session & 63)) & 1u;
    }
    void setUndoneBit(uint32_t session, bool on) noexcept;
    // Which layer holds chunk c now (the last session's bit is its undone state).
    uint8_t locate(uint32_t chunk) const noexcept {
        const uint32_t s = stamp_[chunk];
        return static_cast<uint8_t>(loc_[chunk] ^ static_cast<uint8_t>(s != 0 && undoneBit(s)));
    }
    float* frameAt(uint32_t p, uint8_t layer) noexcept {
        return layerPtr_[layer] + 2 * static_cast<std::size_t>(p);
    }
    const float* frameAt(uint32_t p, uint8_t layer) const noexcept {
        return layerPtr_[layer] + 2 * static_cast<std::size_t>(p);
    }

    // Outcomes (undone or not) of the last kSessionSlots overdub sessions, indexed by id modulo the size;
    // a background sweep folds every older outcome into the chunk table long before an id comes round.
    static constexpr uint32_t kSessionSlots = 65536;
    static constexpr uint32_t kSweepSamples = 32768; // the sweep visits every chunk within this many samples

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;
    uint32_t capacity_ = 0; // frames; 0 = not prepared (process passes the input through)
    uint32_t nChunks_ = 0;
    uint32_t fadeLen_ = 1;
    uint32_t seamLen_ = 1;
    uint32_t minLoop_ = 2;
    uint32_t sweepPerSample_ = 1;

    std::array<std::vector<float>, 2> layers_;
    std::array<float*, 2> layerPtr_{nullptr, nullptr};
    std::vector<uint8_t> loc_;    // per chunk: the layer holding it (before the undo bit)
    std::vector<uint32_t> stamp_; // per chunk: the session that copied it on write (0 = none)
    std::vector<uint64_t> undoneBits_;
    std::vector<float> seamHead_; // seam weights of the loop's start and of what followed its end
    std::vector<float> seamTail_;
    // What the seam mixed so far (interleaved stereo per seam position): the loop's start as recorded and
    // the input that followed its end, so a reset inside the seam can redo it as a shorter one.
    std::vector<float> seamLoop_;
    std::vector<float> seamInput_;

    State state_ = State::Empty;
    uint32_t loopLen_ = 0;
    uint32_t recorded_ = 0;
    uint32_t session_ = 0; // the last overdub session (undo/redo act on it); 0 = none
    uint32_t sessionCounter_ = 0;
    bool undone_ = false;
    bool closing_ = false;
    uint32_t closePos_ = 0;
    uint32_t sweepCursor_ = 0;
    Head main_;
    // A fade-out rendered in advance when the main head hands over (undo, redo, a jump, a switch, a new
    // recording, clear): what it plays cannot change under it, even where a new recording overwrites the
    // old loop, and a fade that is still running is mixed into the next one instead of being cut.
    std::vector<float> fadeBuf_;
    uint32_t fadePos_ = 0;
    uint32_t fadeLeft_ = 0;
    // How much of the input an overdub writes (and 1 - it + it * feedback of the old layer): punch-in and
    // punch-out fade over kFadeMs, so an overdub's edges never click when the loop comes round.
    Ramp overdub_;
    float histL0_ = 0.f, histL1_ = 0.f, histR0_ = 0.f, histR1_ = 0.f; // last two inputs (half-speed writes)

    Action pending_ = Action::None;
    bool pendingQuantized_ = false;
    bool pendingDue_ = false;
    uint32_t pendingAt_ = 0;
    double pendingBoundary_ = 0.0; // beat position of the grid line a quantized action waits for
    uint32_t closeAt_ = 0;

    // Controls in the order setParam delivered them (a FIFO ring): each acts when the one before it has
    // happened, except while an action waits for the beat (see serviceControls).
    std::array<Event, kMaxEvents> events_{};
    std::size_t eventHead_ = 0;
    std::size_t eventCount_ = 0;
    bool initializing_ = true; // values set while preparing set the levels but trigger nothing
    int transportLevel_ = kTransportStop;
    std::array<bool, 5> triggerHigh_{};
    bool reverse_ = false;
    bool halfSpeed_ = false;

    dsp::LinearSmoothed loopGain_;
    dsp::LinearSmoothed dryGain_;
    dsp::LinearSmoothed feedback_;

    // The whole Status in one word, so a reader never mixes two blocks: state | flags << 8 |
    // length << 16 | position << 40 (24 bits each: the capacity is below 2^24 frames).
    static constexpr uint32_t kStatusFrameBits = 24;
    static_assert(kMaxLoopSeconds * kCapacityReferenceRate < double(1u << kStatusFrameBits));
    static_assert(std::atomic<uint64_t>::is_always_lock_free);
    std::atomic<uint64_t> statusWord_{0};
    std::atomic<uint32_t> statusTail_{0};
};

static_assert(Effect<Looper>);

} // namespace stagerack::fx
