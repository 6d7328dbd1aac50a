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
    // The refinement reads up to a hop after its analysis.
    fine_.prepare(static_cast<std::size_t>(2.0 * maxPeriodFull + 4.0 * fineMin_ + hopFull_ + 16.0));
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
    refining_ = false;
    credit_ = 0.0;
}

void PitchTracker::push(float x) noexcept {
    if (!std::isfinite(x)) x = 0.f;
    const float y = lowpass_[1].process(lowpass_[0].process(x));
    fine_.write(count_, y);
    ++count_;
    if (refining_) {
        credit_ += rate_;
        while (refining_ && credit_ >= 1.0) {
            const uint64_t before = fineEvaluations_;
            refineStep();
            if (fineEvaluations_ != before) credit_ -= 1.0;
        }
    }
    if (++phase_ < decimation_) return;
    phase_ = 0;
    reduced_.write(reducedCount_, y);
    ++reducedCount_;
    if (reducedCount_ % hop_ == 0) {
        finishRefinement(); // never needed with the pacing; a guard
        analyse();
    }
}

void PitchTracker::finishRefinement() noexcept {
    while (refining_)
        refineStep();
}

void PitchTracker::publish() noexcept {
    head_ = (head_ + 1) % kHistory;
    history_[head_] = pending_;
    refining_ = false;
}

// One full-rate evaluation of the refinement in progress, or a decision that needs none.
void PitchTracker::refineStep() noexcept {
    const int maxLag = static_cast<int>(std::ceil(sampleRate_ / kMinHz)) + 2;
    switch (step_) {
    case Step::Next: {
        while (key_ < keys_ && keyVal_[static_cast<std::size_t>(key_)] < kCandidateRatio * highest_)
            ++key_;
        if (key_ >= keys_) {
            publish(); // no candidate reached the pick: unvoiced
            return;
        }
        const auto k = static_cast<std::size_t>(key_);
        const double coarse = (keyLag_[k] + keyOffset_[k]) * static_cast<double>(decimation_);
        lag_ = std::clamp(static_cast<int>(std::lround(coarse)), 3, maxLag);
        // Whole periods (the ripple a partial period leaves in the NSDF cancels), at least 2 ms of them.
        length_ = lag_ * std::max(1, (fineMin_ + lag_ - 1) / lag_);
        climbed_ = 0;
        step_ = Step::Here;
        return;
    }
    case Step::Here:
        here_ = fineNsdf(lag_, length_);
        step_ = Step::Below;
        return;
    case Step::Below:
        below_ = fineNsdf(lag_ - 1, length_);
        step_ = Step::Above;
        return;
    case Step::Above:
        above_ = fineNsdf(lag_ + 1, length_);
        step_ = Step::Climb;
        return;
    case Step::Climb:
        break;
    }
    // The coarse lag is within a reduced sample (D full-rate samples) of the peak: climb to it.
    if (climbed_ < decimation_ + 2) {
        if (above_ > here_ && lag_ + 1 < maxLag) {
            below_ = here_;
            here_ = above_;
            ++lag_;
            ++climbed_;
            above_ = fineNsdf(lag_ + 1, length_);
            return;
        }
        if (below_ > here_ && lag_ - 1 > 3) {
            above_ = here_;
            here_ = below_;
            --lag_;
            ++climbed_;
            below_ = fineNsdf(lag_ - 1, length_);
            return;
        }
    }
    const double denom = below_ - 2.0 * here_ + above_;
    Peak fine{static_cast<double>(lag_), here_};
    if (denom < 0.0) {
        const double offset = std::clamp(0.5 * (below_ - above_) / denom, -0.5, 0.5);
        fine.lag += offset;
        fine.height = here_ - 0.25 * (below_ - above_) * offset;
    }
    if (fine.height < kPickRatio * std::max(highest_, fine.height)) {
        ++key_;
        step_ = Step::Next;
        return;
    }
    pending_.clarity = std::min(fine.height, 1.0);
    if (pending_.clarity >= threshold_) {
        pending_.period = fine.lag;
        pending_.voiced = true;
    }
    publish();
}

void PitchTracker::analyse() noexcept {
    pending_ = Estimate{};
    pending_.centre = static_cast<double>(count_) - 0.5 * window_ * decimation_;
    refineEnd_ = count_;
    keys_ = 0;
    key_ = 0;
    step_ = Step::Next;
    highest_ = 0.0;
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
        int tau = 1;
        while (tau <= maxLag_ && nsdf_[static_cast<std::size_t>(tau)] > 0.0)
            ++tau;
        int lobeLag = -1;
        double lobeVal = 0.0;
        auto keep = [&] {
            if (keys_ < kMaxKeys) {
                const auto k = static_cast<std::size_t>(keys_);
                keyLag_[k] = lobeLag;
                keyVal_[k] = lobeVal;
                // A parabola through the coarse NSDF: the fine climb starts nearer the peak.
                const double a = nsdf_[static_cast<std::size_t>(lobeLag - 1)];
                const double c = nsdf_[static_cast<std::size_t>(lobeLag + 1)];
                const double d = a - 2.0 * lobeVal + c;
                keyOffset_[k] = d < 0.0 ? std::clamp(0.5 * (a - c) / d, -0.5, 0.5) : 0.0;
                ++keys_;
            }
            highest_ = std::max(highest_, lobeVal);
        };
        for (; tau <= maxLag_; ++tau) {
            const double v = nsdf_[static_cast<std::size_t>(tau)];
            if (v > 0.0) {
                if (tau >= minLag_ && v > lobeVal && v >= nsdf_[static_cast<std::size_t>(tau - 1)] &&
                    v >= nsdf_[static_cast<std::size_t>(tau + 1)]) {
                    lobeLag = tau;
                    lobeVal = v;
                }
            } else if (lobeLag >= 0) {
                keep();
                lobeLag = -1;
                lobeVal = 0.0;
            }
        }
        if (lobeLag >= 0) keep(); // a lobe still open at the longest lag
        // McLeod's rule on heights that can be trusted: on the coarse lag grid a narrow peak (a high note,
        // or bright harmonics) that falls between two lags reads low, and the octave below would win. So
        // each candidate, in order, is measured again on the full-rate signal (refineStep(), over the next
        // samples), and the first whose true height reaches kPickRatio x the highest is the period.
        int candidates = 0;
        for (int i = 0; i < keys_; ++i)
            if (keyVal_[static_cast<std::size_t>(i)] >= kCandidateRatio * highest_) ++candidates;
        rate_ = candidates * (decimation_ + 5) / (0.9 * hopFull_);
        threshold_ = previous.voiced ? kClarityHold : kClarityOn;
    }
    if (keys_ == 0) {
        publish();
        return;
    }
    refining_ = true;
    credit_ = 0.0;
}

double PitchTracker::fineNsdf(int lag, int length) const noexcept {
    // The last `length` samples against the `length` samples `lag` earlier. Four partial sums break the
    // dependency chains (no -ffast-math here, so the compiler will not reassociate by itself).
    ++fineEvaluations_;
    const int64_t end = refineEnd_;
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
