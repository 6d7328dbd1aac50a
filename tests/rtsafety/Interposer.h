// The RT-safety proof's counter (DESIGN.md section 7). Interposer.cpp replaces allocation, locking,
// sleeping and I/O entry points for the whole test executable; a call made while the calling thread is
// inside the audio callback (rt::inAudioThread()) is counted as forbidden.
#pragma once

#include <cstdint>
#include <string>

namespace stagerack::rtcheck {

uint64_t forbiddenCalls();
void resetCounts();
// "malloc=3 pthread_mutex_lock=1" for the kinds seen, or "" when none.
std::string report();

} // namespace stagerack::rtcheck
