#include "effects/looper/Looper.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>

namespace stagerack::fx {

namespace {

// Values under this written by an overdub with feedback < 1 become zero: a fading layer reaches exact
// silence instead of lingering in denormals (the engine sets FTZ/DAZ, a test or a host may not).
constexpr float kFlushBelow = 1e-20f;
// Beat boundaries within this fraction of a sample count as reached (beat positions carry rounding).
constexpr double kBoundaryTolerance = 1e-4;
constexpr uint32_t kNever = std::numeric_limits<uint32_t>::max();

inline float flushTiny(float x) noexcept {
    return std::fabs(x) < kFlushBelow ? 0.f : x;
}

inline float levelGain(float db) noexcept {
    return dsp::dbToGainOrOff(db, Looper::kLevelFloorDb);
}

inline float finiteOrZero(float x) noexcept {
    return std::isfinite(x) ? x : 0.f;
}

} // namespace

Looper::Looper() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    // No buffers until prepare(): the constructor runs wherever the engine builds a slot, and 230 MB
    // belong to prepare(), which runs on a control thread.
}

void Looper::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    capacity_ =
        static_cast<uint32_t>(std::lround(kMaxLoopSeconds * std::min(sampleRate, kCapacityReferenceRate)));
    nChunks_ = (capacity_ + kChunkFrames - 1) / kChunkFrames;
    const std::size_t floats = static_cast<std::size_t>(nChunks_) * kChunkFrames * 2;
    for (int l = 0; l < 2; ++l) {
        layers_[l].assign(floats, 0.f);
        layerPtr_[l] = layers_[l].data();
        // Write every page through a volatile pointer, so that however the allocation and the fill are
        // optimised, the pages are mapped now and the audio thread never takes a page fault on them.
        volatile float* touch = layerPtr_[l];
        for (std::size_t i = 0; i < floats; i += 1024)
            touch[i] = 0.f;
    }
    loc_.assign(nChunks_, 0);
    stamp_.assign(nChunks_, 0);
    undoneBits_.assign(kSessionSlots / 64, 0);
    sweepPerSample_ = std::max<uint32_t>(1, (nChunks_ + kSweepSamples - 1) / kSweepSamples);

    fadeLen_ = std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(kFadeMs * 0.001 * sampleRate)));
    seamLen_ = std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(kSeamMs * 0.001 * sampleRate)));
    minLoop_ =
        std::max<uint32_t>(2 * seamLen_, static_cast<uint32_t>(std::lround(kMinLoopMs * 0.001 * sampleRate)));
    fadeBuf_.assign(2 * static_cast<std::size_t>(fadeLen_), 0.f);
    seamHead_.resize(seamLen_);
    seamTail_.resize(seamLen_);
    seamLoop_.assign(2 * static_cast<std::size_t>(seamLen_), 0.f);
    seamInput_.assign(2 * static_cast<std::size_t>(seamLen_), 0.f);
    for (uint32_t i = 0; i < seamLen_; ++i) {
        // Raised-cosine weights summing to one, 0 and 1 one position before and after the seam region.
        // Summing to one (not equal power) because what is played after a loop's end is usually the
        // phrase starting again: correlated with the loop's start, which such a crossfade keeps level
        // (a sustained note crosses the seam unchanged); unrelated material dips by at most 3 dB for 2.5 ms.
        const double theta = 0.5 * std::numbers::pi * (i + 1.0) / (seamLen_ + 1.0);
        seamHead_[i] = static_cast<float>(std::sin(theta) * std::sin(theta));
        seamTail_[i] = static_cast<float>(std::cos(theta) * std::cos(theta));
    }

    loopGain_.prepare(sampleRate, kParams[kLoopLevelDb].smoothMs);
    dryGain_.prepare(sampleRate, kParams[kDryLevelDb].smoothMs);
    feedback_.prepare(sampleRate, kParams[kOverdubFeedback].smoothMs);

    clearAll();
    // The host now sets every parameter and calls reset(): those values start nothing.
    initializing_ = true;
    transportLevel_ = static_cast<int>(std::lround(values_[kTransport]));
    for (std::size_t t = 0; t < triggerHigh_.size(); ++t)
        triggerHigh_[t] = values_[kFootswitch + t] >= 0.5f;
}

