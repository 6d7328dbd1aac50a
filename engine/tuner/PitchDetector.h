// Pitch detector for the tuner: coarse McLeod NSDF for the note (octave-safe), then a phase-tracking
// refinement of the fundamental for sub-cent precision. Runs on the housekeeping/tuner thread, not the
// audio thread: push() may allocate (window tables when a note starts), FFTW is planned in the constructor
// under a static mutex (the planner is not thread-safe).
//
// How it works, and why:
//  1. Decimation. Everything the tuner needs lies below 1.4 kHz, so the input is low-passed (6th-order
//     Butterworth at 0.2 x the reduced rate) and kept every D-th sample (D a power of two that brings the
//     rate to 8..16 kHz), then high-passed at 10 Hz to remove DC. This makes every later step 4-16x cheaper.
//  2. Coarse pitch, once per hop (10 ms or just under): McLeod's normalised square difference function
//     (NSDF) over the last 85 ms, computed with one real FFT pair (autocorrelation) plus prefix sums. The
//     first key maximum above 0.9 x the highest one is the period (McLeod's rule, which prefers the
//     shortest period and so never reports a sub-octave), refined by a parabola. The one octave error that
//     rule does make, on a fundamental much weaker than its second harmonic, is caught by checking for
//     energy at f/2 and 3f/2 (both must be there for the true pitch to be f/2). Two strings ringing together
//     can make the opposite error, their common sub-harmonic period (A2 + D3 repeat at 36.7 Hz): with
//     nothing at f itself, the strongest of 2f..6f is taken.
//  3. Fine pitch of the fundamental itself (not of the inharmonic upper partials of a stiff string): at
//     every hop a Hann-windowed single-bin DFT at a reference frequency fr, with the phase taken against
//     absolute time. A steady fundamental at f makes that phase advance by 2 pi (f - fr) per sample, so a
//     weighted (|X|^2) straight-line fit of the unwrapped phase over the hops since the note began gives
//     f - fr; the precision grows as the note sustains (span^-1.5), up to a 1 s span. Two tracks run side
//     by side: a short window of 4 periods (at least 25 ms), where the harmonics sit on the Hann window's
//     zeros, answers within 1 cent 70 ms after a pluck (160 ms at B0); a long 0.4 s window takes over once
//     its fit spans 50 ms, because only it separates 50 Hz hum from E1 or A1, or a string ringing on a
//     fourth below. Parabolic interpolation alone would leave several cents at E6 (a 9-sample period).
//  4. Notes and changes. An energy jump (onset) or a coarse pitch that leaves the fine one by more than
//     40 cents for three hops (and is louder) starts a new note: the fits are cleared, so a new pluck is
//     never averaged with the old note, and the fine points since the onset are recomputed from the
//     decimated history, so no time is lost waiting. Jumps to a multiple or sub-multiple of the note need
//     an onset. After an onset the needle shows no note for 67 ms (two periods of kMinHz), the least that
//     tells a period apart from its octaves. A glide shows as the last 5 hops' fit disagreeing with the
//     whole short fit while the coarse pitch moves the same way: the short fit keeps only those hops and the
//     long one restarts. Silence, noise and unpitched sound give frequency 0: a note needs a clear NSDF
//     peak (>= 0.7 to start, >= 0.5 to hold) above -80 dBFS.
//  5. Mains hum. A steady tone at 50/60 Hz or a low multiple that appears without an onset is hum, not a
//     note (no needle). When a note starts, the quiet stretch before it (up to 1 s) gives the mains
//     frequency (phase slope of 100 ms demodulations at 50 and 60 Hz) and a least-squares fit of its
//     fundamental, 2nd and 3rd harmonic; the fit is subtracted for the whole note (history rewritten from
//     the stretch on), so hum 2-9 Hz from B1, A1 or E1 no longer beats with the reading.
//  6. A string ringing on. When a new note starts while another was locked, the new note is the lowest of
//     the coarse pitch and its multiples that at least doubled at the onset (E2 + A2 read as 55 Hz or as
//     E2 otherwise), and an old string 0.7-1.9 bins from it in the short window (a fourth or a third away)
//     is fitted jointly and removed from the note's bin.
//  7. A settling pitch (a hard pluck starts sharp): when a parabola through the short track's phases
//     explains it far better than the straight line (residual <= 20 %), shows a falling pitch 4 sigma
//     and 0.3 cent from the line, three hops running, the reading is the parabola's slope at the newest
//     window, and the long track waits until the pitch has settled.
//  8. Strobe phase: the fundamental's phase from the latest DFT, advanced to the reading's time.
// Cost: about 2.8 ms of CPU per second of 48 kHz audio (0.28 % of a core), measured by PitchDetectorTest.
#pragma once

#include <array>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace stagerack::tuner {

struct PitchReading {
    double timeS = 0.0;       // end of the audio this reading used (seconds since the first sample pushed)
    double frequencyHz = 0.0; // 0 = no note (silence, noise, unpitched)
    double confidence = 0.0;  // 0..1
    double strobePhase = 0.0; // 0..1, phase of the detected fundamental at timeS (for a strobe display)
};

class PitchDetector {
public:
    static constexpr double kMinHz = 30.0, kMaxHz = 1400.0; // B0 (30.87) .. E6 (1318.5) with margin

