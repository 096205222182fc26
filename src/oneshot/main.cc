// relaymaild — the queue runner. Only wires: oneshot/commands.h reads the command line.
#include "oneshot/commands.h"

int main(int argc, char** argv) {
  return rm::oneshot::run(argc, argv);
}
