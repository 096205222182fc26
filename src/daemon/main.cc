// relaymaild — delivery. Only wires: `serve` is the daemon (daemon/serve.h); every other
// command is a one-shot run for relaymail (oneshot/commands.h).
#include <string_view>

#include "daemon/serve.h"
#include "oneshot/commands.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "serve") {
    return rm::daemon::serve({argv + 2, argv + argc});
  }
  return rm::oneshot::run(argc, argv);
}
