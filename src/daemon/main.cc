// relaymaild — delivery. Only wires: the keyring (keyring/libsecret_store.h); `serve` is the
// daemon (daemon/serve.h); every other command is a one-shot run for relaymail
// (oneshot/commands.h).
#include <cstdlib>
#include <string_view>

#include "daemon/serve.h"
#include "keyring/libsecret_store.h"
#include "oneshot/commands.h"

int main(int argc, char** argv) {
  rm::LibsecretStore keyring(rm::session_bus_address(std::getenv("DBUS_SESSION_BUS_ADDRESS"),
                                                     std::getenv("XDG_RUNTIME_DIR")));
  if (argc > 1 && std::string_view(argv[1]) == "serve") {
    return rm::daemon::serve({argv + 2, argv + argc}, keyring);
  }
  return rm::oneshot::run(argc, argv, keyring);
}
