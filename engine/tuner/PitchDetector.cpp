#include "engine/tuner/PitchDetector.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <mutex>

#include "effects/dsp/FftwPlanner.h"
#include <numbers>

namespace stagerack::tuner {

namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;
constexpr double kCoarseSeconds = 0.085;   // 2.5 periods of kMinHz: enough for McLeod's NSDF
constexpr double kPickRatio = 0.9;         // McLeod's k: first key maximum above k x the highest
constexpr double kClarityStart = 0.7;      // NSDF peak needed to start a note (white noise stays below)
constexpr double kClarityHold = 0.5;       // ... and to keep it
constexpr double kSilenceRms = 1e-4;       // -80 dBFS
constexpr double kOnsetRatio = 3.0;        // energy jump (about 5 dB) that marks a new pluck
constexpr double kFinePeriods = 4.0;       // fine window: harmonics fall on the Hann window's zeros
constexpr double kFineMinSeconds = 0.025;  // ... but long enough to average noise on high notes
constexpr double kLongSeconds = 0.4;       // long window: 2.5 Hz bins keep 50 Hz hum off A1's fundamental
constexpr double kLongKeepCents = 3.0;     // a glide moved short fit and coarse pitch this far (or 3 sigma)
constexpr double kDriftCents = 0.3;        // older vs newer half of a fit: the pitch is still settling
constexpr std::size_t kDriftMinHalf = 8;   // hops in each half before that test
constexpr double kLongAgreeCents = 0.5;    // long vs short fit, beyond their noise
constexpr std::size_t kLongMinPoints = 6;  // the long fit takes over when it spans 50 ms
constexpr double kMaxSpanSeconds = 1.0;    // longest phase fit
constexpr std::size_t kShortFit = 5;       // hops in the short fit that detects glides
constexpr double kChangeCents = 40.0;      // coarse vs fine disagreement that means another note
constexpr double kSubOctaveRatio = 0.05;   // f/2 at -26 dB of f ...
constexpr double kThreeHalvesRatio = 0.2;  // ... and 3f/2 at -14 dB: the pitch is really f/2
constexpr double kMissingRatio = 0.02;     // f 34 dB below a multiple: no fundamental, not this note
constexpr double kBendCents = 0.3;         // a settling pitch moves the reading at least this much
constexpr std::size_t kBendMinPoints = 8;  // hops before a bend in the phase track is believed
constexpr double kBendResidual = 0.2;      // ... when the parabola leaves this much of the line's residual
constexpr double kBendSigmas = 4.0;        // ... and stands this many standard deviations out of the noise
constexpr int kBendStrikes = 3;            // hops running that the bend must show
constexpr double kGrowRatio = 2.0;         // a new note's component grew this much at its onset ...
constexpr double kGrowKeep = 0.3;          // ... and is at least this fraction of the strongest that grew
constexpr double kHumFitSeconds = 1.0;     // longest quiet stretch the hum is fitted over
constexpr double kHumExplained = 0.5;      // the hum model must explain this much of that stretch
constexpr double kMainsToleranceHz = 0.35; // mains frequency drift (about 0.2 Hz) plus coarse pitch error
constexpr double kNeighbourMinBins = 0.7;  // a ringing neighbour this far (in short-window bins) ...
constexpr double kNeighbourMaxBins = 1.9;  // ... up to here leaks into the note's bin and is fitted out

double cents(double f, double ref) {
    return 1200.0 * std::log2(f / ref);
}

// One FFTW planner lock for the whole project (effects/dsp/FftwPlanner.h).
std::mutex& plannerMutex() {
    return dsp::fftwPlannerMutex();
}

double wrapPi(double x) {
    return x - kTwoPi * std::floor((x + std::numbers::pi) / kTwoPi);
}

// RBJ cookbook biquads (bilinear transform), normalised by a0.
void setLowpass(double fc, double rate, double q, double& b0, double& b1, double& b2, double& a1,
                double& a2) {
    const double w = kTwoPi * fc / rate;
    const double alpha = std::sin(w) / (2.0 * q);
    const double a0 = 1.0 + alpha;
    b0 = (1.0 - std::cos(w)) / 2.0 / a0;
    b1 = (1.0 - std::cos(w)) / a0;
    b2 = b0;
    a1 = -2.0 * std::cos(w) / a0;
    a2 = (1.0 - alpha) / a0;
}

void setHighpass(double fc, double rate, double q, double& b0, double& b1, double& b2, double& a1,
                 double& a2) {
    const double w = kTwoPi * fc / rate;
    const double alpha = std::sin(w) / (2.0 * q);
    const double a0 = 1.0 + alpha;
    b0 = (1.0 + std::cos(w)) / 2.0 / a0;
    b1 = -(1.0 + std::cos(w)) / a0;
    b2 = b0;
    a1 = -2.0 * std::cos(w) / a0;
    a2 = (1.0 - alpha) / a0;
}

} // namespace

