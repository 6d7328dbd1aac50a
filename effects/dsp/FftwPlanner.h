// FFTW's planner (also used inside zita-convolver's configure) is not thread-safe: every place in the
// project that creates or destroys FFTW plans holds this one lock, whatever thread it runs on.
#pragma once

#include <mutex>

namespace stagerack::dsp {

std::mutex& fftwPlannerMutex();

} // namespace stagerack::dsp