void Looper::clearAll() noexcept {
    state_ = State::Empty;
    loopLen_ = recorded_ = 0;
    session_ = sessionCounter_ = 0;
    undone_ = closing_ = false;
    closePos_ = sweepCursor_ = 0;
    main_ = Head{};
    fadePos_ = fadeLeft_ = 0;
    overdub_ = Ramp{};
    histL0_ = histL1_ = histR0_ = histR1_ = 0.f;
    pending_ = Action::None;
    pendingDue_ = pendingQuantized_ = false;
    eventHead_ = eventCount_ = 0;
    loopGain_.setImmediate(levelGain(values_[kLoopLevelDb]));
    dryGain_.setImmediate(levelGain(values_[kDryLevelDb]));
    feedback_.setImmediate(values_[kOverdubFeedback]);
    publishStatus();
}

void Looper::reset() noexcept {
    initializing_ = false;
    loopGain_.setImmediate(levelGain(values_[kLoopLevelDb]));
    dryGain_.setImmediate(levelGain(values_[kDryLevelDb]));
    feedback_.setImmediate(values_[kOverdubFeedback]);
    reverse_ = values_[kReverse] >= 0.5f;
    halfSpeed_ = values_[kHalfSpeed] >= 0.5f;
    if (state_ == State::Recording) {
        state_ = State::Empty; // half a phrase is no loop
        recorded_ = loopLen_ = 0;
        main_ = Head{};
    } else if (state_ == State::Playing || state_ == State::Overdubbing) {
        state_ = State::Stopped;
    }
    if (closing_) finishSeamEarly();
    closing_ = false;
    snapRamp(main_.amp, 0.f);
    snapRamp(overdub_, 0.f);
    fadeLeft_ = 0;
    pending_ = Action::None;
    pendingDue_ = false;
    eventHead_ = eventCount_ = 0;
    histL0_ = histL1_ = histR0_ = histR1_ = 0.f;
    publishStatus();
}

void Looper::pushEvent(EventKind kind, uint8_t value) noexcept {
    if (initializing_) return;
    if (eventCount_ == kMaxEvents) {
        // Full (controls arriving far faster than the looper can act on them): a stop or clear takes the
        // newest place, so the last word stays theirs; anything else is dropped.
        if (kind == EventKind::Stop || kind == EventKind::Clear)
            events_[(eventHead_ + eventCount_ - 1) % kMaxEvents] = Event{kind, value};
        return;
    }
    events_[(eventHead_ + eventCount_) % kMaxEvents] = Event{kind, value};
    ++eventCount_;
}

void Looper::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    switch (index) {
    case kTransport: {
        const int t = static_cast<int>(std::lround(value));
        if (t != transportLevel_) {
            transportLevel_ = t;
            pushEvent(EventKind::Transport, static_cast<uint8_t>(t));
        }
        break;
    }
    case kFootswitch:
    case kStop:
    case kUndo:
    case kRedo:
    case kClear: {
        const bool high = value >= 0.5f;
        bool& level = triggerHigh_[index - kFootswitch];
        if (high && !level) {
            constexpr EventKind kinds[] = {EventKind::Footswitch, EventKind::Stop, EventKind::Undo,
                                           EventKind::Redo, EventKind::Clear};
            pushEvent(kinds[index - kFootswitch], 0);
        }
        level = high;
        break;
    }
    case kReverse:
        reverse_ = value >= 0.5f;
        break;
    case kHalfSpeed:
        halfSpeed_ = value >= 0.5f;
        break;
    case kLoopLevelDb:
        loopGain_.setTarget(levelGain(value));
        break;
    case kDryLevelDb:
        dryGain_.setTarget(levelGain(value));
        break;
    case kOverdubFeedback:
        feedback_.setTarget(value);
        break;
    default:
        break; // quantize and beats_per_bar are read when an action is scheduled
    }
}

// ---------------------------------------------------------------------------------------------- actions

// The order rule. Controls act one after the other in the order setParam delivered them, each once the one
// before it has happened; the engine delivers one period's changes in parameter order (transport,
// footswitch, stop, undo, redo, clear), so of controls pressed in the same period a stop, undo or clear
// always acts last. An action that waits only for the seam or for a recording's shortest length (at most
// kMinLoopMs) holds every control behind it. An action that waits for the beat does not: undo, redo and
// clear act at once (undo ends a waiting overdub as it ends a running one), a transport change or stop
// replaces the waiting action, and a footswitch press cancels it unless it is a stop (a stop is never lost).
void Looper::takeClear() noexcept {
    // Clear never waits, and makes everything queued before it moot.
    for (std::size_t k = eventCount_; k-- > 0;) {
        if (events_[(eventHead_ + k) % kMaxEvents].kind != EventKind::Clear) continue;
        eventHead_ = (eventHead_ + k + 1) % kMaxEvents;
        eventCount_ -= k + 1;
        clear();
        return;
    }
}

