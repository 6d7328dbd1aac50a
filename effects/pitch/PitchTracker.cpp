#include "effects/pitch/PitchTracker.h"

#include <algorithm>
#include <cmath>

namespace stagerack::fx {

void PitchTracker::prepare(double sampleRate) {
    sampleRate_ = sampleRate;
    decimation_ = std::max(1, static_cast<int>(std::floor(sampleRate / kMinReducedRate)));
    reducedRate_ = sampleRate / decimation_;
    hop_ = std::max(1, static_cast<int>(std::lround(kHopMs * 0.001 * reducedRate_)));
    maxLag_ = static_cast<int>(std::ceil(reducedRate_ / kMinHz));
    minLag_ = std::max(2, static_cast<int>(std::floor(reducedRate_ / kMaxHz)));
    window_ = 2 * maxLag_ + 2;
    fineMin_ = static_cast<int>(std::ceil(kFineMinMs * 0.001 * sampleRate));
    hopFull_ = static_cast<double>(hop_) * decimation_;
    holdFull_ = kHoldMs * 0.001 * sampleRate;

    const double cutoff = std::min(0.4 * reducedRate_, 0.45 * sampleRate);
    lowpass_[0].setCoeffs(
        dsp::BiquadCoeffs::design(dsp::FilterKind::LowPass, sampleRate, cutoff, dsp::kButterworth4QLow));
    lowpass_[1].setCoeffs(
        dsp::BiquadCoeffs::design(dsp::FilterKind::LowPass, sampleRate, cutoff, dsp::kButterworth4QHigh));

    const double maxPeriodFull = sampleRate / kMinHz;
    fine_.prepare(static_cast<std::size_t>(2.0 * maxPeriodFull + 4.0 * fineMin_ + 16.0));
    reduced_.prepare(static_cast<std::size_t>(window_ + 8));
    std::size_t fftSize = 64;
    while (fftSize < static_cast<std::size_t>(window_ + maxLag_ + 2))
        fftSize *= 2;
    fft_.prepare(fftSize);
    frame_.assign(static_cast<std::size_t>(window_), 0.f);
    nsdf_.assign(static_cast<std::size_t>(maxLag_ + 2), 0.0);
    reset();
}

void PitchTracker::reset() noexcept {
    for (auto& b : lowpass_)
        b.reset();
    fine_.clear();
    reduced_.clear();
    phase_ = 0;
    count_ = 0;
    reducedCount_ = 0;
    history_.fill(Estimate{});
    head_ = 0;
}

void PitchTracker::push(float x) noexcept {
    if (!std::isfinite(x)) x = 0.f;
    const float y = lowpass_[1].process(lowpass_[0].process(x));
    fine_.write(count_, y);
    ++count_;
    if (++phase_ < decimation_) return;
    phase_ = 0;
    reduced_.write(reducedCount_, y);
    ++reducedCount_;
    if (reducedCount_ % hop_ == 0) analyse();
}

void PitchTracker::analyse() noexcept {
    Estimate e;
    e.centre = static_cast<double>(count_) - 0.5 * window_ * decimation_;
    const Estimate& previous = history_[head_];

    const auto w = static_cast<std::size_t>(window_);
    const int64_t start = reducedCount_ - window_;
    double mean = 0.0;
    for (std::size_t j = 0; j < w; ++j) {
        frame_[j] = reduced_.at(start + static_cast<int64_t>(j));
        mean += frame_[j];
    }
    mean /= static_cast<double>(w);
    double energy = 0.0;
    for (std::size_t j = 0; j < w; ++j) {
        frame_[j] -= static_cast<float>(mean);
        energy += static_cast<double>(frame_[j]) * frame_[j];
    }

    if (energy > kSilenceRms * kSilenceRms * static_cast<double>(w)) {
        // Autocorrelation r(tau) by FFT; m(tau) = sum of the two overlapping parts' energies.
        float* t = fft_.time();
        std::copy(frame_.begin(), frame_.end(), t);
        std::fill(t + w, t + fft_.size(), 0.f);
        fft_.forward();
        auto* s = fft_.spectrum();
        for (std::size_t k = 0; k <= fft_.size() / 2; ++k)
            s[k] = std::norm(s[k]);
        fft_.inverse();
        const double scale = 1.0 / static_cast<double>(fft_.size());
        double m = 2.0 * energy;
        for (int tau = 0; tau <= maxLag_ + 1; ++tau) {
            if (tau > 0) {
                const double head = frame_[static_cast<std::size_t>(tau - 1)];
                const double tail = frame_[w - static_cast<std::size_t>(tau)];
                m -= head * head + tail * tail;
            }
            nsdf_[static_cast<std::size_t>(tau)] = m > 1e-12 ? 2.0 * t[tau] * scale / m : 0.0;
        }

        // Key maxima: the highest point of each positive lobe after the first negative-going crossing.
        constexpr int kMaxKeys = 32;
        int bestLag[kMaxKeys];
        double bestVal[kMaxKeys];
        int keys = 0;
        double highest = 0.0;
        int tau = 1;
        while (tau <= maxLag_ && nsdf_[static_cast<std::size_t>(tau)] > 0.0)
            ++tau;
        int lobeLag = -1;
        double lobeVal = 0.0;
        for (; tau <= maxLag_; ++tau) {
            const double v = nsdf_[static_cast<std::size_t>(tau)];
            if (v > 0.0) {
                if (tau >= minLag_ && v > lobeVal && v >= nsdf_[static_cast<std::size_t>(tau - 1)] &&
                    v >= nsdf_[static_cast<std::size_t>(tau + 1)]) {
                    lobeLag = tau;
                    lobeVal = v;
                }
            } else if (lobeLag >= 0) {
                if (keys < kMaxKeys) {
                    bestLag[keys] = lobeLag;
                    bestVal[keys] = lobeVal;
                    ++keys;
                }
                highest = std::max(highest, lobeVal);
                lobeLag = -1;
                lobeVal = 0.0;
            }
        }
        if (lobeLag >= 0 && keys < kMaxKeys) { // a lobe still open at the longest lag
            bestLag[keys] = lobeLag;
            bestVal[keys] = lobeVal;
            ++keys;
            highest = std::max(highest, lobeVal);
        }
        // McLeod's rule on heights that can be trusted: on the coarse lag grid a narrow peak (a high note,
        // or bright harmonics) that falls between two lags reads low, and the octave below would win. So
        // each candidate, in order, is measured again on the full-rate signal, and the first whose true
        // height reaches kPickRatio x the highest is the period.
        const double threshold = previous.voiced ? kClarityHold : kClarityOn;
        for (int i = 0; i < keys; ++i) {
            if (bestVal[i] < kCandidateRatio * highest) continue;
            const Peak fine = refine(bestLag[i] * static_cast<double>(decimation_));
            if (fine.height < kPickRatio * std::max(highest, fine.height)) continue;
            e.clarity = std::min(fine.height, 1.0);
            if (e.clarity >= threshold) {
                e.period = fine.lag;
                e.voiced = true;
            }
            break;
        }
    }
    head_ = (head_ + 1) % kHistory;
    history_[head_] = e;
}

double PitchTracker::fineNsdf(int lag, int length) const noexcept {
    // The last `length` samples against the `length` samples `lag` earlier. Four partial sums break the
    // dependency chains (no -ffast-math here, so the compiler will not reassociate by itself).
    const int64_t end = count_;
    double r[4] = {0, 0, 0, 0}, m[4] = {0, 0, 0, 0};
    int j = 0;
    for (; j + 4 <= length; j += 4) {
        for (int u = 0; u < 4; ++u) {
            const int64_t i = end - length + j + u;
            const float b = fine_.at(i);
            const float a = fine_.at(i - lag);
            r[u] += static_cast<double>(a * b);
            m[u] += static_cast<double>(a * a + b * b);
        }
    }
    for (; j < length; ++j) {
        const int64_t i = end - length + j;
        const float b = fine_.at(i);
        const float a = fine_.at(i - lag);
        r[0] += static_cast<double>(a * b);
        m[0] += static_cast<double>(a * a + b * b);
    }
    const double rs = r[0] + r[1] + r[2] + r[3];
    const double ms = m[0] + m[1] + m[2] + m[3];
    return ms > 1e-20 ? 2.0 * rs / ms : 0.0;
}

PitchTracker::Peak PitchTracker::refine(double coarsePeriod) noexcept {
    const int maxLag = static_cast<int>(std::ceil(sampleRate_ / kMinHz)) + 2;
    int lag = std::clamp(static_cast<int>(std::lround(coarsePeriod)), 3, maxLag);
    // Whole periods (the ripple a partial period leaves in the NSDF cancels), at least 2 ms of them.
    const int length = lag * std::max(1, (fineMin_ + lag - 1) / lag);
    double here = fineNsdf(lag, length);
    double below = fineNsdf(lag - 1, length);
    double above = fineNsdf(lag + 1, length);
    // The coarse lag is within a reduced sample (D full-rate samples) of the peak: climb to it.
    for (int steps = 0; steps < decimation_ + 2; ++steps) {
        if (above > here && lag + 1 < maxLag) {
            below = here;
            here = above;
            ++lag;
            above = fineNsdf(lag + 1, length);
        } else if (below > here && lag - 1 > 3) {
            above = here;
            here = below;
            --lag;
            below = fineNsdf(lag - 1, length);
        } else {
            break;
        }
    }
    const double denom = below - 2.0 * here + above;
    Peak p{static_cast<double>(lag), here};
    if (denom < 0.0) {
        const double offset = std::clamp(0.5 * (below - above) / denom, -0.5, 0.5);
        p.lag += offset;
        p.height = here - 0.25 * (below - above) * offset;
    }
    return p;
}

const PitchTracker::Estimate& PitchTracker::estimateAt(double position) const noexcept {
    const double limit = position + 0.5 * hopFull_;
    std::size_t i = head_;
    for (std::size_t n = 0; n + 1 < kHistory; ++n) {
        if (history_[i].centre <= limit) return history_[i];
        i = (i + kHistory - 1) % kHistory;
    }
    return history_[i];
}

double PitchTracker::periodAt(double position) const noexcept {
    const Estimate& e = estimateAt(position);
    if (e.voiced) return e.period;
    // Walk back from that estimate for a voiced one within the hold time.
    std::size_t i = static_cast<std::size_t>(&e - history_.data());
    for (std::size_t n = 0; n + 1 < kHistory; ++n) {
        i = (i + kHistory - 1) % kHistory;
        const Estimate& older = history_[i];
        if (older.centre < e.centre - holdFull_ || older.centre > e.centre) break;
        if (older.voiced) return older.period;
    }
    return 0.0;
}

double PitchTracker::frequencyAt(double position) const noexcept {
    const double period = periodAt(position);
    return period > 0.0 ? sampleRate_ / period : 0.0;
}

} // namespace stagerack::fx
