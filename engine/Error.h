// Control-thread errors. Never thrown on the audio thread: process() paths are noexcept.
#pragma once

#include <stdexcept>
#include <string>

namespace stagerack {

// `what()` is the one-line message after "stagerack: ": "<what>: <why>".
class Error : public std::runtime_error {
public:
    Error(const std::string& what, const std::string& why)
        : std::runtime_error(what + ": " + why) {}
};

} // namespace stagerack