bool Looper::waitsForGrid() const noexcept {
    if (pending_ == Action::None || !pendingQuantized_) return false;
    if (state_ == State::Recording && isClose(pending_)) return recorded_ < closeAt_; // whole beats (bars)
    return !pendingDue_;
}

void Looper::serviceControls(const ProcessContext& ctx, uint32_t frame, uint32_t frames) noexcept {
    for (;;) {
        if (pending_ != Action::None) firePending(frame);
        if (eventCount_ == 0) return;
        if (pending_ != Action::None && !waitsForGrid()) return; // a short wait holds what follows
        const Event ev = events_[eventHead_];
        eventHead_ = (eventHead_ + 1) % kMaxEvents;
        --eventCount_;
        handleEvent(ev, ctx, frame, frames);
    }
}

void Looper::handleEvent(Event ev, const ProcessContext& ctx, uint32_t frame, uint32_t frames) noexcept {
    // Here any waiting action waits for the beat (shorter waits hold the queue).
    switch (ev.kind) {
    case EventKind::Transport: {
        constexpr Action actions[] = {Action::Stop, Action::Record, Action::Play, Action::Overdub};
        setPending(actions[std::min<int>(ev.value, kTransportCount - 1)], ctx, frame, frames);
        break;
    }
    case EventKind::Footswitch:
        if (pending_ != Action::None) {
            if (pending_ != Action::Stop) pending_ = Action::None; // a second press before the beat cancels
            break;
        }
        switch (state_) {
        case State::Empty:
            setPending(Action::Record, ctx, frame, frames);
            break;
        case State::Playing:
            setPending(Action::Overdub, ctx, frame, frames);
            break;
        default: // recording, overdubbing, stopped
            setPending(Action::Play, ctx, frame, frames);
            break;
        }
        break;
    case EventKind::Stop:
        setPending(Action::Stop, ctx, frame, frames);
        break;
    case EventKind::Undo:
        undo();
        // An overdub waiting for the beat ends before it starts: playing stays playing; from a recording or a
        // stopped loop it becomes play (what the overdub would have left after the undo).
        if (pending_ == Action::Overdub) pending_ = state_ == State::Playing ? Action::None : Action::Play;
        break;
    case EventKind::Redo:
        redo();
        break;
    case EventKind::Clear:
        clear();
        break;
    }
}

double Looper::gridBeats() const noexcept {
    if (std::lround(values_[kQuantize]) != kQuantizeBar) return 1.0;
    return std::max(1.0, std::round(static_cast<double>(values_[kBeatsPerBar])));
}

bool Looper::quantizeActive(const ProcessContext& ctx) const noexcept {
    return std::lround(values_[kQuantize]) != kQuantizeOff && std::isfinite(ctx.tempoBpm) &&
           ctx.tempoBpm > 0.0 && std::isfinite(ctx.beat);
}

void Looper::setPending(Action a, const ProcessContext& ctx, uint32_t frame, uint32_t frames) noexcept {
    pending_ = a;
    pendingDue_ = false;
    pendingQuantized_ = quantizeActive(ctx);
    pendingAt_ = kNever;
    pendingBoundary_ = std::numeric_limits<double>::quiet_NaN();
    if (state_ == State::Recording && isClose(a))
        computeCloseAt(ctx);
    else
        schedulePending(ctx, frames, frame);
}

void Looper::computeCloseAt(const ProcessContext& ctx) noexcept {
    const uint32_t shortest = std::max(recorded_, minLoop_);
    uint64_t at = shortest;
    if (quantizeActive(ctx)) {
        // Whole beats (bars) since the recording started, counted in recorded positions at the tempo of
        // the request (half-speed recording fills half a position per sample).
        const double perBeat = 60.0 * sampleRate_ / ctx.tempoBpm * (main_.half ? 0.5 : 1.0);
        const double grid = gridBeats();
        double beats = std::max(grid, std::ceil(recorded_ / perBeat / grid - 1e-6) * grid);
        at = static_cast<uint64_t>(std::llround(beats * perBeat));
        while (at < shortest && at < capacity_) {
            beats += grid;
            at = static_cast<uint64_t>(std::llround(beats * perBeat));
        }
    }
    closeAt_ = static_cast<uint32_t>(std::min<uint64_t>(at, capacity_));
}

