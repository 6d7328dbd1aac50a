#include "effects/cabinet/Cabinet.h"

#include "effects/cabinet/CabinetIrData.h"
#include "effects/dsp/ImpulseResponse.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <stdexcept>

namespace stagerack::fx {

Cabinet::Cabinet() = default;

Cabinet::~Cabinet() {
    delete pendingUser_.exchange(nullptr);
    delete retireAfterFade_;
    delete user_;
    collectGarbage();
}

std::vector<float> Cabinet::builtinResponse(std::size_t model) {
    double rate = 0.0;
    auto ir = dsp::decodeMonoWav(cabinetIrData(model), rate);
    if (rate != 48000.0) throw std::runtime_error("built-in cabinet response is not at 48 kHz");
    return ir;
}

void Cabinet::prepare(double sampleRate, uint32_t maxBlock) {
    sampleRate_ = sampleRate;
    builtins_.clear();
    for (std::size_t m = 0; m < kModelLabels.size(); ++m) {
        auto ir = dsp::makeImpulseResponse(builtinResponse(m), {}, 48000.0, sampleRate);
        auto conv = std::make_unique<dsp::Convolver>();
        conv->build(ir.left, {});
        builtins_.push_back(std::move(conv));
    }
    delete pendingUser_.exchange(nullptr);
    delete retireAfterFade_;
    retireAfterFade_ = nullptr;
    delete user_;
    user_ = nullptr;
    if (!userPath_.empty()) {
        const std::string path = userPath_;
        setProperty(0, path);
        user_ = pendingUser_.exchange(nullptr);
    }
    scratchL_.assign(maxBlock, 0.f);
    scratchR_.assign(maxBlock, 0.f);
    nextL_.assign(maxBlock, 0.f);
    nextR_.assign(maxBlock, 0.f);
    fadeLen_ = std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(sampleRate * kFadeMs * 0.001)));
    level_.prepare(sampleRate, kParams[kLevelDb].smoothMs);
    next_ = nullptr;
    current_ = user_ ? user_ : builtins_[model_].get();
}

void Cabinet::reset() noexcept {
    // A reset snaps to what should be playing, without a fade.
    next_ = nullptr;
    if (retireAfterFade_ && retired_.try_enqueue(retireAfterFade_)) retireAfterFade_ = nullptr;
    if (!builtins_.empty()) current_ = user_ ? user_ : builtins_[model_].get();
    if (current_) current_->reset();
    level_.setImmediate(level_.target());
}

void Cabinet::setParam(std::size_t index, float value) noexcept {
    if (index == kModel) {
        model_ =
            std::min<std::size_t>(kModelLabels.size() - 1, static_cast<std::size_t>(std::max(0.f, value)));
    } else if (index == kLevelDb) {
        level_.setTarget(std::pow(10.f, value * 0.05f));
    }
}

uint32_t Cabinet::tailSamples() const noexcept {
    return current_ ? static_cast<uint32_t>(current_->length()) : 0u;
}

void Cabinet::setProperty(std::size_t index, std::string_view value) {
    if (index != 0) throw std::runtime_error("no such property");
    if (value.empty()) {
        userPath_.clear();
        clearUser_.store(true);
        return;
    }
    const std::string path(value);
    auto ir = dsp::loadImpulseResponse(path, sampleRate_, kMaxIrSeconds); // throws: previous IR stays
    auto conv = std::make_unique<dsp::Convolver>();
    conv->build(ir.left, ir.stereo ? ir.right : std::vector<float>{});
    // A response the audio thread has not taken yet is ours again.
    delete pendingUser_.exchange(conv.release());
    userPath_ = path;
}

void Cabinet::collectGarbage() {
    dsp::Convolver* c = nullptr;
    while (retired_.try_dequeue(c))
        delete c;
}

void Cabinet::startFade(dsp::Convolver* to) noexcept {
    to->reset(); // a clean history: it fades in as if the sound had just started through it
    next_ = to;
    fadePos_ = 0;
}

void Cabinet::process(StereoBlock& block, const ProcessContext&) noexcept {
    const uint32_t n = block.frames;
    if (!current_) return;
    // Choose what should be playing; changes start a parallel crossfade at a block boundary. Retiring a
    // user response needs room in the queue to the housekeeping thread, so wait while it is full.
    if (!next_ && retired_.size_approx() < 12) {
        if (dsp::Convolver* p = pendingUser_.exchange(nullptr)) {
            retireAfterFade_ = user_;
            user_ = p;
            clearUser_.store(false);
            startFade(p);
        } else if (clearUser_.exchange(false) && user_) {
            retireAfterFade_ = user_;
            user_ = nullptr;
            startFade(builtins_[model_].get());
        } else {
            dsp::Convolver* target = user_ ? user_ : builtins_[model_].get();
            if (target != current_) startFade(target);
        }
    }

    current_->process(block.left, block.right, scratchL_.data(), scratchR_.data(), n);
    if (next_) {
        next_->process(block.left, block.right, nextL_.data(), nextR_.data(), n);
        const float len = static_cast<float>(fadeLen_);
        for (uint32_t i = 0; i < n; ++i) {
            const float t = std::min(1.f, static_cast<float>(fadePos_ + i + 1) / len);
            const float g = 0.5f - 0.5f * std::cos(std::numbers::pi_v<float> * t);
            scratchL_[i] += g * (nextL_[i] - scratchL_[i]);
            scratchR_[i] += g * (nextR_[i] - scratchR_[i]);
        }
        fadePos_ += n;
        if (fadePos_ >= fadeLen_) {
            current_ = next_;
            next_ = nullptr;
            if (retireAfterFade_ && retired_.try_enqueue(retireAfterFade_)) retireAfterFade_ = nullptr;
        }
    }
    for (uint32_t i = 0; i < n; ++i) {
        const float g = level_.next();
        block.left[i] = scratchL_[i] * g;
        block.right[i] = scratchR_[i] * g;
    }
}

} // namespace stagerack::fx
