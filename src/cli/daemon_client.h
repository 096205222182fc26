// cli/daemon_client.h — relaymail's end of the daemon's socket (delivery = "daemon", DESIGN.md
// §2): `sendmail` streams the message to relaymaild and exits 0 only on its 250; `mailq` and
// `relaymail queue` ask XQUEUE, `sendmail -q` and `relaymail flush` XFLUSH
// (submit/daemon_protocol.h).
// Contract: nothing is sent before the peer is known to be the daemon (SO_PEERCRED: root,
// daemon.user or our own uid; anything else is a squatter); an unreachable daemon or a squatter
// is one line and exit 69; every refusal is one line and the sysexits code of its reply; stdin
// is read to its end before any non-zero exit.
// Errors: reported once, here, through the Logger. Threads: one call per process.
// Not here: the sendmail flags (cli/sendmail_args.h), the daemon's side (daemon/).
#pragma once

#include <string>
#include <vector>

#include "cli/sendmail_args.h"
#include "config/config.h"
#include "context/context.h"
#include "log/logger.h"

namespace rm::cli {

struct DaemonSubmit {
  const SendmailArgs& args;
  const Config& config;
  const Context& ctx;
  Logger& log;
  std::string sender;  // qualified, "" for <>
  int input_fd = 0;
};

// Returns the exit code (sysexits).
int submit_to_daemon(const DaemonSubmit& req);
// `sendmail -bs`: the bytes of `in` to the daemon and its replies to `out`, as they come, until
// the daemon closes (after QUIT, or once `in` has ended). Not kExOk: nothing was relayed (the
// daemon is unreachable or a squatter), said in one line.
int bridge_to_daemon(const Config& cfg, Logger& log, int in, int out);
// The listing on stdout; `json` for `relaymail queue --json`.
int list_from_daemon(const Config& cfg, Logger& log, bool json);
// Runs the queue (all of it, or `ids`); `print`: each outcome line on stdout.
int flush_through_daemon(const Config& cfg, Logger& log, const std::vector<std::string>& ids,
                         bool print);

}  // namespace rm::cli
