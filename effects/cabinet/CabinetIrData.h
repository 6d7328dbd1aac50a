// The built-in cabinet responses, embedded at build time from effects/cabinet/irs/*.wav
// (see effects/cabinet/EmbedIrs.cmake and effects/cabinet/irs/README.md).
#pragma once

#include <cstddef>
#include <span>

namespace stagerack::fx {

// Bytes of the WAV file of built-in model `index` (order of Cabinet::kModelLabels).
std::span<const unsigned char> cabinetIrData(std::size_t index);

} // namespace stagerack::fx
