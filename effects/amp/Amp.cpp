#include "effects/amp/Amp.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace stagerack::fx {

namespace {

using amp::StageVoicing;
using amp::Voicing;

// Fixed coupling high-pass at the amp's input (the grid coupling of the first stage).
constexpr double kInputHz = 15.0;
// IIR states below this are flushed so decays end in zeros, not denormals.
constexpr float kFlush = 1e-25f;

// clang-format off
// Stage columns: driveDb, bias, cathodeHz, cathodeCutDb, millerHz, couplingHz.
constexpr std::array<Voicing, Amp::kModelCount> kVoicings{{
    {"clean", &toneStacks::kFender, 2,
     {{{6.f, 0.15f, 40.f, 6.f, 16000.f, 20.f}, {0.f, 0.2f, 100.f, 6.f, 12000.f, 20.f}, {}}},
     -30.f, 6.f, 16.f, 3500.f, 8.f, -18.f, 6.f, 0.5f, 0.f},
    {"crunch", &toneStacks::kVox, 2,
     {{{12.f, 0.3f, 150.f, 6.f, 12000.f, 60.f}, {0.f, 0.35f, 300.f, 4.f, 10000.f, 40.f}, {}}},
     -18.f, 24.f, 20.f, 3000.f, 9.f, -12.f, 10.f, 0.8f, 0.f},
    {"plexi", &toneStacks::kMarshall, 2,
     {{{12.f, 0.25f, 280.f, 9.f, 14000.f, 70.f}, {0.f, 0.3f, 30.f, 3.f, 7000.f, 30.f}, {}}},
     -12.f, 22.f, 16.f, 3000.f, 9.f, -14.f, 6.f, 0.8f, -3.f},
    {"british_lead", &toneStacks::kMarshall, 3,
     {{{12.f, 0.25f, 300.f, 9.f, 14000.f, 80.f}, {0.f, 0.4f, 200.f, 6.f, 10000.f, 150.f},
       {14.f, 0.6f, 50.f, 6.f, 8000.f, 40.f}}},
     -6.f, 30.f, 16.f, 3000.f, 9.f, -12.f, 8.f, 0.6f, 0.f},
    {"modern_high_gain", &toneStacks::kMarshall, 3,
     {{{16.f, 0.3f, 400.f, 12.f, 12000.f, 120.f}, {0.f, 0.45f, 300.f, 6.f, 8000.f, 200.f},
       {18.f, 0.5f, 100.f, 4.f, 6500.f, 60.f}}},
     0.f, 36.f, 16.f, 3000.f, 10.f, -12.f, 6.f, 0.4f, 0.f},
    {"bass", &toneStacks::kFender, 2,
     {{{6.f, 0.15f, 20.f, 3.f, 10000.f, 15.f}, {0.f, 0.2f, 30.f, 3.f, 7000.f, 12.f}, {}}},
     -24.f, 18.f, 16.f, 2500.f, 8.f, -18.f, 8.f, 1.2f, 0.f},
    {"jazz", &toneStacks::kFender, 2,
     {{{3.f, 0.1f, 30.f, 3.f, 6000.f, 20.f}, {0.f, 0.1f, 30.f, 3.f, 5000.f, 20.f}, {}}},
     -30.f, 6.f, 16.f, 3500.f, 8.f, -18.f, 6.f, 0.5f, 0.f},
}};
// clang-format on

// TPT one-pole gain g / (1 + g) for a cutoff at `hz` (clamped below Nyquist).
float onePoleG(double hz, double rate) noexcept {
    const double g = std::tan(std::numbers::pi * std::min(hz, 0.45 * rate) / rate);
    return static_cast<float>(g / (1.0 + g));
}

// One-pole low-pass step (topology-preserving transform, g = G / (1 + G)): returns the low-pass output.
inline float lowpass(float x, float& s, float g) noexcept {
    const float v = (x - s) * g;
    const float y = v + s;
    s = y + v;
    return y;
}

inline float curveF(float u) noexcept {
    return std::sqrt(1.f + u * u);
}

inline void flush(float& s) noexcept {
    if (!(std::fabs(s) >= kFlush)) s = 0.f; // also clears NaN
}

// Audio taper for the bass pot: 15 % of the resistance at half rotation.
double audioTaper(double k) noexcept {
    constexpr double r = 30.0;
    return (std::pow(r, k) - 1.0) / (r - 1.0);
}

} // namespace