PitchDetector::PitchDetector(double sampleRate)
    : sampleRate_(sampleRate) {
    while (sampleRate_ / (2 * decimation_) >= 8000.0)
        decimation_ *= 2;
    rate_ = sampleRate_ / decimation_;
    hop_ = static_cast<std::size_t>(std::floor(0.01 * rate_));
    coarseWindow_ = static_cast<std::size_t>(std::ceil(kCoarseSeconds * rate_));
    fftSize_ = 1;
    while (fftSize_ < 2 * coarseWindow_)
        fftSize_ *= 2;
    minLag_ = static_cast<std::size_t>(std::floor(rate_ / kMaxHz));
    maxLag_ = static_cast<std::size_t>(std::ceil(rate_ / kMinHz)) + 2;
    // A period is trusted only from a window of two of the longest periods after an onset.
    minPostOnset_ = 2 * maxLag_;

    // 6th-order Butterworth low-pass as three biquads (pole Q values of the Butterworth polynomial).
    const double qs[3] = {0.51763809, 0.70710678, 1.93185165};
    for (int i = 0; i < 3; ++i) {
        Biquad& b = lowpassInit_[i];
        if (decimation_ > 1) setLowpass(0.2 * rate_, sampleRate_, qs[i], b.b0, b.b1, b.b2, b.a1, b.a2);
    }
    setHighpass(10.0, rate_, 0.70710678, highpassInit_.b0, highpassInit_.b1, highpassInit_.b2,
                highpassInit_.a1, highpassInit_.a2);

    std::size_t histSize = 1;
    while (histSize < static_cast<std::size_t>(3.0 * rate_))
        histSize *= 2;
    history_.assign(histSize, 0.f);
    raw_.assign(histSize, 0.f);
    histMask_ = histSize - 1;
    hopEnergy_.assign(8, 0.0);
    prefix_.assign(coarseWindow_ + 1, 0.0);
    nsdf_.assign(maxLag_ + 2, 0.0);
    for (Track* t : {&short_, &long_})
        t->points.reserve(static_cast<std::size_t>(kMaxSpanSeconds * rate_ / static_cast<double>(hop_)) + 8);

    {
        std::lock_guard lock(plannerMutex());
        fftIn_ = fftwf_alloc_real(fftSize_);
        auto* spectrum = fftwf_alloc_complex(fftSize_ / 2 + 1);
        fftOut_ = spectrum;
        const int n = static_cast<int>(fftSize_);
        planForward_ = fftwf_plan_dft_r2c_1d(n, fftIn_, spectrum, FFTW_ESTIMATE);
        planInverse_ = fftwf_plan_dft_c2r_1d(n, spectrum, fftIn_, FFTW_ESTIMATE);
    }
    reset();
}

PitchDetector::~PitchDetector() {
    std::lock_guard lock(plannerMutex());
    fftwf_destroy_plan(static_cast<fftwf_plan>(planForward_));
    fftwf_destroy_plan(static_cast<fftwf_plan>(planInverse_));
    fftwf_free(fftIn_);
    fftwf_free(fftOut_);
}

void PitchDetector::reset() {
    for (int i = 0; i < 3; ++i)
        lowpass_[i] = lowpassInit_[i];
    highpass_ = highpassInit_;
    phaseCount_ = 0;
    inputCount_ = 0;
    std::fill(history_.begin(), history_.end(), 0.f);
    std::fill(raw_.begin(), raw_.end(), 0.f);
    decCount_ = 0;
    std::fill(hopEnergy_.begin(), hopEnergy_.end(), 0.0);
    hopIndex_ = 0;
    refractory_ = 0;
    state_ = State::Idle;
    onset_ = 0;
    idleHits_ = 0;
    idleFreq_ = 0.0;
    short_ = Track{};
    long_ = Track{};
    estimateHz_ = 0.0;
    disagreeHops_ = 0;
    glideStrikes_ = 0;
    driftStrikes_ = 0;
    bendStrikes_ = 0;
    glideNoise2_ = 0.1;
    glideMean_ = 0.0;
    idleSince_ = 0;
    humActive_ = false;
    humTones_ = 0;
    humCoef_.fill(0.0);
    neighbourHz_ = 0.0;
}

// A steady tone that appears without an onset at a mains frequency is hum, not a note: the detector stays
// idle, so no needle shows and the hum fit learns it (and then subtracts it).
bool PitchDetector::isMainsTone(double freqHz) const {
    for (double f : {50.0, 60.0, 100.0, 120.0, 150.0, 180.0})
        if (std::abs(freqHz - f) < kMainsToleranceHz) return true;
    return false;
}

namespace {

// Solves (A + ridge I) x = b for a symmetric positive definite m x m system (row-major, stride n) by
// Cholesky; false when it is not positive definite.
template <std::size_t N>
bool solveSpd(std::array<double, N * N> a, std::array<double, N> b, std::size_t m, std::array<double, N>& x) {
    for (std::size_t j = 0; j < m; ++j) {
        double d = a[j * N + j];
        for (std::size_t k = 0; k < j; ++k)
            d -= a[j * N + k] * a[j * N + k];
        if (d <= 0.0) return false;
        d = std::sqrt(d);
        a[j * N + j] = d;
        for (std::size_t i = j + 1; i < m; ++i) {
            double v = a[i * N + j];
            for (std::size_t k = 0; k < j; ++k)
                v -= a[i * N + k] * a[j * N + k];
            a[i * N + j] = v / d;
        }
    }
    for (std::size_t i = 0; i < m; ++i) {
        double v = b[i];
        for (std::size_t k = 0; k < i; ++k)
            v -= a[i * N + k] * b[k];
        b[i] = v / a[i * N + i];
    }
    for (std::size_t i = m; i-- > 0;) {
        double v = b[i];
        for (std::size_t k = i + 1; k < m; ++k)
            v -= a[k * N + i] * x[k];
        x[i] = v / a[i * N + i];
    }
    return true;
}

} // namespace