    explicit PitchDetector(double sampleRate); // may allocate; any rate 22.05k..192k
    ~PitchDetector();
    PitchDetector(const PitchDetector&) = delete;
    PitchDetector& operator=(const PitchDetector&) = delete;

    void reset();
    // Feed any number of samples; appends one reading per hop (hop <= 10 ms) to `out`.
    void push(const float* samples, std::size_t n, std::vector<PitchReading>& out);
    double hopSeconds() const noexcept;

private:
    struct Biquad {
        double b0 = 1, b1 = 0, b2 = 0, a1 = 0, a2 = 0;
        double z1 = 0, z2 = 0;
        double run(double x) noexcept {
            const double y = b0 * x + z1;
            z1 = b1 * x - a1 * y + z2;
            z2 = b2 * x - a2 * y;
            return y;
        }
    };
    struct Coarse {
        double frequencyHz = 0.0; // 0 = no clear period
        double clarity = 0.0;
    };
    struct FinePoint {
        int64_t end = 0;     // decimated sample index one past the window
        double center = 0.0; // window centre, decimated samples
        double phase = 0.0;  // unwrapped, radians, relative to the reference oscillator
        double weight = 0.0; // |X|^2
        double rawPhase = 0.0;
    };
    struct Track {
        double refHz = 0.0;
        std::size_t length = 0;
        int64_t validFrom = 0; // windows must start here or later
        std::vector<double> window;
        std::vector<FinePoint> points;
        // A neighbouring component fitted jointly (0 = none): its leakage into the bin, G(dw) / sum(w).
        double neighbourHz = 0.0;
        std::complex<double> leak{};
    };
    enum class State { Idle, Pending, Locked };

    // Mains hum: when a note starts, the hum of the quiet stretch before it (mains frequency measured, 50 or
    // 60 Hz family, fundamental, 2nd and 3rd harmonic) is fitted by least squares and subtracted from the
    // decimated signal for the rest of the note, so hum a few hertz from a low note cannot beat with it.
    static constexpr std::size_t kHumTones = 3, kHumRegs = 2 * kHumTones;
    void beginNoteHum();
    bool isMainsTone(double freqHz) const;

    void analyseHop(std::vector<PitchReading>& out);
    Coarse coarsePitch(std::size_t window);
    double correctOctave(double f, std::size_t available);
    static bool harmonicJump(double f, double ref);
    double binAmplitude(double freqHz, std::size_t length, int64_t end = -1);
    double newNoteAfterOnset(double coarseHz);
    std::size_t shortLength(double freqHz) const;
    std::size_t longLength(double freqHz) const;
    void relock(double freqHz);
    void setupTrack(Track& t, double freqHz, std::size_t length, int64_t firstEnd);
    bool addFinePoint(Track& t, int64_t end);
    bool settlingPitch(const Track& t, double& freqHz) const;
    bool fit(const Track& t, std::size_t first, double& freqHz,
             std::size_t last = std::numeric_limits<std::size_t>::max()) const;
    float sampleAt(int64_t index) const noexcept {
        return history_[static_cast<std::size_t>(index) & histMask_];
    }

    double sampleRate_;
    int decimation_ = 1;
    double rate_ = 0.0; // decimated rate
    std::size_t hop_ = 0;
    std::size_t coarseWindow_ = 0;
    std::size_t fftSize_ = 0;
    std::size_t maxLag_ = 0, minLag_ = 0;
    std::size_t minPostOnset_ = 0;

    Biquad lowpass_[3];
    Biquad highpass_;
    Biquad lowpassInit_[3];
    Biquad highpassInit_;
    int phaseCount_ = 0;
    uint64_t inputCount_ = 0;

    std::vector<float> history_;
    std::size_t histMask_ = 0;
    int64_t decCount_ = 0;
    std::vector<double> hopEnergy_; // ring of the last 8 hops
    std::size_t hopIndex_ = 0;
    int refractory_ = 0;

    float* fftIn_ = nullptr;
    void* fftOut_ = nullptr; // fftwf_complex*
    void* planForward_ = nullptr;
    void* planInverse_ = nullptr;
    std::vector<double> prefix_;
    std::vector<double> nsdf_;

    State state_ = State::Idle;
    int64_t onset_ = 0;
    int idleHits_ = 0;
    double idleFreq_ = 0.0;
    Track short_; // 4 periods: fast, from the first hops of a note
    Track long_;  // 0.4 s: resolves hum and a neighbouring string next to low notes
    double estimateHz_ = 0.0;
    int disagreeHops_ = 0;
    int glideStrikes_ = 0;
    int driftStrikes_ = 0;
    int bendStrikes_ = 0;
    double glideNoise2_ = 0.1;
    double glideMean_ = 0.0;

    std::vector<float> raw_; // decimated input before hum removal, same indexing as history_
    int64_t idleSince_ = 0;  // decimated index where the detector last became idle
    bool humActive_ = false;
    std::size_t humTones_ = 0;
    std::array<std::complex<double>, kHumTones> humPhasor_{}, humStep_{};
    std::array<double, kHumRegs> humCoef_{}; // cos, sin per tone

    // A string ringing on from the previous note, close to the new one: fitted jointly in the short window.
    double neighbourHz_ = 0.0;
};

} // namespace stagerack::tuner