Amp::Core::OnePole Amp::Core::OnePole::lowpass(double hz, double rate) noexcept {
    const double g = std::tan(std::numbers::pi * std::min(hz, 0.45 * rate) / rate);
    const double big = g / (1.0 + g);
    OnePole p;
    p.g = static_cast<float>(big);
    p.h = static_cast<float>(1.0 - big);
    p.g2 = static_cast<float>(2.0 * big);
    p.h2 = static_cast<float>(1.0 - 2.0 * big);
    return p;
}

Amp::Core::Pole4 Amp::Core::Pole4::from(const OnePole& p) noexcept {
    // s_k = h2 s_{k-1} + g2 x_k: s_k = sum_{j <= k} h2^(k-j) g2 x_j + h2^(k+1) s_{-1}. The state is kept
    // halved (t = s / 2) so that each output is simply t_{k-1} + t_k.
    const double g2 = 0.5 * p.g2, h2 = p.h2;
    Pole4 q;
    for (int k = 0; k < 4; ++k) {
        for (int j = 0; j <= k; ++j)
            q.col[j][k] = static_cast<float>(std::pow(h2, k - j) * g2);
        q.carry[k] = static_cast<float>(std::pow(h2, k + 1));
    }
    return q;
}

namespace {
using V4 = float __attribute__((vector_size(16)));

inline V4 splat(float v) noexcept {
    return V4{v, v, v, v};
}
template <int k>
inline V4 lane(V4 v) noexcept {
    return __builtin_shufflevector(v, v, k, k, k, k);
}
// [before[0], v[0], v[1], v[2]]: each lane's predecessor in time.
inline V4 previous(V4 v, V4 before) noexcept {
#if defined(__SSE2__)
    const __m128 shifted = _mm_castsi128_ps(_mm_slli_si128(_mm_castps_si128(reinterpret_cast<__m128>(v)), 4));
    return reinterpret_cast<V4>(_mm_move_ss(shifted, reinterpret_cast<__m128>(before)));
#else
    return __builtin_shufflevector(v, before, 4, 0, 1, 2);
#endif
}
inline V4 sqrt4(V4 v) noexcept {
#if defined(__SSE2__)
    return reinterpret_cast<V4>(_mm_sqrt_ps(reinterpret_cast<__m128>(v)));
#else
    for (int k = 0; k < 4; ++k)
        v[k] = std::sqrt(v[k]);
    return v;
#endif
}
inline V4 load4(const float* p) noexcept {
    V4 v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}
inline void store4(float* p, V4 v) noexcept {
    __builtin_memcpy(p, &v, sizeof v);
}
const V4 kLanes{0.f, 1.f, 2.f, 3.f};

// Triode curve f(u) = u / sqrt(1 + u^2) with first-order antiderivative anti-aliasing. The antiderivative
// is F(u) = sqrt(1 + u^2), and (F(u1) - F(u0)) / (u1 - u0) = (u1 + u0) / (F(u1) + F(u0)) exactly: no
// cancellation and no special case for u1 == u0. pu, pf: the previous u and F broadcast, updated.
inline V4 adaa4(V4 u, V4& pu, V4& pf) noexcept {
    const V4 f = sqrt4(1.f + u * u);
    const V4 y = (u + previous(u, pu)) / (f + previous(f, pf));
    pu = lane<3>(u);
    pf = lane<3>(f);
    return y;
}
} // namespace