// The stretch before the note, from where the detector last became idle (at most kHumFitSeconds, ending
// two hops before the onset), shows the hum alone. Its mains frequency comes from the phase slope of
// 100 ms demodulations at 50 and 60 Hz (100 ms puts every other mains tone and the image on the
// rectangular window's zeros); the louder family wins. The model is fitted by least squares, and the
// history since the stretch began is rewritten without it, so the note's first windows are clean too.
void PitchDetector::beginNoteHum() {
    humActive_ = false;
    const int64_t end = onset_ - 2 * static_cast<int64_t>(hop_);
    const int64_t oldest = decCount_ - static_cast<int64_t>(histMask_) + 1;
    const int64_t start =
        std::max({idleSince_, end - static_cast<int64_t>(kHumFitSeconds * rate_), oldest, int64_t{0}});
    const auto block = static_cast<int64_t>(std::round(0.1 * rate_));
    if (end - start < block) return;
    const auto rawAt = [&](int64_t n) {
        return static_cast<double>(raw_[static_cast<std::size_t>(n) & histMask_]);
    };

    double bestAmp = 0.0, mainsHz = 0.0;
    for (double nominal : {50.0, 60.0}) {
        if (3.0 * nominal >= 0.45 * rate_) continue;
        const double w = kTwoPi * nominal / rate_;
        double sw = 0, st = 0, sp = 0, stt = 0, stp = 0, amp = 0, prev = 0;
        int count = 0;
        const auto step = static_cast<int64_t>(5 * hop_);
        for (int64_t b0 = start; b0 + block <= end; b0 += step) {
            std::complex<double> acc(0.0, 0.0);
            const double cycles = nominal * static_cast<double>(b0) / rate_;
            std::complex<double> osc = std::polar(1.0, -kTwoPi * (cycles - std::floor(cycles)));
            const std::complex<double> rot = std::polar(1.0, -w);
            for (int64_t n = b0; n < b0 + block; ++n) {
                acc += rawAt(n) * osc;
                osc *= rot;
            }
            double phase = std::arg(acc);
            if (count > 0) phase = prev + wrapPi(phase - prev);
            prev = phase;
            const double t = static_cast<double>(b0) + 0.5 * static_cast<double>(block);
            const double wgt = std::norm(acc);
            sw += wgt;
            st += wgt * t;
            sp += wgt * phase;
            stt += wgt * t * t;
            stp += wgt * t * phase;
            amp += 2.0 * std::abs(acc) / static_cast<double>(block);
            ++count;
        }
        amp /= count;
        if (amp <= bestAmp) continue;
        bestAmp = amp;
        double offsetHz = 0.0;
        const double den = sw * stt - st * st;
        if (count >= 2 && den > 0.0) offsetHz = (sw * stp - st * sp) / den * rate_ / kTwoPi;
        mainsHz = nominal + std::clamp(offsetHz, -kMainsToleranceHz, kMainsToleranceHz);
    }
    if (bestAmp < kSilenceRms) return;

    humTones_ = 0;
    for (int k = 1; k <= static_cast<int>(kHumTones); ++k)
        if (k * mainsHz < 0.45 * rate_) humStep_[humTones_++] = std::polar(1.0, kTwoPi * k * mainsHz / rate_);
    const std::size_t m = 2 * humTones_;
    const auto startPhasors = [&](int64_t n) {
        for (std::size_t k = 0; k < humTones_; ++k) {
            const double cycles = static_cast<double>(k + 1) * mainsHz * static_cast<double>(n) / rate_;
            humPhasor_[k] = std::polar(1.0, kTwoPi * (cycles - std::floor(cycles)));
        }
    };
    std::array<double, kHumRegs * kHumRegs> normal{};
    std::array<double, kHumRegs> cross{};
    double energy = 0.0;
    startPhasors(start);
    for (int64_t n = start; n < end; ++n) {
        std::array<double, kHumRegs> phi;
        for (std::size_t k = 0; k < humTones_; ++k) {
            phi[2 * k] = humPhasor_[k].real();
            phi[2 * k + 1] = humPhasor_[k].imag();
            humPhasor_[k] *= humStep_[k];
        }
        const double x = rawAt(n);
        energy += x * x;
        for (std::size_t r = 0; r < m; ++r) {
            cross[r] += phi[r] * x;
            for (std::size_t c = r; c < m; ++c)
                normal[r * kHumRegs + c] += phi[r] * phi[c];
        }
    }
    double trace = 0.0;
    for (std::size_t r = 0; r < m; ++r) {
        trace += normal[r * kHumRegs + r];
        for (std::size_t c = 0; c < r; ++c)
            normal[r * kHumRegs + c] = normal[c * kHumRegs + r];
    }
    for (std::size_t r = 0; r < m; ++r)
        normal[r * kHumRegs + r] += 1e-6 * trace / static_cast<double>(m);
    if (!solveSpd<kHumRegs>(normal, cross, m, humCoef_)) return;
    // Only hum that explains most of the quiet stretch is removed (not a string still ringing there).
    double explained = 0.0;
    for (std::size_t r = 0; r < m; ++r)
        explained += humCoef_[r] * cross[r];
    if (explained < kHumExplained * energy) return;

    startPhasors(start);
    for (int64_t n = start; n < decCount_; ++n) {
        double hum = 0.0;
        for (std::size_t k = 0; k < humTones_; ++k) {
            hum += humCoef_[2 * k] * humPhasor_[k].real() + humCoef_[2 * k + 1] * humPhasor_[k].imag();
            humPhasor_[k] *= humStep_[k];
        }
        history_[static_cast<std::size_t>(n) & histMask_] = static_cast<float>(rawAt(n) - hum);
    }
    humActive_ = true;
}

double PitchDetector::hopSeconds() const noexcept {
    return static_cast<double>(hop_) * decimation_ / sampleRate_;
}

