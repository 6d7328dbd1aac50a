// Room-acoustics measurements of impulse responses: Schroeder backward integration (ISO 3382 style
// decay-time fits) and the normalised echo density of Abel & Huang (2006).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace stagerack::test {

// Energy decay curve in dB relative to the total energy, from the backward integral of the summed
// energy of both channels (pass the same span twice for mono). Computed in double.
std::vector<double> energyDecayCurveDb(std::span<const float> left, std::span<const float> right);

struct DecayFit {
    double rt60 = 0.0;        // seconds: the fitted slope extrapolated to 60 dB
    double correlation = 0.0; // |r| of the least-squares line (1 = a perfect exponential)
    std::size_t begin = 0;    // first and one-past-last sample of the fitted range
    std::size_t end = 0;
};

// Least-squares line through the energy decay curve between `highDb` and `lowDb` (T30: -5 and -35 dB;
// T20: -5 and -25 dB), extrapolated to a 60 dB decay.
DecayFit schroederRt60(std::span<const float> left, std::span<const float> right, double sampleRate,
                       double highDb = -5.0, double lowDb = -35.0);

// Normalised echo density profile: for windows of `windowMs` (Hann weighted) centred every `hopMs`, the
// weighted fraction of samples whose magnitude exceeds the window's standard deviation, divided by
// erfc(1/sqrt(2)) = 0.3173 (its value for Gaussian noise). 0 for silence, about 1 once the response is
// as dense as noise. Element k is centred at k * hopMs.
std::vector<double> echoDensityProfile(std::span<const float> x, double sampleRate, double windowMs = 20.0,
                                       double hopMs = 1.0);

// The first time (seconds, window centre) the profile reaches `threshold`; negative if it never does.
double echoDensityTime(std::span<const float> x, double sampleRate, double threshold = 1.0,
                       double windowMs = 20.0, double hopMs = 1.0);

} // namespace stagerack::test
