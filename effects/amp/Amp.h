// Tube guitar amp: triode preamp stages at 8x oversampling, a tone stack computed from the component values
// of real circuits, presence, and a push-pull power stage with supply sag.
#pragma once

#include "effects/Effect.h"
#include "effects/amp/AmpOversampler.h"
#include "effects/amp/ToneStack.h"
#include "effects/dsp/Smoothed.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stagerack::fx {

namespace amp {

struct StageVoicing {
    float driveDb;   // small-signal gain into the triode curve
    float bias;      // operating point on the curve: 0 symmetric, larger = earlier, harder positive clipping
    float cathodeHz; // corner of the partly bypassed cathode: below it the gain drops by cathodeCutDb
    float cathodeCutDb;
    float millerHz;   // Miller-capacitance low-pass in front of the grid
    float couplingHz; // coupling-capacitor high-pass after the stage
};

struct Voicing {
    std::string_view label;
    const ToneStackCircuit* stack;
    uint32_t stages; // 2 or 3
    std::array<StageVoicing, 3> stage;
    float gainMinDb, gainMaxDb;      // the gain pot, between stage 1 and stage 2
    float stackMakeupDb;             // the passive stack's insertion loss made up by the next stage
    float presenceHz, presenceMaxDb; // high shelf at presence 1
    float powerMinDb, powerMaxDb;    // master: drive into the power stage
    float sagDepth;                  // supply droop at full output with sag 1 (gain and headroom x 1/(1+d))
    float outputDb;                  // level trim so the models sit at similar loudness
};

} // namespace amp

class Amp {
public:
    enum Param : std::size_t {
        kModel,
        kGain,
        kBass,
        kMid,
        kTreble,
        kPresence,
        kMaster,
        kSag,
        kLevelDb,
        kParamCount
    };
    enum Model : uint32_t {
        kClean,
        kCrunch,
        kPlexi,
        kBritishLead,
        kModernHighGain,
        kBassAmp,
        kJazz,
        kModelCount
    };

    static constexpr std::string_view kId = "amp";
    static constexpr std::string_view kName = "Tube Amp";
    static constexpr std::string_view kCategory = "amp";
    static constexpr int kVersion = 1;

    static constexpr uint32_t kGrid = 32;       // coefficient grid, in frames, counted from reset()
    static constexpr uint32_t kOversample = 8;  // preamp rate / session rate
    static constexpr float kModelFadeMs = 40.f; // model switch crossfade
    static constexpr float kSagAttackMs = 15.f;
    static constexpr float kSagReleaseMs = 150.f;
    // Measured (AmpTest.LatencyMatchesTheImpulsePeak): the resampling filters' delay (11.1 frames: FIR
    // half-bands 6.75, elliptic 2 x 2.17) plus the clean voicing's low-passes, as the impulse peak shows it.
    static constexpr uint32_t kLatency = 12;

    static constexpr std::array<std::string_view, kModelCount> kModelLabels{
        "clean", "crunch", "plexi", "british_lead", "modern_high_gain", "bass", "jazz"};

    static constexpr std::string_view kHelp =
        "A tube guitar amp. The input (left and right summed to mono, (L+R)/2: an amp is mono at heart) runs "
        "through two or three triode preamp stages, a passive bass/mid/treble tone stack, a presence shelf "
        "and "
        "a push-pull power stage with supply sag; the result goes to both outputs. "
        "Each triode stage is a gain, a partly bypassed cathode (less gain below a corner frequency), a "
        "Miller "
        "low-pass, the triode curve x/sqrt(1+x^2) shifted by the stage's bias (a shifted curve clips one "
        "half "
        "wave earlier than the other, which gives the even harmonics of a real triode, more so the colder "
        "the "
        "bias) and a coupling-capacitor high-pass. The stages run at 8x the session rate with first-order "
        "antiderivative anti-aliasing, so even the high-gain models keep aliases at least 70 dB below the "
        "note. The tone stack is the classic TMB network computed from real component values (Yeh & Smith's "
        "closed form, bilinear transform at eight times the session rate): Fender 5F6-A Bassman, Marshall "
        "JCM800, "
        "or AC30 Top Boost values in the same topology. Latency: 12 frames. "
        "Parameters: model (enum) picks the voicing: "
        "clean = Fender blackface-style, 2 stages, Fender stack, huge headroom, glassy; "
        "crunch = Vox AC30 Top Boost-style, 2 stages, Vox values, chimey upper mids, breaks up early; "
        "plexi = Marshall 1959 Super Lead-style, 2 stages, Marshall stack, fat midrange crunch; "
        "british_lead = JCM800 2203-style, 3 stages with a cold-biased clipper, tight low end, Marshall "
        "stack; "
        "modern_high_gain = 5150/Rectifier-style, 3 hot stages, very tight bass and strong mids before the "
        "stack, Marshall stack; "
        "bass = Bassman-style bass amp, 2 stages, 5F6-A stack, full lows, deep sag; "
        "jazz = dark clean, 2 low-gain stages, Fender stack with the treble cap rolled off by the low Miller "
        "corner. "
        "gain (0 to 1, default 0.5) is the preamp volume pot between stages 1 and 2 (its range in dB depends "
        "on the model). bass, mid, treble (0 to 1, default 0.5) are the tone stack pot positions (bass with "
        "an "
        "audio taper, mid and treble linear); like a real passive stack they interact and all at 0 is nearly "
        "silent. presence (0 to 1, default 0.5) is a high shelf above about 3 kHz, 0 dB at 0 up to +8 to "
        "+10 dB at 1, as a real presence control lifts the highs by reducing the power amp's feedback. "
        "master (0 to 1, default 0.5) drives the power stage: low settings keep it clean and quiet, high "
        "settings add power-tube compression and symmetric (odd-harmonic) clipping. "
        "sag (0 to 1, default 0.3) is how far the supply droops under load: an envelope of the output power "
        "(attack 15 ms, release 150 ms) lowers the power stage's gain and headroom together by up to 1/(1+d) "
        "(d depends on the model), for the bloom and squash of a tube rectifier. "
        "level_db (-40 to +12 dB, default 0 dB) is the output level. "
        "Changing the model crossfades the old and new amp over 40 ms. "
        "Typical settings: clean with gain 0.3-0.5, bass 0.4, mid 0.5, treble 0.6 for cleans; plexi or "
        "british_lead with gain 0.6-0.8 and master 0.6 for rock rhythm; modern_high_gain with gain 0.6-0.9, "
        "bass 0.5, mid 0.3-0.4, treble 0.6, sag 0.1 for tight metal; always follow with a cabinet.";

