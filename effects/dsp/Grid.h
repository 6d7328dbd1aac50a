// Processing on a fixed sub-block grid counted from reset(): `update()` runs at every grid point (where
// coefficients may change) and `chunk(offset, frames)` processes the frames up to the next one. Because
// coefficients change only at grid points, wherever the host's blocks happen to fall, the output is the
// same for any block size.
#pragma once

#include <algorithm>
#include <cstdint>

namespace stagerack::dsp {

template <uint32_t Grid, typename Update, typename Chunk>
inline void forEachGridChunk(uint32_t& gridLeft, uint32_t frames, Update&& update, Chunk&& chunk) noexcept {
    uint32_t done = 0;
    while (done < frames) {
        if (gridLeft == 0) {
            update();
            gridLeft = Grid;
        }
        const uint32_t n = std::min(frames - done, gridLeft);
        chunk(done, n);
        done += n;
        gridLeft -= n;
    }
}

} // namespace stagerack::dsp