void Looper::schedulePending(const ProcessContext& ctx, uint32_t frames, uint32_t from) noexcept {
    if (pending_ == Action::None || pendingDue_) return;
    if (state_ == State::Recording && isClose(pending_)) return; // closeAt_ decides
    pendingQuantized_ = quantizeActive(ctx);
    if (!pendingQuantized_) return;
    // The first sample whose beat position reaches the next beat (bar) boundary.
    const double perSample = ctx.tempoBpm / (60.0 * sampleRate_);
    const double grid = gridBeats();
    const double tol = kBoundaryTolerance * perSample;
    // The grid line is fixed when the action is first scheduled (at frame `from` of the block): a line
    // that falls between two blocks is still reached (at the first sample of the next block), never
    // skipped for the one after.
    const double now = ctx.beat + static_cast<double>(from) * perSample;
    if (!std::isfinite(pendingBoundary_) || pendingBoundary_ - now > grid + tol)
        pendingBoundary_ = std::ceil((now - tol) / grid) * grid;
    const double offset = std::max(static_cast<double>(from),
                                   std::ceil((pendingBoundary_ - ctx.beat) / perSample - kBoundaryTolerance));
    pendingAt_ = offset < static_cast<double>(frames) ? static_cast<uint32_t>(offset) : kNever;
}

void Looper::firePending(uint32_t frame) noexcept {
    // A boundary reached while the seam is still being written stays reached.
    if (pendingQuantized_ && !pendingDue_ && frame >= pendingAt_) pendingDue_ = true;
    if (closing_) return; // the seam is being written: wait (at most kSeamMs)
    if (state_ == State::Recording) {
        if (!isClose(pending_)) {
            pending_ = Action::None; // record while recording
            return;
        }
        // Close on a whole position (half speed writes one every other sample) once long enough.
        if (recorded_ >= closeAt_ && main_.h2 == 2 * static_cast<int64_t>(recorded_)) {
            const Action a = pending_;
            pending_ = Action::None;
            closeLoop(a);
        }
        return;
    }
    if (pendingQuantized_ && !pendingDue_) return;
    const Action a = pending_;
    pending_ = Action::None;
    apply(a);
}

void Looper::apply(Action a) noexcept {
    switch (state_) {
    case State::Empty:
        if (a == Action::Record) startRecording();
        break;
    case State::Recording:
        if (isClose(a)) closeLoop(a);
        break;
    case State::Playing:
        if (a == Action::Record) {
            startRecording();
        } else if (a == Action::Overdub) {
            // Punching in again while the last punch-out still fades continues that overdub (one undo).
            if (session_ == 0 || undone_ || overdub_.gain == 0.f) startSession();
            setRamp(overdub_, 1.f);
            state_ = State::Overdubbing;
        } else if (a == Action::Stop) {
            state_ = State::Stopped;
        }
        break;
    case State::Overdubbing:
        if (a == Action::Record) {
            startRecording();
        } else if (a == Action::Play) {
            endOverdub();
            state_ = State::Playing;
        } else if (a == Action::Stop) {
            endOverdub();
            state_ = State::Stopped;
        }
        break;
    case State::Stopped:
        if (a == Action::Record) {
            startRecording();
        } else if (a == Action::Play) {
            restart();
            state_ = State::Playing;
        } else if (a == Action::Overdub) {
            restart();
            startSession();
            setRamp(overdub_, 1.f);
            state_ = State::Overdubbing;
        }
        break;
    }
    updateMainTarget();
}

void Looper::startRecording() noexcept {
    if (main_.len > 0 && main_.amp.gain > 0.f) moveMainToFade();
    main_ = Head{};
    main_.half = halfSpeed_;
    snapRamp(overdub_, 0.f);
    state_ = State::Recording;
    recorded_ = loopLen_ = 0;
    session_ = 0; // nothing of the old loop can be undone or redone
    undone_ = false;
    closing_ = false;
}

void Looper::closeLoop(Action a) noexcept {
    loopLen_ = recorded_;
    main_.len = loopLen_;
    main_.h2 = 0;
    main_.dir = 1; // the seam is written going forwards; reverse follows when it is done
    snapRamp(main_.amp, 0.f);
    closing_ = true;
    closePos_ = 0;
    state_ = a == Action::Play ? State::Playing : a == Action::Overdub ? State::Overdubbing : State::Stopped;
    if (state_ == State::Overdubbing) {
        // The input goes on without a break from recording into the overdub: no punch-in fade (the seam
        // crossfade already joins the two).
        startSession();
        snapRamp(overdub_, 1.f);
    }
    updateMainTarget();
}

