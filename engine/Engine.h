// The engine: input stage -> chain snapshot -> output stage, one block at a time, for JACK and for
// offline rendering alike. Control threads edit a model and publish immutable snapshots (RCU); the audio
// thread adopts them at block boundaries with a crossfade and hands the old ones back through a queue.
#pragma once

#include "engine/ChainSpec.h"
#include "engine/Registry.h"
#include "engine/Slot.h"
#include "engine/tuner/TunerTap.h"

#include <readerwriterqueue/readerwriterqueue.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace stagerack::engine {

// One block of I/O. `in2` null means a mono input feeding both sides; `carrier` may be null.
struct AudioIO {
    const float* in1 = nullptr;
    const float* in2 = nullptr;
    const float* carrier = nullptr;
    float* outL = nullptr;
    float* outR = nullptr;
    uint32_t frames = 0;
    std::span<const fx::MidiEvent> midi = {}; // sorted by offset
};

// Immutable once published. The audio thread only ever reads `order`; `slots` keeps the instances alive
// and is released by the housekeeping thread, so the audio thread never drops the last reference.
struct ChainSnapshot {
    std::vector<std::shared_ptr<Slot>> slots;
    std::vector<Slot*> order;
    double sampleRate = 48000.0;
    uint32_t maxBlock = 1024;
    uint32_t latency = 0;
    uint64_t generation = 0;
};

enum class EventType : uint8_t { NonFiniteOutput, NonFiniteInput, ChainAdopted };

struct EngineEvent {
    EventType type = EventType::ChainAdopted;
    uint32_t slotId = 0;
    uint64_t generation = 0;
};

struct Meters {
    float inPeak[2]{}, inRms[2]{}, outPeak[2]{}, outRms[2]{};
};

class Engine {
public:
    static constexpr uint32_t kMaxBlock = 8192; // largest block any processor is prepared for
    // Processors are prepared for at least this many frames, so JACK buffer sizes up to it never rebuild.
    static constexpr uint32_t kPreparedBlock = 1024;
    static constexpr uint32_t kMaxMidiEvents = 512;
    static constexpr double kReplaceFadeMs = 10.0; // fresh instances: old and new run in parallel
    static constexpr double kDuckMs = 5.0;         // same instances reordered: duck, swap, unduck
    static constexpr std::size_t kRetireCapacity = 64;
    static constexpr std::size_t kEventCapacity = 1024;
    static constexpr std::string_view kSlotBypass = "bypass";
    static constexpr std::string_view kSlotDryWet = "dry_wet";

    explicit Engine(const Registry& registry = Registry::builtin());
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // ---- control threads (may allocate, lock and throw stagerack::Error) ----
    // Sets the format new processors are prepared for; rebuilds the chain with fresh instances when it
    // changes (JACK buffer-size and sample-rate callbacks call this off the audio thread).
    void configure(double sampleRate, uint32_t maxBlock);
    double sampleRate() const;
    uint32_t maxBlock() const;

    // Replace the whole chain with fresh instances (validated completely before anything changes).
    void setChain(const std::vector<SlotSpec>& spec);
    void setChain(const std::string& spec) { setChain(parseChainSpec(spec)); }
    // Insert before `index` (clamped to the end); returns the new slot's id.
    uint32_t insertSlot(std::size_t index, const SlotSpec& spec);
    uint32_t insertSlot(std::size_t index, std::unique_ptr<Processor> processor);
    void removeSlot(uint32_t slotId);
    void moveSlot(uint32_t slotId, std::size_t newIndex);
    void setParam(uint32_t slotId, std::string_view paramId, float value);
    void setParamText(uint32_t slotId, std::string_view paramId, std::string_view value);
    void setBypass(uint32_t slotId, bool on);
    void setDryWet(uint32_t slotId, float mix);
    std::vector<uint32_t> slotIds() const;
    std::shared_ptr<Slot> slot(uint32_t slotId) const;
    std::vector<SlotSpec> chainSpec() const;
    uint32_t latency() const; // of the last published chain, in samples

    void setInputGainDb(float db) noexcept;
    void setMasterDb(float db) noexcept;
    // The global tempo every tempo-synced LFO and delay follows (ProcessContext::tempoBpm), 20..300 BPM.
    static constexpr double kMinBpm = 20.0, kMaxBpm = 300.0;
    void setTempo(double bpm) noexcept;
    double tempo() const noexcept { return tempo_.load(std::memory_order_relaxed); }
    // Tap tempo: the average of the last taps' intervals (up to 4); a pause over 2 s starts anew.
    // `seconds` is the tap's time on any monotonic clock. Returns the tempo now in force.
    double tapTempo(double seconds);

