// One reverberator voice of the algorithmic reverb: input diffusion (a series of Schroeder all-passes)
// feeding an 8-line feedback delay network with a Hadamard mixing matrix, allpass-interpolated slowly
// modulated lines, per-line absorption shelves and (spring only) dispersive all-passes in the loop.
//
// Why the decay is exact: with an orthogonal matrix and a loss of gamma^d on a line of mean delay d
// (gamma = 10^(-3 / (rate * T60))), the network is the lossless one with z^-1 replaced by gamma z^-1, so
// every pole sits at radius gamma and every mode loses 60 dB in T60 seconds. The diffusers sit outside the
// loop and decay much faster than the shortest setting, the interpolation all-passes are lossless, and
// the modulation is a zero-mean sine around the mean delay, so none of them biases the rate.
//
// The eight lines are two 4-float vectors (GCC vector extensions, plain SSE2); the delay memory is
// interleaved (8 floats per time step) so one sample of all lines is written with two vector stores.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace stagerack::fx {

enum class ReverbCharacter : uint8_t { Hall, Room, Plate, Spring };

class FdnCore {
public:
    static constexpr int kLines = 8;
    static constexpr int kMaxDiffusers = 6;
    static constexpr int kMaxDispersion = 8;

    // Static voicing of one character (delays in ms so that every rate gets the same room).
    struct Voicing {
        std::array<double, kLines> lineMs;
        int diffusers;
        std::array<double, kMaxDiffusers> diffuserMs;
        std::array<float, kMaxDiffusers> diffuserGain;
        double modDepthMs;    // peak excursion of each line's delay
        double modRateScale;  // times the base rates (0.31 .. 0.83 Hz)
        int dispersion;       // first-order all-passes per line inside the loop (spring chirps)
        float dispersionCoef; // their coefficient
        double toneHz;        // one-pole low-pass on the wet output (outside the loop)
        float outputGain;
    };
    static const Voicing& voicing(ReverbCharacter c) noexcept;

    // Control thread: sizes the memory for every character at this rate.
    void prepare(double sampleRate);
    // Audio-safe (no allocation): switch the voicing and clear the state.
    void configure(ReverbCharacter c) noexcept;
    void clear() noexcept;
    ReverbCharacter character() const noexcept { return character_; }

    // Grid rate, every grid point: per-line loop gains for a full-band RT60 and a high-frequency ratio
    // (1 = neutral), recomputed only when they change; plus state housekeeping.
    void setDecay(double t60Seconds, double highRatio) noexcept;
    // Mono in, stereo wet out.
    void process(const float* in, float* outL, float* outR, uint32_t n) noexcept;
    // Mean loop delay of line k in samples (what the gains are computed for).
    double meanLoopDelay(int k) const noexcept { return loopDelay_[static_cast<std::size_t>(k)]; }

private:
    using V4 = float __attribute__((vector_size(16)));
    using V4i = int32_t __attribute__((vector_size(16)));

    template <bool Dispersive>
    void run(const float* in, float* outL, float* outR, uint32_t n) noexcept;

    double sampleRate_ = 48000.0;
    ReverbCharacter character_ = ReverbCharacter::Hall;
    double lastT60_ = -1.0, lastRatio_ = -1.0;
    const Voicing* voicing_ = nullptr;

    // Delay memory: kLines floats per time step.
    std::vector<float> lines_;
    uint32_t lineMask_ = 0; // in time steps
    uint32_t write_ = 0;
    std::array<double, kLines> loopDelay_{};

    // Per-lane constants and states (lanes 0..3 in [0], 4..7 in [1]).
    V4 base_[2]{};  // mean delay in samples
    V4 depth_[2]{}; // modulation excursion in samples
    V4 rotC_[2]{}, rotS_[2]{};
    V4 lfoC_[2]{}, lfoS_[2]{};
    V4 apState_[2]{}; // interpolation all-pass output memory
    V4 gainHigh_[2]{}, gainLowMinusHigh_[2]{};
    V4 lpState_[2]{};
    float shelfG_ = 0.f; // TPT one-pole gain of the absorption shelf's crossover
    V4 dispX_[kMaxDispersion][2]{}, dispY_[kMaxDispersion][2]{};

    // Input diffusers.
    std::vector<float> diffMem_;
    std::array<uint32_t, kMaxDiffusers> diffOffset_{}, diffMask_{}, diffLen_{};
    uint32_t diffPos_ = 0;

    // Wet tone filter (TPT one-pole) states.
    float toneG_ = 1.f;
    float toneL_ = 0.f, toneR_ = 0.f;
};

} // namespace stagerack::fx