void Looper::restart() noexcept {
    if (main_.amp.gain > 0.f) moveMainToFade();
    main_.len = loopLen_;
    main_.h2 = 0;
    main_.dir = reverse_ ? -1 : 1;
    main_.half = halfSpeed_;
    snapRamp(main_.amp, 0.f);
    snapRamp(overdub_, 0.f); // the head jumps: a fading punch-out would land in the wrong place
}

void Looper::endOverdub() noexcept {
    setRamp(overdub_, 0.f); // writes go on, fading, for kFadeMs
}

void Looper::finishSeamEarly() noexcept {
    // Interrupted seam (a reset before its last position): positions from closePos_ on still hold the
    // recording as it was, the ones before a crossfade that had barely begun, a step where they meet. The
    // positions written are crossfaded again over their own length, with the same raised-cosine weights,
    // ending on the recording exactly where it is untouched; the seam is shorter, but whole. In both layers
    // where the session copied the chunk: an overdub that started as the loop closed lasted less than the
    // seam, and is dropped (the loop is what closing into play would have left).
    const uint32_t k = closePos_;
    for (uint32_t i = 0; i < k; ++i) {
        const double theta = 0.5 * std::numbers::pi * (i + 1.0) / (k + 1.0);
        const auto h = static_cast<float>(std::sin(theta) * std::sin(theta));
        const auto t = static_cast<float>(std::cos(theta) * std::cos(theta));
        const float l = h * seamLoop_[2 * i] + t * seamInput_[2 * i];
        const float r = h * seamLoop_[2 * i + 1] + t * seamInput_[2 * i + 1];
        const uint32_t chunk = i >> kChunkShift;
        const uint8_t layer = locate(chunk);
        float* f = frameAt(i, layer);
        f[0] = l;
        f[1] = r;
        if (session_ != 0 && stamp_[chunk] == session_) {
            float* other = frameAt(i, static_cast<uint8_t>(layer ^ 1));
            other[0] = l;
            other[1] = r;
        }
    }
}

void Looper::startSession() noexcept {
    do {
        ++sessionCounter_;
    } while (sessionCounter_ == 0);
    session_ = sessionCounter_;
    setUndoneBit(session_, false);
    undone_ = false;
}

void Looper::setUndoneBit(uint32_t session, bool on) noexcept {
    uint64_t& word = undoneBits_[(session >> 6) & (kSessionSlots / 64 - 1)];
    const uint64_t bit = uint64_t{1} << (session & 63);
    word = on ? (word | bit) : (word & ~bit);
}

void Looper::undo() noexcept {
    if (state_ == State::Recording) return;
    if (state_ == State::Overdubbing) state_ = State::Playing;
    snapRamp(overdub_, 0.f); // not one more write into the layer being removed
    if (session_ != 0 && !undone_) {
        crossfadeView();
        setUndoneBit(session_, true);
        undone_ = true;
    }
    updateMainTarget();
}

void Looper::redo() noexcept {
    if (state_ == State::Recording || session_ == 0 || !undone_) return;
    crossfadeView();
    setUndoneBit(session_, false);
    undone_ = false;
}

void Looper::clear() noexcept {
    if (main_.len > 0 && main_.amp.gain > 0.f) moveMainToFade();
    state_ = State::Empty;
    loopLen_ = recorded_ = 0;
    main_ = Head{};
    snapRamp(overdub_, 0.f);
    session_ = 0;
    undone_ = false;
    closing_ = false;
    pending_ = Action::None;
}

void Looper::moveMainToFade() noexcept {
    // Render the fade-out now (at most kFadeMs of reads, once per action), added to what is left of an
    // earlier one. In place: sample k reads the old fade at fadePos_ + k >= k, not yet overwritten.
    Head h = main_;
    setRamp(h.amp, 0.f);
    float* const buf = fadeBuf_.data();
    const uint32_t carried = fadeLeft_;
    for (uint32_t k = 0; k < fadeLen_; ++k) {
        float l = 0.f, r = 0.f;
        const float g = stepRamp(h.amp);
        if (g != 0.f) readHead(h, l, r);
        advance(h);
        float oldL = 0.f, oldR = 0.f;
        if (k < carried) {
            oldL = buf[2 * (fadePos_ + k)];
            oldR = buf[2 * (fadePos_ + k) + 1];
        }
        buf[2 * k] = g * l + oldL;
        buf[2 * k + 1] = g * r + oldR;
    }
    fadePos_ = 0;
    fadeLeft_ = fadeLen_;
    snapRamp(main_.amp, 0.f);
}

