#include "tests/support/Analysis.h"

#include <cctype>
#include <numbers>
#include <set>
#include <utility>

namespace stagerack::test {

std::span<const float> slice(const std::vector<float>& x, Window w) {
    if (w.begin > w.end || w.end > x.size()) throw std::out_of_range("slice: window outside the signal");
    return std::span<const float>(x).subspan(w.begin, w.size());
}

double toDb(double ratio) {
    return ratio > 0.0 ? 20.0 * std::log10(ratio) : -400.0;
}

double goertzelAmplitude(std::span<const float> x, double freqHz, double sampleRate) {
    if (x.empty()) return 0.0;
    const double w = 2.0 * std::numbers::pi * freqHz / sampleRate;
    const double coeff = 2.0 * std::cos(w);
    double s1 = 0.0;
    double s2 = 0.0;
    for (float v : x) {
        const double s = static_cast<double>(v) + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    const double power = std::max(0.0, s1 * s1 + s2 * s2 - coeff * s1 * s2);
    return 2.0 * std::sqrt(power) / static_cast<double>(x.size());
}

double goertzelDb(std::span<const float> x, double freqHz, double sampleRate) {
    return toDb(goertzelAmplitude(x, freqHz, sampleRate));
}

double rms(std::span<const float> x) {
    if (x.empty()) return 0.0;
    double sum = 0.0;
    for (float v : x)
        sum += static_cast<double>(v) * v;
    return std::sqrt(sum / static_cast<double>(x.size()));
}

double rmsDb(std::span<const float> x) {
    return toDb(rms(x));
}

float peak(std::span<const float> x) {
    float p = 0.f;
    for (float v : x)
        p = std::max(p, std::fabs(v));
    return p;
}

std::size_t peakIndex(std::span<const float> x) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < x.size(); ++i)
        if (std::fabs(x[i]) > std::fabs(x[best])) best = i;
    return best;
}

float maxStep(std::span<const float> x, Window w) {
    float worst = 0.f;
    for (std::size_t n = std::max<std::size_t>(w.begin, 1); n < w.end && n < x.size(); ++n)
        worst = std::max(worst, std::fabs(x[n] - x[n - 1]));
    return worst;
}

float peakSecondDifference(std::span<const float> x, Window w) {
    float worst = 0.f;
    for (std::size_t n = std::max<std::size_t>(w.begin, 2); n < w.end && n < x.size(); ++n) {
        const double d2 = static_cast<double>(x[n]) - 2.0 * x[n - 1] + x[n - 2];
        worst = std::max(worst, static_cast<float>(std::fabs(d2)));
    }
    return worst;
}

namespace {

double ratioToSteady(float event, float before, float after) {
    const float steady = std::max(before, after);
    if (steady == 0.f) return event == 0.f ? 0.0 : std::numeric_limits<double>::infinity();
    return static_cast<double>(event) / steady;
}

} // namespace

double clickScore(std::span<const float> x, Window event, Window before, Window after) {
    return ratioToSteady(peakSecondDifference(x, event), peakSecondDifference(x, before),
                         peakSecondDifference(x, after));
}

double stepRatio(std::span<const float> x, Window event, Window before, Window after) {
    return ratioToSteady(maxStep(x, event), maxStep(x, before), maxStep(x, after));
}

bool allFinite(std::span<const float> x) {
    return std::all_of(x.begin(), x.end(), [](float v) { return std::isfinite(v); });
}

float maxAbsDiff(std::span<const float> a, std::span<const float> b) {
    if (a.size() != b.size()) return std::numeric_limits<float>::infinity();
    float worst = 0.f;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const float d = std::fabs(a[i] - b[i]);
        if (!(d <= worst)) worst = std::isnan(d) ? std::numeric_limits<float>::infinity() : d;
    }
    return worst;
}

namespace {

void fftInPlace(std::vector<double>& re, std::vector<double>& im) {
    const std::size_t n = re.size();
    for (std::size_t i = 1, j = 0; i < n; ++i) {
        std::size_t bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j) {
            std::swap(re[i], re[j]);
            std::swap(im[i], im[j]);
        }
    }
    for (std::size_t len = 2; len <= n; len <<= 1) {
        const double angle = -2.0 * std::numbers::pi / static_cast<double>(len);
        for (std::size_t i = 0; i < n; i += len) {
            for (std::size_t k = 0; k < len / 2; ++k) {
                // Twiddles computed directly (not by recurrence): no error build-up over long transforms.
                const double wr = std::cos(angle * static_cast<double>(k));
                const double wi = std::sin(angle * static_cast<double>(k));
                const std::size_t a = i + k;
                const std::size_t b = a + len / 2;
                const double tr = re[b] * wr - im[b] * wi;
                const double ti = re[b] * wi + im[b] * wr;
                re[b] = re[a] - tr;
                im[b] = im[a] - ti;
                re[a] += tr;
                im[a] += ti;
            }
        }
    }
}

} // namespace