    static constexpr std::array<ParamInfo, kParamCount> kParams{{
        {.id = "model",
         .name = "Model",
         .min = 0.f,
         .max = static_cast<float>(kModelCount - 1),
         .def = static_cast<float>(kCrunch),
         .unit = Unit::None,
         .taper = Taper::Enum,
         .smoothMs = 0.f,
         .labels = kModelLabels,
         .help =
             "Amp voicing: clean, crunch, plexi, british_lead, modern_high_gain, bass, jazz (crossfaded)."},
        {.id = "gain",
         .name = "Gain",
         .min = 0.f,
         .max = 1.f,
         .def = 0.5f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Preamp gain pot between the first and second triode stage, 0 to 1."},
        {.id = "bass",
         .name = "Bass",
         .min = 0.f,
         .max = 1.f,
         .def = 0.5f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 50.f,
         .help = "Tone stack bass pot, 0 to 1 (audio taper); smoothed over 50 ms."},
        {.id = "mid",
         .name = "Middle",
         .min = 0.f,
         .max = 1.f,
         .def = 0.5f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 50.f,
         .help = "Tone stack mid pot, 0 to 1; smoothed over 50 ms."},
        {.id = "treble",
         .name = "Treble",
         .min = 0.f,
         .max = 1.f,
         .def = 0.5f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 50.f,
         .help = "Tone stack treble pot, 0 to 1; smoothed over 50 ms."},
        {.id = "presence",
         .name = "Presence",
         .min = 0.f,
         .max = 1.f,
         .def = 0.5f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Power amp high shelf above about 3 kHz, 0 to 1 (0 dB to +8..+10 dB)."},
        {.id = "master",
         .name = "Master",
         .min = 0.f,
         .max = 1.f,
         .def = 0.5f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Drive into the power stage, 0 to 1: louder, then power-tube compression and clipping."},
        {.id = "sag",
         .name = "Sag",
         .min = 0.f,
         .max = 1.f,
         .def = 0.3f,
         .unit = Unit::Fraction,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Supply droop under load, 0 to 1 (attack 15 ms, release 150 ms)."},
        {.id = "level_db",
         .name = "Level",
         .min = -40.f,
         .max = 12.f,
         .def = 0.f,
         .unit = Unit::Decibel,
         .taper = Taper::Linear,
         .smoothMs = 20.f,
         .help = "Output level, -40 to +12 dB."},
    }};

    static const amp::Voicing& voicing(uint32_t model) noexcept;

    Amp() noexcept;
    void prepare(double sampleRate, uint32_t maxBlock);
    void reset() noexcept;
    void setParam(std::size_t index, float value) noexcept;
    void process(StereoBlock& block, const ProcessContext& ctx) noexcept;
    uint32_t latencySamples() const noexcept { return kLatency; }
    uint32_t tailSamples() const noexcept;

    // One amp (one voicing) from the 8x preamp input to the power stage output decimated to 2x. Two of them
    // crossfade when the model changes.
    class Core {
    public:
        void prepare(double sampleRate) noexcept;
        void setModel(uint32_t model) noexcept;
        uint32_t model() const noexcept { return model_; }
        void reset() noexcept;
        // Knob values at the start and end of the grid interval; computes coefficients and per-sample ramps.
        struct Knobs {
            float gain, bass, mid, treble, presence, master, sag;
        };
        void beginGrid(const Knobs& now, const Knobs& ahead, bool snap) noexcept;
        // n frames: in8 holds 8n preamp-rate samples (already input-filtered); writes 2n samples to out2.
        // gridPos: frames since the current grid interval began (the ramps are indexed from it).
        void process(const float* in8, float* out2, uint32_t n, uint32_t gridPos) noexcept;
        void sanitize() noexcept;

    private:
        // Four samples at a time (GCC/Clang vector extension; SSE on x86-64, NEON on arm64).
        typedef float V4 __attribute__((vector_size(16)));
        struct StageState {
            float cathodeLp = 0.f, millerLp = 0.f, couplingLp = 0.f;
            float prevU = 0.f, prevF = 1.f;
        };
        // Topology-preserving one-pole low-pass (bilinear, prewarped) written as y = G x + (1 - G) s,
        // s' = 2G x + (1 - 2G) s, so the recurrence is one multiply and one add.
        struct OnePole {
            float g = 0.f, h = 1.f, g2 = 0.f, h2 = 1.f;
            static OnePole lowpass(double hz, double rate) noexcept;
        };
        // The same one-pole run four samples per step (block state space): the states after each of the
        // four samples are a lower-triangular matrix times the inputs plus powers of the pole times the state
        // before them. The state is kept halved, so each output is the sum of the halved states before and
        // after its sample (y = (s + s') / 2 for this form). The serial dependency is one multiply-add per
        // four samples instead of per sample.
        struct Pole4 {
            V4 col[4]{}; // col[j][k]: weight of input j in the state after sample k
            V4 carry{};  // carry[k]: weight of the state before the block in the state after sample k
            static Pole4 from(const OnePole& p) noexcept;
            // sv: the (halved) state broadcast to all lanes, updated.
            V4 lowpass(V4 x, V4& sv) const noexcept;
        };
        struct StageCoef {
            Pole4 cathode, miller, coupling;
            float drive = 1.f, cathodeMix = 0.f;
            float bias = 0.f, offset = 0.f, biasF = 1.f;
        };
        void runStage(uint32_t s, float* x, uint32_t count, float gainStart, float gainStep) noexcept;

        double sampleRate_ = 48000.0;
        uint32_t model_ = kCrunch;
        const amp::Voicing* v_ = nullptr;
        std::array<StageCoef, 3> coef_{};
        std::array<StageState, 3> stage_{};
        amp::HalfbandFir<3> down8_{amp::kHalfband11};
        amp::HalfbandFir<6> down4_{amp::kHalfband23};
        ToneStack stack_;
        float stackMakeup_ = 1.f;
        Pole4 presence_;
        float presenceMix_ = 0.f, presenceLp_ = 0.f, outTrim_ = 1.f;
        float powerPrevU_ = 0.f, powerPrevF_ = 1.f;
        float sagEnv_ = 0.f, sagAttack_ = 0.f, sagRelease_ = 0.f;
        // Ramps across the grid interval: start value and step per sample (gain and power drive at 8x, sag
        // at 2x), indexed from the grid start so block splits do not change them.
        float gain_ = 1.f, gainStep_ = 0.f;
        float power_ = 1.f, powerStep_ = 0.f;
        float sagDepth_ = 0.f, sagStep_ = 0.f;
        std::array<float, kGrid * kOversample> work8_{};
        std::array<float, kGrid * 4> work4_{};
    };

private:
    void processChunk(float* left, float* right, uint32_t n) noexcept;
    Core::Knobs knobsNow() const noexcept;
    Core::Knobs knobsAhead() const noexcept;
    void beginGrid() noexcept;

    std::array<float, kParamCount> values_{};
    double sampleRate_ = 48000.0;
    uint32_t pendingModel_ = kCrunch;

    dsp::LinearSmoothed gain_, bass_, mid_, treble_, presence_, master_, sag_, levelDb_;

    std::array<Core, 2> cores_{};
    uint32_t active_ = 0;
    uint32_t fadeLeft_ = 0; // 2x samples of model crossfade left (the other core fades in)
    uint32_t fadeLength_ = 1;

    // Shared input path: coupling high-pass at the session rate, then 1x -> 8x.
    float inputG_ = 0.f, inputLp_ = 0.f;
    amp::EllipticLowpass up2_;
    amp::HalfbandFir<6> up4_{amp::kHalfband23};
    amp::HalfbandFir<3> up8_{amp::kHalfband11};
    amp::EllipticLowpass down1_;
    float level_ = 1.f, levelStep_ = 0.f;
    uint32_t gridLeft_ = 0;

    std::array<float, kGrid> in1_{};
    std::array<float, kGrid * 2> in2_{};
    std::array<float, kGrid * 4> in4_{};
    std::array<float, kGrid * 8> in8_{};
    std::array<float, kGrid * 2> out2_{};
    std::array<float, kGrid * 2> fade2_{};
};

static_assert(Effect<Amp>);

} // namespace stagerack::fx