void Looper::crossfadeView() noexcept {
    // The rendered fade-out keeps the loop as it sounded before the undo (redo, switch); the main head
    // sees the new state and fades in.
    if (main_.len == 0 || main_.amp.gain <= 0.f) return;
    const float target = main_.amp.target;
    moveMainToFade();
    setRamp(main_.amp, target);
}

void Looper::updateMainTarget() noexcept {
    const bool audible = state_ == State::Playing || state_ == State::Overdubbing;
    setRamp(main_.amp, audible ? 1.f : 0.f);
}

void Looper::setRamp(Ramp& r, float target) const noexcept {
    if (r.target == target && (r.left > 0 || r.gain == target)) return;
    r.target = target;
    if (r.gain == target) {
        r.left = 0;
        return;
    }
    r.left = fadeLen_;
    r.step = (target - r.gain) / static_cast<float>(fadeLen_);
}

float Looper::stepRamp(Ramp& r) noexcept {
    if (r.left > 0) {
        if (--r.left == 0)
            r.gain = r.target; // lands exactly: a loop at full level is bit-exact
        else
            r.gain += r.step;
    }
    return r.gain;
}

void Looper::updateMotion() noexcept {
    if (state_ == State::Recording) {
        if (main_.half != halfSpeed_) {
            // Half to normal between two positions: step back onto the one just passed, whose write is
            // due now, so no position is left unwritten.
            if (main_.half && (main_.h2 & 1)) main_.h2 -= 1;
            main_.half = halfSpeed_;
        }
        return;
    }
    if (loopLen_ == 0 || closing_) return;
    const int dir = reverse_ ? -1 : 1;
    if (main_.dir == dir && main_.half == halfSpeed_) return;
    if (main_.amp.gain > 0.f) crossfadeView(); // the old motion fades out
    if (main_.half && !halfSpeed_ && (main_.h2 & 1)) {
        main_.h2 -= main_.dir; // back onto the position just passed (its write is due now)
        if (main_.h2 < 0) main_.h2 += 2 * static_cast<int64_t>(main_.len);
        if (main_.h2 >= 2 * static_cast<int64_t>(main_.len)) main_.h2 -= 2 * static_cast<int64_t>(main_.len);
    }
    main_.dir = dir;
    main_.half = halfSpeed_;
}

// ---------------------------------------------------------------------------------------------- audio

void Looper::advance(Head& h) const noexcept {
    h.h2 += h.dir * (h.half ? 1 : 2);
    const int64_t span = 2 * static_cast<int64_t>(h.len);
    if (h.h2 >= span)
        h.h2 -= span;
    else if (h.h2 < 0)
        h.h2 += span;
}

void Looper::readHead(const Head& h, float& l, float& r) const noexcept {
    const auto a = static_cast<uint32_t>(h.h2 >> 1);
    const float* fa = frameAt(a, locate(a >> kChunkShift));
    if ((h.h2 & 1) == 0) {
        l = fa[0];
        r = fa[1];
        return;
    }
    // Half speed between two positions: the average of the neighbours (linear interpolation at exactly
    // one half). Neither neighbour has been overdubbed in this pass yet, so no input leaks into the output.
    const uint32_t b = a + 1 == h.len ? 0 : a + 1;
    const float* fb = frameAt(b, locate(b >> kChunkShift));
    l = 0.5f * (fa[0] + fb[0]);
    r = 0.5f * (fa[1] + fb[1]);
}

void Looper::ensureCow(uint32_t chunk) noexcept {
    if (stamp_[chunk] == session_) return;
    // First write of this session into the chunk: the loop as it was stays in one layer for undo, the
    // session writes into a copy in the other.
    const uint8_t l = locate(chunk);
    const std::size_t offset = static_cast<std::size_t>(chunk) * kChunkFrames * 2;
    std::memcpy(layerPtr_[l ^ 1] + offset, layerPtr_[l] + offset, kChunkFrames * 2 * sizeof(float));
    loc_[chunk] = static_cast<uint8_t>(l ^ 1);
    stamp_[chunk] = session_;
}

