// Small processors for engine tests: a gain, a pure latency, and one that emits NaN on request.
#pragma once

#include "engine/Processor.h"

#include <array>
#include <atomic>
#include <cmath>
#include <limits>
#include <vector>

namespace stagerack::test {

inline constexpr std::array kGainParams{fx::ParamInfo{"gain", "Gain", 0.f, 4.f, 1.f, fx::Unit::None}};
inline constexpr fx::EffectInfo kGainInfo{
    "test_gain", "Test gain", "test", "Multiplies by gain (no smoothing).", 1, kGainParams};

class GainProcessor : public engine::Processor {
public:
    GainProcessor()
        : Processor(kGainInfo) {}
    uint32_t latency() const noexcept override { return 0; }
    std::unique_ptr<Processor> createFresh() const override { return std::make_unique<GainProcessor>(); }
    std::atomic<int> resets{0};

protected:
    void doPrepare(double, uint32_t) override {}
    void doReset() noexcept override { resets.fetch_add(1); }
    void applyParam(std::size_t, float v) noexcept override { gain_ = v; }
    void doProcess(fx::StereoBlock& b, const fx::ProcessContext&) noexcept override {
        for (uint32_t i = 0; i < b.frames; ++i) {
            b.left[i] *= gain_;
            b.right[i] *= gain_;
        }
    }

private:
    float gain_ = 1.f;
};

inline constexpr fx::EffectInfo kLatencyInfo{"test_latency", "Test latency", "test", "Pure delay.", 1, {}};

class LatencyProcessor : public engine::Processor {
public:
    explicit LatencyProcessor(uint32_t samples)
        : Processor(kLatencyInfo)
        , latency_(samples) {}
    uint32_t latency() const noexcept override { return latency_; }
    std::unique_ptr<Processor> createFresh() const override {
        return std::make_unique<LatencyProcessor>(latency_);
    }

protected:
    void doPrepare(double, uint32_t) override {
        l_.assign(latency_ + 1, 0.f);
        r_.assign(latency_ + 1, 0.f);
    }
    void doReset() noexcept override {
        std::fill(l_.begin(), l_.end(), 0.f);
        std::fill(r_.begin(), r_.end(), 0.f);
        pos_ = 0;
    }
    void applyParam(std::size_t, float) noexcept override {}
    void doProcess(fx::StereoBlock& b, const fx::ProcessContext&) noexcept override {
        for (uint32_t i = 0; i < b.frames; ++i) {
            l_[pos_] = b.left[i];
            r_[pos_] = b.right[i];
            pos_ = pos_ + 1 == l_.size() ? 0 : pos_ + 1;
            b.left[i] = l_[pos_];
            b.right[i] = r_[pos_];
        }
    }

private:
    uint32_t latency_;
    std::vector<float> l_, r_;
    std::size_t pos_ = 0;
};

inline constexpr std::array kVarLatencyParams{
    fx::ParamInfo{"samples", "Samples", 0.f, 100.f, 10.f, fx::Unit::None, fx::Taper::Integer, 0.f}};
inline constexpr fx::EffectInfo kVarLatencyInfo{
    "test_var_latency", "Test variable latency", "test", "Pure delay of `samples` (0..100).", 1,
    kVarLatencyParams};

// A pure delay whose length is a parameter: its latency changes at run time, like a limiter's lookahead.
class VariableLatencyProcessor : public engine::Processor {
public:
    VariableLatencyProcessor()
        : Processor(kVarLatencyInfo) {}
    uint32_t latency() const noexcept override { return delay_; }
    uint32_t maxLatency() const noexcept override { return 100; }
    std::unique_ptr<Processor> createFresh() const override {
        return std::make_unique<VariableLatencyProcessor>();
    }

protected:
    void doPrepare(double, uint32_t) override {
        l_.assign(101, 0.f);
        r_.assign(101, 0.f);
    }
    void doReset() noexcept override {
        std::fill(l_.begin(), l_.end(), 0.f);
        std::fill(r_.begin(), r_.end(), 0.f);
    }
    void applyParam(std::size_t, float v) noexcept override { delay_ = static_cast<uint32_t>(v); }
    void doProcess(fx::StereoBlock& b, const fx::ProcessContext&) noexcept override {
        for (uint32_t i = 0; i < b.frames; ++i) {
            l_[pos_] = b.left[i];
            r_[pos_] = b.right[i];
            const std::size_t read = (pos_ + 101 - delay_) % 101;
            b.left[i] = l_[read];
            b.right[i] = r_[read];
            pos_ = (pos_ + 1) % 101;
        }
    }

private:
    uint32_t delay_ = 10;
    std::vector<float> l_, r_;
    std::size_t pos_ = 0;
};

inline constexpr fx::EffectInfo kNanInfo{"test_nan", "Test NaN", "test", "Emits NaN when armed.", 1, {}};

class NanProcessor : public engine::Processor {
public:
    NanProcessor()
        : Processor(kNanInfo) {}
    uint32_t latency() const noexcept override { return 0; }
    std::unique_ptr<Processor> createFresh() const override { return std::make_unique<NanProcessor>(); }
    std::atomic<bool> armed{false};
    std::atomic<int> resets{0};

protected:
    void doPrepare(double, uint32_t) override {}
    void doReset() noexcept override { resets.fetch_add(1); }
    void applyParam(std::size_t, float) noexcept override {}
    void doProcess(fx::StereoBlock& b, const fx::ProcessContext&) noexcept override {
        if (armed.exchange(false)) b.left[b.frames / 2] = std::numeric_limits<float>::quiet_NaN();
    }
};

} // namespace stagerack::test
