// A real `jackd -d dummy` for tests, started with scripts/start-test-jackd.sh under a unique name and
// stopped by PID (never by name).
#pragma once

#include <string>

namespace stagerack::test {

class JackServer {
public:
    // Starts the server; `ok()` says whether it answers. `extra` is passed to the start script.
    explicit JackServer(int period = 256, int rate = 48000, const std::string& extra = "");
    ~JackServer();
    JackServer(const JackServer&) = delete;
    JackServer& operator=(const JackServer&) = delete;

    bool ok() const { return pid_ > 0 && !name_.empty(); }
    const std::string& name() const { return name_; }
    int pid() const { return pid_; }
    const std::string& error() const { return error_; }
    // Kill -9 without cleanup (server-disappears tests). The destructor then only reaps.
    void kill9();
    void stop();

private:
    void stopWatchdog();
    std::string name_;
    int watchdog_ = -1;
    int pid_ = -1;
    std::string error_;
};

// Path of a script under the source tree's scripts/.
std::string scriptPath(const std::string& name);

} // namespace stagerack::test
