#include "tests/support/Subprocess.h"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace stagerack::test {

namespace {

pid_t spawn(const std::vector<std::string>& args, const std::string& outPath, const std::string& errPath) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int in = ::open("/dev/null", O_RDONLY);
        const int out = ::open(outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int err = ::open(errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(in, 0);
        ::dup2(out, 1);
        ::dup2(err, 2);
        std::vector<char*> argv;
        for (const auto& a : args)
            argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    return pid;
}

int waitPid(pid_t pid, double timeoutSeconds, bool& reaped) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeoutSeconds);
    while (true) {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            reaped = true;
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        if (std::chrono::steady_clock::now() > end) return -2;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

} // namespace

std::string tempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/stagerack-test-XXXXXX";
    if (!::mkdtemp(tmpl.data())) return "/tmp";
    return tmpl;
}

std::string readFile(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

bool fileExists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

RunResult runProgram(const std::vector<std::string>& args, double timeoutSeconds) {
    Child child(args);
    RunResult r;
    r.exitCode = child.wait(timeoutSeconds);
    if (r.exitCode == -2) {
        child.signal(SIGKILL);
        child.wait(5);
        r.exitCode = -1;
    }
    r.out = child.out();
    r.err = child.err();
    return r;
}

Child::Child(const std::vector<std::string>& args) {
    const std::string dir = tempDir();
    outPath_ = dir + "/stdout";
    errPath_ = dir + "/stderr";
    pid_ = spawn(args, outPath_, errPath_);
}

Child::~Child() {
    if (pid_ > 0 && !reaped_) {
        ::kill(pid_, SIGKILL);
        bool r = false;
        waitPid(pid_, 5, r);
    }
}

void Child::signal(int sig) const {
    if (pid_ > 0 && !reaped_) ::kill(pid_, sig);
}

int Child::wait(double timeoutSeconds) {
    if (!reaped_) exitCode_ = waitPid(pid_, timeoutSeconds, reaped_);
    return exitCode_;
}

std::string Child::out() const {
    return readFile(outPath_);
}
std::string Child::err() const {
    return readFile(errPath_);
}

} // namespace stagerack::test
