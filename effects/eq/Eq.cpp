#include "effects/eq/Eq.h"

#include <algorithm>
#include <cmath>

namespace stagerack::fx {

namespace {

using dsp::FilterKind;
using dsp::SvfDesign;

// The values a section is designed from, either the smoothers' current values or their targets.
struct PassValues {
    double hz;
    double qA;
    double weightA;
    double weightB;
};

SvfDesign passSection(FilterKind kind, double rate, const PassValues& v, bool second) {
    const double q = second ? dsp::kButterworth4QHigh : v.qA;
    return SvfDesign::design(kind, rate, v.hz, q).blendedWithWire(second ? v.weightB : v.weightA);
}

double dbToGainD(double db) {
    return std::pow(10.0, db / 20.0);
}

} // namespace

Eq::Eq() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    reset();
}

void Eq::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    for (Band* b : {&lowShelf_, &peaks_[0], &peaks_[1], &peaks_[2], &highShelf_}) {
        b->hz.prepare(sampleRate, kSmoothMs);
        b->db.prepare(sampleRate, kSmoothMs);
        b->q.prepare(sampleRate, kSmoothMs);
    }
    for (Pass* p : {&highpass_, &lowpass_}) {
        p->hz.prepare(sampleRate, kSmoothMs);
        p->qA.prepare(sampleRate, kSlopeFadeMs);
        p->weightA.prepare(sampleRate, kSlopeFadeMs);
        p->weightB.prepare(sampleRate, kSlopeFadeMs);
    }
    levelDb_.prepare(sampleRate, kSmoothMs);
    reset();
}

void Eq::setPassTargets(Pass& p, float slope) noexcept {
    const int s = static_cast<int>(std::lround(slope));
    p.qA.setTarget(static_cast<float>(s == kSlope24 ? dsp::kButterworth4QLow : dsp::kButterworthQ));
    p.weightA.setTarget(s == kSlopeOff ? 0.f : 1.f);
    p.weightB.setTarget(s == kSlope24 ? 1.f : 0.f);
}

void Eq::snapSmoothers() noexcept {
    lowShelf_.hz.setImmediate(values_[kLowShelfHz]);
    lowShelf_.db.setImmediate(values_[kLowShelfDb]);
    lowShelf_.q.setImmediate(static_cast<float>(kShelfQ));
    for (std::size_t b = 0; b < 3; ++b) {
        peaks_[b].hz.setImmediate(values_[kPeak1Hz + 3 * b]);
        peaks_[b].db.setImmediate(values_[kPeak1Db + 3 * b]);
        peaks_[b].q.setImmediate(values_[kPeak1Q + 3 * b]);
    }
    highShelf_.hz.setImmediate(values_[kHighShelfHz]);
    highShelf_.db.setImmediate(values_[kHighShelfDb]);
    highShelf_.q.setImmediate(static_cast<float>(kShelfQ));
    highpass_.hz.setImmediate(values_[kHighpassHz]);
    lowpass_.hz.setImmediate(values_[kLowpassHz]);
    for (auto [p, slope] :
         {std::pair{&highpass_, values_[kHighpassSlope]}, {&lowpass_, values_[kLowpassSlope]}}) {
        setPassTargets(*p, slope);
        p->qA.setImmediate(p->qA.target());
        p->weightA.setImmediate(p->weightA.target());
        p->weightB.setImmediate(p->weightB.target());
    }
    levelDb_.setImmediate(values_[kLevelDb]);
}

void Eq::reset() noexcept {
    snapSmoothers();
    std::array<SvfDesign, kSectionCount> designs;
    for (std::size_t s = 0; s < kSectionCount; ++s)
        designs[s] = designNow(s);
    cascade_.reset(designs);
    dirty_.fill(false);
    gridLeft_ = 0;
}

