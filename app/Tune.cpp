#include "app/Tune.h"

#include "engine/Error.h"
#include "engine/tuner/PitchDetector.h"
#include "engine/tuner/Tuning.h"

#include <sndfile.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>
#include <vector>

namespace stagerack::app {

int runTune(const TuneOptions& opt) {
    tuner::Tuning tuning = tuner::Tuning::equal(12, 440.0);
    try {
        tuning = opt.scala.empty() ? tuner::Tuning::equal(opt.divisions, 440.0)
                                   : tuner::Tuning::fromScala(opt.scala);
        tuning.setReference(opt.referenceHz);
        if (!opt.instrument.empty()) tuning.setInstrument(opt.instrument);
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error("tune", e.what());
    }

    struct stat st {};
    if (::stat(opt.input.c_str(), &st) != 0) throw Error(opt.input, std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw Error(opt.input, "is a directory, not an audio file");
    SF_INFO info{};
    SNDFILE* f = sf_open(opt.input.c_str(), SFM_READ, &info);
    if (!f) throw Error(opt.input, std::string("cannot read audio: ") + sf_strerror(nullptr));
    struct Closer {
        SNDFILE* f;
        ~Closer() { sf_close(f); }
    } closer{f};
    if (info.samplerate < 22050 || info.samplerate > 192000)
        throw Error(opt.input, "sample rate " + std::to_string(info.samplerate) +
                                   " Hz is outside the tuner's 22050..192000");
    if (opt.channel < 0 || opt.channel > info.channels)
        throw Error("--channel", std::to_string(opt.channel) + ": the file has " +
                                     std::to_string(info.channels) + " channel(s) (0 = their sum)");

    // Strings are numbered as players do: 1 is the highest.
    const int stringCount = static_cast<int>(tuning.strings().size());
    tuner::PitchDetector detector(info.samplerate);
    std::vector<float> inter(4096 * static_cast<std::size_t>(info.channels)), mono(4096);
    std::vector<tuner::PitchReading> readings;
    if (opt.csv) std::printf("time_s,frequency_hz,note,cents,confidence\n");
    while (true) {
        const sf_count_t got = sf_readf_float(f, inter.data(), 4096);
        if (got <= 0) break;
        for (sf_count_t i = 0; i < got; ++i) {
            const float* frame = inter.data() + i * info.channels;
            if (opt.channel > 0) {
                mono[static_cast<std::size_t>(i)] = frame[opt.channel - 1];
            } else {
                float sum = 0.f;
                for (int c = 0; c < info.channels; ++c)
                    sum += frame[c];
                mono[static_cast<std::size_t>(i)] = sum / static_cast<float>(info.channels);
            }
        }
        readings.clear();
        detector.push(mono.data(), static_cast<std::size_t>(got), readings);
        for (const auto& r : readings) {
            if (r.frequencyHz <= 0.0) {
                if (opt.csv)
                    std::printf("%.4f,,,,%.3f\n", r.timeS, r.confidence);
                else
                    std::printf("%8.3f s  --\n", r.timeS);
                continue;
            }
            const auto note =
                opt.instrument.empty() ? tuning.nearest(r.frequencyHz) : tuning.nearestString(r.frequencyHz);
            if (opt.csv)
                std::printf("%.4f,%.4f,%s%d,%.2f,%.3f\n", r.timeS, r.frequencyHz, note.note.c_str(),
                            note.octave, note.cents, r.confidence);
            else
                std::printf("%8.3f s  %9.3f Hz  %-4s%-2d %+7.2f cents%s\n", r.timeS, r.frequencyHz,
                            note.note.c_str(), note.octave, note.cents,
                            note.stringIndex >= 0
                                ? ("  string " + std::to_string(stringCount - note.stringIndex)).c_str()
                                : "");
        }
    }
    if (sf_error(f) != SF_ERR_NO_ERROR) throw Error(opt.input, std::string("read failed: ") + sf_strerror(f));
    return 0;
}

} // namespace stagerack::app
