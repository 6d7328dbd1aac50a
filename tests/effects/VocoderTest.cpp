#include "effects/vocoder/Vocoder.h"
#include "effects/dsp/Biquad.h"
#include "effects/vocoder/BandPlan.h"
#include "effects/vocoder/CarrierSynth.h"
#include "tests/support/Analysis.h"
#include "tests/support/HostedRender.h"
#include "tests/support/Signals.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <limits>
#include <numbers>
#include <numeric>
#include <string>

namespace stagerack::test {
namespace {

using fx::Vocoder;
constexpr double kRate = 48000.0;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

// Welch power spectrum: the mean squared Blackman-Harris amplitude spectrum over half-overlapping
// segments of `size` frames (a power of two). Bin k is at k * rate / size.
std::vector<double> powerSpectrum(std::span<const float> x, std::size_t size) {
    std::vector<double> sum(size / 2 + 1, 0.0);
    std::size_t count = 0;
    for (std::size_t at = 0; at + size <= x.size(); at += size / 2, ++count) {
        const std::vector<double> mag = windowedSpectrum(x.subspan(at, size));
        for (std::size_t k = 0; k < mag.size(); ++k)
            sum[k] += mag[k] * mag[k];
    }
    for (double& v : sum)
        v /= static_cast<double>(std::max<std::size_t>(count, 1));
    return sum;
}

// Power in the bins whose centre lies in [loHz, hiHz).
double binPower(const std::vector<double>& psd, double rate, double loHz, double hiHz) {
    const double binHz = rate / (2.0 * static_cast<double>(psd.size() - 1));
    double s = 0.0;
    for (std::size_t k = 0; k < psd.size(); ++k) {
        const double f = static_cast<double>(k) * binHz;
        if (f >= loHz && f < hiHz) s += psd[k];
    }
    return s;
}

// Band edges halfway (on the bank's own scale) between neighbouring centres; the outer edges half a
// spacing beyond the outer centres.
std::vector<double> bandEdges(const fx::BandPlan& plan, fx::BandSpacing spacing) {
    std::vector<double> z(static_cast<std::size_t>(plan.bands));
    for (int b = 0; b < plan.bands; ++b)
        z[static_cast<std::size_t>(b)] = fx::warpHz(spacing, plan.analysisHz[static_cast<std::size_t>(b)]);
    const double step = z[1] - z[0];
    std::vector<double> edges;
    edges.push_back(fx::unwarpHz(spacing, z.front() - 0.5 * step));
    for (std::size_t b = 0; b + 1 < z.size(); ++b)
        edges.push_back(fx::unwarpHz(spacing, 0.5 * (z[b] + z[b + 1])));
    edges.push_back(fx::unwarpHz(spacing, z.back() + 0.5 * step));
    return edges;
}

// White noise through peaking sections: a known, smooth spectral envelope (a vowel-like +9 dB around
// 400 Hz, a -8 dB trough around 1.6 kHz, +6 dB around 4 kHz).
std::vector<float> shapedNoise(std::size_t frames, double rate, uint64_t seed, float amplitude) {
    std::vector<float> x = whiteNoise(frames, seed, amplitude);
    using dsp::BiquadCoeffs;
    using dsp::FilterKind;
    for (const BiquadCoeffs& c : {BiquadCoeffs::design(FilterKind::Peak, rate, 400.0, 0.6, 9.0),
                                  BiquadCoeffs::design(FilterKind::Peak, rate, 1600.0, 0.6, -8.0),
                                  BiquadCoeffs::design(FilterKind::Peak, rate, 4000.0, 0.8, 6.0)}) {
        dsp::Biquad f;
        f.setCoeffs(c);
        for (float& v : x)
            v = f.process(v);
    }
    return x;
}

TEST(Vocoder, MetadataIsCompleteAndIdsAreStable) {
    EXPECT_TRUE(metadataProblems(fx::infoOf<Vocoder>()).empty())
        << joined(metadataProblems(fx::infoOf<Vocoder>()));
    EXPECT_EQ(Vocoder::kId, "vocoder");
    const std::array<std::string_view, Vocoder::kParamCount> ids{
        "carrier", "waveform", "pulse_width", "midi_channel", "bands",      "spacing",
        "low_hz",  "high_hz",  "width",       "attack_ms",    "release_ms", "formant_shift",
        "flatten", "unvoiced", "carrier_db",  "output_db",    "dry_mix"};
    for (std::size_t i = 0; i < ids.size(); ++i)
        EXPECT_EQ(Vocoder::kParams[i].id, ids[i]);
}

struct BandMatch {
    double worstDb = 0.0;    // largest |output - modulator| band level difference, after removing the mean
    double meanGainDb = 0.0; // mean output / modulator band level
    double levelDb = 0.0;    // output power / modulator power, both within the bank's range
};

BandMatch bandMatch(int bands, fx::BandSpacing spacing, float flatten, double rate = kRate,
                    bool print = true) {
    const auto frames = static_cast<std::size_t>(6.0 * rate);
    const std::vector<float> mod = shapedNoise(frames, rate, 101, 0.3f);
    // White noise with -12 dBFS RMS within the bank's span (the documented reference level).
    const fx::BandPlan plan = fx::BandPlan::make(bands, spacing, fx::BandShape{}, rate);
    const double inSpan = (plan.spanHighHz - plan.spanLowHz) / (0.5 * rate);
    const std::vector<float> carrier =
        whiteNoise(frames, 202, static_cast<float>(0.25 * std::sqrt(3.0 / inSpan)));
    HostedInput in{dualMono(mod), &carrier, {}};
    const std::vector<ParamValue> settings{{"carrier", 1.f},
                                           {"bands", static_cast<float>(bands)},
                                           {"spacing", static_cast<float>(spacing)},
                                           {"unvoiced", 0.f},
                                           {"flatten", flatten}};
    const StereoBuffer out = renderHosted<Vocoder>(rate, 64, in, settings);
    const std::size_t skip = static_cast<std::size_t>(0.5 * rate);
    const auto tail = [&](const std::vector<float>& x) { return std::span<const float>(x).subspan(skip); };
    const std::size_t fft = rate > 100000.0 ? 16384 : 8192;
    const auto psdOut = powerSpectrum(tail(out.left), fft);
    const auto psdMod = powerSpectrum(tail(mod), fft);
    const std::vector<double> edges = bandEdges(plan, spacing);
    std::vector<double> diff;
    for (int b = 0; b < bands; ++b) {
        const auto i = static_cast<std::size_t>(b);
        diff.push_back(10.0 * std::log10(binPower(psdOut, rate, edges[i], edges[i + 1]) /
                                         binPower(psdMod, rate, edges[i], edges[i + 1])));
    }
    BandMatch m;
    m.meanGainDb = std::accumulate(diff.begin(), diff.end(), 0.0) / static_cast<double>(diff.size());
    std::string line;
    for (double d : diff) {
        m.worstDb = std::max(m.worstDb, std::fabs(d - m.meanGainDb));
        char buf[16];
        std::snprintf(buf, sizeof buf, " %+.1f", d - m.meanGainDb);
        line += buf;
    }
    m.levelDb = 10.0 * std::log10(binPower(psdOut, rate, edges.front(), edges.back()) /
                                  binPower(psdMod, rate, edges.front(), edges.back()));
    if (print)
        std::printf("[measured] vocoder %d %s bands, flatten %g, %g Hz: band level error <= %.2f dB "
                    "(overall gain %+.2f dB, level %+.2f dB)\n  per band:%s\n",
                    bands, std::string(fx::kBandSpacingLabels[static_cast<std::size_t>(spacing)]).c_str(),
                    flatten, rate, m.worstDb, m.meanGainDb, m.levelDb, line.c_str());
    return m;
}

TEST(Vocoder, WhiteCarrierBandEnergiesFollowTheModulator) {
    for (int bands : {8, 16, 32}) {
        for (float flatten : {0.f, 1.f}) {
            const BandMatch m = bandMatch(bands, fx::BandSpacing::Log, flatten);
            EXPECT_LE(m.worstDb, 3.0) << bands << " bands, flatten " << flatten;
            // The documented calibration: a white carrier at -12 dBFS RMS gives about the level the
            // modulator has inside the bank's range.
            EXPECT_LE(std::fabs(m.levelDb), 3.0) << bands << " bands, flatten " << flatten;
        }
    }
    for (auto spacing : {fx::BandSpacing::Bark, fx::BandSpacing::Mel}) {
        const BandMatch m = bandMatch(16, spacing, 1.f);
        EXPECT_LE(m.worstDb, 3.0);
    }
}

// In-place radix-2 complex FFT (the size a power of two).
void fft(std::vector<std::complex<double>>& x) {
    const std::size_t n = x.size();
    for (std::size_t i = 1, j = 0; i < n; ++i) {
        std::size_t bit = n >> 1;
        for (; (j & bit) != 0; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j) std::swap(x[i], x[j]);
    }
    for (std::size_t len = 2; len <= n; len <<= 1) {
        const std::complex<double> w = std::polar(1.0, -2.0 * std::numbers::pi / static_cast<double>(len));
        for (std::size_t i = 0; i < n; i += len) {
            std::complex<double> wk = 1.0;
            for (std::size_t k = 0; k < len / 2; ++k, wk *= w) {
                const std::complex<double> a = x[i + k], b = x[i + k + len / 2] * wk;
                x[i + k] = a + b;
                x[i + k + len / 2] = a - b;
            }
        }
    }
}

// Transfer function from x to y (the H1 estimate: cross spectrum over x's power spectrum, Hann-windowed
// half-overlapping segments of `size` frames). Bin k is at k * rate / size.
std::vector<double> transferMagnitude(std::span<const float> x, std::span<const float> y, std::size_t size) {
    std::vector<std::complex<double>> cross(size / 2 + 1);
    std::vector<double> power(size / 2 + 1, 0.0);
    std::vector<std::complex<double>> fx(size), fy(size);
    for (std::size_t at = 0; at + size <= x.size(); at += size / 2) {
        for (std::size_t n = 0; n < size; ++n) {
            const double w = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(n) /
                                                  static_cast<double>(size));
            fx[n] = w * x[at + n];
            fy[n] = w * y[at + n];
        }
        fft(fx);
        fft(fy);
        for (std::size_t k = 0; k <= size / 2; ++k) {
            cross[k] += fy[k] * std::conj(fx[k]);
            power[k] += std::norm(fx[k]);
        }
    }
    std::vector<double> h(size / 2 + 1);
    for (std::size_t k = 0; k <= size / 2; ++k)
        h[k] = std::abs(cross[k]) / std::max(power[k], 1e-30);
    return h;
}

struct WidthResponse {
    double levelDb = 0.0;  // output power / modulator power within the bank's span
    double rippleDb = 0.0; // max - min of the carrier-to-output response between the 2nd and the
                           // 2nd-to-last band centres
};

// White modulator, white carrier at the reference level within the span, no flattening: the level the
// bank gives and how flat its summed response is.
WidthResponse widthResponse(int bands, float width, fx::BandSpacing spacing = fx::BandSpacing::Log) {
    const auto frames = static_cast<std::size_t>(6.0 * kRate);
    const std::vector<float> mod = whiteNoise(frames, 121, 0.3f);
    fx::BandShape shape;
    shape.width = width;
    const fx::BandPlan plan = fx::BandPlan::make(bands, spacing, shape, kRate);
    const double inSpan = (plan.spanHighHz - plan.spanLowHz) / (0.5 * kRate);
    const std::vector<float> carrier =
        whiteNoise(frames, 122, static_cast<float>(0.25 * std::sqrt(3.0 / inSpan)));
    const StereoBuffer out = renderHosted<Vocoder>(kRate, 64, HostedInput{dualMono(mod), &carrier, {}},
                                                   {{"carrier", 1.f},
                                                    {"bands", static_cast<float>(bands)},
                                                    {"spacing", static_cast<float>(spacing)},
                                                    {"width", width},
                                                    {"unvoiced", 0.f},
                                                    {"flatten", 0.f}});
    const std::size_t skip = static_cast<std::size_t>(0.5 * kRate);
    const auto tail = [&](const std::vector<float>& x) { return std::span<const float>(x).subspan(skip); };
    const auto psdOut = powerSpectrum(tail(out.left), 8192);
    const auto psdMod = powerSpectrum(tail(mod), 8192);
    WidthResponse r;
    r.levelDb = 10.0 * std::log10(binPower(psdOut, kRate, plan.spanLowHz, plan.spanHighHz) /
                                  binPower(psdMod, kRate, plan.spanLowHz, plan.spanHighHz));
    const std::size_t size = 16384;
    const std::vector<double> h = transferMagnitude(tail(carrier), tail(out.left), size);
    double lo = 1e300, hi = 0.0;
    for (std::size_t k = 0; k < h.size(); ++k) {
        const double f = static_cast<double>(k) * kRate / static_cast<double>(size);
        if (f < plan.analysisHz[1] || f > plan.analysisHz[static_cast<std::size_t>(bands - 2)]) continue;
        lo = std::min(lo, h[k]);
        hi = std::max(hi, h[k]);
    }
    r.rippleDb = toDb(hi / lo);
    return r;
}

// The width knob changes the bandwidth, not the loudness: neighbouring bands add coherently, and how
// they add depends on how far they overlap.
TEST(Vocoder, WidthKeepsTheLevelAndTheBankFlat) {
    for (int bands : {8, 16, 32}) {
        const WidthResponse unit = widthResponse(bands, 1.f);
        std::string line;
        for (float width : {0.5f, 0.7f, 1.f, 1.25f, 1.45f, 1.6f, 2.f}) {
            const WidthResponse r = width == 1.f ? unit : widthResponse(bands, width);
            char buf[64];
            std::snprintf(buf, sizeof buf, " %.2f: %+.2f dB / %.1f dB;", width, r.levelDb - unit.levelDb,
                          r.rippleDb);
            line += buf;
            EXPECT_NEAR(r.levelDb, unit.levelDb, 1.5) << bands << " bands, width " << width;
            // From width 1 on the summed bank is flat within a few dB. Narrower bands leave dips between
            // them whatever their polarities (summed in power, the bank ripples by 2.6 dB at width 0.7 and
            // 5.5 dB at 0.5).
            EXPECT_LE(r.rippleDb, width < 1.f ? 7.0 : 3.5) << bands << " bands, width " << width;
        }
        std::printf(
            "[measured] vocoder %d bands, white carrier and modulator, width: level against width 1 / "
            "ripple of the summed response:%s (width 1 level %+.2f dB)\n",
            bands, line.c_str(), unit.levelDb);
    }
    // While the width glides from 1 to 2 and back (through the change of polarity pattern), 20 ms by 20 ms:
    // the level against the same render without the change.
    {
        const auto frames = static_cast<std::size_t>(3.0 * kRate);
        const std::vector<float> mod = whiteNoise(frames, 131, 0.3f);
        const std::vector<float> carrier = whiteNoise(frames, 132, 0.4f);
        const HostedInput in{dualMono(mod), &carrier, {}};
        const std::vector<ParamValue> settings{{"carrier", 1.f}, {"unvoiced", 0.f}};
        const StereoBuffer steady = renderHosted<Vocoder>(kRate, 64, in, settings);
        const StereoBuffer moved = renderHosted<Vocoder>(
            kRate, 64, in, settings, {{48000, {{"width", 2.f}}}, {96000, {{"width", 1.f}}}});
        double worst = 0.0;
        for (std::size_t at = 24000; at + 960 <= frames; at += 960)
            worst = std::max(worst, std::fabs(rmsDb(slice(moved.left, {at, at + 960})) -
                                              rmsDb(slice(steady.left, {at, at + 960}))));
        std::printf(
            "[measured] vocoder width 1 -> 2 -> 1 (16 bands): the level moves by at most %.2f dB (20 ms "
            "windows)\n",
            worst);
        EXPECT_LT(worst, 1.5);
    }
    // The other spacings: the level too stays put.
    for (auto spacing : {fx::BandSpacing::Bark, fx::BandSpacing::Mel}) {
        const double unit = widthResponse(16, 1.f, spacing).levelDb;
        for (float width : {0.5f, 2.f}) {
            const double level = widthResponse(16, width, spacing).levelDb - unit;
            std::printf("[measured] vocoder 16 %s bands, width %.1f: level %+.2f dB against width 1\n",
                        std::string(fx::kBandSpacingLabels[static_cast<std::size_t>(spacing)]).c_str(), width,
                        level);
            EXPECT_NEAR(level, 0.0, 1.5) << static_cast<int>(spacing) << " width " << width;
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// MIDI timing: the synth's notes start at the sample of their events.

// A steady noise modulator lets the carrier through every band; with the synth silent the output is
// exactly zero, so a note's first sample is the first non-zero output sample. Later events are found
// as the first sample where the render differs from the one without them (the bank is linear in the
// carrier).
HostedInput timingInput(std::size_t frames, std::vector<TimedMidi> midi) {
    return HostedInput{dualMono(whiteNoise(frames, 77, 0.3f)), nullptr, std::move(midi)};
}
const std::vector<ParamValue> kTimingSettings{{"carrier", 2.f}, {"unvoiced", 0.f}};

std::size_t firstNonZero(const std::vector<float>& x) {
    for (std::size_t i = 0; i < x.size(); ++i)
        if (x[i] != 0.f) return i;
    return x.size();
}
std::size_t firstDifference(const std::vector<float>& a, const std::vector<float>& b) {
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i] != b[i]) return i;
    return a.size();
}

TEST(Vocoder, SynthNotesStartAtTheSampleOfTheirEvents) {
    const std::size_t frames = 8192;
    // Offsets 0, 17 and 63 inside blocks of 64, and frames that straddle other block sizes.
    const std::vector<std::size_t> onsets{0, 17, 63, 64, 64 * 5 + 17, 64 * 9 + 63, 1000, 4097};
    for (uint32_t block : {64u, 17u, 1u, 1024u}) {
        for (std::size_t at : onsets) {
            const StereoBuffer out = renderHosted<Vocoder>(
                kRate, block, timingInput(frames, {midiNoteOn(at, 60)}), kTimingSettings);
            EXPECT_EQ(firstNonZero(out.left), at) << "block " << block;
            EXPECT_EQ(firstNonZero(out.right), at) << "block " << block;
        }
    }
    // A second note while the first sounds, a note-off, a pitch bend: each changes the output exactly
    // from its own sample on.
    const std::vector<TimedMidi> base{midiNoteOn(100, 57)};
    struct Case {
        TimedMidi event;
        const char* what;
    };
    for (const Case& c :
         {Case{midiNoteOn(64 * 20 + 17, 64), "second note"}, Case{midiNoteOff(64 * 30 + 63, 57), "note-off"},
          Case{midiPitchBend(64 * 40 + 1, 4096), "pitch bend"}}) {
        // A bend changes the phase increment from its sample on: the sample at its offset still has the
        // phase accumulated at the old pitch, the next one differs.
        const std::size_t expected = c.event.data[0] == 0xE0 ? c.event.frame + 1 : c.event.frame;
        for (uint32_t block : {64u, 17u, 1u}) {
            std::vector<TimedMidi> with = base;
            with.push_back(c.event);
            const StereoBuffer a =
                renderHosted<Vocoder>(kRate, block, timingInput(frames, base), kTimingSettings);
            const StereoBuffer b =
                renderHosted<Vocoder>(kRate, block, timingInput(frames, with), kTimingSettings);
            EXPECT_EQ(firstDifference(a.left, b.left), expected) << c.what << ", block " << block;
        }
    }
    std::printf("[measured] vocoder synth: note-on and note-off take effect at their exact sample, a bend on "
                "the next "
                "(offsets 0/17/63 in blocks of 64, blocks of 1/17/1024)\n");
}

TEST(Vocoder, SilentWhileNoNoteIsHeld) {
    const std::size_t frames = static_cast<std::size_t>(2.0 * kRate);
    // No note at all: exact silence, whatever the modulator.
    const StereoBuffer none = renderHosted<Vocoder>(kRate, 64, timingInput(frames, {}), {{"unvoiced", 0.f}});
    EXPECT_EQ(peak(none.left), 0.f);
    // A note held for 0.5 s: sound, then after its release and the envelopes' ring-out, silence
    // again.
    const StereoBuffer out = renderHosted<Vocoder>(
        kRate, 64, timingInput(frames, {midiNoteOn(4800, 60), midiNoteOff(28800, 60)}), {{"unvoiced", 0.f}});
    const double held = rmsDb(slice(out.left, {9600, 28800}));
    const float after = peak(slice(out.left, {28800 + 9600, frames}));
    std::printf("[measured] vocoder synth note: %.1f dBFS RMS while held, peak %.2e from 200 ms after its "
                "note-off\n",
                held, after);
    EXPECT_GT(held, -30.0);
    EXPECT_LT(after, 1e-6f);
}

// ---------------------------------------------------------------------------------------------------------
// The synth on its own.

std::vector<float> synthRender(std::size_t frames, const std::vector<TimedMidi>& midi, int waveform = 0,
                               float pulseWidth = 0.5f, double rate = kRate, int channel = 0) {
    fx::CarrierSynth synth;
    synth.prepare(rate);
    synth.setWaveform(waveform);
    synth.setPulseWidth(pulseWidth);
    synth.setChannel(channel);
    synth.reset();
    std::vector<float> out(frames, 0.f);
    std::size_t next = 0;
    for (std::size_t pos = 0; pos < frames;) {
        while (next < midi.size() && midi[next].frame <= pos) {
            fx::MidiEvent e;
            e.size = midi[next].size;
            e.data = midi[next].data;
            synth.handle(e);
            ++next;
        }
        std::size_t until = frames;
        if (next < midi.size()) until = std::min(until, midi[next].frame);
        const auto n =
            static_cast<uint32_t>(std::min<std::size_t>(until - pos, fx::CarrierSynth::kMaxRender));
        synth.render(out.data() + pos, n);
        pos += n;
    }
    return out;
}

// Mean period from the downward zero crossings (the saw's reset, once a cycle), linearly
// interpolated.
double sawFrequency(const std::vector<float>& x, std::size_t from, double rate) {
    double first = -1.0, last = -1.0;
    std::size_t count = 0;
    for (std::size_t n = from + 1; n < x.size(); ++n) {
        if (x[n - 1] > 0.f && x[n] <= 0.f && x[n - 1] - x[n] > 0.2f) {
            const double t = static_cast<double>(n - 1) + x[n - 1] / static_cast<double>(x[n - 1] - x[n]);
            if (first < 0.0) first = t;
            last = t;
            ++count;
        }
    }
    return count > 1 ? rate * static_cast<double>(count - 1) / (last - first) : 0.0;
}

TEST(VocoderSynth, PitchIsEqualTemperedAndBendsTwoSemitones) {
    const std::size_t frames = 48000;
    struct Case {
        int note;
        int bend;
        double hz;
    };
    double worstCents = 0.0;
    for (const Case& c : {Case{69, 0, 440.0}, Case{45, 0, 110.0}, Case{84, 0, 440.0 * std::exp2(15.0 / 12.0)},
                          Case{57, 8191, 220.0 * std::exp2(2.0 * 8191.0 / 8192.0 / 12.0)},
                          Case{57, -8192, 220.0 * std::exp2(-2.0 / 12.0)}}) {
        std::vector<TimedMidi> midi{midiNoteOn(0, c.note)};
        if (c.bend != 0) midi.insert(midi.begin(), midiPitchBend(0, c.bend));
        const std::vector<float> x = synthRender(frames, midi);
        const double hz = sawFrequency(x, 480, kRate);
        const double cents = 1200.0 * std::log2(hz / c.hz);
        worstCents = std::max(worstCents, std::fabs(cents));
        EXPECT_NEAR(cents, 0.0, 0.1) << c.note << " bend " << c.bend;
    }
    std::printf("[measured] vocoder synth pitch: worst error %.4f cents (notes 45, 69, 84, bends +-2 "
                "semitones)\n",
                worstCents);
}

// The strongest component that is not a harmonic of f0 (+-8 bins) between 50 Hz and `maxHz`, in dB relative
// to the fundamental.
double worstAliasDbc(std::span<const float> x, double f0, double rate, double maxHz) {
    const std::vector<double> mag = windowedSpectrum(x);
    const double binHz = rate / static_cast<double>(x.size());
    double fundamental = 0.0;
    const auto f0Bin = static_cast<std::size_t>(std::lround(f0 / binHz));
    for (std::size_t k = f0Bin - 2; k <= f0Bin + 2; ++k)
        fundamental = std::max(fundamental, mag[k]);
    double worst = 0.0;
    for (std::size_t k = 0; k < mag.size(); ++k) {
        const double f = static_cast<double>(k) * binHz;
        const double h = f / f0;
        if (f < 50.0 || f > maxHz || std::fabs(h - std::round(h)) * f0 / binHz <= 8.0) continue;
        worst = std::max(worst, mag[k]);
    }
    return toDb(worst / fundamental);
}

TEST(VocoderSynth, BandLimitedWaveformsAliasLittle) {
    const std::size_t frames = 16384;
    struct Case {
        int note;
        double maxDbc; // below 16 kHz, where the bank can have bands
    };
    // polyBLEP: the strongest alias (relative to the fundamental) grows with the pitch; the worst ones fold
    // back just below Nyquist, above any band.
    for (int waveform : {0, 1}) {
        for (const Case& c :
             {Case{45, -60.0}, Case{57, -55.0}, Case{69, -50.0}, Case{81, -45.0}, Case{93, -40.0}}) {
            const double f0 = 440.0 * std::exp2((c.note - 69) / 12.0);
            const std::vector<float> x = synthRender(frames + 4800, {midiNoteOn(0, c.note)}, waveform);
            const auto steady = slice(x, {4800, 4800 + frames});
            const double inBand = worstAliasDbc(steady, f0, kRate, 16000.0);
            const double all = worstAliasDbc(steady, f0, kRate, kRate / 2.0);
            std::printf("[measured] vocoder synth %s at %.1f Hz: worst alias %.1f dBc below 16 kHz, %.1f dBc "
                        "up to Nyquist\n",
                        waveform == 0 ? "saw" : "pulse", f0, inBand, all);
            EXPECT_LT(inBand, c.maxDbc) << waveform << " " << c.note;
        }
    }
}

TEST(VocoderSynth, EveryWaveformPlaysAtTheReferenceLevel) {
    const std::size_t frames = 48000;
    for (int waveform : {0, 1, 2}) {
        for (float width : {0.5f, 0.1f}) {
            if (waveform != 1 && width != 0.5f) continue;
            const std::vector<float> x = synthRender(frames, {midiNoteOn(0, 57)}, waveform, width);
            const double level = rmsDb(slice(x, {4800, frames}));
            std::printf("[measured] vocoder synth waveform %d (width %.2f): %.2f dBFS RMS (reference %.2f)\n",
                        waveform, width, level, toDb(fx::CarrierSynth::kVoiceRms));
            EXPECT_NEAR(level, toDb(fx::CarrierSynth::kVoiceRms), 0.5);
        }
    }
}

double lineDb(const std::vector<float>& x, std::size_t from, double hz) {
    const std::vector<double> mag = windowedSpectrum(slice(x, {from, from + 16384}));
    const double binHz = kRate / 16384.0;
    const auto k = static_cast<std::size_t>(std::lround(hz / binHz));
    return toDb(std::max({mag[k - 1], mag[k], mag[k + 1]}));
}

TEST(VocoderSynth, EightVoicesAndTheOldestIsStolen) {
    const std::size_t frames = 4 * 16384;
    auto hzOf = [](int note) { return 440.0 * std::exp2((note - 69) / 12.0); };
    // Notes 60..67 (no octaves: no note's harmonic lands on another's fundamental), 1 ms apart.
    std::vector<TimedMidi> midi;
    for (int i = 0; i < 8; ++i)
        midi.push_back(midiNoteOn(static_cast<std::size_t>(48 * i), 60 + i));
    const std::vector<float> eight = synthRender(frames, midi);
    double weakest = 0.0;
    for (int i = 0; i < 8; ++i)
        weakest = std::min(weakest, lineDb(eight, 16384, hzOf(60 + i)) - toDb(0.25 * std::sqrt(2.0)));
    // A ninth note steals the oldest (60) and only that one.
    midi.push_back(midiNoteOn(16384, 68));
    const std::vector<float> nine = synthRender(frames, midi);
    const double stolen = lineDb(nine, 2 * 16384, hzOf(60)) - lineDb(eight, 2 * 16384, hzOf(60));
    double others = 0.0;
    for (int i = 1; i < 8; ++i)
        others = std::max(others, std::fabs(lineDb(nine, 2 * 16384, hzOf(60 + i)) -
                                            lineDb(eight, 2 * 16384, hzOf(60 + i))));
    const double added = lineDb(nine, 2 * 16384, hzOf(68)) - lineDb(eight, 2 * 16384, hzOf(68));
    std::printf("[measured] vocoder synth: 8 voices sound (each fundamental within %.1f dB of a lone saw's); "
                "a 9th note removes the oldest by %.1f dB, moves the others by <= %.2f dB, adds its own by "
                "%.1f dB\n",
                weakest, stolen, others, added);
    EXPECT_GT(weakest,
              -7.0); // a saw's fundamental is 2 / pi of its peak: -3.9 dB below a sine of that peak
    EXPECT_LT(stolen, -60.0);
    EXPECT_LT(others, 0.1);
    EXPECT_GT(added, 40.0);
    // Stealing fades the old note out (3 ms) instead of cutting it: no step larger than a note's own.
    const float stealStep = maxStep(nine, {16384 - 480, 16384 + 480});
    const float ownStep = maxStep(eight, {16384 - 480, 16384 + 480});
    std::printf("[measured] vocoder synth steal: largest step %.3f around it, %.3f without it\n", stealStep,
                ownStep);
    EXPECT_LT(stealStep, 1.5f * ownStep);
}

TEST(VocoderSynth, SustainPedalAndChannelFilter) {
    const std::size_t frames = 48000;
    // The note-off arrives while the pedal is down: the note holds until the pedal comes up.
    const std::vector<float> x = synthRender(frames, {midiControl(0, 64, 127), midiNoteOn(0, 60),
                                                      midiNoteOff(4800, 60), midiControl(24000, 64, 0)});
    EXPECT_GT(rmsDb(slice(x, {9600, 24000})), -15.0);
    EXPECT_EQ(peak(slice(x, {24000 + 960, frames})), 0.f); // 15 ms release, then silence
    // On channel 2 only: a channel-1 note is ignored, a channel-2 one plays.
    const std::vector<float> ch1 = synthRender(frames, {midiNoteOn(0, 60, 100, 1)}, 0, 0.5f, kRate, 2);
    const std::vector<float> ch2 = synthRender(frames, {midiNoteOn(0, 60, 100, 2)}, 0, 0.5f, kRate, 2);
    EXPECT_EQ(peak(ch1), 0.f);
    EXPECT_GT(peak(ch2), 0.1f);
    // All notes off releases everything.
    const std::vector<float> off =
        synthRender(frames, {midiNoteOn(0, 60), midiNoteOn(0, 64), midiControl(4800, 123, 0)});
    EXPECT_EQ(peak(slice(off, {4800 + 960, frames})), 0.f);
}

// Stealing in a burst: 20 note-ons within 2 ms steal every voice, and the first ones a second time while
// their first stolen sound still fades. With the noise waveform every voice plays the same noise sample
// scaled by its level, so the output over that of one steady note is the voices' summed level L(t):
// fades and attacks make it piecewise linear (second differences of a few ramp slopes, 1 / 48 per
// sample at most), a voice cut off makes it jump (a click).
TEST(VocoderSynth, StealBurstsFadeEveryStolenVoice) {
    const std::size_t frames = 4800;
    const std::size_t burstAt = 960;
    const std::vector<float> one = synthRender(frames, {midiNoteOn(0, 30)}, fx::CarrierSynth::kNoise);
    std::vector<TimedMidi> burst;
    for (std::size_t k = 0; k < 20; ++k)
        burst.push_back(midiNoteOn(burstAt + 5 * k, 40 + static_cast<int>(k)));
    const std::vector<float> out = synthRender(frames, burst, fx::CarrierSynth::kNoise);
    double worst = 0.0;
    double most = 0.0;
    for (std::size_t n = burstAt; n + 1 < frames; ++n) {
        if (std::fabs(one[n - 1]) < 1e-3f || std::fabs(one[n]) < 1e-3f || std::fabs(one[n + 1]) < 1e-3f)
            continue; // the shared noise sample is too close to zero to read the level
        const double a = out[n - 1] / one[n - 1], b = out[n] / one[n], c = out[n + 1] / one[n + 1];
        worst = std::max(worst, std::fabs(a - 2.0 * b + c));
        most = std::max(most, b);
    }
    std::printf("[measured] vocoder synth, 20 note-ons within 2 ms: summed voice level up to %.2f, largest "
                "second difference %.3f per sample^2 (a cut voice jumps by its level)\n",
                most, worst);
    EXPECT_GT(most, 4.0); // the burst did sound
    EXPECT_LT(worst, 0.1);
}

// A note held on one channel while midi_channel moves elsewhere must not hang: its note-off now arrives
// on a channel the synth no longer listens to (so does a sustain pedal's release).
TEST(VocoderSynth, ChannelChangeReleasesHeldNotes) {
    auto event = [](std::array<uint8_t, 3> data) {
        fx::MidiEvent e;
        e.size = 3;
        e.data = data;
        return e;
    };
    const double releaseFrames = fx::CarrierSynth::kReleaseMs * 0.001 * kRate;
    std::array<float, fx::CarrierSynth::kMaxRender> buf{};
    for (int pedal = 0; pedal < 2; ++pedal) {
        for (int to : {1, 3}) {
            fx::CarrierSynth synth;
            synth.prepare(kRate);
            synth.setChannel(0); // omni
            synth.reset();
            if (pedal != 0) synth.handle(event({0xB1, 64, 127}));
            synth.handle(event({0x91, 60, 100})); // channel 2
            synth.render(buf.data(), 64);
            synth.setChannel(to);
            synth.handle(event({0x81, 60, 0}));
            if (pedal != 0) synth.handle(event({0xB1, 64, 0}));
            // The peak once the release (15 ms) is over.
            float last = 0.f;
            for (int n = 0; n * 64 < 4 * static_cast<int>(releaseFrames); ++n) {
                synth.render(buf.data(), 64);
                if (n * 64 > 2 * static_cast<int>(releaseFrames))
                    last = std::max(last, peak(std::span<const float>(buf.data(), 64)));
            }
            EXPECT_EQ(synth.heldNotes(), 0) << "pedal " << pedal << ", to channel " << to;
            EXPECT_FALSE(synth.active()) << "pedal " << pedal << ", to channel " << to;
            EXPECT_EQ(last, 0.f) << "pedal " << pedal << ", to channel " << to;
        }
    }
    // Setting the channel it already has changes nothing: a held note keeps sounding.
    fx::CarrierSynth synth;
    synth.prepare(kRate);
    synth.setChannel(2);
    synth.reset();
    synth.handle(event({0x91, 60, 100}));
    synth.setChannel(2);
    for (int n = 0; n < 100; ++n)
        synth.render(buf.data(), 64);
    EXPECT_EQ(synth.heldNotes(), 1);
    // Through the vocoder: omni, a note on channel 2, midi_channel set to 1, the note-off on channel 2.
    const std::size_t frames = static_cast<std::size_t>(kRate);
    const StereoBuffer out = renderHosted<Vocoder>(
        kRate, 64, timingInput(frames, {midiNoteOn(0, 60, 100, 2), midiNoteOff(9600, 60, 2)}),
        kTimingSettings, {{4800, {{"midi_channel", 1.f}}}});
    const double held = rmsDb(slice(out.left, {2400, 4800}));
    const float after = peak(slice(out.left, {9600 + 9600, frames}));
    std::printf("[measured] vocoder midi_channel omni -> 1 while a channel-2 note sounds: %.1f dBFS before, "
                "peak %.2e from 200 ms after its note-off\n",
                held, after);
    EXPECT_GT(held, -30.0);
    EXPECT_LT(after, 1e-6f);
}

// ---------------------------------------------------------------------------------------------------------
// Formant shift, flattening, unvoiced pass-through.

// Spectral peak of a signal, in semitones above 100 Hz: its power spectrum smoothed by a Hann window a
// third of an octave wide (in log frequency, so bin quantisation does not bias it), evaluated on a
// 1/48-octave grid up to 12 kHz, the maximum refined by a parabola.
double peakSemitones(const std::vector<float>& x, double rate) {
    const std::size_t fft = 16384;
    const auto psd = powerSpectrum(slice(x, {static_cast<std::size_t>(0.5 * rate), x.size()}), fft);
    const double binHz = rate / static_cast<double>(fft);
    const double halfWidthOct = 1.0 / 6.0;
    std::vector<double> smooth;
    for (double f = 100.0; f < 12000.0; f *= std::exp2(1.0 / 48.0)) {
        double sum = 0.0;
        for (std::size_t k = 1; k < psd.size(); ++k) {
            const double d = std::log2(static_cast<double>(k) * binHz / f) / halfWidthOct;
            if (std::fabs(d) < 1.0) sum += psd[k] * 0.5 * (1.0 + std::cos(std::numbers::pi * d));
        }
        smooth.push_back(10.0 * std::log10(sum + 1e-30));
    }
    const auto best =
        static_cast<std::size_t>(std::max_element(smooth.begin(), smooth.end()) - smooth.begin());
    const double a = smooth[best - 1], b = smooth[best], c = smooth[best + 1];
    const double offset = 0.5 * (a - c) / (a - 2.0 * b + c);
    return (static_cast<double>(best) + offset) / 4.0; // 4 grid steps per semitone
}

// Power-weighted mean log frequency (semitones above 100 Hz) of a signal's spectrum within an octave of
// `centreHz`. When a spectrum moves by r in log frequency (P(f) -> P(f / r) / r per Hz), this mean moves
// by exactly 12 log2 r: it measures the shift of the whole envelope, with far less noise than a peak.
double centroidSemitones(const std::vector<float>& x, double rate, double centreHz) {
    const std::size_t fft = 16384;
    const auto psd = powerSpectrum(slice(x, {static_cast<std::size_t>(0.5 * rate), x.size()}), fft);
    const double binHz = rate / static_cast<double>(fft);
    double sum = 0.0, weighted = 0.0;
    for (std::size_t k = 1; k < psd.size(); ++k) {
        const double f = static_cast<double>(k) * binHz;
        if (f < centreHz / 2.0 || f > centreHz * 2.0) continue;
        sum += psd[k];
        weighted += psd[k] * 12.0 * std::log2(f / 100.0);
    }
    return weighted / sum;
}

TEST(Vocoder, FormantShiftMovesTheSpectralEnvelope) {
    const auto frames = static_cast<std::size_t>(4.0 * kRate);
    // A modulator with one strong resonance (a 1 kHz band-pass over a -30 dB floor), a white carrier.
    std::vector<float> mod = whiteNoise(frames, 31, 0.3f);
    {
        dsp::Biquad bp1, bp2;
        bp1.setCoeffs(dsp::BiquadCoeffs::design(dsp::FilterKind::BandPass, kRate, 1000.0, 3.0));
        bp2.setCoeffs(dsp::BiquadCoeffs::design(dsp::FilterKind::BandPass, kRate, 1000.0, 3.0));
        const std::vector<float> floor = whiteNoise(frames, 32, 0.3f * 0.0316f);
        for (std::size_t i = 0; i < frames; ++i)
            mod[i] = bp2.process(bp1.process(mod[i])) + floor[i];
    }
    const std::vector<float> carrier = whiteNoise(frames, 33, 0.433f);
    auto render = [&](float shift) {
        return renderHosted<Vocoder>(
                   kRate, 64, HostedInput{dualMono(mod), &carrier, {}},
                   {{"carrier", 1.f}, {"bands", 32.f}, {"unvoiced", 0.f}, {"formant_shift", shift}})
            .left;
    };
    const std::vector<float> base = render(0.f);
    const double peakHz = 100.0 * std::exp2(peakSemitones(base, kRate) / 12.0);
    const double baseCentroid = centroidSemitones(base, kRate, 1000.0);
    std::printf("[measured] vocoder formant shift 0: output peak at %.1f Hz (modulator resonance 1000 Hz)\n",
                peakHz);
    EXPECT_NEAR(12.0 * std::log2(peakHz / 1000.0), 0.0, 1.0);
    for (float shift : {-12.f, -7.f, -3.f, 5.f, 12.f}) {
        const std::vector<float> out = render(shift);
        const double moved = centroidSemitones(out, kRate, 1000.0 * std::exp2(shift / 12.0)) - baseCentroid;
        const double peakMoved = peakSemitones(out, kRate) - peakSemitones(base, kRate);
        std::printf("[measured] vocoder formant shift %+g semitones: spectral envelope moved %+.2f semitones "
                    "(peak %+.2f)\n",
                    shift, moved, peakMoved);
        EXPECT_NEAR(moved, shift, 0.25) << shift;
        EXPECT_NEAR(peakMoved, shift, 1.0) << shift;
    }
}

// Band-level error slope (dB per octave) of the output against the modulator, over the bank's bands.
double tiltDbPerOctave(const std::vector<float>& out, const std::vector<float>& mod, int bands, double rate) {
    const std::size_t skip = static_cast<std::size_t>(0.5 * rate);
    const auto po = powerSpectrum(slice(out, {skip, out.size()}), 8192);
    const auto pm = powerSpectrum(slice(mod, {skip, mod.size()}), 8192);
    const fx::BandPlan plan = fx::BandPlan::make(bands, fx::BandSpacing::Log, fx::BandShape{}, rate);
    const std::vector<double> edges = bandEdges(plan, fx::BandSpacing::Log);
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int b = 0; b < bands; ++b) {
        const auto i = static_cast<std::size_t>(b);
        const double x = std::log2(plan.analysisHz[i]);
        const double y = 10.0 * std::log10(binPower(po, rate, edges[i], edges[i + 1]) /
                                           binPower(pm, rate, edges[i], edges[i + 1]));
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    const double n = bands;
    return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

TEST(Vocoder, FlattenMakesASawCarrierAsBrightAsNoise) {
    const auto frames = static_cast<std::size_t>(4.0 * kRate);
    const std::vector<float> mod = whiteNoise(frames, 41, 0.3f);
    // A chord of three saws (A2, E3, C#4) as the carrier.
    const std::vector<TimedMidi> chord{midiNoteOn(0, 45), midiNoteOn(0, 52), midiNoteOn(0, 61)};
    double tilt[2];
    for (int f = 0; f < 2; ++f) {
        const StereoBuffer out =
            renderHosted<Vocoder>(kRate, 64, HostedInput{dualMono(mod), nullptr, chord},
                                  {{"carrier", 2.f}, {"unvoiced", 0.f}, {"flatten", static_cast<float>(f)}});
        tilt[f] = tiltDbPerOctave(out.left, mod, 16, kRate);
    }
    std::printf("[measured] vocoder saw-chord carrier: output tilt against the modulator %+.2f dB/octave "
                "without flattening, %+.2f dB/octave with flatten 1\n",
                tilt[0], tilt[1]);
    EXPECT_LT(tilt[0], -3.0);
    EXPECT_LT(std::fabs(tilt[1]), 1.0);
}

TEST(Vocoder, OneSynthVoiceGivesAboutTheModulatorsLevel) {
    const auto frames = static_cast<std::size_t>(3.0 * kRate);
    const std::vector<float> mod = whiteNoise(frames, 43, 0.3f);
    const fx::BandPlan plan = fx::BandPlan::make(16, fx::BandSpacing::Log, fx::BandShape{}, kRate);
    const std::size_t skip = static_cast<std::size_t>(0.5 * kRate);
    const double modLevel = 10.0 * std::log10(binPower(powerSpectrum(slice(mod, {skip, frames}), 8192), kRate,
                                                       plan.spanLowHz, plan.spanHighHz));
    for (int note : {45, 57, 69}) {
        for (float flatten : {0.f, 1.f}) {
            const StereoBuffer out =
                renderHosted<Vocoder>(kRate, 64, HostedInput{dualMono(mod), nullptr, {midiNoteOn(0, note)}},
                                      {{"carrier", 2.f}, {"unvoiced", 0.f}, {"flatten", flatten}});
            const double level =
                10.0 * std::log10(binPower(powerSpectrum(slice(out.left, {skip, frames}), 8192), kRate,
                                           plan.spanLowHz, plan.spanHighHz)) -
                modLevel;
            std::printf(
                "[measured] vocoder, one saw voice (note %d), flatten %g: output %+.2f dB against the "
                "modulator within the span\n",
                note, flatten, level);
            // Flattening keeps the carrier's power but moves it toward the high bands, where a white
            // modulator is strong: a low saw comes out a few dB louder (the help says within about 4 dB).
            EXPECT_NEAR(level, 0.0, 4.0) << note << " flatten " << flatten;
        }
    }
}

// Sibilant noise: white noise high-passed at 4 kHz (4th order), most of its power above 5 kHz.
std::vector<float> sibilant(std::size_t frames, uint64_t seed, float amplitude) {
    std::vector<float> x = whiteNoise(frames, seed, amplitude);
    for (double q : {dsp::kButterworth4QLow, dsp::kButterworth4QHigh}) {
        dsp::Biquad f;
        f.setCoeffs(dsp::BiquadCoeffs::design(dsp::FilterKind::HighPass, kRate, 4000.0, q));
        for (float& v : x)
            v = f.process(v);
    }
    return x;
}

// A voiced sound: harmonics of 150 Hz up to 3 kHz with a falling spectrum.
std::vector<float> voiced(std::size_t frames) {
    std::vector<float> x(frames, 0.f);
    for (int k = 1; k * 150 <= 3000; ++k) {
        const std::vector<float> h = sine(150.0 * k, kRate, frames, 0.3f / static_cast<float>(k), 0.7 * k);
        for (std::size_t i = 0; i < frames; ++i)
            x[i] += h[i];
    }
    return x;
}

TEST(Vocoder, UnvoicedPassesSibilantsAndNotVoicedSounds) {
    const auto frames = static_cast<std::size_t>(2.0 * kRate);
    const std::vector<float> s = sibilant(frames, 51, 0.5f);
    // The synth carrier without notes: the vocoded bands are silent and only the unvoiced path can
    // sound.
    auto render = [&](const std::vector<float>& mod, float unvoiced) {
        return renderHosted<Vocoder>(kRate, 64, HostedInput{dualMono(mod), nullptr, {}},
                                     {{"carrier", 2.f}, {"unvoiced", unvoiced}});
    };
    const Window steady{static_cast<std::size_t>(0.2 * kRate), frames};
    // What the path should pass: the sibilant above 5 kHz (the same 4th-order Butterworth high-pass).
    std::vector<float> above = s;
    for (double q : {dsp::kButterworth4QLow, dsp::kButterworth4QHigh}) {
        dsp::Biquad f;
        f.setCoeffs(dsp::BiquadCoeffs::design(dsp::FilterKind::HighPass, kRate, 5000.0, q));
        for (float& v : above)
            v = f.process(v);
    }
    const double full = rmsDb(slice(render(s, 1.f).left, steady)) - rmsDb(slice(above, steady));
    const double half = rmsDb(slice(render(s, 0.5f).left, steady)) - rmsDb(slice(above, steady));
    const float off = peak(render(s, 0.f).left);
    const float vowel = peak(render(voiced(frames), 1.f).left);
    std::printf("[measured] vocoder unvoiced: sibilant passes at %+.2f dB (unvoiced 1), %+.2f dB (0.5); "
                "peak %.2g with unvoiced 0; a voiced sound passes peak %.2g with unvoiced 1\n",
                full, half, off, vowel);
    EXPECT_NEAR(full, 0.0, 0.5);
    EXPECT_NEAR(half, -6.02, 0.5);
    EXPECT_EQ(off, 0.f);
    EXPECT_EQ(vowel, 0.f);
    // A vowel, then an "s", then the vowel again: the path opens for the "s" only.
    const std::size_t third = frames / 3;
    std::vector<float> word = voiced(frames);
    for (std::size_t i = third; i < 2 * third; ++i)
        word[i] = s[i];
    const StereoBuffer out = render(word, 1.f);
    const double during = rmsDb(slice(out.left, {third + 4800, 2 * third}));
    const double afterS = rmsDb(slice(out.left, {2 * third + 4800, frames}));
    std::printf("[measured] vocoder unvoiced on a word: %.1f dBFS during the s, %.1f dBFS in the "
                "vowel after\n",
                during, afterS);
    EXPECT_GT(during, -20.0);
    EXPECT_LT(afterS, -100.0);
}

// ---------------------------------------------------------------------------------------------------------
// Carrier choice and levels.

TEST(Vocoder, CarrierChoiceFollowsTheSideChainInAutoMode) {
    const std::size_t frames = 24000;
    const std::vector<float> mod = whiteNoise(frames, 61, 0.3f);
    const std::vector<float> side = whiteNoise(frames, 62, 0.433f);
    const std::vector<TimedMidi> note{midiNoteOn(0, 57)};
    auto run = [&](float mode, bool connected) {
        return renderHosted<Vocoder>(kRate, 64, HostedInput{dualMono(mod), connected ? &side : nullptr, note},
                                     {{"carrier", mode}})
            .left;
    };
    EXPECT_EQ(maxAbsDiff(run(0.f, true), run(1.f, true)), 0.f);   // auto + connected = external
    EXPECT_EQ(maxAbsDiff(run(0.f, false), run(2.f, false)), 0.f); // auto + unconnected = synth
    EXPECT_EQ(maxAbsDiff(run(2.f, true), run(2.f, false)), 0.f);  // synth ignores carrier_in
    EXPECT_GT(maxAbsDiff(run(0.f, true), run(0.f, false)), 0.01f);
    // External without a connection is silence (the unvoiced path aside).
    const std::vector<float> none =
        renderHosted<Vocoder>(kRate, 64, HostedInput{dualMono(mod), nullptr, note},
                              {{"carrier", 1.f}, {"unvoiced", 0.f}})
            .left;
    EXPECT_EQ(peak(none), 0.f);
}

TEST(Vocoder, LevelControls) {
    const std::size_t frames = 96000;
    const StereoBuffer mod = stereo(whiteNoise(frames, 71, 0.3f), whiteNoise(frames, 72, 0.3f));
    const std::vector<float> side = whiteNoise(frames, 73, 0.433f);
    const Window steady{24000, frames};
    auto levelDb = [&](const std::vector<ParamValue>& settings) {
        std::vector<ParamValue> all{{"carrier", 1.f}, {"unvoiced", 0.f}};
        all.insert(all.end(), settings.begin(), settings.end());
        return rmsDb(slice(renderHosted<Vocoder>(kRate, 64, HostedInput{mod, &side, {}}, all).left, steady));
    };
    const double plain = levelDb({{"flatten", 0.f}});
    const double carrierUp = levelDb({{"flatten", 0.f}, {"carrier_db", 6.f}}) - plain;
    const double flatPlain = levelDb({});
    const double flatCarrierUp = levelDb({{"carrier_db", 6.f}}) - flatPlain;
    const double outDown = levelDb({{"output_db", -9.f}}) - flatPlain;
    std::printf("[measured] vocoder levels: carrier_db +6 -> %+.2f dB (flatten 0), %+.2f dB (flatten 1); "
                "output_db -9 -> %+.2f dB\n",
                carrierUp, flatCarrierUp, outDown);
    EXPECT_NEAR(carrierUp, 6.0, 0.1);
    EXPECT_NEAR(flatCarrierUp, 6.0, 0.1); // flattening keeps the carrier's loudness
    EXPECT_NEAR(outDown, -9.0, 0.01);
    // dry_mix 1 with a silent carrier: the input itself, each side its own.
    const StereoBuffer dry = renderHosted<Vocoder>(kRate, 64, HostedInput{mod, nullptr, {}},
                                                   {{"unvoiced", 0.f}, {"dry_mix", 1.f}});
    EXPECT_EQ(maxAbsDiff(dry.left, mod.left), 0.f);
    EXPECT_EQ(maxAbsDiff(dry.right, mod.right), 0.f);
}

TEST(Vocoder, LatencyIsZero) {
    const std::size_t frames = 9600;
    Vocoder v;
    EXPECT_EQ(v.latencySamples(), 0u);
    // The dry path: an impulse comes out where it went in.
    const StereoBuffer dry =
        renderHosted<Vocoder>(kRate, 64, HostedInput{dualMono(impulse(frames, 0)), nullptr, {}},
                              {{"unvoiced", 0.f}, {"dry_mix", 1.f}});
    EXPECT_EQ(peakIndex(dry.left), 0u);
    // The vocoded path: a carrier impulse at frame 4800 under a steady modulator is heard from frame 4800
    // on (the bank is causal and has no delay).
    const std::vector<float> side = impulse(frames, 4800);
    const StereoBuffer wet = renderHosted<Vocoder>(
        kRate, 64, HostedInput{dualMono(whiteNoise(frames, 81, 0.3f)), &side, {}}, {{"unvoiced", 0.f}});
    EXPECT_EQ(firstNonZero(wet.left), 4800u);
    std::printf("[measured] vocoder latency: dry impulse at 0, carrier impulse heard from its own sample "
                "(reported 0)\n");
}

TEST(Vocoder, TailCoversTheRelease) {
    const double rate = kRate;
    const auto frames = static_cast<std::size_t>(3.0 * rate);
    const std::size_t stop = static_cast<std::size_t>(1.0 * rate);
    std::vector<float> mod = whiteNoise(frames, 91, 0.3f);
    std::fill(mod.begin() + static_cast<std::ptrdiff_t>(stop), mod.end(), 0.f);
    const std::vector<float> side = whiteNoise(frames, 92, 0.433f);
    const std::vector<ParamValue> settings{{"release_ms", 200.f}, {"unvoiced", 0.f}};
    Vocoder v;
    prepareLikeHost(v, rate, 64, settings);
    const uint32_t tail = v.tailSamples();
    const StereoBuffer out = runHosted(v, rate, 64, HostedInput{dualMono(mod), &side, {}});
    const double steady = rmsDb(slice(out.left, {stop - 24000, stop}));
    std::size_t quiet = frames;
    for (std::size_t n = stop; n + 480 <= frames; n += 480)
        if (rmsDb(slice(out.left, {n, n + 480})) < steady - 60.0) {
            quiet = n;
            break;
        }
    std::printf("[measured] vocoder tail (release 200 ms): -60 dB after %.0f ms; tailSamples %.0f ms\n",
                1000.0 * static_cast<double>(quiet - stop) / rate, 1000.0 * tail / rate);
    EXPECT_LE(quiet - stop, tail);
}

// ---------------------------------------------------------------------------------------------------------
// Generic rules: block-size invariance (MIDI split across blocks), rates, silence, soak, clicks.

TEST(Vocoder, BlockSizeInvarianceWithMidiAndSideChain) {
    const std::size_t frames = 52224; // 3 * 17408
    StereoBuffer audio = stereo(whiteNoise(frames, 11, 0.2f), whiteNoise(frames, 12, 0.2f));
    const std::vector<float> tone = sine(330.0, kRate, frames, 0.3f);
    const std::vector<float> hiss = sibilant(frames, 13, 0.4f);
    for (std::size_t i = 0; i < frames; ++i) {
        audio.left[i] += tone[i] + (i > 30000 && i < 36000 ? hiss[i] : 0.f);
        audio.right[i] += tone[i];
    }
    const std::vector<TimedMidi> midi{
        midiNoteOn(5, 57),      midiNoteOn(1000, 61),      midiControl(3000, 64, 127),
        midiNoteOff(4001, 61),  midiPitchBend(9000, 3000), midiNoteOn(12345, 64),
        midiNoteOn(12345, 69),  midiControl(20000, 64, 0), midiNoteOn(25000, 72),
        midiNoteOff(30001, 57), midiNoteOn(33333, 45),     midiControl(40000, 123, 0),
        midiNoteOn(41000, 50),  midiNoteOn(41001, 52),     midiNoteOn(41002, 54),
        midiNoteOn(41003, 55),  midiNoteOn(41004, 57),     midiNoteOn(41005, 59),
        midiNoteOn(41006, 60),  midiNoteOn(41007, 62),     midiNoteOn(41008, 64)}; // the last steals
    const std::vector<ParamEvent> events{{17408,
                                          {{"bands", 24.f},
                                           {"spacing", 1.f},
                                           {"formant_shift", 3.f},
                                           {"waveform", 1.f},
                                           {"pulse_width", 0.3f},
                                           {"attack_ms", 1.f},
                                           {"release_ms", 300.f}}},
                                         {34816,
                                          {{"bands", 8.f},
                                           {"spacing", 2.f},
                                           {"low_hz", 200.f},
                                           {"high_hz", 5000.f},
                                           {"width", 1.5f},
                                           {"flatten", 0.5f},
                                           {"unvoiced", 1.f},
                                           {"carrier_db", 6.f},
                                           {"output_db", -3.f},
                                           {"dry_mix", 0.2f},
                                           {"waveform", 2.f}}}};
    const std::vector<float> side = whiteNoise(frames, 14, 0.4f);
    float worst[2] = {0.f, 0.f};
    for (int withSide = 0; withSide < 2; ++withSide) {
        const HostedInput in{audio, withSide != 0 ? &side : nullptr, midi};
        const StereoBuffer ref = renderHosted<Vocoder>(kRate, 1, in, {}, events);
        EXPECT_GT(rms(ref.left), 0.01);
        for (uint32_t block : {17u, 64u, 1024u}) {
            const StereoBuffer out = renderHosted<Vocoder>(kRate, block, in, {}, events);
            worst[withSide] =
                std::max({worst[withSide], maxAbsDiff(ref.left, out.left), maxAbsDiff(ref.right, out.right)});
        }
    }
    std::printf("[measured] vocoder block-size deviation: %.3g (synth, MIDI split across blocks), %.3g "
                "(carrier_in)\n",
                worst[0], worst[1]);
    EXPECT_LE(worst[0], 1e-5f);
    EXPECT_LE(worst[1], 1e-5f);
}

TEST(Vocoder, SampleRatesSilenceAndSoak) {
    for (double rate : {44100.0, 48000.0, 96000.0, 192000.0}) {
        const BandMatch m = bandMatch(16, fx::BandSpacing::Log, 1.f, rate);
        EXPECT_LE(m.worstDb, 3.0) << rate;
        EXPECT_LE(std::fabs(m.levelDb), 3.0) << rate;
        // A note at frame 1000 starts there.
        const StereoBuffer onset = renderHosted<Vocoder>(
            rate, 64, HostedInput{dualMono(whiteNoise(4096, 77, 0.3f)), nullptr, {midiNoteOn(1000, 60)}},
            kTimingSettings);
        EXPECT_EQ(firstNonZero(onset.left), 1000u) << rate;
        // Silence in, silence out: with a carrier_in signal, with held notes, with neither.
        const auto frames = static_cast<std::size_t>(rate);
        const std::vector<float> side = whiteNoise(frames, 5, 0.5f);
        for (int c = 0; c < 3; ++c) {
            const HostedInput in{dualMono(constant(frames, 0.f)), c == 0 ? &side : nullptr,
                                 c == 1 ? std::vector<TimedMidi>{midiNoteOn(0, 60), midiNoteOn(100, 67)}
                                        : std::vector<TimedMidi>{}};
            const StereoBuffer out = renderHosted<Vocoder>(rate, 64, in);
            EXPECT_EQ(peak(out.left), 0.f) << rate << " case " << c;
            EXPECT_EQ(peak(out.right), 0.f) << rate << " case " << c;
        }
        // The generic soak (no side-chain, no MIDI) ...
        const SoakResult soak = randomParamSoak<Vocoder>(rate, 2.0, 256, 4242, 0.5f);
        EXPECT_TRUE(soak.finite) << rate;
        // ... and one with a side-chain that comes and goes, MIDI notes and random parameters before every
        // block of random length.
        Rng rng(99 + static_cast<uint64_t>(rate));
        const auto soakFrames = static_cast<std::size_t>(4.0 * rate);
        StereoBuffer buffer = stereo(whiteNoise(soakFrames, 7, 0.5f), whiteNoise(soakFrames, 8, 0.5f));
        const std::vector<float> carrier = whiteNoise(soakFrames, 9, 0.9f);
        Vocoder v;
        prepareLikeHost(v, rate, 256);
        std::vector<fx::MidiEvent> events;
        for (std::size_t pos = 0; pos < soakFrames;) {
            for (std::size_t i = 0; i < Vocoder::kParamCount; ++i)
                if (rng.uniform() < 0.3) v.setParam(i, randomParamValue(Vocoder::kParams[i], rng));
            const auto n = static_cast<uint32_t>(std::min<std::size_t>(1 + rng.below(256), soakFrames - pos));
            events.clear();
            for (int e = 0; e < 3; ++e) {
                if (rng.uniform() < 0.5) continue;
                fx::MidiEvent ev;
                ev.offset = rng.below(n);
                ev.size = 3;
                const uint8_t kinds[] = {0x90, 0x80, 0xE0, 0xB0};
                ev.data = {kinds[rng.below(4)], static_cast<uint8_t>(rng.below(128)),
                           static_cast<uint8_t>(rng.below(128))};
                events.push_back(ev);
            }
            std::sort(events.begin(), events.end(),
                      [](const fx::MidiEvent& a, const fx::MidiEvent& b) { return a.offset < b.offset; });
            fx::StereoBlock block{buffer.left.data() + pos, buffer.right.data() + pos, n};
            fx::ProcessContext ctx;
            ctx.sampleRate = rate;
            ctx.frames = n;
            ctx.midi = events;
            ctx.sidechain = rng.uniform() < 0.7 ? carrier.data() + pos : nullptr;
            v.process(block, ctx);
            pos += n;
        }
        const bool finite = allFinite(buffer.left) && allFinite(buffer.right);
        const float outPeak = std::max(peak(buffer.left), peak(buffer.right));
        std::printf("[measured] vocoder at %g Hz: soak with side-chain and MIDI finite %d, peak %.2f\n", rate,
                    finite ? 1 : 0, outPeak);
        EXPECT_TRUE(finite) << rate;
        // At most +24 dB on the carrier and +24 dB on the output, with a carrier up to 6 dB above the
        // reference level and noise's crest factor: bounded far below this unless something runs away.
        EXPECT_LT(outPeak, 0.5f * 2.f * 251.f * 4.f) << rate;
    }
}

// A NaN or an infinity in the input (the modulator or carrier_in) is dropped as a zero sample: it
// reaches neither the dry term nor the bank, and the output is exactly that of the input with a zero
// there.
TEST(Vocoder, NonFiniteInputSamplesCountAsSilence) {
    const std::size_t frames = 9600;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    const StereoBuffer clean = stereo(whiteNoise(frames, 111, 0.3f), whiteNoise(frames, 112, 0.3f));
    const std::vector<float> side = whiteNoise(frames, 113, 0.4f);
    StereoBuffer broken = clean;
    StereoBuffer zeroed = clean;
    std::vector<float> brokenSide = side;
    std::vector<float> zeroedSide = side;
    broken.left[1000] = nan;
    broken.right[3001] = inf;
    broken.left[5002] = -inf;
    broken.right[5002] = nan;
    brokenSide[7003] = nan;
    brokenSide[7100] = -inf;
    for (std::size_t n : {1000u, 5002u})
        zeroed.left[n] = 0.f;
    for (std::size_t n : {3001u, 5002u})
        zeroed.right[n] = 0.f;
    for (std::size_t n : {7003u, 7100u})
        zeroedSide[n] = 0.f;
    const std::vector<ParamValue> settings{{"dry_mix", 0.5f}, {"unvoiced", 1.f}};
    for (int synth = 0; synth < 2; ++synth) {
        const std::vector<TimedMidi> notes{midiNoteOn(0, 57), midiNoteOn(0, 64)};
        const HostedInput bad{broken, synth != 0 ? nullptr : &brokenSide,
                              synth != 0 ? notes : std::vector<TimedMidi>{}};
        const HostedInput good{zeroed, synth != 0 ? nullptr : &zeroedSide, bad.midi};
        for (uint32_t block : {64u, 17u}) {
            const StereoBuffer out = renderHosted<Vocoder>(kRate, block, bad, settings);
            const StereoBuffer ref = renderHosted<Vocoder>(kRate, block, good, settings);
            EXPECT_TRUE(allFinite(out.left) && allFinite(out.right))
                << "synth " << synth << ", block " << block;
            EXPECT_EQ(maxAbsDiff(out.left, ref.left), 0.f) << "synth " << synth << ", block " << block;
            EXPECT_EQ(maxAbsDiff(out.right, ref.right), 0.f) << "synth " << synth << ", block " << block;
            EXPECT_GT(rms(out.left), 0.01);
        }
    }
    std::printf(
        "[measured] vocoder: NaN and +-Inf input samples (both channels, carrier_in) give the output of "
        "zeros there\n");
}

struct VocoderStep {
    double clickScore = 0.0;
    double stepRatio = 0.0;
    double effect = 0.0;
};

// Steps one parameter at frame 24000 while a 997 Hz sine plays into the modulator and the carrier is a
// 997 Hz sine on carrier_in (a steady, single tone out: any click stands out) or the synth holding A3.
VocoderStep stepVocoder(std::vector<ParamValue> settings, std::string_view id, float from, float to,
                        bool synthCarrier) {
    const StepSpec spec;
    const std::size_t frames = spec.stepAt + spec.eventFrames + spec.steadyFrames;
    const auto fade = static_cast<std::size_t>(0.01 * spec.sampleRate);
    std::vector<float> mod = fadedSine(spec.freqHz, spec.sampleRate, frames, spec.amplitude, fade);
    if (id == "unvoiced") { // a strong 9 kHz partial makes the modulator "sibilant"
        const std::vector<float> hf = fadedSine(9000.0, spec.sampleRate, frames, 0.3f, fade);
        for (std::size_t i = 0; i < frames; ++i)
            mod[i] += hf[i];
    }
    const std::vector<float> side = fadedSine(spec.freqHz, spec.sampleRate, frames, 0.35f, fade, 0.3);
    HostedInput in{dualMono(mod), synthCarrier ? nullptr : &side, {}};
    if (synthCarrier) in.midi.push_back(midiNoteOn(0, 57));
    settings.push_back({id, from});
    const StereoBuffer unchanged = renderHosted<Vocoder>(spec.sampleRate, spec.blockFrames, in, settings);
    const StereoBuffer out =
        renderHosted<Vocoder>(spec.sampleRate, spec.blockFrames, in, settings, {{spec.stepAt, {{id, to}}}});
    const Window before{spec.stepAt - spec.steadyFrames, spec.stepAt};
    const Window event{spec.stepAt, spec.stepAt + spec.eventFrames};
    const Window after{event.end, frames};
    VocoderStep r;
    r.clickScore = clickScore(out.left, event, before, after);
    r.stepRatio = stepRatio(out.left, event, before, after);
    r.effect =
        maxAbsDiff(slice(out.left, {spec.stepAt, frames}), slice(unchanged.left, {spec.stepAt, frames})) /
        spec.amplitude; // relative to the modulator's amplitude, as stepParamMidSine reports it
    return r;
}

TEST(Vocoder, ParameterStepsDoNotClick) {
    struct Step {
        std::string_view id;
        float from;
        float to;
        bool synth;
        std::vector<ParamValue> settings;
    };
    const std::vector<ParamValue> ext{{"carrier", 1.f}};
    const std::vector<ParamValue> syn{{"carrier", 2.f}};
    const std::vector<Step> steps{
        {"carrier", 1.f, 2.f, false, {}},
        {"carrier", 2.f, 1.f, false, {}},
        {"waveform", 0.f, 1.f, true, syn},
        {"waveform", 1.f, 2.f, true, syn},
        {"pulse_width", 0.5f, 0.1f, true, {{"carrier", 2.f}, {"waveform", 1.f}}},
        {"bands", 16.f, 32.f, false, ext},
        {"bands", 32.f, 8.f, false, ext},
        {"spacing", 0.f, 1.f, false, ext},
        {"spacing", 1.f, 2.f, false, ext},
        {"low_hz", 100.f, 900.f, false, ext},
        {"low_hz", 1000.f, 40.f, false, ext},
        {"high_hz", 8000.f, 1000.f, false, ext},
        {"width", 1.f, 2.f, false, ext},
        {"width", 1.f, 0.5f, false, ext},
        {"attack_ms", 0.5f, 200.f, false, ext},
        {"release_ms", 2000.f, 5.f, false, ext},
        {"formant_shift", 0.f, 12.f, false, ext},
        {"formant_shift", 0.f, -12.f, false, ext},
        {"flatten", 1.f, 0.f, false, ext},
        {"unvoiced", 0.f, 1.f, false, ext},
        {"carrier_db", -24.f, 24.f, false, {{"carrier", 1.f}, {"flatten", 0.f}}},
        {"output_db", -24.f, 24.f, false, ext},
        {"dry_mix", 0.f, 1.f, false, ext},
    };
    for (const auto& s : steps) {
        const VocoderStep r = stepVocoder(s.settings, s.id, s.from, s.to, s.synth);
        std::printf(
            "[measured] vocoder %s %g -> %g: click score %.3f, step ratio %.3f (changed output by %.2f)\n",
            std::string(s.id).c_str(), s.from, s.to, r.clickScore, r.stepRatio, r.effect);
        EXPECT_LE(r.clickScore, 2.0) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_LE(r.stepRatio, 1.5) << s.id << " " << s.from << " -> " << s.to;
        EXPECT_GT(r.effect, 0.01) << s.id << " " << s.from << " -> " << s.to;
    }
}

} // namespace
} // namespace stagerack::test