void Eq::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    switch (index) {
    case kLowShelfHz:
        lowShelf_.hz.setTarget(value);
        dirty_[kLowShelf] = true;
        break;
    case kLowShelfDb:
        lowShelf_.db.setTarget(value);
        dirty_[kLowShelf] = true;
        break;
    case kPeak1Hz:
    case kPeak2Hz:
    case kPeak3Hz:
        peaks_[(index - kPeak1Hz) / 3].hz.setTarget(value);
        dirty_[kPeak1 + (index - kPeak1Hz) / 3] = true;
        break;
    case kPeak1Db:
    case kPeak2Db:
    case kPeak3Db:
        peaks_[(index - kPeak1Db) / 3].db.setTarget(value);
        dirty_[kPeak1 + (index - kPeak1Db) / 3] = true;
        break;
    case kPeak1Q:
    case kPeak2Q:
    case kPeak3Q:
        peaks_[(index - kPeak1Q) / 3].q.setTarget(value);
        dirty_[kPeak1 + (index - kPeak1Q) / 3] = true;
        break;
    case kHighShelfHz:
        highShelf_.hz.setTarget(value);
        dirty_[kHighShelf] = true;
        break;
    case kHighShelfDb:
        highShelf_.db.setTarget(value);
        dirty_[kHighShelf] = true;
        break;
    case kHighpassHz:
        highpass_.hz.setTarget(value);
        dirty_[kHighpassA] = dirty_[kHighpassB] = true;
        break;
    case kHighpassSlope:
        setPassTargets(highpass_, value);
        dirty_[kHighpassA] = dirty_[kHighpassB] = true;
        break;
    case kLowpassHz:
        lowpass_.hz.setTarget(value);
        dirty_[kLowpassA] = dirty_[kLowpassB] = true;
        break;
    case kLowpassSlope:
        setPassTargets(lowpass_, value);
        dirty_[kLowpassA] = dirty_[kLowpassB] = true;
        break;
    case kLevelDb:
        levelDb_.setTarget(value);
        dirty_[kLowpassB] = true; // the level rides on the last section's output mix
        break;
    default:
        break;
    }
}

dsp::SvfDesign Eq::designNow(std::size_t s) const noexcept {
    const double rate = sampleRate_;
    auto band = [&](FilterKind kind, const Band& b) {
        return SvfDesign::design(kind, rate, b.hz.current(), b.q.current(), b.db.current());
    };
    auto pass = [](const Pass& p) {
        return PassValues{p.hz.current(), p.qA.current(), p.weightA.current(), p.weightB.current()};
    };
    switch (s) {
    case kHighpassA:
    case kHighpassB:
        return passSection(FilterKind::HighPass, rate, pass(highpass_), s == kHighpassB);
    case kLowShelf:
        return band(FilterKind::LowShelf, lowShelf_);
    case kPeak1:
    case kPeak2:
    case kPeak3:
        return band(FilterKind::Peak, peaks_[s - kPeak1]);
    case kHighShelf:
        return band(FilterKind::HighShelf, highShelf_);
    case kLowpassA:
        return passSection(FilterKind::LowPass, rate, pass(lowpass_), false);
    case kLowpassB:
        return passSection(FilterKind::LowPass, rate, pass(lowpass_), true)
            .scaled(dbToGainD(levelDb_.current()));
    default:
        return {};
    }
}

