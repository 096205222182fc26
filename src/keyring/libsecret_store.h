// keyring/libsecret_store.h — the desktop keyring as a SecretStore: the Secret Service
// (gnome-keyring, KeePassXC, ...) on the user's session D-Bus, through libsecret. Entries carry
// msmtp's attributes (host, service = "smtp", user) and are matched on those alone, so one made
// with `secret-tool store --label=x host H service smtp user U` is found.
// Contract: each call first checks, on a connection of its own, that the bus answers and that
// org.freedesktop.secrets has an owner, then works through libsecret on GLib's shared session
// connection (exit-on-close off), all on a private GMainContext and bounded by a GCancellable
// cancelled after the query's timeout. It never starts a service, never unlocks, never prompts.
// Errors: Errc::secret_unavailable, one line starting "keyring (libsecret): ", telling apart no
// session bus, an unreachable bus, no Secret Service, a locked collection, no such entry and a
// timeout. Never logs; the secret never appears in an Error. Threads: one call at a time per store
// (each call starts and joins one timer thread). Not here: which accounts use it (config/); linked
// by relaymaild only, never by relaymail.
#pragma once

#include <string>

#include "secrets/secret_store.h"

namespace rm {

class LibsecretStore final : public SecretStore {
 public:
  // `bus_address` is a D-Bus address ("unix:path=/run/user/1000/bus"); "" means there is no
  // session bus (session_bus_address()).
  explicit LibsecretStore(std::string bus_address) : bus_address_(std::move(bus_address)) {}

  const char* backend() const override { return "keyring (libsecret)"; }
  Result<SecretString> lookup(const SecretQuery& q) override;
  Status store(const SecretQuery& q, const std::string& label, const SecretString& secret) override;
  Result<bool> clear(const SecretQuery& q) override;

 private:
  std::string bus_address_;
};

// The session bus as D-Bus clients find it: $DBUS_SESSION_BUS_ADDRESS, else the socket
// $XDG_RUNTIME_DIR/bus when it exists, else "" (never X11 autolaunch, which would start a bus).
std::string session_bus_address(const char* dbus_session_bus_address, const char* xdg_runtime_dir);

}  // namespace rm
