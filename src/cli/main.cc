// relaymail — entry point. Only wires: cli/app.h picks the personality from argv[0].
#include "cli/app.h"

int main(int argc, char** argv) {
  return rm::cli::run(argc, argv);
}
