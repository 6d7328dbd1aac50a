#include "engine/OfflineRenderer.h"

#include "engine/Engine.h"
#include "engine/Error.h"

#include <sndfile.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace stagerack::engine {

namespace {

class SndFile {
public:
    SndFile() = default;
    ~SndFile() {
        if (f_) sf_close(f_);
    }
    SndFile(const SndFile&) = delete;
    SndFile& operator=(const SndFile&) = delete;
    SNDFILE*& get() { return f_; }
    void close() {
        if (f_) sf_close(f_);
        f_ = nullptr;
    }

private:
    SNDFILE* f_ = nullptr;
};

// A temporary file that disappears unless committed.
class TempFile {
public:
    explicit TempFile(const std::string& target)
        : target_(target) {
        path_ = target + ".tmp-XXXXXX";
        fd_ = ::mkstemp(path_.data());
        if (fd_ < 0) throw Error(target, std::string("cannot write: ") + std::strerror(errno));
    }
    ~TempFile() {
        if (fd_ >= 0) ::close(fd_);
        if (!committed_) ::unlink(path_.c_str());
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    int fd() const { return fd_; }
    void commit(bool keepBackup) {
        if (::fsync(fd_) != 0) throw Error(target_, std::string("cannot sync: ") + std::strerror(errno));
        ::fchmod(fd_, 0644);
        ::close(fd_);
        fd_ = -1;
        if (keepBackup && ::access(target_.c_str(), F_OK) == 0) {
            const std::string bak = target_ + ".bak";
            ::unlink(bak.c_str());
            if (::link(target_.c_str(), bak.c_str()) != 0)
                throw Error(target_, std::string("cannot keep backup: ") + std::strerror(errno));
        }
        if (::rename(path_.c_str(), target_.c_str()) != 0)
            throw Error(target_, std::string("cannot replace: ") + std::strerror(errno));
        committed_ = true;
    }

private:
    std::string target_, path_;
    int fd_ = -1;
    bool committed_ = false;
};

} // namespace

void writeFileAtomically(const std::string& path, const std::string& contents, bool keepBackup) {
    TempFile tmp(path);
    std::size_t off = 0;
    while (off < contents.size()) {
        const ssize_t w = ::write(tmp.fd(), contents.data() + off, contents.size() - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            throw Error(path, std::string("cannot write: ") + std::strerror(errno));
        }
        off += static_cast<std::size_t>(w);
    }
    tmp.commit(keepBackup);
}

RenderResult renderFile(const RenderOptions& opt, const Registry& registry) {
    if (opt.block == 0 || opt.block > Engine::kMaxBlock)
        throw Error("block size",
                    std::to_string(opt.block) + " is outside 1.." + std::to_string(Engine::kMaxBlock));
    if (!(opt.tailSeconds >= 0.0 && opt.tailSeconds <= 600.0))
        throw Error("tail", "must be between 0 and 600 seconds");

    struct stat st {};
    if (::stat(opt.input.c_str(), &st) != 0) throw Error(opt.input, std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw Error(opt.input, "is a directory, not an audio file");

    SndFile in;
    SF_INFO inInfo{};
    in.get() = sf_open(opt.input.c_str(), SFM_READ, &inInfo);
    if (!in.get()) throw Error(opt.input, std::string("cannot read audio: ") + sf_strerror(nullptr));
    if (inInfo.channels < 1 || inInfo.channels > 2)
        throw Error(opt.input, std::to_string(inInfo.channels) + " channels; mono or stereo expected");
    const double sr = inInfo.samplerate;
    if (sr < 8000 || sr > 384000)
        throw Error(opt.input,
                    "sample rate " + std::to_string(inInfo.samplerate) + " Hz is outside 8000..384000");

    if (!(opt.tempoBpm >= Engine::kMinBpm && opt.tempoBpm <= Engine::kMaxBpm))
        throw Error("tempo", "must be between 20 and 300 BPM");
    Engine engine(registry);
    engine.configure(sr, opt.block);
    engine.setTempo(opt.tempoBpm);
    engine.setChain(opt.chain); // throws on a bad SPEC before any output exists
    engine.settle();

    TempFile tmp(opt.output);
    SndFile out;
    SF_INFO outInfo{};
    outInfo.samplerate = inInfo.samplerate;
    outInfo.channels = 2;
    outInfo.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    out.get() = sf_open_fd(tmp.fd(), SFM_WRITE, &outInfo, SF_FALSE);
    if (!out.get()) throw Error(opt.output, std::string("cannot write audio: ") + sf_strerror(nullptr));

    const uint32_t block = opt.block;
    const int ch = inInfo.channels;
    std::vector<float> inter(static_cast<std::size_t>(block) * 2), in1(block), in2(block), outL(block),
        outR(block), outInter(static_cast<std::size_t>(block) * 2);
    RenderResult result;
    result.sampleRate = sr;
    result.channelsIn = ch;
    result.latency = engine.latency();

    auto runBlock = [&](uint32_t n) {
        AudioIO io;
        io.in1 = in1.data();
        io.in2 = ch == 2 ? in2.data() : nullptr;
        io.outL = outL.data();
        io.outR = outR.data();
        io.frames = n;
        engine.process(io);
        engine.housekeeping();
        for (uint32_t i = 0; i < n; ++i) {
            outInter[2 * i] = outL[i];
            outInter[2 * i + 1] = outR[i];
        }
        if (sf_writef_float(out.get(), outInter.data(), n) != static_cast<sf_count_t>(n))
            throw Error(opt.output, std::string("write failed: ") + sf_strerror(out.get()));
        result.framesOut += n;
    };

    while (true) {
        const sf_count_t got = sf_readf_float(in.get(), inter.data(), block);
        if (got <= 0) break;
        const auto n = static_cast<uint32_t>(got);
        for (uint32_t i = 0; i < n; ++i) {
            in1[i] = inter[static_cast<std::size_t>(i) * ch];
            in2[i] = ch == 2 ? inter[2 * i + 1] : in1[i];
        }
        result.framesIn += n;
        runBlock(n);
    }
    if (sf_error(in.get()) != SF_ERR_NO_ERROR)
        throw Error(opt.input, std::string("read failed: ") + sf_strerror(in.get()));

    auto tail = static_cast<uint64_t>(std::llround(opt.tailSeconds * sr));
    std::fill(in1.begin(), in1.end(), 0.f);
    std::fill(in2.begin(), in2.end(), 0.f);
    while (tail > 0) {
        const auto n = static_cast<uint32_t>(std::min<uint64_t>(tail, block));
        runBlock(n);
        tail -= n;
    }
    sf_write_sync(out.get());
    out.close();
    tmp.commit(false);
    return result;
}

} // namespace stagerack::engine