std::vector<double> windowedSpectrum(std::span<const float> x) {
    const std::size_t n = x.size();
    if (n < 2 || (n & (n - 1)) != 0) throw std::invalid_argument("windowedSpectrum: length not a power of 2");
    std::vector<double> re(n), im(n, 0.0);
    double windowSum = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double t = 2.0 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(n);
        const double w =
            0.35875 - 0.48829 * std::cos(t) + 0.14128 * std::cos(2.0 * t) - 0.01168 * std::cos(3.0 * t);
        re[i] = w * static_cast<double>(x[i]);
        windowSum += w;
    }
    fftInPlace(re, im);
    std::vector<double> mag(n / 2 + 1);
    for (std::size_t k = 0; k <= n / 2; ++k)
        mag[k] = 2.0 * std::hypot(re[k], im[k]) / windowSum;
    return mag;
}

AliasReport worstNonHarmonic(std::span<const float> x, double f0, double sampleRate, std::size_t guardBins) {
    const std::vector<double> mag = windowedSpectrum(x);
    const double binHz = sampleRate / static_cast<double>(x.size());
    std::vector<bool> excluded(mag.size(), false);
    auto exclude = [&](double hz) {
        const auto centre = static_cast<long long>(std::llround(hz / binHz));
        for (long long k = centre - static_cast<long long>(guardBins);
             k <= centre + static_cast<long long>(guardBins); ++k)
            if (k >= 0 && k < static_cast<long long>(mag.size()))
                excluded[static_cast<std::size_t>(k)] = true;
    };
    exclude(0.0);
    for (double h = f0; h < sampleRate / 2.0; h += f0)
        exclude(h);
    double fundamental = 0.0;
    const auto f0Bin = static_cast<std::size_t>(std::llround(f0 / binHz));
    for (std::size_t k = f0Bin - std::min(f0Bin, std::size_t{2}); k <= f0Bin + 2 && k < mag.size(); ++k)
        fundamental = std::max(fundamental, mag[k]);
    AliasReport report;
    report.fundamentalDb = toDb(fundamental);
    double worst = 0.0;
    for (std::size_t k = 0; k < mag.size(); ++k) {
        if (!excluded[k] && mag[k] > worst) {
            worst = mag[k];
            report.worstHz = static_cast<double>(k) * binHz;
        }
    }
    report.worstDbc = toDb(worst) - report.fundamentalDb;
    return report;
}

float constrainParam(const fx::ParamInfo& p, float v) {
    if (!std::isfinite(v)) v = p.def;
    v = std::clamp(v, p.min, p.max);
    if (p.taper == fx::Taper::Integer || p.taper == fx::Taper::Enum || p.taper == fx::Taper::Toggle)
        v = std::round(v);
    return v;
}

float randomParamValue(const fx::ParamInfo& p, Rng& rng) {
    const double pick = rng.uniform();
    if (pick < 0.15) return p.min;
    if (pick < 0.30) return p.max;
    double v = 0.0;
    switch (p.taper) {
    case fx::Taper::Log:
        v = std::exp(rng.uniform(std::log(static_cast<double>(p.min)), std::log(static_cast<double>(p.max))));
        break;
    case fx::Taper::Integer:
    case fx::Taper::Enum:
    case fx::Taper::Toggle:
        v = std::floor(rng.uniform(p.min, static_cast<double>(p.max) + 1.0));
        break;
    case fx::Taper::Linear:
        v = rng.uniform(p.min, p.max);
        break;
    }
    return constrainParam(p, static_cast<float>(v));
}

namespace {

bool isLowerSnake(std::string_view s) {
    if (s.empty() || !std::islower(static_cast<unsigned char>(s.front()))) return false;
    if (s.back() == '_') return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
               c == '_';
    });
}

} // namespace

std::vector<std::string> metadataProblems(const fx::EffectInfo& info) {
    std::vector<std::string> problems;
    const std::string effect(info.id);
    auto add = [&](const std::string& what) { problems.push_back(effect + ": " + what); };
    if (!isLowerSnake(info.id)) add("effect id is not lower_snake");
    if (info.name.empty()) add("empty name");
    if (info.category.empty()) add("empty category");
    // "Several sentences": at least one per parameter plus an overview.
    const auto sentences = static_cast<std::size_t>(std::count(info.help.begin(), info.help.end(), '.'));
    if (sentences < info.params.size() + 1) add("help text too short");
    if (info.version < 1) add("version < 1");
    std::set<std::string_view> ids;
    for (const auto& p : info.params) {
        const std::string param(p.id);
        if (!isLowerSnake(p.id)) add("param id '" + param + "' is not lower_snake");
        if (!ids.insert(p.id).second) add("duplicate param id '" + param + "'");
        if (p.name.empty()) add(param + ": empty name");
        if (p.help.empty()) add(param + ": empty help");
        if (info.help.find(p.id) == std::string_view::npos &&
            info.help.find(p.name) == std::string_view::npos)
            add(param + ": not described in the effect's help");
        if (!(p.min < p.max)) add(param + ": min >= max");
        if (!(p.def >= p.min && p.def <= p.max)) add(param + ": default outside [min, max]");
        if (p.smoothMs < 0.f) add(param + ": negative smoothing");
        if (p.taper == fx::Taper::Log && !(p.min > 0.f)) add(param + ": log taper needs min > 0");
        if (p.taper == fx::Taper::Toggle && (p.min != 0.f || p.max != 1.f))
            add(param + ": toggle must be 0..1");
        if (p.taper == fx::Taper::Enum && p.labels.size() != static_cast<std::size_t>(p.max - p.min + 1))
            add(param + ": enum labels do not match the range");
    }
    return problems;
}

} // namespace stagerack::test