dsp::SvfDesign Eq::sectionDesign(std::size_t s) const noexcept {
    const double rate = sampleRate_;
    auto band = [&](FilterKind kind, std::size_t hz, std::size_t db, double q) {
        return SvfDesign::design(kind, rate, values_[hz], q, values_[db]);
    };
    auto pass = [&](std::size_t hz, std::size_t slope) {
        const int sl = static_cast<int>(std::lround(values_[slope]));
        return PassValues{values_[hz], sl == kSlope24 ? dsp::kButterworth4QLow : dsp::kButterworthQ,
                          sl == kSlopeOff ? 0.0 : 1.0, sl == kSlope24 ? 1.0 : 0.0};
    };
    switch (s) {
    case kHighpassA:
    case kHighpassB:
        return passSection(FilterKind::HighPass, rate, pass(kHighpassHz, kHighpassSlope), s == kHighpassB);
    case kLowShelf:
        return band(FilterKind::LowShelf, kLowShelfHz, kLowShelfDb, kShelfQ);
    case kPeak1:
    case kPeak2:
    case kPeak3: {
        const std::size_t b = 3 * (s - kPeak1);
        return band(FilterKind::Peak, kPeak1Hz + b, kPeak1Db + b, values_[kPeak1Q + b]);
    }
    case kHighShelf:
        return band(FilterKind::HighShelf, kHighShelfHz, kHighShelfDb, kShelfQ);
    case kLowpassA:
        return passSection(FilterKind::LowPass, rate, pass(kLowpassHz, kLowpassSlope), false);
    case kLowpassB:
        return passSection(FilterKind::LowPass, rate, pass(kLowpassHz, kLowpassSlope), true)
            .scaled(dbToGainD(values_[kLevelDb]));
    default:
        return {};
    }
}

double Eq::magnitudeDb(double freqHz) const noexcept {
    double db = 0.0;
    for (std::size_t s = 0; s < kSectionCount; ++s)
        db += sectionDesign(s).magnitudeDb(freqHz);
    return db;
}

bool Eq::sectionMoving(std::size_t s) const noexcept {
    auto band = [](const Band& b) { return b.hz.smoothing() || b.db.smoothing() || b.q.smoothing(); };
    auto pass = [](const Pass& p, bool second) {
        return p.hz.smoothing() ||
               (second ? p.weightB.smoothing() : p.qA.smoothing() || p.weightA.smoothing());
    };
    switch (s) {
    case kHighpassA:
    case kHighpassB:
        return pass(highpass_, s == kHighpassB);
    case kLowShelf:
        return band(lowShelf_);
    case kPeak1:
    case kPeak2:
    case kPeak3:
        return band(peaks_[s - kPeak1]);
    case kHighShelf:
        return band(highShelf_);
    case kLowpassA:
        return pass(lowpass_, false);
    case kLowpassB:
        return pass(lowpass_, true) || levelDb_.smoothing();
    default:
        return false;
    }
}

void Eq::startSubBlock() noexcept {
    // Only sections whose controls moved are redesigned (tan and pow are the expensive part); one more
    // redesign after a ramp ends lands the section exactly on its target.
    for (std::size_t s = 0; s < kSectionCount; ++s) {
        if (!dirty_[s]) continue;
        cascade_.retarget(s, designNow(s), kGrid);
        dirty_[s] = sectionMoving(s);
    }
    cascade_.beginSubBlock();
}

void Eq::advanceSmoothers(uint32_t frames) noexcept {
    // Grid points alone read the smoothers, so advancing them per chunk equals advancing them per sample.
    // Stepped sample by sample (not skip(n)) so that every block size rounds identically.
    auto step = [frames](auto& m) {
        for (uint32_t i = 0; i < frames && m.smoothing(); ++i)
            m.next();
    };
    for (Band* b : {&lowShelf_, &peaks_[0], &peaks_[1], &peaks_[2], &highShelf_}) {
        step(b->hz);
        step(b->q);
        step(b->db);
    }
    for (Pass* p : {&highpass_, &lowpass_}) {
        step(p->hz);
        step(p->qA);
        step(p->weightA);
        step(p->weightB);
    }
    step(levelDb_);
}

void Eq::process(StereoBlock& block, const ProcessContext& /*ctx*/) noexcept {
    uint32_t done = 0;
    while (done < block.frames) {
        if (gridLeft_ == 0) {
            startSubBlock();
            gridLeft_ = kGrid;
        }
        const uint32_t n = std::min(block.frames - done, gridLeft_);
        cascade_.process(block.left + done, block.right + done, n);
        advanceSmoothers(n);
        done += n;
        gridLeft_ -= n;
    }
}

} // namespace stagerack::fx