Amp::Core::V4 Amp::Core::Pole4::lowpass(V4 x, V4& sv) const noexcept {
    const V4 s = (col[0] * lane<0>(x) + col[1] * lane<1>(x)) + (col[2] * lane<2>(x) + col[3] * lane<3>(x)) +
                 carry * sv;
    const V4 y = previous(s, sv) + s;
    sv = lane<3>(s);
    return y;
}

const Voicing& Amp::voicing(uint32_t model) noexcept {
    return kVoicings[std::min<uint32_t>(model, kModelCount - 1)];
}

// ---------------------------------------------------------------------------------------------------------
// Core

void Amp::Core::prepare(double sampleRate) noexcept {
    sampleRate_ = sampleRate;
    stack_.prepare(kOversample * sampleRate);
    const double rate2 = 2.0 * sampleRate; // the sag envelope runs at 2x
    sagAttack_ = static_cast<float>(1.0 - std::exp(-1000.0 / (kSagAttackMs * rate2)));
    sagRelease_ = static_cast<float>(1.0 - std::exp(-1000.0 / (kSagReleaseMs * rate2)));
    setModel(model_);
}

void Amp::Core::setModel(uint32_t model) noexcept {
    model_ = std::min<uint32_t>(model, kModelCount - 1);
    v_ = &voicing(model_);
    const double rate8 = kOversample * sampleRate_;
    for (uint32_t s = 0; s < 3; ++s) {
        const StageVoicing& sv = v_->stage[s];
        StageCoef& c = coef_[s];
        c.drive = dsp::dbToGain(sv.driveDb);
        c.cathode = Pole4::from(OnePole::lowpass(std::max(sv.cathodeHz, 1.f), rate8));
        c.cathodeMix = 1.f - dsp::dbToGain(-sv.cathodeCutDb);
        c.miller = Pole4::from(OnePole::lowpass(std::max(sv.millerHz, 100.f), rate8));
        c.coupling = Pole4::from(OnePole::lowpass(std::max(sv.couplingHz, 1.f), rate8));
        c.bias = sv.bias;
        c.biasF = curveF(sv.bias);
        c.offset = sv.bias / c.biasF;
    }
    presence_ = Pole4::from(OnePole::lowpass(v_->presenceHz, rate8));
    stackMakeup_ = dsp::dbToGain(v_->stackMakeupDb);
    outTrim_ = dsp::dbToGain(v_->outputDb);
}

void Amp::Core::reset() noexcept {
    for (uint32_t s = 0; s < 3; ++s) {
        stage_[s] = StageState{};
        stage_[s].prevU = coef_[s].bias;
        stage_[s].prevF = coef_[s].biasF;
    }
    down8_.reset();
    down4_.reset();
    stack_.reset();
    presenceLp_ = 0.f;
    powerPrevU_ = 0.f;
    powerPrevF_ = 1.f;
    sagEnv_ = 0.f;
}

void Amp::Core::beginGrid(const Knobs& now, const Knobs& ahead, bool snap) noexcept {
    const Voicing& v = *v_;
    auto gainOf = [&](float k) { return dsp::dbToGain(v.gainMinDb + (v.gainMaxDb - v.gainMinDb) * k); };
    auto powerOf = [&](float k) { return dsp::dbToGain(v.powerMinDb + (v.powerMaxDb - v.powerMinDb) * k); };
    const float g0 = gainOf(now.gain), g1 = gainOf(ahead.gain);
    const float p0 = powerOf(now.master), p1 = powerOf(ahead.master);
    const float s0 = now.sag * v.sagDepth, s1 = ahead.sag * v.sagDepth;
    // Each ramp starts where the last one ended (same formula), so snapping only matters after a reset.
    (void)snap;
    gain_ = g0;
    gainStep_ = (g1 - g0) / static_cast<float>(kGrid * kOversample);
    power_ = p0;
    powerStep_ = (p1 - p0) / static_cast<float>(kGrid * kOversample);
    sagDepth_ = s0;
    sagStep_ = (s1 - s0) / static_cast<float>(kGrid * 2);

    stack_.setCircuit(*v.stack, now.treble, now.mid, audioTaper(now.bass));
    presenceMix_ = dsp::dbToGain(v.presenceMaxDb * now.presence) - 1.f;
}

