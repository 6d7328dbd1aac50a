#include "effects/pitch/PhaseVocoder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace stagerack::fx {

namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

double princarg(double x) noexcept {
    return x - kTwoPi * std::round(x / kTwoPi);
}

double sinc(double x) noexcept {
    if (std::fabs(x) < 1e-9) return 1.0;
    return std::sin(std::numbers::pi * x) / (std::numbers::pi * x);
}

} // namespace

void PhaseVocoder::prepare(double sampleRate) {
    size_ = 256;
    while (static_cast<double>(size_) * 1.5 < kFrameSeconds * sampleRate)
        size_ *= 2;
    hop_ = size_ / kOverlap;
    bins_ = size_ / 2 + 1;
    window_.resize(size_);
    for (std::size_t n = 0; n < size_; ++n)
        window_[n] = static_cast<float>(0.5 - 0.5 * std::cos(kTwoPi * static_cast<double>(n) / size_));
    fftL_.prepare(size_);
    fftR_.prepare(size_);
    yL_.assign(bins_, {});
    yR_.assign(bins_, {});
    previous_.assign(bins_, {});
    theta_.assign(bins_, 0.0);
    nextTheta_.assign(bins_, 0.0);
    power_.assign(bins_, 0.f);
    peaks_.assign(bins_, 0);
    accL_.assign(2 * size_, 0.f);
    accR_.assign(2 * size_, 0.f);
    accMask_ = 2 * size_ - 1;
    // Hann x Hann overlap-adds to 3/8 of the overlap; the inverse FFT scales by N.
    outScale_ = 1.0 / (0.375 * kOverlap * static_cast<double>(size_));
    latency_ = static_cast<uint32_t>(size_ + (kStages - 1) * hop_ / kSlotsPerHop);
    reset();
}

void PhaseVocoder::reset() noexcept {
    std::fill(previous_.begin(), previous_.end(), std::complex<float>{});
    std::fill(theta_.begin(), theta_.end(), 0.0);
    std::fill(accL_.begin(), accL_.end(), 0.f);
    std::fill(accR_.begin(), accR_.end(), 0.f);
    frameEnd_ = static_cast<int64_t>(hop_) - 1;
    stage_ = 0;
    outputFrom_ = std::numeric_limits<int64_t>::min();
    readyAt_ = std::numeric_limits<int64_t>::min();
    late_ = false;
}

void PhaseVocoder::start(int64_t now) noexcept {
    const auto hop = static_cast<int64_t>(hop_);
    // The reference frame: the latest whose successors' output is complete by now + kWarmUpHops hops.
    int64_t reference = now + kWarmUpHops * hop - 1 - static_cast<int64_t>(latency_);
    reference -= ((reference + 1) % hop + hop) % hop;
    frameEnd_ = reference;
    stage_ = 0;
    outputFrom_ = reference + hop;
    promised_ = now + kWarmUpHops * hop;
    readyAt_ = std::numeric_limits<int64_t>::max(); // set when the work is back on time
    late_ = true;
}

bool PhaseVocoder::isSlot(int64_t now) const noexcept {
    const auto hop = static_cast<int64_t>(hop_);
    const int64_t p = (now % hop + hop) % hop;
    const int64_t j = (p * kSlotsPerHop + hop - 1) / hop;
    return j < kSlotsPerHop && j * hop / kSlotsPerHop == p;
}

// W(e) / W(0) for the product window sin^4 (Hann x Hann) at e bins off: its centred form is
// 3/8 + cos(2 pi n/N) / 2 + cos(4 pi n/N) / 8, whose transform is a sum of five sincs.
double PhaseVocoder::scallop(double e) noexcept {
    const double w =
        0.375 * sinc(e) + 0.25 * (sinc(e - 1.0) + sinc(e + 1.0)) + 0.0625 * (sinc(e - 2.0) + sinc(e + 2.0));
    return w / 0.375;
}

