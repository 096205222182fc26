// relaymaild — the queue runner. Only wires: daemon/commands.h reads the command line.
#include "daemon/commands.h"

int main(int argc, char** argv) {
  return rm::daemon::run(argc, argv);
}
