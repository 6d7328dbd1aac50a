// Runs the real stagerack binary (or any program) for CLI and headless tests.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace stagerack::test {

struct RunResult {
    int exitCode = -1; // -1: killed by a signal or timed out
    std::string out;
    std::string err;
};

// Runs to completion (killed after timeoutSeconds) and captures stdout and stderr.
RunResult runProgram(const std::vector<std::string>& args, double timeoutSeconds = 60.0);

// Starts in the background with stdout/stderr going to files; see Child.
class Child {
public:
    explicit Child(const std::vector<std::string>& args);
    ~Child();
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    pid_t pid() const { return pid_; }
    void signal(int sig) const;
    // Waits for exit; returns the exit code, -1 for a signal, -2 on timeout.
    int wait(double timeoutSeconds);
    std::string out() const;
    std::string err() const;

private:
    pid_t pid_ = -1;
    bool reaped_ = false;
    int exitCode_ = -2;
    std::string outPath_, errPath_;
};

std::string tempDir(); // a fresh directory under $TMPDIR, removed by nobody (tests keep evidence)
std::string readFile(const std::string& path);
bool fileExists(const std::string& path);

} // namespace stagerack::test