void PhaseVocoder::stage(const SampleRing& inL, const SampleRing& inR, int64_t now, double ratio) noexcept {
    const int64_t first = frameEnd_ - static_cast<int64_t>(size_) + 1;
    const bool output = frameEnd_ >= outputFrom_;
    switch (stage_) {
    case 0:
    case 1: {
        if (stage_ == 0) {
            if (frameEnd_ >= now) return; // not all of it has arrived
            if (late_ && frameEnd_ + 1 == now) {
                // Back on time: every later frame is done by its first output sample, every earlier one is.
                late_ = false;
                // (The reference frame was chosen so that the output is complete at the promised time.)
                readyAt_ =
                    std::max({promised_, outputFrom_ - static_cast<int64_t>(hop_) + 1 + latency_, now});
            }
        }
        RealFft& fft = stage_ == 0 ? fftL_ : fftR_;
        const SampleRing& in = stage_ == 0 ? inL : inR;
        float* t = fft.time();
        for (std::size_t n = 0; n < size_; ++n)
            t[n] = in.at(first + static_cast<int64_t>(n)) * window_[n];
        fft.forward();
        ++ffts_;
        break;
    }
    case 2: {
        const std::complex<float>* xl = fftL_.spectrum();
        const std::complex<float>* xr = fftR_.spectrum();
        float loudest = 0.f;
        for (std::size_t k = 0; k < bins_; ++k) {
            power_[k] = std::norm(xl[k] + xr[k]);
            loudest = std::max(loudest, power_[k]);
        }
        // Peaks: above both neighbours on each side, and no more than 120 dB below the loudest.
        const float floor = std::max(loudest * 1e-12f, 1e-30f);
        std::size_t count = 0;
        for (std::size_t k = 2; k + 2 < bins_; ++k) {
            const float p = power_[k];
            if (p > floor && p > power_[k - 1] && p >= power_[k + 1] && p > power_[k - 2] &&
                p >= power_[k + 2])
                peaks_[count++] = k;
        }
        peakCount_ = count;
        std::fill(yL_.begin(), yL_.end(), std::complex<float>{});
        std::fill(yR_.begin(), yR_.end(), std::complex<float>{});
        std::fill(nextTheta_.begin(), nextTheta_.end(), 0.0);
        regionLo_ = 0;
        break;
    }
    case kStages - 3:
    case kStages - 2: {
        RealFft& fft = stage_ == kStages - 3 ? fftL_ : fftR_;
        if (output) {
            const std::vector<std::complex<float>>& y = stage_ == kStages - 3 ? yL_ : yR_;
            std::copy(y.begin(), y.end(), fft.spectrum());
            fft.inverse();
            ++ffts_;
        } else {
            // The reference frame after start(): clear what the engine left when it stopped.
            std::vector<float>& acc = stage_ == kStages - 3 ? accL_ : accR_;
            std::fill(acc.begin(), acc.end(), 0.f);
        }
        break;
    }
    case kStages - 1:
        if (output) overlapAdd(now);
        frameEnd_ += static_cast<int64_t>(hop_);
        stage_ = 0;
        return;
    default: { // the regions, a kRegionStages-th of the peaks each
        const int part = stage_ - 3;
        analyse(ratio, peakCount_ * static_cast<std::size_t>(part) / kRegionStages,
                peakCount_ * static_cast<std::size_t>(part + 1) / kRegionStages);
        if (part == kRegionStages - 1) {
            const std::complex<float>* xl = fftL_.spectrum();
            const std::complex<float>* xr = fftR_.spectrum();
            for (std::size_t k = 0; k < bins_; ++k)
                previous_[k] = xl[k] + xr[k];
            theta_.swap(nextTheta_);
        }
        break;
    }
    }
    ++stage_;
}

// Peaks [from, until) of this frame: each moves its region (from the bin after the previous region).
void PhaseVocoder::analyse(double ratio, std::size_t from, std::size_t until) noexcept {
    const std::complex<float>* xl = fftL_.spectrum();
    const std::complex<float>* xr = fftR_.spectrum();
    const double hop = static_cast<double>(hop_);
    const double binRad = kTwoPi / static_cast<double>(size_);
    const std::size_t count = peakCount_;
    std::size_t lo = regionLo_;
    for (std::size_t p = from; p < until; ++p) {
        const std::size_t k = peaks_[p];
        std::size_t hi = bins_ - 1;
        if (p + 1 < count) { // the region ends at the quietest bin before the next peak
            const std::size_t next = peaks_[p + 1];
            hi = k;
            for (std::size_t j = k + 1; j < next; ++j)
                if (power_[j] < power_[hi]) hi = j;
            if (hi == k) hi = k + 1;
        }
        const std::complex<double> sum(static_cast<double>(xl[k].real() + xr[k].real()),
                                       static_cast<double>(xl[k].imag() + xr[k].imag()));
        const std::complex<double> before(previous_[k].real(), previous_[k].imag());
        double omega = binRad * static_cast<double>(k);
        if (std::norm(before) > 1e-30)
            omega += princarg(std::arg(sum * std::conj(before)) - omega * hop) / hop;
        const double shift = (ratio - 1.0) * omega;
        const double shiftBins = shift / binRad;
        const auto moveBy = static_cast<long>(std::lround(shiftBins));
        const double theta = princarg(theta_[k] + shift * hop);
        const double gain = 1.0 / scallop(shiftBins - static_cast<double>(moveBy));
        std::complex<double> rot = std::polar(gain, theta);
        if (moveBy & 1) rot = -rot; // the shift is a modulation referred to the frame centre
        const std::complex<float> z(static_cast<float>(rot.real()), static_cast<float>(rot.imag()));
        for (std::size_t j = lo; j <= hi; ++j) {
            nextTheta_[j] = theta;
            const long to = static_cast<long>(j) + moveBy;
            if (to < 0 || to >= static_cast<long>(bins_)) continue;
            yL_[static_cast<std::size_t>(to)] += xl[j] * z;
            yR_[static_cast<std::size_t>(to)] += xr[j] * z;
        }
        lo = hi + 1;
    }
    regionLo_ = lo;
}

void PhaseVocoder::overlapAdd(int64_t now) noexcept {
    const int64_t first = frameEnd_ - static_cast<int64_t>(size_) + 1;
    // Samples whose output time has passed (a frame worked off late) are left out: their slots would come
    // round again 2N samples later.
    const int64_t from = std::max(first, now - static_cast<int64_t>(latency_));
    const float* tl = fftL_.time();
    const float* tr = fftR_.time();
    const auto scale = static_cast<float>(outScale_);
    for (int64_t i = from; i <= frameEnd_; ++i) {
        const auto n = static_cast<std::size_t>(i - first);
        const std::size_t slot = static_cast<std::size_t>(i) & accMask_;
        accL_[slot] += tl[n] * window_[n] * scale;
        accR_[slot] += tr[n] * window_[n] * scale;
    }
}

void PhaseVocoder::process(const SampleRing& inL, const SampleRing& inR, int64_t now, double ratio,
                           float& outL, float& outR) noexcept {
    if (isSlot(now)) stage(inL, inR, now, ratio);
    const std::size_t slot = static_cast<std::size_t>(now - static_cast<int64_t>(latency_)) & accMask_;
    outL = accL_[slot];
    outR = accR_[slot];
    accL_[slot] = 0.f;
    accR_[slot] = 0.f;
}

} // namespace stagerack::fx
