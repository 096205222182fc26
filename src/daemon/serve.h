// daemon/serve.h — `relaymaild serve [-C FILE]`: the daemon of delivery = "daemon" (DESIGN.md
// §2), in the foreground. Listens on the socket systemd passes (relaymail.socket), else on
// daemon.socket; started as root, it runs as daemon.user from the moment the socket is open (the
// spool is then that user's); started as any other user it stays that user. Tells systemd when
// it is ready, reloading and stopping (daemon/systemd_notify.h; nothing without systemd). Loads
// the spool's due times into memory, delivers each new message at once, and retries on retry.*
// as the one-shot runs do. SIGHUP reloads the configuration (a bad one keeps the old, with one
// line saying why); SIGTERM or SIGINT stop accepting, let dialogues in progress finish within
// daemon.stop_timeout and in-flight attempts end, then exit 0.
// Errors: one line on stderr and the log; exit 64 usage, 78 configuration, 71 socket, 73 spool.
// Threads: the calling thread waits for signals; accepting, each dialogue and each delivery
// worker have threads of their own.
// Not here: the unit files (etc/systemd/), per-uid policy (daemon/uid_policy.h), XQUEUE/XFLUSH
// (daemon/queue_commands.h), the sendmail client side (cli/daemon_client.h).
#pragma once

#include <string>
#include <vector>

#include "secrets/secret_store.h"

namespace rm::daemon {

// `keyring` answers password = { keyring = true; } (a `systemctl --user` instance's keyring).
int serve(const std::vector<std::string>& args, SecretStore& keyring);

}  // namespace rm::daemon