void Looper::writeLoop(uint32_t p, float xL, float xR, float fb, float amount) noexcept {
    const uint32_t chunk = p >> kChunkShift;
    const bool overdub = amount != 0.f;
    if (overdub) ensureCow(chunk);
    const uint8_t l = locate(chunk);
    float* live = frameAt(p, l);
    // Fraction of the old layer kept: 1 outside an overdub, the feedback inside, ramping at its edges.
    // Exactly fb at amount 1 (and the input added unscaled: a full overdub is an exact sum), exactly 1 at
    // feedback 1 (so the fades of an overdub never touch the old layer).
    const float keep = amount == 1.f ? fb : 1.f + amount * (fb - 1.f);
    if (closing_ && p == closePos_) {
        // The seam: what was played just after the loop's end is crossfaded into its start.
        const float h = seamHead_[closePos_];
        const float t = seamTail_[closePos_];
        seamLoop_[2 * closePos_] = live[0];
        seamLoop_[2 * closePos_ + 1] = live[1];
        seamInput_[2 * closePos_] = xL;
        seamInput_[2 * closePos_ + 1] = xR;
        const float baseL = h * live[0] + t * xL;
        const float baseR = h * live[1] + t * xR;
        if (overdub) {
            // An overdub that starts as the loop closes: the seam belongs to the loop underneath (what undo
            // restores), and the rest of the input to the overdub, so together the input is kept whole.
            float* under = frameAt(p, static_cast<uint8_t>(l ^ 1));
            under[0] = baseL;
            under[1] = baseR;
            live[0] = flushTiny(keep * baseL) + amount * ((1.f - t) * xL);
            live[1] = flushTiny(keep * baseR) + amount * ((1.f - t) * xR);
        } else {
            live[0] = baseL;
            live[1] = baseR;
            if (session_ != 0 && stamp_[chunk] == session_) {
                // The overdub that started as the loop closed was undone (or undone and redone) inside the
                // seam: the rest of the seam belongs to both layers, so a redo (or undo) finds it whole.
                float* other = frameAt(p, static_cast<uint8_t>(l ^ 1));
                other[0] = baseL;
                other[1] = baseR;
            }
        }
        if (++closePos_ == seamLen_) closing_ = false;
    } else if (overdub) {
        live[0] = flushTiny(keep * live[0]) + amount * xL;
        live[1] = flushTiny(keep * live[1]) + amount * xR;
    }
}

void Looper::processMain(float xL, float xR, float decL, float decR, float fb, float amount, float& loopL,
                         float& loopR) noexcept {
    Head& m = main_;
    if (state_ == State::Recording) {
        // Half speed writes a position every other sample, the input around it low-passed (1/4, 1/2, 1/4).
        if (!m.half) {
            float* f = frameAt(static_cast<uint32_t>(m.h2 >> 1),
                               locate(static_cast<uint32_t>(m.h2 >> (1 + kChunkShift))));
            f[0] = xL;
            f[1] = xR;
            recorded_ = static_cast<uint32_t>(m.h2 >> 1) + 1;
            m.h2 += 2;
        } else {
            if (m.h2 & 1) {
                const auto p = static_cast<uint32_t>(m.h2 >> 1);
                float* f = frameAt(p, locate(p >> kChunkShift));
                f[0] = decL;
                f[1] = decR;
                recorded_ = p + 1;
            }
            m.h2 += 1;
        }
        return;
    }
    if (m.len == 0) return;
    const float g = stepRamp(m.amp);
    if (g != 0.f) {
        float l = 0.f, r = 0.f;
        readHead(m, l, r);
        loopL += g * l;
        loopR += g * r;
    }
    if (amount != 0.f || closing_) {
        if (!m.half) {
            writeLoop(static_cast<uint32_t>(m.h2 >> 1), xL, xR, fb, amount);
        } else if (m.h2 & 1) {
            uint32_t p = static_cast<uint32_t>(m.h2 >> 1);
            if (m.dir < 0 && ++p == m.len) p = 0;
            writeLoop(p, decL, decR, fb, amount);
        }
    }
    advance(m);
}

void Looper::normalizeStep() noexcept {
    // Folds the outcome of every finished session into the chunk table, so that session ids can be reused
    // (modulo kSessionSlots) and the table never depends on old outcomes.
    for (uint32_t k = 0; k < sweepPerSample_; ++k) {
        const uint32_t c = sweepCursor_;
        if (++sweepCursor_ == nChunks_) sweepCursor_ = 0;
        const uint32_t s = stamp_[c];
        if (s != 0 && s != session_) {
            loc_[c] = static_cast<uint8_t>(loc_[c] ^ static_cast<uint8_t>(undoneBit(s)));
            stamp_[c] = 0;
        }
    }
}

