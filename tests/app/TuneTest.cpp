// `stagerack tune IN.wav --csv`: the CSV contract of DESIGN.md section 1 on the real binary.
#include "tests/support/Subprocess.h"

#include <sndfile.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace stagerack;

namespace {

void writeMono(const std::string& path, int rate, const std::vector<float>& x) {
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    ASSERT_NE(f, nullptr);
    sf_writef_float(f, x.data(), static_cast<sf_count_t>(x.size()));
    sf_close(f);
}

struct Row {
    double time = 0, freq = 0, cents = 0, confidence = 0;
    std::string note;
    bool hasNote = false;
};

std::vector<Row> parse(const std::string& csv, std::string& header) {
    std::istringstream in(csv);
    std::getline(in, header);
    std::vector<Row> rows;
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        std::stringstream ls(line);
        std::string cell;
        while (std::getline(ls, cell, ','))
            f.push_back(cell);
        if (line.back() == ',') f.emplace_back();
        EXPECT_EQ(f.size(), 5u) << line;
        if (f.size() != 5) continue;
        Row r;
        r.time = std::atof(f[0].c_str());
        r.hasNote = !f[1].empty();
        if (r.hasNote) {
            r.freq = std::atof(f[1].c_str());
            r.note = f[2];
            r.cents = std::atof(f[3].c_str());
        } else {
            EXPECT_TRUE(f[2].empty() && f[3].empty()) << line;
        }
        r.confidence = std::atof(f[4].c_str());
        rows.push_back(r);
    }
    return rows;
}

TEST(Tune, CsvRowsAreTimedLiveEveryHopAndNameTheNote) {
    const auto dir = test::tempDir();
    const int rate = 44100;
    std::vector<float> x(static_cast<std::size_t>(rate * 2), 0.f);
    const double f0 = 110.0 * std::pow(2.0, 3.0 / 1200.0); // A2, 3 cents sharp
    for (std::size_t i = rate / 2; i < x.size(); ++i)
        x[i] = 0.5f * static_cast<float>(std::sin(2 * M_PI * f0 * static_cast<double>(i - rate / 2) / rate));
    writeMono(dir + "/a2.wav", rate, x);
    const auto r = test::runProgram({STAGERACK_BINARY, "tune", dir + "/a2.wav", "--csv"}, 60);
    ASSERT_EQ(r.exitCode, 0) << r.err;
    std::string header;
    const auto rows = parse(r.out, header);
    EXPECT_EQ(header, "time_s,frequency_hz,note,cents,confidence");
    ASSERT_GT(rows.size(), 150u);
    for (std::size_t i = 1; i < rows.size(); ++i) {
        EXPECT_GT(rows[i].time, rows[i - 1].time);
        EXPECT_LE(rows[i].time - rows[i - 1].time, 0.0100001) << "a row at least every 10 ms";
    }
    std::size_t steady = 0;
    for (const auto& row : rows) {
        if (row.time < 0.5) {
            EXPECT_FALSE(row.hasNote) << "nothing is known before the tone starts: " << row.time;
        }
        if (row.time > 1.0) {
            ASSERT_TRUE(row.hasNote) << row.time;
            EXPECT_EQ(row.note, "A2");
            EXPECT_NEAR(row.cents, 3.0, 0.1);
            EXPECT_NEAR(row.freq, f0, f0 * 0.1 / 1200.0);
            ++steady;
        }
    }
    EXPECT_GT(steady, 50u);
}

TEST(Tune, ReferenceChannelAndBadInput) {
    const auto dir = test::tempDir();
    std::vector<float> x(48000, 0.f);
    for (std::size_t i = 0; i < x.size(); ++i)
        x[i] = 0.5f * static_cast<float>(std::sin(2 * M_PI * 432.0 * i / 48000.0));
    writeMono(dir + "/a432.wav", 48000, x);
    auto r =
        test::runProgram({STAGERACK_BINARY, "tune", dir + "/a432.wav", "--csv", "--reference", "432"}, 60);
    ASSERT_EQ(r.exitCode, 0) << r.err;
    std::string header;
    const auto rows = parse(r.out, header);
    ASSERT_FALSE(rows.empty());
    EXPECT_EQ(rows.back().note, "A4");
    EXPECT_NEAR(rows.back().cents, 0.0, 0.1);

    std::ofstream(dir + "/text.wav") << "not audio";
    struct Case {
        std::vector<std::string> args;
        std::string expect;
    } cases[] = {{{"tune", dir + "/missing.wav", "--csv"}, "No such file or directory"},
                 {{"tune", dir + "/text.wav", "--csv"}, "cannot read audio"},
                 {{"tune", dir + "/a432.wav", "--csv", "--reference", "500"}, "reference"},
                 {{"tune", dir + "/a432.wav", "--csv", "--channel", "3"}, "--channel"}};
    for (auto c : cases) {
        c.args.insert(c.args.begin(), STAGERACK_BINARY);
        r = test::runProgram(c.args, 30);
        EXPECT_NE(r.exitCode, 0);
        EXPECT_EQ(r.err.rfind("stagerack: ", 0), 0u) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
        EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
    }
}

} // namespace