void Amp::Core::sanitize() noexcept {
    for (auto& st : stage_) {
        flush(st.cathodeLp);
        flush(st.millerLp);
        flush(st.couplingLp);
        if (!std::isfinite(st.prevU) || !std::isfinite(st.prevF)) st.prevU = 0.f, st.prevF = 1.f;
    }
    flush(presenceLp_);
    flush(sagEnv_);
    if (!std::isfinite(powerPrevU_) || !std::isfinite(powerPrevF_)) powerPrevU_ = 0.f, powerPrevF_ = 1.f;
    stack_.sanitize();
}

void Amp::Core::runStage(uint32_t s, float* x, uint32_t count, float gainStart, float gainStep) noexcept {
    const StageCoef& c = coef_[s];
    StageState& st = stage_[s];
    // One pass, four samples per step: the gain, the partly bypassed cathode, the Miller low-pass, the bias,
    // the triode curve with ADAA and the coupling-capacitor high-pass after the stage.
    V4 cs = splat(st.cathodeLp), ms = splat(st.millerLp), hs = splat(st.couplingLp);
    V4 pu = splat(st.prevU), pf = splat(st.prevF);
    const float drive = c.drive, cathodeMix = c.cathodeMix, bias = c.bias, offset = c.offset;
    for (uint32_t i = 0; i < count; i += 4) {
        V4 v = load4(x + i) * (drive * (gainStart + gainStep * (static_cast<float>(i) + kLanes)));
        v -= cathodeMix * c.cathode.lowpass(v, cs);
        const V4 u = c.miller.lowpass(v, ms) + bias;
        V4 y = adaa4(u, pu, pf) - offset;
        y -= c.coupling.lowpass(y, hs);
        store4(x + i, y);
    }
    st.cathodeLp = cs[0];
    st.millerLp = ms[0];
    st.couplingLp = hs[0];
    st.prevU = pu[0];
    st.prevF = pf[0];
}

void Amp::Core::process(const float* in8, float* out2, uint32_t n, uint32_t gridPos) noexcept {
    const uint32_t n8 = n * kOversample;
    float* x = work8_.data();
    std::copy(in8, in8 + n8, x);
    runStage(0, x, n8, 1.f, 0.f);
    runStage(1, x, n8, gain_ + gainStep_ * static_cast<float>(gridPos * kOversample), gainStep_);
    if (v_->stages > 2) runStage(2, x, n8, 1.f, 0.f);
    // Tone stack (double precision), presence and the push-pull power stage, all at 8x: resampling between
    // the preamp and the power stage would need filters that keep the preamp's harmonics up to 96 kHz out of
    // the power stage's images (half-bands built for a 24 kHz band let them through: -58 dBc of aliases).
    const float makeup = stackMakeup_;
    for (uint32_t i = 0; i < n8; ++i)
        x[i] = stack_.process(x[i]) * makeup;
    {
        const float p0 = power_ + powerStep_ * static_cast<float>(gridPos * kOversample);
        const float step = powerStep_, mix = presenceMix_;
        V4 ps = splat(presenceLp_), pu = splat(powerPrevU_), pf = splat(powerPrevF_);
        for (uint32_t i = 0; i < n8; i += 4) {
            const V4 y = load4(x + i);
            const V4 shelf = y + mix * (y - presence_.lowpass(y, ps));
            store4(x + i, adaa4(shelf * (p0 + step * (static_cast<float>(i) + kLanes)), pu, pf));
        }
        presenceLp_ = ps[0];
        powerPrevU_ = pu[0];
        powerPrevF_ = pf[0];
    }
    float* const y4 = work4_.data();
    down8_.down(x, y4, 4 * n);
    down4_.down(y4, out2, 2 * n);

    // Supply sag at 2x: the power drawn (the stage's output squared) droops the supply, which scales the
    // stage's gain and its ceiling together. Applied after the clipper (the supply moves slowly).
    const float outTrim = outTrim_;
    const float s0 = sagDepth_ + sagStep_ * static_cast<float>(gridPos * 2);
    for (uint32_t i = 0; i < 2 * n; ++i) {
        const float y = out2[i];
        const float p = y * y;
        sagEnv_ += (p - sagEnv_) * (p > sagEnv_ ? sagAttack_ : sagRelease_);
        const float supply = 1.f / (1.f + (s0 + sagStep_ * static_cast<float>(i)) * sagEnv_);
        out2[i] = y * supply * outTrim;
    }
}