void PitchDetector::push(const float* samples, std::size_t n, std::vector<PitchReading>& out) {
    for (std::size_t i = 0; i < n; ++i) {
        double x = samples[i];
        if (!std::isfinite(x)) x = 0.0;
        for (auto& b : lowpass_)
            x = b.run(x);
        ++inputCount_;
        if (++phaseCount_ < decimation_) continue;
        phaseCount_ = 0;
        const double raw = highpass_.run(x);
        raw_[static_cast<std::size_t>(decCount_) & histMask_] = static_cast<float>(raw);
        double y = raw;
        if (humActive_) {
            for (std::size_t k = 0; k < humTones_; ++k) {
                y -= humCoef_[2 * k] * humPhasor_[k].real() + humCoef_[2 * k + 1] * humPhasor_[k].imag();
                humPhasor_[k] *= humStep_[k];
            }
        }
        history_[static_cast<std::size_t>(decCount_) & histMask_] = static_cast<float>(y);
        hopEnergy_[hopIndex_ & 7] += y * y;
        ++decCount_;
        if (decCount_ % static_cast<int64_t>(hop_) == 0) {
            const bool wasIdle = state_ == State::Idle;
            analyseHop(out);
            if (!wasIdle && state_ == State::Idle) {
                humActive_ = false;
                idleSince_ = decCount_;
            }
            if (humActive_)
                for (std::size_t k = 0; k < humTones_; ++k)
                    humPhasor_[k] /= std::abs(humPhasor_[k]);
            ++hopIndex_;
            hopEnergy_[hopIndex_ & 7] = 0.0;
        }
    }
}

PitchDetector::Coarse PitchDetector::coarsePitch(std::size_t window) {
    Coarse result;
    const std::size_t w = std::min(window, coarseWindow_);
    const int64_t start = decCount_ - static_cast<int64_t>(w);
    prefix_[0] = 0.0;
    for (std::size_t j = 0; j < w; ++j) {
        const float s = sampleAt(start + static_cast<int64_t>(j));
        fftIn_[j] = s;
        prefix_[j + 1] = prefix_[j] + static_cast<double>(s) * s;
    }
    if (prefix_[w] < kSilenceRms * kSilenceRms * static_cast<double>(w)) return result;
    std::fill(fftIn_ + w, fftIn_ + fftSize_, 0.f);
    fftwf_execute(static_cast<fftwf_plan>(planForward_));
    auto* spec = static_cast<fftwf_complex*>(fftOut_);
    for (std::size_t k = 0; k <= fftSize_ / 2; ++k) {
        spec[k][0] = spec[k][0] * spec[k][0] + spec[k][1] * spec[k][1];
        spec[k][1] = 0.f;
    }
    fftwf_execute(static_cast<fftwf_plan>(planInverse_));

    // Lags beyond half the window rest on too few products to trust.
    const std::size_t lagEnd = std::min(maxLag_, w / 2);
    if (lagEnd <= minLag_ + 2) return result;
    const double scale = 1.0 / static_cast<double>(fftSize_);
    for (std::size_t tau = 0; tau <= lagEnd + 1; ++tau) {
        const double m = prefix_[w - tau] + (prefix_[w] - prefix_[tau]);
        nsdf_[tau] = m > 0.0 ? 2.0 * fftIn_[tau] * scale / m : 0.0;
    }
    // Key maxima: the highest point of each positive lobe after the first negative-going zero crossing.
    std::size_t tau = 1;
    while (tau <= lagEnd && nsdf_[tau] > 0.0)
        ++tau;
    struct Peak {
        std::size_t lag;
        double value;
    };
    Peak peaks[64];
    std::size_t count = 0;
    double highest = 0.0;
    while (tau <= lagEnd && count < 64) {
        while (tau <= lagEnd && nsdf_[tau] <= 0.0)
            ++tau;
        Peak best{0, 0.0};
        while (tau <= lagEnd && nsdf_[tau] > 0.0) {
            if (tau >= minLag_ && nsdf_[tau] > best.value) best = {tau, nsdf_[tau]};
            ++tau;
        }
        if (best.lag == 0) continue;
        if (best.lag >= lagEnd) break; // lobe cut by the lag limit: its maximum is unknown
        peaks[count++] = best;
        highest = std::max(highest, best.value);
    }
    for (std::size_t i = 0; i < count; ++i) {
        if (peaks[i].value < kPickRatio * highest) continue;
        const std::size_t t = peaks[i].lag;
        const double a = nsdf_[t - 1], b = nsdf_[t], c = nsdf_[t + 1];
        const double denom = a - 2.0 * b + c;
        const double delta = denom < 0.0 ? 0.5 * (a - c) / denom : 0.0;
        const double period = static_cast<double>(t) + delta;
        result.frequencyHz = rate_ / period;
        result.clarity = std::min(1.0, b - 0.25 * (a - c) * delta);
        break;
    }
    if (result.frequencyHz < kMinHz || result.frequencyHz > kMaxHz) result = {};
    return result;
}

// Amplitude of the component at freqHz over the last `length` samples (Hann window).
double PitchDetector::binAmplitude(double freqHz, std::size_t length, int64_t end) {
    const int64_t start = (end < 0 ? decCount_ : end) - static_cast<int64_t>(length);
    const double w = kTwoPi * freqHz / rate_;
    const std::complex<double> step = std::polar(1.0, -w);
    const std::complex<double> winStep = std::polar(1.0, kTwoPi / static_cast<double>(length));
    std::complex<double> osc(1.0, 0.0), win(1.0, 0.0), acc(0.0, 0.0);
    for (std::size_t n = 0; n < length; ++n) {
        const double hann = 0.5 - 0.5 * win.real();
        acc += hann * static_cast<double>(sampleAt(start + static_cast<int64_t>(n))) * osc;
        osc *= step;
        win *= winStep;
    }
    return std::abs(acc);
}

