// relaymaild — the queue runner. Only wires: the keyring (keyring/libsecret_store.h) for the
// commands of daemon/commands.h, which reads the command line.
#include <cstdlib>

#include "daemon/commands.h"
#include "keyring/libsecret_store.h"

int main(int argc, char** argv) {
  rm::LibsecretStore keyring(rm::session_bus_address(std::getenv("DBUS_SESSION_BUS_ADDRESS"),
                                                     std::getenv("XDG_RUNTIME_DIR")));
  return rm::daemon::run(argc, argv, keyring);
}
