// Monophonic pitch tracker for the pitch effects, safe on the audio thread (everything sized in prepare).
//
// How it works, and why:
//  1. The input is low-passed (4th-order Butterworth at 0.4 x the reduced rate) and every D-th sample kept,
//     D = floor(rate / 8 kHz): a fundamental up to 1.4 kHz needs no more, and the search below gets D
//     times cheaper. The low-passed full-rate signal is kept too, for step 3.
//  2. Every 5 ms (a fixed hop counted from reset, so the host's block size never matters) McLeod's
//     normalised square difference function (NSDF) is computed over the last two periods of the lowest
//     note (70 Hz, below drop-D's D2), its autocorrelation part by one real FFT pair. Its key maxima (the
//     top of each positive lobe) are the candidate periods.
//  3. (Spread over the samples after the hop, so no sample carries all of it: the result is published
//     within 0.9 hop.) McLeod's rule picks the first candidate whose height reaches 0.9 x the highest (the
//     shortest period that explains the signal, so no sub-octave errors), but heights read off the coarse lag
//     grid cannot be trusted: a narrow peak (a high note, bright harmonics) that falls between two lags reads
//     low and the octave below would win. So each candidate, in order, is measured again on the full-rate
//     signal: the NSDF over one period (at least 2 ms) at the whole-sample lags around it, hill-climbed to
//     the maximum and interpolated by a parabola. On a periodic signal the NSDF is exactly 1 at the true
//     period and below it elsewhere, so the period lands within a few hundredths of a sample (well under a
//     cent, which the harmonizer's MIDI mode needs) and its height is the clarity (1 = exactly periodic).
//  4. Voiced = clarity >= 0.8 (0.6 to stay voiced) above -70 dBFS. The estimates of the last 160 ms are
//     kept with the centre of their window, so a read head that plays audio from some milliseconds ago
//     can ask for the pitch of what it plays (estimateAt/periodAt), and a voiced period is held through
//     60 ms of unvoiced hops (a pick attack, the moment between two notes).
#pragma once

#include "effects/dsp/Biquad.h"
#include "effects/pitch/RealFft.h"
#include "effects/pitch/SampleRing.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace stagerack::fx {

class PitchTracker {
public:
    static constexpr double kMinHz = 70.0;
    static constexpr double kMaxHz = 1400.0;
    static constexpr double kMinReducedRate = 8000.0;
    static constexpr double kHopMs = 5.0;
    static constexpr double kPickRatio = 0.9;
    static constexpr double kCandidateRatio = 0.4; // coarse height worth measuring again
    static constexpr double kClarityOn = 0.8;
    static constexpr double kClarityHold = 0.6;
    static constexpr double kSilenceRms = 3.2e-4; // -70 dBFS
    static constexpr double kHoldMs = 60.0;
    static constexpr double kFineMinMs = 2.0;
    static constexpr std::size_t kHistory = 32; // 160 ms of estimates

    struct Estimate {
        double centre = -1e18; // full-rate sample index of the middle of the analysed window
        double period = 0.0;   // full-rate samples (0 = no pitch found)
        double clarity = 0.0;
        bool voiced = false;
    };

    void prepare(double sampleRate); // control thread
    void reset() noexcept;
    void push(float x) noexcept; // one full-rate sample; analyses at every hop

    int64_t count() const noexcept { return count_; }
    const Estimate& latest() const noexcept { return history_[head_]; }
    // The newest estimate centred no later than half a hop after `position` (a full-rate sample index):
    // the one that best describes the signal there.
    const Estimate& estimateAt(double position) const noexcept;
    // The period (full-rate samples) at `position`: that estimate's if voiced, else the last voiced one at
    // most kHoldMs older; 0 when there is none.
    double periodAt(double position) const noexcept;
    double frequencyAt(double position) const noexcept;
    double sampleRate() const noexcept { return sampleRate_; }
    // Diagnostics for tests: full-rate NSDF evaluations (step 3) since prepare().
    uint64_t fineEvaluations() const noexcept { return fineEvaluations_; }

private:
    struct Peak {
        double lag = 0.0;    // full-rate samples
        double height = 0.0; // NSDF
    };
    enum class Step : uint8_t { Next, Here, Below, Above, Climb };
    static constexpr int kMaxKeys = 32;

    void analyse() noexcept;
    void refineStep() noexcept;
    void finishRefinement() noexcept;
    void publish() noexcept;
    double fineNsdf(int lag, int length) const noexcept;

    double sampleRate_ = 48000.0;
    int decimation_ = 6;
    double reducedRate_ = 8000.0;
    int hop_ = 40;    // reduced samples
    int window_ = 0;  // reduced samples
    int minLag_ = 0;  // reduced samples
    int maxLag_ = 0;  // reduced samples
    int fineMin_ = 0; // full-rate samples
    double hopFull_ = 240.0;
    double holdFull_ = 0.0;

    dsp::Biquad lowpass_[2];
    SampleRing fine_;    // low-passed, full rate
    SampleRing reduced_; // low-passed, decimated
    int phase_ = 0;
    int64_t count_ = 0;
    int64_t reducedCount_ = 0;

    RealFft fft_;
    std::vector<float> frame_;
    std::vector<double> nsdf_;
    std::array<Estimate, kHistory> history_{};
    std::size_t head_ = 0;
    mutable uint64_t fineEvaluations_ = 0;

    // Step 3, spread over the samples after the hop: at most `rate_` evaluations a sample (credit-paced),
    // enough to finish the worst case (every candidate climbing the whole way) within 0.9 hop.
    bool refining_ = false;
    Estimate pending_;
    int64_t refineEnd_ = 0; // count_ at the analysis: the fine window ends there
    std::array<int, kMaxKeys> keyLag_{};
    std::array<double, kMaxKeys> keyVal_{};
    std::array<double, kMaxKeys> keyOffset_{}; // parabola through the coarse NSDF, in reduced samples
    int keys_ = 0;
    double highest_ = 0.0;
    double threshold_ = 0.0;
    double rate_ = 0.0;
    double credit_ = 0.0;
    Step step_ = Step::Next;
    int key_ = 0;
    int lag_ = 0, length_ = 0, climbed_ = 0;
    double here_ = 0.0, below_ = 0.0, above_ = 0.0;
};

} // namespace stagerack::fx