// McLeod's rule picks the octave above when the fundamental is much weaker than the second harmonic: the
// pitch is f/2 when both f/2 and 3f/2 are there (3f/2 clearly, so that mains hum at f/2 and its third
// harmonic near 3f/2 cannot fake it). Two strings ringing together make the opposite mistake, a common
// sub-harmonic period (A2 + D3 repeat at 36.7 Hz) with nothing at f itself: then the strongest of 2f..6f
// is the note. Two periods of f/2 put f/2, f, 3f/2, ... two Hann bins apart, on each other's zeros.
double PitchDetector::correctOctave(double f, std::size_t available) {
    const auto twoPeriods = static_cast<std::size_t>(std::round(2.0 * rate_ / f));
    if (twoPeriods > available || twoPeriods > histMask_) return f;
    const double main = binAmplitude(f, twoPeriods);
    double best = 0.0, bestHz = f;
    for (int k = 2; k <= 6; ++k) {
        if (k * f > kMaxHz) break;
        const double a = binAmplitude(k * f, twoPeriods);
        if (a > best) best = a, bestHz = k * f;
    }
    if (main < kMissingRatio * best) return bestHz;
    const double half = 0.5 * f;
    const std::size_t length = 2 * twoPeriods;
    if (half < kMinHz || length > available || length > histMask_) return f;
    const double mainLong = binAmplitude(f, length);
    if (mainLong <= 0.0) return f;
    if (binAmplitude(half, length) > kSubOctaveRatio * mainLong &&
        binAmplitude(3.0 * half, length) > kThreeHalvesRatio * mainLong)
        return half;
    return f;
}

// A pluck while another string rings on: the coarse pitch of the mixture can be the old note or a common
// sub-harmonic (E2 + A2 repeat at 27.5 Hz, 55 Hz is their common octave). The new note is what grew at
// the onset: the lowest of the coarse pitch and its multiples whose component is at least twice as strong
// after the onset as in the same span before it, and not much weaker than the strongest that grew.
double PitchDetector::newNoteAfterOnset(double coarseHz) {
    const auto span = static_cast<std::size_t>(std::max<int64_t>(0, decCount_ - onset_));
    const int64_t preEnd = onset_ - static_cast<int64_t>(hop_);
    if (span < 8 || preEnd - static_cast<int64_t>(span) < decCount_ - static_cast<int64_t>(histMask_))
        return coarseHz;
    struct Candidate {
        double hz, amp;
        bool grew;
    };
    Candidate c[6];
    std::size_t count = 0;
    double strongest = 0.0;
    for (int k = 1; k <= 6 && k * coarseHz <= kMaxHz; ++k) {
        const double f = k * coarseHz;
        const double post = binAmplitude(f, span);
        const double pre = binAmplitude(f, span, preEnd);
        c[count++] = {f, post, post > kGrowRatio * pre};
        if (post > kGrowRatio * pre) strongest = std::max(strongest, post);
    }
    for (std::size_t i = 0; i < count; ++i)
        if (c[i].grew && c[i].amp >= kGrowKeep * strongest) return c[i].hz;
    return coarseHz;
}

// Another note of the harmonic series is believed only after an onset: hum, a second string or a noise
// burst can tip the NSDF to a multiple or sub-multiple of the period for a moment.
bool PitchDetector::harmonicJump(double f, double ref) {
    const double c = std::abs(cents(f, ref));
    for (double k : {2.0, 3.0, 4.0})
        if (std::abs(c - 1200.0 * std::log2(k)) < kChangeCents) return true;
    return false;
}

std::size_t PitchDetector::shortLength(double freqHz) const {
    const double periods = kFinePeriods * rate_ / freqHz;
    return std::min(static_cast<std::size_t>(std::round(std::max(periods, kFineMinSeconds * rate_))),
                    histMask_ / 2);
}

std::size_t PitchDetector::longLength(double freqHz) const {
    return std::max(shortLength(freqHz),
                    std::min(static_cast<std::size_t>(std::round(kLongSeconds * rate_)), histMask_ / 2));
}

void PitchDetector::relock(double freqHz) {
    short_.validFrom = onset_;
    long_.validFrom = onset_;
    setupTrack(short_, freqHz, shortLength(freqHz), 0);
    setupTrack(long_, freqHz, longLength(freqHz), 0);
    glideStrikes_ = 0;
}

// Points are recomputed from the decimated history, so a relock loses no time.
void PitchDetector::setupTrack(Track& t, double freqHz, std::size_t length, int64_t firstEnd) {
    t.refHz = freqHz;
    t.length = length;
    t.window.resize(length);
    for (std::size_t n = 0; n < length; ++n)
        t.window[n] =
            0.5 - 0.5 * std::cos(kTwoPi * (static_cast<double>(n) + 0.5) / static_cast<double>(length));
    // The previous string may ring on next to the new note: within the window's main lobe but not on top
    // of it, it is fitted out jointly (short track only; the long window resolves it by itself).
    t.neighbourHz = 0.0;
    if (&t == &short_ && neighbourHz_ > 0.0) {
        const double bins = std::abs(neighbourHz_ - freqHz) * static_cast<double>(length) / rate_;
        if (bins >= kNeighbourMinBins && bins <= kNeighbourMaxBins) {
            const double dw = kTwoPi * (neighbourHz_ - freqHz) / rate_;
            std::complex<double> g(0.0, 0.0);
            double sum = 0.0;
            for (std::size_t n = 0; n < length; ++n) {
                g += t.window[n] * std::polar(1.0, dw * static_cast<double>(n));
                sum += t.window[n];
            }
            t.neighbourHz = neighbourHz_;
            t.leak = g / sum;
        }
    }
    t.points.clear();
    const auto hop = static_cast<int64_t>(hop_);
    const int64_t oldest = decCount_ - static_cast<int64_t>(histMask_) + static_cast<int64_t>(length);
    int64_t end = std::max(firstEnd, std::max(onset_, t.validFrom) + static_cast<int64_t>(length));
    end = std::max(end, oldest);
    end = ((end + hop - 1) / hop) * hop; // hop boundaries only, as live
    for (; end <= decCount_; end += hop)
        addFinePoint(t, end);
}