    // Tuner tap: which input the tuner hears, and mute-while-tuning (the output fades out with the
    // master level's 20 ms ramp while the input keeps flowing to the tuner).
    enum class TunerSource : int { Off = 0, In1 = 1, In2 = 2, Sum = 3 };
    void setTunerSource(TunerSource s) noexcept {
        tunerSource_.store(static_cast<int>(s), std::memory_order_relaxed);
    }
    void setTunerMute(bool on) noexcept { tunerMute_.store(on, std::memory_order_relaxed); }
    tuner::TunerTap& tunerTap() noexcept { return tunerTap_; }

    // Take the published chain at once, without a crossfade. Only while no audio thread runs (before
    // JACK activation, offline rendering), so that the first sample already goes through the chain.
    void settle();

    // ---- audio thread ----
    void process(const AudioIO& io) noexcept;

    // ---- housekeeping thread: frees retired snapshots, drains events; returns snapshots freed ----
    std::size_t housekeeping(const std::function<void(const EngineEvent&)>& onEvent = {});

    // ---- readers (any thread) ----
    Meters meters() const noexcept;
    float dspLoad() const noexcept { return load_.load(std::memory_order_relaxed); } // % of the period
    float takeDspLoadPeak() noexcept { return loadPeak_.exchange(0.f, std::memory_order_relaxed); }
    uint64_t nonFiniteCount() const noexcept { return nonFinite_.load(std::memory_order_relaxed); }
    uint64_t droppedEvents() const noexcept { return droppedEvents_.load(std::memory_order_relaxed); }
    uint64_t adoptedGeneration() const noexcept { return adopted_.load(std::memory_order_relaxed); }
    uint64_t publishedGeneration() const;
    uint64_t processedBlocks() const noexcept { return blocks_.load(std::memory_order_relaxed); }
    bool transitioning() const noexcept { return inTransition_.load(std::memory_order_relaxed); }

private:
    enum class Mode : uint8_t { None, Parallel, DuckOut, DuckIn };

    std::shared_ptr<Slot> makeSlot(const SlotSpec& spec, uint32_t id) const;
    std::shared_ptr<Slot> findSlotLocked(uint32_t slotId) const;
    void publishLocked();
    void tryAdopt() noexcept;
    void finishPhase() noexcept;
    void runChain(ChainSnapshot* snap, fx::StereoBlock& bus, const fx::ProcessContext& ctx) noexcept;
    void postEvent(const EngineEvent& e) noexcept;

    const Registry& registry_;

    // Control-side model.
    mutable std::mutex controlMutex_;
    std::vector<std::shared_ptr<Slot>> model_;
    double sampleRate_ = 48000.0;
    uint32_t maxBlock_ = 1024;      // the host's block size (JACK's buffer size)
    uint32_t preparedBlock_ = 1024; // what the processors are prepared for; larger blocks run in chunks
    uint32_t nextSlotId_ = 1;
    uint64_t generation_ = 0;

    // Hand-over.
    std::atomic<ChainSnapshot*> pending_{nullptr};
    moodycamel::ReaderWriterQueue<ChainSnapshot*> retire_{kRetireCapacity};
    moodycamel::ReaderWriterQueue<EngineEvent> events_{kEventCapacity};

    // Audio-thread state.
    ChainSnapshot* current_ = nullptr;
    ChainSnapshot* incoming_ = nullptr;
    Mode mode_ = Mode::None;
    uint32_t phasePos_ = 0;
    uint32_t phaseLen_ = 0;
    std::vector<float> busL_, busR_, bus2L_, bus2R_, dryL_, dryR_;
    std::vector<fx::MidiEvent> midiScratch_;
    dsp::LinearSmoothed inputGain_, masterGain_;
    double meterMs_[4]{}; // running mean squares: in L/R, out L/R
    float meterPeak_[4]{};

    // Audio-thread outputs and control inputs.
    std::atomic<float> inputGainTarget_{1.f}, masterGainTarget_{1.f};
    std::atomic<double> tempo_{120.0};
    std::vector<double> taps_; // control side, under controlMutex_
    double beat_ = 0.0;        // audio side: beat position at the next block
    std::atomic<float> meterOut_[8]{};
    std::atomic<float> load_{0.f}, loadPeak_{0.f};
    std::atomic<uint64_t> nonFinite_{0}, droppedEvents_{0}, adopted_{0}, blocks_{0};
    std::atomic<bool> inTransition_{false};
    tuner::TunerTap tunerTap_;
    std::atomic<int> tunerSource_{0};
    std::atomic<bool> tunerMute_{false};
};

} // namespace stagerack::engine