// ---------------------------------------------------------------------------------------------------------
// Amp

Amp::Amp() noexcept {
    for (std::size_t i = 0; i < kParamCount; ++i)
        values_[i] = kParams[i].def;
    pendingModel_ = static_cast<uint32_t>(values_[kModel]);
    prepare(sampleRate_, 0);
}

void Amp::prepare(double sampleRate, uint32_t /*maxBlock*/) {
    sampleRate_ = sampleRate;
    gain_.prepare(sampleRate, kParams[kGain].smoothMs);
    bass_.prepare(sampleRate, kParams[kBass].smoothMs);
    mid_.prepare(sampleRate, kParams[kMid].smoothMs);
    treble_.prepare(sampleRate, kParams[kTreble].smoothMs);
    presence_.prepare(sampleRate, kParams[kPresence].smoothMs);
    master_.prepare(sampleRate, kParams[kMaster].smoothMs);
    sag_.prepare(sampleRate, kParams[kSag].smoothMs);
    levelDb_.prepare(sampleRate, kParams[kLevelDb].smoothMs);
    for (auto& c : cores_)
        c.prepare(sampleRate);
    inputG_ = onePoleG(kInputHz, sampleRate);
    fadeLength_ =
        std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(kModelFadeMs * 0.002 * sampleRate)));
    reset();
}

void Amp::reset() noexcept {
    gain_.setImmediate(values_[kGain]);
    bass_.setImmediate(values_[kBass]);
    mid_.setImmediate(values_[kMid]);
    treble_.setImmediate(values_[kTreble]);
    presence_.setImmediate(values_[kPresence]);
    master_.setImmediate(values_[kMaster]);
    sag_.setImmediate(values_[kSag]);
    levelDb_.setImmediate(values_[kLevelDb]);
    pendingModel_ = static_cast<uint32_t>(values_[kModel]);
    active_ = 0;
    fadeLeft_ = 0;
    cores_[0].setModel(pendingModel_);
    for (auto& c : cores_)
        c.reset();
    inputLp_ = 0.f;
    up2_.reset();
    up4_.reset();
    up8_.reset();
    down1_.reset();
    gridLeft_ = 0;
}

void Amp::setParam(std::size_t index, float value) noexcept {
    if (index >= kParamCount || !std::isfinite(value)) return;
    value = std::clamp(value, kParams[index].min, kParams[index].max);
    values_[index] = value;
    switch (index) {
    case kModel:
        pendingModel_ = static_cast<uint32_t>(std::lround(value));
        break;
    case kGain:
        gain_.setTarget(value);
        break;
    case kBass:
        bass_.setTarget(value);
        break;
    case kMid:
        mid_.setTarget(value);
        break;
    case kTreble:
        treble_.setTarget(value);
        break;
    case kPresence:
        presence_.setTarget(value);
        break;
    case kMaster:
        master_.setTarget(value);
        break;
    case kSag:
        sag_.setTarget(value);
        break;
    case kLevelDb:
        levelDb_.setTarget(value);
        break;
    default:
        break;
    }
}