bool PitchDetector::addFinePoint(Track& t, int64_t end) {
    const int64_t start = end - static_cast<int64_t>(t.length);
    if (start < onset_ || start < t.validFrom || start < 0) return false;
    const double w = kTwoPi * t.refHz / rate_;
    // Absolute-time reference phase, reduced to one cycle before it meets a large index.
    const double cycles = t.refHz * static_cast<double>(start) / rate_;
    std::complex<double> osc = std::polar(1.0, -kTwoPi * (cycles - std::floor(cycles)));
    const std::complex<double> step = std::polar(1.0, -w);
    std::complex<double> acc(0.0, 0.0);
    if (t.neighbourHz > 0.0) {
        // Two components, a1 at the reference and a2 at the neighbour: acc1 = a1 + g a2 and
        // acc2 = conj(g) a1 + a2 (in units of the window's sum), g = leak turned to this window's start.
        const double cyclesN = t.neighbourHz * static_cast<double>(start) / rate_;
        std::complex<double> oscN = std::polar(1.0, -kTwoPi * (cyclesN - std::floor(cyclesN)));
        const std::complex<double> stepN = std::polar(1.0, -kTwoPi * t.neighbourHz / rate_);
        std::complex<double> accN(0.0, 0.0);
        for (std::size_t n = 0; n < t.length; ++n) {
            const double v = t.window[n] * static_cast<double>(sampleAt(start + static_cast<int64_t>(n)));
            acc += v * osc;
            accN += v * oscN;
            osc *= step;
            oscN *= stepN;
        }
        const double dCycles = (t.neighbourHz - t.refHz) * static_cast<double>(start) / rate_;
        const std::complex<double> g = t.leak * std::polar(1.0, kTwoPi * (dCycles - std::floor(dCycles)));
        acc = (acc - g * accN) / (1.0 - std::norm(g));
    } else {
        for (std::size_t n = 0; n < t.length; ++n) {
            acc += t.window[n] * static_cast<double>(sampleAt(start + static_cast<int64_t>(n))) * osc;
            osc *= step;
        }
    }
    FinePoint p;
    p.end = end;
    p.center = static_cast<double>(start) + 0.5 * static_cast<double>(t.length);
    p.weight = std::norm(acc);
    p.rawPhase = std::arg(acc);
    if (p.weight <= 0.0) return false;
    p.phase =
        t.points.empty() ? p.rawPhase : t.points.back().phase + wrapPi(p.rawPhase - t.points.back().phase);
    t.points.push_back(p);
    const double span = kMaxSpanSeconds * rate_;
    std::size_t drop = 0;
    while (drop < t.points.size() && p.center - t.points[drop].center > span)
        ++drop;
    if (drop > 0) t.points.erase(t.points.begin(), t.points.begin() + static_cast<std::ptrdiff_t>(drop));
    return true;
}

// Weighted straight line through the unwrapped phases from point `first` on.
bool PitchDetector::fit(const Track& t, std::size_t first, double& freqHz, std::size_t last) const {
    const auto& pts = t.points;
    last = std::min(last, pts.size());
    if (last < first + 2) return false;
    const double t0 = pts[last - 1].center;
    double sw = 0, st = 0, sp = 0;
    for (std::size_t i = first; i < last; ++i) {
        sw += pts[i].weight;
        st += pts[i].weight * (pts[i].center - t0);
        sp += pts[i].weight * pts[i].phase;
    }
    const double tm = st / sw, pm = sp / sw;
    double stt = 0, stp = 0;
    for (std::size_t i = first; i < last; ++i) {
        const double dt = pts[i].center - t0 - tm;
        stt += pts[i].weight * dt * dt;
        stp += pts[i].weight * dt * (pts[i].phase - pm);
    }
    if (stt <= 0.0) return false;
    freqHz = t.refHz + stp / stt * rate_ / kTwoPi;
    return true;
}

// A pitch still settling after a hard pluck bends the phase track: a parabola through the phases gives the
// frequency at the newest window instead of the average since the pluck. It is believed only when the bend
// explains the track (its residual is a quarter of the straight line's or less) and moves the reading by
// more than kBendCents, so steady notes keep the straight line's precision.
bool PitchDetector::settlingPitch(const Track& t, double& freqHz) const {
    const auto& pts = t.points;
    if (pts.size() < kBendMinPoints) return false;
    const double t0 = pts.back().center;
    std::array<double, 9> a{};
    std::array<double, 3> b{};
    for (const auto& p : pts) {
        const double x = (p.center - t0) / rate_;
        const double phi[3] = {1.0, x, x * x};
        for (std::size_t r = 0; r < 3; ++r) {
            b[r] += p.weight * phi[r] * p.phase;
            for (std::size_t c = 0; c < 3; ++c)
                a[r * 3 + c] += p.weight * phi[r] * phi[c];
        }
    }
    std::array<double, 3> q{};
    if (!solveSpd<3>(a, b, 3, q)) return false;
    double line = 0.0;
    if (!fit(t, 0, line)) return false;
    const double slope = (line - t.refHz) * kTwoPi;
    // Straight line through the weighted mean: intercept from the means.
    double sw = 0, sx = 0, sp = 0;
    for (const auto& p : pts) {
        sw += p.weight;
        sx += p.weight * (p.center - t0) / rate_;
        sp += p.weight * p.phase;
    }
    const double intercept = (sp - slope * sx) / sw;
    double resLine = 0.0, resBend = 0.0;
    for (const auto& p : pts) {
        const double x = (p.center - t0) / rate_;
        const double dl = p.phase - (intercept + slope * x);
        const double dq = p.phase - (q[0] + q[1] * x + q[2] * x * x);
        resLine += p.weight * dl * dl;
        resBend += p.weight * dq * dq;
    }
    const double bent = t.refHz + q[1] / kTwoPi;
    // The bend must stand out of its own noise: the weights are |X|^2, inverse phase variances up to a
    // scale that the parabola's residual estimates.
    std::array<double, 3> unit{0.0, 1.0, 0.0}, column{};
    if (!solveSpd<3>(a, unit, 3, column)) return false;
    const double scale = resBend / static_cast<double>(pts.size() - 3);
    const double sigmaHz = std::sqrt(std::max(0.0, scale * column[1])) / kTwoPi;
    if (std::abs(bent - line) < kBendSigmas * sigmaHz) return false;
    // Tension modulation only ever makes a pluck start sharp: the pitch must be falling (q2 < 0).
    if (q[2] >= 0.0 || resBend > kBendResidual * resLine || std::abs(cents(bent, line)) < kBendCents)
        return false;
    freqHz = bent;
    return true;
}

