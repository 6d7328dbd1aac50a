#pragma once

namespace stagerack::app {

// The whole command line of DESIGN.md section 1. Errors: one line "stagerack: <what>: <why>" on
// stderr and a non-zero exit code.
int runCli(int argc, char** argv);

} // namespace stagerack::app
