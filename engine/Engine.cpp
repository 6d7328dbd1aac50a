#include "engine/Engine.h"

#include "engine/BlockOps.h"
#include "engine/Error.h"
#include "engine/RtScope.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numbers>

namespace stagerack::engine {

namespace {
constexpr double kMeterTimeS = 0.3; // RMS integration and peak fall time
constexpr float kGainSmoothMs = 20.f;
// Slot-level parameters every slot accepts (validated with the same rules as effect parameters).
constexpr fx::ParamInfo kBypassInfo{"bypass",       "Bypass",          0.f, 1.f, 0.f,
                                    fx::Unit::None, fx::Taper::Toggle, 0.f};
constexpr fx::ParamInfo kDryWetInfo{"dry_wet", "Dry/wet", 0.f, 1.f, 1.f, fx::Unit::Fraction};

} // namespace

Engine::Engine(const Registry& registry)
    : registry_(registry)
    , busL_(kMaxBlock)
    , busR_(kMaxBlock)
    , bus2L_(kMaxBlock)
    , bus2R_(kMaxBlock)
    , dryL_(kMaxBlock)
    , dryR_(kMaxBlock)
    , midiScratch_(kMaxMidiEvents) {
    current_ = new ChainSnapshot{};
    current_->sampleRate = sampleRate_;
    current_->maxBlock = preparedBlock_;
    inputGain_.prepare(sampleRate_, kGainSmoothMs);
    inputGain_.setImmediate(1.f);
    masterGain_.prepare(sampleRate_, kGainSmoothMs);
    masterGain_.setImmediate(1.f);
}

Engine::~Engine() {
    delete pending_.exchange(nullptr);
    delete incoming_;
    delete current_;
    ChainSnapshot* s = nullptr;
    while (retire_.try_dequeue(s))
        delete s;
}

// ---------------------------------------------------------------- control side

void Engine::configure(double sampleRate, uint32_t maxBlock) {
    if (!(sampleRate >= 8000.0 && sampleRate <= 384000.0))
        throw Error("sample rate", std::to_string(sampleRate) + " Hz is outside 8000..384000");
    if (maxBlock == 0 || maxBlock > kMaxBlock)
        throw Error("block size", std::to_string(maxBlock) + " is outside 1.." + std::to_string(kMaxBlock));
    std::lock_guard lock(controlMutex_);
    if (sampleRate == sampleRate_ && maxBlock == maxBlock_ && generation_ > 0) return;
    // A new block size alone rebuilds nothing: the processors are prepared for at least kPreparedBlock
    // frames and process() splits larger host blocks into chunks of the prepared size. So a JACK
    // buffer-size change keeps every instance and its state (a looper's loop, a reverb's tail).
    maxBlock_ = maxBlock;
    if (sampleRate == sampleRate_ && generation_ > 0) return;
    sampleRate_ = sampleRate;
    preparedBlock_ = std::max(maxBlock, kPreparedBlock);
    // Fresh instances prepared for the new format; the old ones keep running until the crossfade ends.
    std::vector<std::shared_ptr<Slot>> rebuilt;
    rebuilt.reserve(model_.size());
    for (const auto& old : model_) {
        auto proc = old->processor().createFresh();
        for (std::size_t i = 0; i < proc->paramCount(); ++i)
            proc->setParam(i, old->processor().param(i));
        auto slot = std::make_shared<Slot>(old->id(), std::move(proc));
        slot->setBypass(old->bypass());
        slot->setMix(old->mix());
        slot->prepare(sampleRate_, preparedBlock_);
        for (std::size_t i = 0; i < old->processor().propertyCount(); ++i)
            if (!old->processor().property(i).empty())
                slot->processor().setProperty(i, old->processor().property(i));
        rebuilt.push_back(std::move(slot));
    }
    model_ = std::move(rebuilt);
    publishLocked();
}

double Engine::sampleRate() const {
    std::lock_guard lock(controlMutex_);
    return sampleRate_;
}

uint32_t Engine::maxBlock() const {
    std::lock_guard lock(controlMutex_);
    return maxBlock_;
}

std::shared_ptr<Slot> Engine::makeSlot(const SlotSpec& spec, uint32_t id) const {
    if (spec.kind == SlotSpec::Kind::Lv2)
        throw Error("lv2(" + spec.name + ")", "LV2 hosting is not available in this build yet");
    if (spec.kind == SlotSpec::Kind::Ladspa)
        throw Error("ladspa(" + spec.name + ")", "LADSPA hosting is not available in this build yet");
    const EffectEntry* entry = registry_.find(spec.name);
    if (!entry) throw Error(spec.name, "unknown effect (see 'stagerack effects')");
    auto slot = std::make_shared<Slot>(id, entry->create());
    auto& proc = slot->processor();
    std::vector<std::pair<std::size_t, std::string>> properties;
    for (const auto& [key, value] : spec.params) {
        const int index = proc.paramIndex(key);
        const int prop = proc.propertyIndex(key);
        try {
            if (index >= 0) {
                proc.setParam(static_cast<std::size_t>(index),
                              parseParamValue(proc.info().params[static_cast<std::size_t>(index)], value));
            } else if (prop >= 0) {
                properties.emplace_back(static_cast<std::size_t>(prop), value);
            } else if (key == kSlotBypass) {
                slot->setBypass(parseParamValue(kBypassInfo, value) >= 0.5f);
            } else if (key == kSlotDryWet) {
                slot->setMix(parseParamValue(kDryWetInfo, value));
            } else {
                std::string known;
                for (const auto& p : proc.info().params)
                    known += " " + std::string(p.id);
                for (const auto& p : proc.info().properties)
                    known += " " + std::string(p.id);
                throw Error(key, "unknown parameter (known:" + known + " bypass dry_wet)");
            }
        } catch (const Error& e) {
            throw Error(spec.name, e.what());
        }
    }
    slot->prepare(sampleRate_, preparedBlock_);
    // Properties (files) after prepare: they are loaded for the sample rate the slot runs at.
    for (const auto& [index, value] : properties) {
        try {
            proc.setProperty(index, value);
        } catch (const Error& e) {
            throw Error(spec.name, e.what());
        }
    }
    return slot;
}

void Engine::setChain(const std::vector<SlotSpec>& spec) {
    std::lock_guard lock(controlMutex_);
    std::vector<std::shared_ptr<Slot>> fresh;
    fresh.reserve(spec.size());
    uint32_t id = nextSlotId_;
    for (const auto& s : spec)
        fresh.push_back(makeSlot(s, id++)); // throws before anything changes
    nextSlotId_ = id;
    model_ = std::move(fresh);
    publishLocked();
}

uint32_t Engine::insertSlot(std::size_t index, const SlotSpec& spec) {
    std::lock_guard lock(controlMutex_);
    auto slot = makeSlot(spec, nextSlotId_);
    ++nextSlotId_;
    index = std::min(index, model_.size());
    model_.insert(model_.begin() + static_cast<std::ptrdiff_t>(index), slot);
    publishLocked();
    return slot->id();
}

uint32_t Engine::insertSlot(std::size_t index, std::unique_ptr<Processor> processor) {
    std::lock_guard lock(controlMutex_);
    auto slot = std::make_shared<Slot>(nextSlotId_++, std::move(processor));
    slot->prepare(sampleRate_, preparedBlock_);
    index = std::min(index, model_.size());
    model_.insert(model_.begin() + static_cast<std::ptrdiff_t>(index), slot);
    publishLocked();
    return slot->id();
}

std::shared_ptr<Slot> Engine::findSlotLocked(uint32_t slotId) const {
    for (const auto& s : model_)
        if (s->id() == slotId) return s;
    throw Error("slot " + std::to_string(slotId), "no such slot");
}

void Engine::removeSlot(uint32_t slotId) {
    std::lock_guard lock(controlMutex_);
    auto slot = findSlotLocked(slotId);
    std::erase(model_, slot);
    publishLocked();
}

void Engine::moveSlot(uint32_t slotId, std::size_t newIndex) {
    std::lock_guard lock(controlMutex_);
    auto slot = findSlotLocked(slotId);
    std::erase(model_, slot);
    newIndex = std::min(newIndex, model_.size());
    model_.insert(model_.begin() + static_cast<std::ptrdiff_t>(newIndex), slot);
    publishLocked();
}

void Engine::setParam(uint32_t slotId, std::string_view paramId, float value) {
    auto s = slot(slotId);
    const int index = s->processor().paramIndex(paramId);
    if (index >= 0)
        s->processor().setParam(static_cast<std::size_t>(index), value);
    else if (paramId == kSlotBypass)
        s->setBypass(value >= 0.5f);
    else if (paramId == kSlotDryWet)
        s->setMix(value);
    else
        throw Error(std::string(s->processor().info().id) + "/" + std::string(paramId), "unknown parameter");
}

void Engine::setParamText(uint32_t slotId, std::string_view paramId, std::string_view value) {
    auto s = slot(slotId);
    const int index = s->processor().paramIndex(paramId);
    if (index >= 0) {
        const auto i = static_cast<std::size_t>(index);
        s->processor().setParam(i, parseParamValue(s->processor().info().params[i], value));
    } else if (const int prop = s->processor().propertyIndex(paramId); prop >= 0) {
        s->processor().setProperty(static_cast<std::size_t>(prop), value);
    } else if (paramId == kSlotBypass) {
        s->setBypass(parseParamValue(kBypassInfo, value) >= 0.5f);
    } else if (paramId == kSlotDryWet) {
        s->setMix(parseParamValue(kDryWetInfo, value));
    } else {
        throw Error(std::string(s->processor().info().id) + "/" + std::string(paramId), "unknown parameter");
    }
}

void Engine::setBypass(uint32_t slotId, bool on) {
    slot(slotId)->setBypass(on);
}
void Engine::setDryWet(uint32_t slotId, float mix) {
    slot(slotId)->setMix(mix);
}

std::vector<uint32_t> Engine::slotIds() const {
    std::lock_guard lock(controlMutex_);
    std::vector<uint32_t> ids;
    for (const auto& s : model_)
        ids.push_back(s->id());
    return ids;
}

std::shared_ptr<Slot> Engine::slot(uint32_t slotId) const {
    std::lock_guard lock(controlMutex_);
    return findSlotLocked(slotId);
}

std::vector<SlotSpec> Engine::chainSpec() const {
    std::lock_guard lock(controlMutex_);
    std::vector<SlotSpec> out;
    for (const auto& s : model_) {
        SlotSpec spec;
        const auto& proc = s->processor();
        spec.name = std::string(proc.info().id);
        for (std::size_t i = 0; i < proc.paramCount(); ++i) {
            const auto& p = proc.info().params[i];
            const float v = proc.param(i);
            if (v != constrainParam(p, p.def))
                spec.params.emplace_back(std::string(p.id), formatParamValue(p, v));
        }
        for (std::size_t i = 0; i < proc.propertyCount(); ++i)
            if (!proc.property(i).empty())
                spec.params.emplace_back(std::string(proc.info().properties[i].id), proc.property(i));
        if (s->bypass()) spec.params.emplace_back(std::string(kSlotBypass), "on");
        if (s->mix() != 1.f) {
            spec.params.emplace_back(std::string(kSlotDryWet), formatParamValue(kDryWetInfo, s->mix()));
        }
        out.push_back(std::move(spec));
    }
    return out;
}

uint32_t Engine::latency() const {
    std::lock_guard lock(controlMutex_);
    uint32_t total = 0;
    for (const auto& s : model_)
        total += s->latency();
    return total;
}

uint64_t Engine::publishedGeneration() const {
    std::lock_guard lock(controlMutex_);
    return generation_;
}

void Engine::setTempo(double bpm) noexcept {
    if (std::isfinite(bpm)) tempo_.store(std::clamp(bpm, kMinBpm, kMaxBpm), std::memory_order_relaxed);
}

double Engine::tapTempo(double seconds) {
    std::lock_guard lock(controlMutex_);
    if (!taps_.empty() && (seconds - taps_.back() > 2.0 || seconds <= taps_.back())) taps_.clear();
    taps_.push_back(seconds);
    if (taps_.size() > 5) taps_.erase(taps_.begin());
    if (taps_.size() >= 2) {
        const double interval = (taps_.back() - taps_.front()) / static_cast<double>(taps_.size() - 1);
        setTempo(60.0 / interval);
    }
    return tempo();
}

void Engine::setInputGainDb(float db) noexcept {
    if (std::isfinite(db)) inputGainTarget_.store(dsp::dbToGain(std::clamp(db, -60.f, 24.f)));
}

void Engine::setMasterDb(float db) noexcept {
    if (std::isfinite(db)) masterGainTarget_.store(dsp::dbToGain(std::clamp(db, -60.f, 24.f)));
}

void Engine::publishLocked() {
    auto snap = std::make_unique<ChainSnapshot>();
    snap->slots = model_;
    snap->order.reserve(model_.size());
    uint32_t latency = 0;
    for (const auto& s : model_) {
        snap->order.push_back(s.get());
        latency += s->latency();
    }
    snap->sampleRate = sampleRate_;
    snap->maxBlock = preparedBlock_;
    snap->latency = latency;
    snap->generation = ++generation_;
    // A snapshot the audio thread never took is ours again: free it here.
    delete pending_.exchange(snap.release(), std::memory_order_acq_rel);
}

void Engine::settle() {
    if (mode_ != Mode::None) {
        // Finish a transition in progress: the incoming chain wins.
        if (incoming_) {
            delete current_;
            current_ = incoming_;
            incoming_ = nullptr;
        }
        mode_ = Mode::None;
    }
    if (ChainSnapshot* next = pending_.exchange(nullptr, std::memory_order_acq_rel)) {
        delete current_;
        current_ = next;
        inputGain_.prepare(current_->sampleRate, kGainSmoothMs);
        masterGain_.prepare(current_->sampleRate, kGainSmoothMs);
        adopted_.store(current_->generation, std::memory_order_relaxed);
    }
    inTransition_.store(false, std::memory_order_relaxed);
}

std::size_t Engine::housekeeping(const std::function<void(const EngineEvent&)>& onEvent) {
    std::size_t freed = 0;
    ChainSnapshot* s = nullptr;
    while (retire_.try_dequeue(s)) {
        delete s;
        ++freed;
    }
    {
        std::lock_guard lock(controlMutex_);
        for (const auto& slot : model_)
            slot->processor().collectGarbage();
    }
    EngineEvent e;
    while (events_.try_dequeue(e))
        if (onEvent) onEvent(e);
    return freed;
}

Meters Engine::meters() const noexcept {
    Meters m;
    for (int c = 0; c < 2; ++c) {
        m.inPeak[c] = meterOut_[c].load(std::memory_order_relaxed);
        m.inRms[c] = meterOut_[2 + c].load(std::memory_order_relaxed);
        m.outPeak[c] = meterOut_[4 + c].load(std::memory_order_relaxed);
        m.outRms[c] = meterOut_[6 + c].load(std::memory_order_relaxed);
    }
    return m;
}

// ---------------------------------------------------------------- audio side

void Engine::postEvent(const EngineEvent& e) noexcept {
    if (!events_.try_enqueue(e)) droppedEvents_.fetch_add(1, std::memory_order_relaxed);
}

void Engine::tryAdopt() noexcept {
    // Adopt only when the retired snapshot can be handed back without blocking or allocating.
    if (retire_.size_approx() + 2 >= kRetireCapacity) return;
    ChainSnapshot* next = pending_.exchange(nullptr, std::memory_order_acq_rel);
    if (!next) return;
    bool shares = false;
    for (Slot* a : next->order)
        for (Slot* b : current_->order)
            shares = shares || a == b;
    incoming_ = next;
    phasePos_ = 0;
    if (shares) {
        mode_ = Mode::DuckOut;
        phaseLen_ = std::max<uint32_t>(1, static_cast<uint32_t>(next->sampleRate * kDuckMs * 0.001));
    } else {
        mode_ = Mode::Parallel;
        phaseLen_ = std::max<uint32_t>(1, static_cast<uint32_t>(next->sampleRate * kReplaceFadeMs * 0.001));
    }
    inTransition_.store(true, std::memory_order_relaxed);
}

void Engine::finishPhase() noexcept {
    if (mode_ == Mode::Parallel || mode_ == Mode::DuckOut) {
        retire_.try_enqueue(current_); // capacity checked in tryAdopt: never fails, never allocates
        current_ = incoming_;
        incoming_ = nullptr;
        adopted_.store(current_->generation, std::memory_order_relaxed);
        postEvent({EventType::ChainAdopted, 0, current_->generation});
        if (current_->sampleRate != 0.0) {
            inputGain_.prepare(current_->sampleRate, kGainSmoothMs);
            masterGain_.prepare(current_->sampleRate, kGainSmoothMs);
        }
        if (mode_ == Mode::DuckOut) {
            mode_ = Mode::DuckIn;
            phasePos_ = 0;
            return;
        }
    }
    mode_ = Mode::None;
    inTransition_.store(false, std::memory_order_relaxed);
}

void Engine::runChain(ChainSnapshot* snap, fx::StereoBlock& bus, const fx::ProcessContext& ctx) noexcept {
    for (Slot* slot : snap->order) {
        if (!slot->process(bus, ctx, dryL_.data(), dryR_.data())) {
            nonFinite_.fetch_add(1, std::memory_order_relaxed);
            postEvent({EventType::NonFiniteOutput, slot->id(), snap->generation});
        }
    }
}

void Engine::process(const AudioIO& io) noexcept {
    rt::AudioThreadScope audioScope;
    rt::ScopedFlushDenormals ftz;
    const auto t0 = std::chrono::steady_clock::now();

    inputGain_.setTarget(inputGainTarget_.load(std::memory_order_relaxed));
    masterGain_.setTarget(masterGainTarget_.load(std::memory_order_relaxed) *
                          (tunerMute_.load(std::memory_order_relaxed) ? 0.f : 1.f));
    const double tempo = tempo_.load(std::memory_order_relaxed);
    float blockPeak[4]{};
    float blockSq[4]{};

    std::size_t midiIndex = 0;
    uint32_t done = 0;
    while (done < io.frames) {
        if (mode_ == Mode::None) tryAdopt();
        uint32_t n = std::min(io.frames - done, current_->maxBlock);
        if (incoming_) n = std::min(n, incoming_->maxBlock);
        if (mode_ != Mode::None) n = std::min(n, phaseLen_ - phasePos_);

        // Input stage: mono input feeds both sides; non-finite input is muted and reported.
        float* l = busL_.data();
        float* r = busR_.data();
        const float* in1 = io.in1 ? io.in1 + done : nullptr;
        const float* in2 = io.in2 ? io.in2 + done : in1;
        if (in1)
            std::memcpy(l, in1, n * sizeof(float));
        else
            std::memset(l, 0, n * sizeof(float));
        if (in2)
            std::memcpy(r, in2, n * sizeof(float));
        else
            std::memset(r, 0, n * sizeof(float));
        // The tuner hears the raw input, before any gain or effect.
        switch (tunerSource_.load(std::memory_order_relaxed)) {
        case 1:
            tunerTap_.push(l, n);
            break;
        case 2:
            tunerTap_.push(r, n);
            break;
        case 3:
            tunerTap_.pushSum(l, r, n);
            break;
        default:
            break;
        }
        if (!ops::allFinite(l, n) || !ops::allFinite(r, n)) {
            std::memset(l, 0, n * sizeof(float));
            std::memset(r, 0, n * sizeof(float));
            nonFinite_.fetch_add(1, std::memory_order_relaxed);
            postEvent({EventType::NonFiniteInput, 0, current_->generation});
        }
        if (inputGain_.smoothing()) {
            for (uint32_t i = 0; i < n; ++i) {
                const float g = inputGain_.next();
                l[i] *= g;
                r[i] *= g;
            }
        } else if (inputGain_.current() != 1.f) {
            ops::scale(l, n, inputGain_.current());
            ops::scale(r, n, inputGain_.current());
        }
        ops::peakAndEnergy(l, n, blockPeak[0], blockSq[0]);
        ops::peakAndEnergy(r, n, blockPeak[1], blockSq[1]);

        std::size_t midiCount = 0;
        while (midiIndex < io.midi.size() && io.midi[midiIndex].offset < done + n &&
               midiCount < kMaxMidiEvents) {
            midiScratch_[midiCount] = io.midi[midiIndex];
            midiScratch_[midiCount].offset =
                io.midi[midiIndex].offset > done ? io.midi[midiIndex].offset - done : 0;
            ++midiCount;
            ++midiIndex;
        }
        fx::ProcessContext ctx;
        ctx.sampleRate = current_->sampleRate;
        ctx.frames = n;
        ctx.tempoBpm = tempo;
        ctx.beat = beat_;
        ctx.midi = std::span<const fx::MidiEvent>(midiScratch_.data(), midiCount);
        ctx.sidechain = io.carrier ? io.carrier + done : nullptr;

        fx::StereoBlock bus{l, r, n};
        if (mode_ == Mode::Parallel) {
            std::memcpy(bus2L_.data(), l, n * sizeof(float));
            std::memcpy(bus2R_.data(), r, n * sizeof(float));
            fx::StereoBlock bus2{bus2L_.data(), bus2R_.data(), n};
            runChain(current_, bus, ctx);
            runChain(incoming_, bus2, ctx);
            const float len = static_cast<float>(phaseLen_);
            for (uint32_t i = 0; i < n; ++i) {
                const float t = static_cast<float>(phasePos_ + i + 1) / len;
                const float g = 0.5f - 0.5f * std::cos(std::numbers::pi_v<float> * t);
                l[i] += g * (bus2L_[i] - l[i]);
                r[i] += g * (bus2R_[i] - r[i]);
            }
        } else {
            runChain(current_, bus, ctx);
            if (mode_ == Mode::DuckOut || mode_ == Mode::DuckIn) {
                const float len = static_cast<float>(phaseLen_);
                const float sign = mode_ == Mode::DuckOut ? 1.f : -1.f;
                for (uint32_t i = 0; i < n; ++i) {
                    const float t = static_cast<float>(phasePos_ + i + 1) / len;
                    const float g = 0.5f + sign * 0.5f * std::cos(std::numbers::pi_v<float> * t);
                    l[i] *= g;
                    r[i] *= g;
                }
            }
        }
        if (mode_ != Mode::None) {
            phasePos_ += n;
            if (phasePos_ >= phaseLen_) finishPhase();
        }

        // Output stage.
        float* outL = io.outL + done;
        float* outR = io.outR + done;
        if (masterGain_.smoothing()) {
            for (uint32_t i = 0; i < n; ++i) {
                const float g = masterGain_.next();
                outL[i] = l[i] * g;
                outR[i] = r[i] * g;
            }
        } else {
            ops::copyScaled(l, outL, n, masterGain_.current());
            ops::copyScaled(r, outR, n, masterGain_.current());
        }
        ops::peakAndEnergy(outL, n, blockPeak[2], blockSq[2]);
        ops::peakAndEnergy(outR, n, blockPeak[3], blockSq[3]);
        done += n;
        beat_ += n * tempo / (60.0 * current_->sampleRate);
        if (beat_ >= 1e9) beat_ = std::fmod(beat_, 4.0);
    }

    if (io.frames > 0) {
        const double sr = current_->sampleRate;
        const double a = std::exp(-static_cast<double>(io.frames) / (sr * kMeterTimeS));
        for (int k = 0; k < 4; ++k) {
            meterMs_[k] = meterMs_[k] * a + (blockSq[k] / io.frames) * (1.0 - a);
            meterPeak_[k] = std::max(blockPeak[k], static_cast<float>(meterPeak_[k] * a));
            const int base = k < 2 ? 0 : 4;
            meterOut_[base + (k & 1)].store(meterPeak_[k], std::memory_order_relaxed);
            meterOut_[base + 2 + (k & 1)].store(static_cast<float>(std::sqrt(meterMs_[k])),
                                                std::memory_order_relaxed);
        }
        const double elapsedNs = static_cast<double>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
                .count());
        const double periodNs = io.frames / sr * 1e9;
        const auto loadNow = static_cast<float>(100.0 * elapsedNs / periodNs);
        const float prev = load_.load(std::memory_order_relaxed);
        load_.store(prev + 0.05f * (loadNow - prev), std::memory_order_relaxed);
        if (loadNow > loadPeak_.load(std::memory_order_relaxed))
            loadPeak_.store(loadNow, std::memory_order_relaxed);
    }
    blocks_.fetch_add(1, std::memory_order_relaxed);
}

} // namespace stagerack::engine