void Looper::process(StereoBlock& block, const ProcessContext& ctx) noexcept {
    initializing_ = false;
    if (capacity_ == 0) return; // not prepared: the input passes through
    const uint32_t frames = block.frames;
    takeClear();
    if (pending_ != Action::None) schedulePending(ctx, frames, 0); // an action already waiting
    float* const left = block.left;
    float* const right = block.right;
    for (uint32_t i = 0; i < frames; ++i) {
        if (pending_ != Action::None || eventCount_ > 0) serviceControls(ctx, i, frames);
        if (state_ == State::Recording && recorded_ >= capacity_ &&
            main_.h2 == 2 * static_cast<int64_t>(recorded_)) {
            // Full: the loop closes (into the waiting action if it closes one) and plays.
            const Action a = isClose(pending_) ? pending_ : Action::Play;
            pending_ = Action::None;
            closeLoop(a);
        }
        updateMotion();

        const float xL = finiteOrZero(left[i]);
        const float xR = finiteOrZero(right[i]);
        const float decL = 0.25f * histL1_ + 0.5f * histL0_ + 0.25f * xL;
        const float decR = 0.25f * histR1_ + 0.5f * histR0_ + 0.25f * xR;
        const float fb = feedback_.next();
        const float amount = stepRamp(overdub_);

        float loopL = 0.f, loopR = 0.f;
        if (fadeLeft_ > 0) {
            loopL += fadeBuf_[2 * fadePos_];
            loopR += fadeBuf_[2 * fadePos_ + 1];
            ++fadePos_;
            --fadeLeft_;
        }
        processMain(xL, xR, decL, decR, fb, amount, loopL, loopR);

        histL1_ = histL0_;
        histL0_ = xL;
        histR1_ = histR0_;
        histR0_ = xR;
        const float dry = dryGain_.next();
        const float wet = loopGain_.next();
        // The dry path uses the finite input too: a non-finite sample is muted, not passed on.
        left[i] = dry * xL + wet * loopL;
        right[i] = dry * xR + wet * loopR;
        normalizeStep();
    }
    publishStatus();
}

// ---------------------------------------------------------------------------------------------- status

void Looper::publishStatus() noexcept {
    uint32_t flags = 0;
    if (pending_ != Action::None || eventCount_ > 0 || closing_) flags |= 1u;
    if (session_ != 0 && !undone_ && state_ != State::Recording) flags |= 2u;
    if (session_ != 0 && undone_) flags |= 4u;
    const bool recording = state_ == State::Recording;
    constexpr uint64_t kFrameMask = (uint64_t{1} << kStatusFrameBits) - 1;
    const uint64_t length = (recording ? recorded_ : loopLen_) & kFrameMask;
    const uint64_t position = static_cast<uint64_t>(main_.h2 >> 1) & kFrameMask;
    statusWord_.store(static_cast<uint64_t>(state_) | uint64_t{flags} << 8 | length << 16 |
                          position << (16 + kStatusFrameBits),
                      std::memory_order_relaxed);
    uint32_t tail = 0;
    if (state_ == State::Playing || state_ == State::Overdubbing)
        tail = loopLen_ * (main_.half ? 2u : 1u);
    else if (fadeLeft_ > 0 || main_.amp.gain > 0.f)
        tail = fadeLen_;
    statusTail_.store(tail, std::memory_order_relaxed);
}

Looper::Status Looper::status() const noexcept {
    const uint64_t word = statusWord_.load(std::memory_order_relaxed);
    constexpr uint64_t kFrameMask = (uint64_t{1} << kStatusFrameBits) - 1;
    Status s;
    s.state = static_cast<State>(word & 0xFF);
    s.waiting = (word >> 8) & 1u;
    s.canUndo = (word >> 9) & 1u;
    s.canRedo = (word >> 10) & 1u;
    s.loopFrames = static_cast<uint32_t>((word >> 16) & kFrameMask);
    s.positionFrames = static_cast<uint32_t>((word >> (16 + kStatusFrameBits)) & kFrameMask);
    return s;
}

uint32_t Looper::tailSamples() const noexcept {
    return statusTail_.load(std::memory_order_relaxed);
}

std::size_t Looper::memoryBytes() const noexcept {
    return (layers_[0].capacity() + layers_[1].capacity()) * sizeof(float) + loc_.capacity() +
           stamp_.capacity() * sizeof(uint32_t) + undoneBits_.capacity() * sizeof(uint64_t) +
           (seamHead_.capacity() + seamTail_.capacity() + seamLoop_.capacity() + seamInput_.capacity() +
            fadeBuf_.capacity()) *
               sizeof(float);
}

} // namespace stagerack::fx
