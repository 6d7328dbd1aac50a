#include "effects/dsp/FftwPlanner.h"

namespace stagerack::dsp {

std::mutex& fftwPlannerMutex() {
    static std::mutex m;
    return m;
}

} // namespace stagerack::dsp
