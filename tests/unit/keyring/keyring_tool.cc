// keyring_tool — LibsecretStore in a process of its own, for tests/unit/keyring: libsecret
// talks over the session bus connection GLib shares per process, named by the environment, so
// each case (each bus) needs a fresh process.
//   keyring_tool lookup|store|clear HOST USER TIMEOUT_MS   (store reads the secret from stdin)
// Prints "ok: <password>" (lookup), "ok", "ok: removed" / "ok: none" (clear), or
// "error: <errc>: <what>"; exits 0 or 1.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <string>

#include "keyring/libsecret_store.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fputs("usage: keyring_tool lookup|store|clear HOST USER TIMEOUT_MS\n", stderr);
    return 2;
  }
  const std::string verb = argv[1];
  rm::SecretQuery q;
  q.host = argv[2];
  q.user = argv[3];
  q.timeout = std::chrono::milliseconds(std::atoll(argv[4]));
  rm::LibsecretStore store(rm::session_bus_address(std::getenv("DBUS_SESSION_BUS_ADDRESS"),
                                                   std::getenv("XDG_RUNTIME_DIR")));
  auto fail = [](const rm::Error& e) {
    std::printf("error: %s: %s\n", rm::errc_name(e.code), e.what.c_str());
    return 1;
  };
  if (verb == "lookup") {
    auto pw = store.lookup(q);
    if (!pw) {
      return fail(pw.error());
    }
    std::printf("ok: %.*s\n", static_cast<int>(pw->size()), pw->view().data());
  } else if (verb == "store") {
    std::string secret(std::istreambuf_iterator<char>(std::cin), {});
    if (auto ok = store.store(q, "keyring_tool", rm::SecretString(secret)); !ok) {
      return fail(ok.error());
    }
    std::printf("ok\n");
  } else if (verb == "clear") {
    auto removed = store.clear(q);
    if (!removed) {
      return fail(removed.error());
    }
    std::printf("ok: %s\n", *removed ? "removed" : "none");
  } else {
    return 2;
  }
  return 0;
}
