#include "effects/eq/Geq.h"

#include <algorithm>
#include <cmath>

namespace stagerack::fx {

Geq::Geq() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    reset();
}

void Geq::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    for (auto& s : bandDb_)
        s.prepare(sampleRate, kSmoothMs);
    levelDb_.prepare(sampleRate, kSmoothMs);
    reset();
}

void Geq::reset() noexcept {
    for (std::size_t b = 0; b < kBands; ++b)
        bandDb_[b].setImmediate(values_[kBand0Db + b]);
    levelDb_.setImmediate(values_[kLevelDb]);
    std::array<dsp::SvfDesign, kBands> designs;
    for (std::size_t b = 0; b < kBands; ++b)
        designs[b] = design(b, bandDb_[b].current(), levelDb_.current());
    cascade_.reset(designs);
    dirty_.fill(false);
    gridLeft_ = 0;
}

void Geq::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    if (index == kLevelDb) {
        levelDb_.setTarget(value);
        dirty_[kBands - 1] = true;
    } else {
        bandDb_[index - kBand0Db].setTarget(value);
        dirty_[index - kBand0Db] = true;
    }
}

dsp::SvfDesign Geq::design(std::size_t b, float db, float levelDb) const noexcept {
    dsp::SvfDesign d = dsp::SvfDesign::design(dsp::FilterKind::Peak, sampleRate_, kCentreHz[b], kQ, db);
    if (b == kBands - 1) d = d.scaled(std::pow(10.0, static_cast<double>(levelDb) / 20.0));
    return d;
}

dsp::SvfDesign Geq::sectionDesign(std::size_t b) const noexcept {
    return design(b, values_[kBand0Db + b], values_[kLevelDb]);
}

double Geq::magnitudeDb(double freqHz) const noexcept {
    double db = 0.0;
    for (std::size_t b = 0; b < kBands; ++b)
        db += sectionDesign(b).magnitudeDb(freqHz);
    return db;
}

void Geq::startSubBlock() noexcept {
    for (std::size_t b = 0; b < kBands; ++b) {
        if (!dirty_[b]) continue;
        cascade_.retarget(b, design(b, bandDb_[b].current(), levelDb_.current()), kGrid);
        dirty_[b] = bandDb_[b].smoothing() || (b == kBands - 1 && levelDb_.smoothing());
    }
    cascade_.beginSubBlock();
}

void Geq::process(StereoBlock& block, const ProcessContext& /*ctx*/) noexcept {
    uint32_t done = 0;
    while (done < block.frames) {
        if (gridLeft_ == 0) {
            startSubBlock();
            gridLeft_ = kGrid;
        }
        const uint32_t n = std::min(block.frames - done, gridLeft_);
        cascade_.process(block.left + done, block.right + done, n);
        // Grid points alone read the smoothers; they step sample by sample (not skip(n)) so that every
        // block size rounds identically.
        for (auto* s = bandDb_.begin(); s != bandDb_.end(); ++s)
            for (uint32_t i = 0; i < n && s->smoothing(); ++i)
                s->next();
        for (uint32_t i = 0; i < n && levelDb_.smoothing(); ++i)
            levelDb_.next();
        done += n;
        gridLeft_ -= n;
    }
}

} // namespace stagerack::fx
