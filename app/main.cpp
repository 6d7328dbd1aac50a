#include "app/Cli.h"

int main(int argc, char** argv) {
    return stagerack::app::runCli(argc, argv);
}
