#include "tests/support/JackServer.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <sys/wait.h>
#include <unistd.h>

namespace stagerack::test {

std::string scriptPath(const std::string& name) {
    return std::string(STAGERACK_SOURCE_DIR) + "/scripts/" + name;
}

JackServer::JackServer(int period, int rate, const std::string& extra) {
    std::string cmd = scriptPath("start-test-jackd.sh") + " start -p " + std::to_string(period) + " -r " +
                      std::to_string(rate) + " -T 5000 " + extra + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) {
        error_ = "popen failed";
        return;
    }
    char line[512];
    std::string all;
    while (std::fgets(line, sizeof line, p)) {
        std::string s(line);
        all += s;
        auto value = [&](const std::string& key) -> std::string {
            if (s.rfind(key + "=", 0) != 0) return {};
            auto v = s.substr(key.size() + 1);
            return v.substr(0, v.find(';'));
        };
        if (auto v = value("JACK_DEFAULT_SERVER"); !v.empty()) name_ = v;
        if (auto v = value("JACKD_PID"); !v.empty()) pid_ = std::atoi(v.c_str());
    }
    const int rc = ::pclose(p);
    if (rc != 0 || !ok()) {
        error_ = "start-test-jackd.sh failed: " + all;
        pid_ = -1;
        return;
    }
    // A watchdog stops the server if this test process dies without its destructors (an abort under a
    // sanitizer, a crash): leftover servers would otherwise pile up until JACK refuses new ones.
    const pid_t parent = ::getpid();
    const int server = pid_;
    watchdog_ = ::fork();
    if (watchdog_ == 0) {
        ::setsid();
        const timespec tick{0, 200'000'000};
        while (::kill(parent, 0) == 0 && ::getppid() == parent)
            ::nanosleep(&tick, nullptr);
        ::kill(server, SIGTERM);
        ::_exit(0);
    }
}

void JackServer::stopWatchdog() {
    if (watchdog_ > 0) {
        ::kill(watchdog_, SIGKILL);
        ::waitpid(watchdog_, nullptr, 0);
        watchdog_ = -1;
    }
}

void JackServer::stop() {
    stopWatchdog();
    if (pid_ <= 0) return;
    const std::string cmd = scriptPath("start-test-jackd.sh") + " stop " + std::to_string(pid_) + " " +
                            name_ + " >/dev/null 2>&1";
    [[maybe_unused]] int rc = std::system(cmd.c_str());
    pid_ = -1;
}

void JackServer::kill9() {
    stopWatchdog();
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    // jackd was started through nohup by the script, so it is not our child: poll until it is gone.
    for (int i = 0; i < 200 && ::kill(pid_, 0) == 0; ++i)
        ::usleep(10'000);
    pid_ = -1;
}

JackServer::~JackServer() {
    stop();
}

} // namespace stagerack::test