void PitchDetector::analyseHop(std::vector<PitchReading>& out) {
    PitchReading reading;
    reading.timeS = static_cast<double>(inputCount_) / sampleRate_;

    // Onset: the last two hops hold kOnsetRatio x the energy of the four before them.
    const auto e = [&](std::size_t back) { return hopEnergy_[(hopIndex_ - back) & 7]; };
    bool onset = false;
    if (refractory_ > 0) {
        --refractory_;
    } else if (hopIndex_ >= 6) {
        const double recent = 0.5 * (e(0) + e(1));
        const double before = 0.25 * (e(2) + e(3) + e(4) + e(5));
        const double floor = kSilenceRms * kSilenceRms * static_cast<double>(hop_);
        if (recent > floor && recent > kOnsetRatio * before + floor) onset = true;
    }
    if (onset) {
        refractory_ = 5;
        onset_ = decCount_ - static_cast<int64_t>(hop_);
        neighbourHz_ = state_ == State::Locked ? estimateHz_ : 0.0;
        if (state_ == State::Idle) beginNoteHum();
        state_ = State::Pending;
        short_.points.clear();
        long_.points.clear();
    }

    const auto sinceOnset = static_cast<std::size_t>(std::max<int64_t>(0, decCount_ - onset_));
    const auto available = std::min<std::size_t>(static_cast<std::size_t>(decCount_), histMask_);
    if (state_ == State::Pending && sinceOnset < minPostOnset_) {
        out.push_back(reading); // too little of the new note to tell its period: no note, not the old one
        return;
    }
    const std::size_t window = state_ == State::Idle ? coarseWindow_ : std::min(coarseWindow_, sinceOnset);
    Coarse coarse = coarsePitch(std::min(window, available));
    if (coarse.frequencyHz > 0.0)
        coarse.frequencyHz =
            correctOctave(coarse.frequencyHz, state_ == State::Idle ? available : sinceOnset);

    switch (state_) {
    case State::Idle:
        if (coarse.frequencyHz > 0.0 && coarse.clarity >= kClarityStart) {
            // Two agreeing hops before a needle appears: a lone noise peak never shows.
            if (idleHits_ > 0 && std::abs(cents(coarse.frequencyHz, idleFreq_)) < kChangeCents &&
                !isMainsTone(coarse.frequencyHz)) {
                onset_ = decCount_ - static_cast<int64_t>(coarseWindow_);
                beginNoteHum();
                state_ = State::Locked;
                estimateHz_ = coarse.frequencyHz;
                relock(coarse.frequencyHz);
            } else {
                idleHits_ = 1;
                idleFreq_ = coarse.frequencyHz;
            }
        } else {
            idleHits_ = 0;
        }
        break;
    case State::Pending:
        if (coarse.frequencyHz > 0.0 && coarse.clarity >= kClarityStart) {
            if (neighbourHz_ > 0.0) coarse.frequencyHz = newNoteAfterOnset(coarse.frequencyHz);
            state_ = State::Locked;
            estimateHz_ = coarse.frequencyHz;
            disagreeHops_ = 0;
            relock(coarse.frequencyHz);
        } else if (sinceOnset >= coarseWindow_) {
            state_ = State::Idle;
            idleHits_ = 0;
        }
        break;
    case State::Locked:
        if (coarse.frequencyHz <= 0.0 || coarse.clarity < kClarityHold) {
            state_ = State::Idle;
            idleHits_ = 0;
            short_.points.clear();
            long_.points.clear();
            break;
        }
        if (std::abs(cents(coarse.frequencyHz, estimateHz_)) > kChangeCents &&
            !harmonicJump(coarse.frequencyHz, estimateHz_)) {
            // Follow it only when it is steady and louder than the note we hold, so that a decaying
            // string does not hand the needle to hum or to another string that rings on.
            const double lower = std::min(coarse.frequencyHz, estimateHz_);
            const auto length =
                std::min(static_cast<std::size_t>(std::round(4.0 * rate_ / lower)), histMask_ / 2);
            if (++disagreeHops_ >= 3 &&
                binAmplitude(coarse.frequencyHz, length) > binAmplitude(estimateHz_, length)) {
                // Another note without an onset (legato, or a pluck drowned by the old note).
                disagreeHops_ = 0;
                onset_ = std::max(onset_, decCount_ - static_cast<int64_t>(coarseWindow_ / 2));
                neighbourHz_ = estimateHz_;
                estimateHz_ = coarse.frequencyHz;
                relock(coarse.frequencyHz);
                break;
            }
        } else {
            disagreeHops_ = 0;
        }
        addFinePoint(short_, decCount_);
        addFinePoint(long_, decCount_);
        break;
    }

    if (state_ != State::Locked) {
        out.push_back(reading);
        return;
    }

    double fine = 0.0, bentHz = 0.0;
    bool settling = false;
    const Track* used = nullptr;
    if (short_.points.size() >= 3 && fit(short_, 0, fine)) {
        used = &short_;
        // Glide: the last few hops disagree with the whole fit, twice running: keep only the short span.
        if (short_.points.size() >= kShortFit + 3) {
            double shortHz = 0.0;
            if (fit(short_, short_.points.size() - kShortFit, shortHz)) {
                const double d = cents(shortHz, fine);
                const double limit = std::clamp(5.0 * std::sqrt(glideNoise2_), 1.5, 6.0);
                // The noise estimate learns from every hop (clamped), so a steady ripple (hum beating with
                // a low note) raises the limit instead of cutting the fit forever.
                glideNoise2_ = 0.9 * glideNoise2_ + 0.1 * std::min(d * d, limit * limit);
                glideMean_ = 0.9 * glideMean_ + 0.1 * std::clamp(d, -limit, limit);
                // A glide moves the coarse pitch too; a beat (hum, another string) swings only the short fit.
                const double lead = cents(coarse.frequencyHz, fine);
                if (std::abs(d) > limit && lead * d > 0.0 && std::abs(lead) > 0.5 * std::abs(d)) {
                    if (++glideStrikes_ >= 2) {
                        short_.points.erase(short_.points.begin(),
                                            short_.points.end() - static_cast<std::ptrdiff_t>(kShortFit));
                        glideStrikes_ = 0;
                        fit(short_, 0, fine);
                        // The long windows still hold the old pitch: they start again after the glide, unless
                        // the long fit agrees with where the note is now (a beat, hum near a low note, swings
                        // the short fit and the coarse pitch but not the 0.4 s window).
                        double longHz = 0.0;
                        const double keep = std::max(kLongKeepCents, 3.0 * std::sqrt(glideNoise2_));
                        if (!fit(long_, 0, longHz) || (std::abs(cents(fine, longHz)) > keep &&
                                                       std::abs(cents(coarse.frequencyHz, longHz)) > keep)) {
                            long_.points.clear();
                            long_.validFrom = short_.points.front().end - static_cast<int64_t>(short_.length);
                        }
                    }
                } else {
                    glideStrikes_ = 0;
                }
            }
        }
        // The long window separates hum and neighbouring strings from low notes; once its fit spans
        // enough hops it is the better estimate.
        double longHz = 0.0;
        // While the pitch still settles the long window (0.2 s behind) cannot follow it: the short track's
        // bend is shown, and the long track starts again behind it.
        double bent = 0.0;
        // Twice running: a lone bend is more likely noise than a settling string.
        bendStrikes_ = settlingPitch(short_, bent) ? bendStrikes_ + 1 : 0;
        settling = bendStrikes_ >= kBendStrikes;
        if (settling) {
            bentHz = bent;
            long_.points.clear();
            long_.validFrom = decCount_ - static_cast<int64_t>(short_.length);
        } else if (long_.points.size() >= kLongMinPoints && fit(long_, 0, longHz)) {
            // Unless it still hears a pitch the short fit has left (a sharp attack that settled): then it
            // starts again from the short fit's first window.
            // Only the swinging part of the short fit's noise counts: a settling pitch moves it one way.
            const double swing = std::sqrt(std::max(0.0, glideNoise2_ - glideMean_ * glideMean_));
            if (std::abs(cents(longHz, fine)) > std::max(kLongAgreeCents, 3.0 * swing)) {
                long_.points.clear();
                long_.validFrom = short_.points.front().end - static_cast<int64_t>(short_.length);
            } else {
                fine = longHz;
                used = &long_;
            }
        }
        // Drift: a pluck starts sharp and settles. When the older and newer halves of the fit disagree by
        // more than kDriftCents for three hops, the older half goes, so the early sharpness is not carried
        // into the steady reading.
        const std::size_t n = used->points.size();
        double olderHz = 0.0, newerHz = 0.0;
        if (n >= 2 * kDriftMinHalf && fit(*used, 0, olderHz, n / 2) && fit(*used, n / 2, newerHz)) {
            // A beat (hum, another string) ripples the fits too: the limit rises with the glide test's noise.
            if (std::abs(cents(newerHz, olderHz)) > std::max(kDriftCents, 0.3 * std::sqrt(glideNoise2_))) {
                if (++driftStrikes_ >= 3) {
                    Track& t = used == &short_ ? short_ : long_;
                    t.points.erase(t.points.begin(), t.points.begin() + static_cast<std::ptrdiff_t>(n / 2));
                    driftStrikes_ = 0;
                    fit(t, 0, fine);
                }
            } else {
                driftStrikes_ = 0;
            }
        }
        // Keep each reference near the fundamental so that the windows' main lobes stay centred.
        for (Track* t : {&short_, &long_}) {
            if (!t->points.empty() &&
                std::abs(fine - t->refHz) > 0.15 * rate_ / static_cast<double>(t->length))
                setupTrack(*t, fine, t->length, t->points.front().end);
        }
        if (!fit(*used, 0, fine) || used->points.size() < 3) {
            used = nullptr;
            fine = 0.0;
        }
    }
    if (used) {
        estimateHz_ = fine;
        const FinePoint& p = used->points.back();
        const double refCycles = used->refHz * p.center / rate_;
        const double ahead = fine * (static_cast<double>(decCount_) - p.center) / rate_;
        double phase = p.rawPhase / kTwoPi + (refCycles - std::floor(refCycles)) + ahead;
        reading.strobePhase = phase - std::floor(phase);
    } else {
        estimateHz_ = coarse.frequencyHz;
    }
    reading.frequencyHz = used && settling && used == &short_ ? bentHz : estimateHz_;
    reading.confidence = std::clamp(coarse.clarity, 0.0, 1.0);
    out.push_back(reading);
}

} // namespace stagerack::tuner
