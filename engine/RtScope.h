// Marks the current thread as "inside the audio callback" so that the RT-safety proof
// (tests/rtsafety) can count forbidden calls made there. Costs one thread-local store.
#pragma once

namespace stagerack::rt {

inline thread_local bool tlInAudioThread = false;

inline bool inAudioThread() noexcept {
    return tlInAudioThread;
}

class AudioThreadScope {
public:
    AudioThreadScope() noexcept
        : previous_(tlInAudioThread) {
        tlInAudioThread = true;
    }
    ~AudioThreadScope() { tlInAudioThread = previous_; }
    AudioThreadScope(const AudioThreadScope&) = delete;
    AudioThreadScope& operator=(const AudioThreadScope&) = delete;

private:
    bool previous_;
};

// Flush-to-zero and denormals-are-zero for the current thread while in scope.
class ScopedFlushDenormals {
public:
    ScopedFlushDenormals() noexcept;
    ~ScopedFlushDenormals();
    ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
    ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;

private:
    unsigned saved_ = 0;
};

} // namespace stagerack::rt