uint32_t Amp::tailSamples() const noexcept {
    // The filters ring out within a few tens of ms; 100 ms covers the coupling high-passes' decay.
    return kLatency + static_cast<uint32_t>(0.1 * sampleRate_);
}

Amp::Core::Knobs Amp::knobsNow() const noexcept {
    return {gain_.current(),     bass_.current(),   mid_.current(), treble_.current(),
            presence_.current(), master_.current(), sag_.current()};
}

void Amp::beginGrid() noexcept {
    // The smoothers advance a whole grid at a time, at grid points only, so the output does not depend on
    // how the host splits blocks.
    const Core::Knobs now = knobsNow();
    const float level0 = dsp::dbToGain(levelDb_.current());
    for (auto* s : {&gain_, &bass_, &mid_, &treble_, &presence_, &master_, &sag_, &levelDb_})
        s->skip(kGrid);
    const Core::Knobs ahead = knobsNow();
    const float level1 = dsp::dbToGain(levelDb_.current());
    level_ = level0;
    levelStep_ = (level1 - level0) / static_cast<float>(kGrid);

    if (fadeLeft_ == 0 && pendingModel_ != cores_[active_].model()) {
        active_ ^= 1u;
        cores_[active_].setModel(pendingModel_);
        cores_[active_].reset();
        fadeLeft_ = fadeLength_;
    }
    cores_[active_].beginGrid(now, ahead, false);
    cores_[active_].sanitize();
    if (fadeLeft_ > 0) {
        cores_[active_ ^ 1u].beginGrid(now, ahead, false);
        cores_[active_ ^ 1u].sanitize();
    }
    flush(inputLp_);
    up2_.flushDenormals();
    down1_.flushDenormals();
}

void Amp::process(StereoBlock& block, const ProcessContext& /*ctx*/) noexcept {
    uint32_t done = 0;
    while (done < block.frames) {
        if (gridLeft_ == 0) {
            beginGrid();
            gridLeft_ = kGrid;
        }
        const uint32_t n = std::min(block.frames - done, gridLeft_);
        processChunk(block.left + done, block.right + done, n);
        done += n;
        gridLeft_ -= n;
    }
}

void Amp::processChunk(float* left, float* right, uint32_t n) noexcept {
    // Mono in, input coupling high-pass, then up to 8x (zero-stuffing x2 into the elliptic filter).
    for (uint32_t i = 0; i < n; ++i) {
        const float x = 0.5f * (left[i] + right[i]);
        const float y = x - lowpass(x, inputLp_, inputG_);
        in2_[2 * i] = up2_.process(2.f * y);
        in2_[2 * i + 1] = up2_.process(0.f);
    }
    up4_.up(in2_.data(), in4_.data(), 2 * n);
    up8_.up(in4_.data(), in8_.data(), 4 * n);

    Core& now = cores_[active_];
    const uint32_t gridPos = kGrid - gridLeft_;
    now.process(in8_.data(), out2_.data(), n, gridPos);
    if (fadeLeft_ > 0) {
        Core& old = cores_[active_ ^ 1u];
        old.process(in8_.data(), fade2_.data(), n, gridPos);
        const float step = 1.f / static_cast<float>(fadeLength_);
        for (uint32_t i = 0; i < 2 * n; ++i) {
            if (fadeLeft_ > 0) --fadeLeft_;
            const float w = 1.f - static_cast<float>(fadeLeft_) * step;
            out2_[i] = w * out2_[i] + (1.f - w) * fade2_[i];
        }
    }

    for (uint32_t i = 0; i < n; ++i) {
        const float y = down1_.process(out2_[2 * i]);
        (void)down1_.process(out2_[2 * i + 1]);
        const float out = y * level_;
        level_ += levelStep_;
        left[i] = out;
        right[i] = out;
    }
}

} // namespace stagerack::fx
