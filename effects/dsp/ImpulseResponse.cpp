#include "effects/dsp/ImpulseResponse.h"

#include <sndfile.h>
#include <zita-resampler/resampler.h>

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <sys/stat.h>

namespace stagerack::dsp {

namespace {

void checkSamples(const std::vector<float>& x, const char* what) {
    bool any = false;
    for (float v : x) {
        if (!std::isfinite(v))
            throw std::runtime_error(std::string(what) + " contains NaN or infinite samples");
        any = any || v != 0.f;
    }
    if (!any) throw std::runtime_error(std::string(what) + " is silent");
}

} // namespace

std::vector<float> resample(const std::vector<float>& in, double fromRate, double toRate) {
    if (fromRate == toRate || in.empty()) return in;
    Resampler r;
    const auto fin = static_cast<unsigned>(std::lround(fromRate));
    const auto fout = static_cast<unsigned>(std::lround(toRate));
    if (r.setup(fin, fout, 1, 32) != 0)
        throw std::runtime_error("cannot resample from " + std::to_string(fin) + " Hz to " +
                                 std::to_string(fout) + " Hz");
    // Prime with inpsize/2 - 1 zeros so that output sample 0 lines up with input sample 0.
    const int lead = r.inpsize() / 2 - 1;
    std::vector<float> src(static_cast<std::size_t>(lead), 0.f);
    src.insert(src.end(), in.begin(), in.end());
    src.resize(src.size() + static_cast<std::size_t>(r.inpsize()), 0.f);
    const auto outLen =
        static_cast<std::size_t>(std::ceil(static_cast<double>(in.size()) * toRate / fromRate));
    std::vector<float> out(outLen + 16, 0.f);
    r.inp_count = static_cast<unsigned>(src.size());
    r.inp_data = src.data();
    r.out_count = static_cast<unsigned>(out.size());
    r.out_data = out.data();
    r.process();
    out.resize(outLen);
    return out;
}

ImpulseResponse makeImpulseResponse(std::vector<float> left, std::vector<float> right, double rate,
                                    double targetRate) {
    ImpulseResponse ir;
    ir.stereo = !right.empty();
    if (!ir.stereo) right = left;
    checkSamples(left, "impulse response");
    checkSamples(right, "impulse response");
    ir.left = resample(left, rate, targetRate);
    ir.right = ir.stereo ? resample(right, rate, targetRate) : ir.left;
    ir.sampleRate = targetRate;
    return ir;
}

ImpulseResponse loadImpulseResponse(const std::string& path, double targetRate, double maxSeconds) {
    struct stat st {};
    if (path.empty()) throw std::runtime_error("no file name");
    if (::stat(path.c_str(), &st) != 0) throw std::runtime_error(path + ": " + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw std::runtime_error(path + ": is a directory, not an audio file");
    SF_INFO info{};
    SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
    if (!f) throw std::runtime_error(path + ": cannot read audio: " + sf_strerror(nullptr));
    struct Closer {
        SNDFILE* f;
        ~Closer() { sf_close(f); }
    } closer{f};
    if (info.channels < 1 || info.channels > 2)
        throw std::runtime_error(path + ": " + std::to_string(info.channels) +
                                 " channels; mono or stereo expected");
    if (info.samplerate < 8000 || info.samplerate > 384000)
        throw std::runtime_error(path + ": sample rate " + std::to_string(info.samplerate) +
                                 " Hz is outside 8000..384000");
    if (info.frames <= 0) throw std::runtime_error(path + ": empty (no samples)");
    const double seconds = static_cast<double>(info.frames) / info.samplerate;
    if (seconds > maxSeconds + 1e-9) {
        char buf[96];
        std::snprintf(buf, sizeof buf, ": %.2f s long; at most %.0f s allowed", seconds, maxSeconds);
        throw std::runtime_error(path + buf);
    }
    std::vector<float> inter(static_cast<std::size_t>(info.frames * info.channels));
    if (sf_readf_float(f, inter.data(), info.frames) != info.frames)
        throw std::runtime_error(path + ": read failed: " + sf_strerror(f));
    std::vector<float> l(static_cast<std::size_t>(info.frames)), r;
    if (info.channels == 2) r.resize(l.size());
    for (std::size_t i = 0; i < l.size(); ++i) {
        l[i] = inter[i * static_cast<std::size_t>(info.channels)];
        if (info.channels == 2) r[i] = inter[2 * i + 1];
    }
    try {
        return makeImpulseResponse(std::move(l), std::move(r), info.samplerate, targetRate);
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
}

std::vector<float> decodeMonoWav(std::span<const unsigned char> b, double& sampleRate) {
    auto u32 = [&](std::size_t at) {
        return static_cast<uint32_t>(b[at]) | static_cast<uint32_t>(b[at + 1]) << 8 |
               static_cast<uint32_t>(b[at + 2]) << 16 | static_cast<uint32_t>(b[at + 3]) << 24;
    };
    auto u16 = [&](std::size_t at) { return static_cast<uint16_t>(b[at] | b[at + 1] << 8); };
    if (b.size() < 12 || std::memcmp(b.data(), "RIFF", 4) != 0 || std::memcmp(b.data() + 8, "WAVE", 4) != 0)
        throw std::runtime_error("not a RIFF/WAVE file");
    uint16_t format = 0, channels = 0, bits = 0;
    std::size_t pos = 12;
    while (pos + 8 <= b.size()) {
        const uint32_t size = u32(pos + 4);
        const std::size_t body = pos + 8;
        if (body + size > b.size()) throw std::runtime_error("truncated WAVE chunk");
        if (std::memcmp(b.data() + pos, "fmt ", 4) == 0) {
            format = u16(body);
            channels = u16(body + 2);
            sampleRate = u32(body + 4);
            bits = u16(body + 14);
            if (format == 0xFFFE && size >= 26) format = u16(body + 24); // WAVE_FORMAT_EXTENSIBLE
        } else if (std::memcmp(b.data() + pos, "data", 4) == 0) {
            if (channels != 1) throw std::runtime_error("built-in responses are mono");
            std::vector<float> out;
            if (format == 3 && bits == 32) {
                out.resize(size / 4);
                std::memcpy(out.data(), b.data() + body, out.size() * 4);
            } else if (format == 1 && (bits == 16 || bits == 24)) {
                const std::size_t step = bits / 8;
                out.resize(size / step);
                for (std::size_t i = 0; i < out.size(); ++i) {
                    int32_t v = 0;
                    for (std::size_t k = 0; k < step; ++k)
                        v |= static_cast<int32_t>(b[body + i * step + k]) << (8 * k);
                    v <<= (32 - bits); // sign-extend
                    out[i] = static_cast<float>(v / 2147483648.0);
                }
            } else {
                throw std::runtime_error("unsupported WAVE sample format");
            }
            return out;
        }
        pos = body + size + (size & 1);
    }
    throw std::runtime_error("no data chunk");
}

} // namespace stagerack::dsp
