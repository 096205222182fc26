// cli/deliver_now.h — how relaymail hands work to the delivery program. relaymail itself never
// talks to a smarthost: it links no TLS, SASL or password code, so submitting a message costs
// only what submitting needs. Delivery is `relaymaild flush` (daemon/commands.h), found beside
// relaymail's own executable, else in ../sbin (the installed layout), and run with the
// configuration relaymail loaded.
// After a message is safe in the spool: `queue` mode does nothing, `foreground` runs the
// delivery program for this entry and waits, `background` starts it detached (posix_spawn, new
// session, stdio on /dev/null, default signals) for every due entry while the caller goes on.
// Delivery failures never change the exit status of a submission: the message is accepted,
// and failures are deferred or kept.
// Errors: a delivery program that cannot be started is logged (warn after a submission, error
// for flush and check --connect, which then exit 69). Not thread-safe (spawns processes).
#pragma once

#include <string>
#include <vector>

#include "cli/context.h"
#include "cli/sendmail_args.h"
#include "config/config.h"
#include "log/logger.h"

namespace rm::cli {

struct DeliverNowRequest {
  const Config& config;
  const Context& ctx;
  Logger& log;
  DeliveryOverride override_mode;
  std::string id;
  bool verbose = false;  // -v: report successful deliveries on stderr too
};

int after_commit(const DeliverNowRequest& req);

// One run of the delivery program, as its command line says it.
struct DeliveryRun {
  std::string command = "flush";      // "flush", "check-connect", "password-set|clear"
  std::string config_path = {};       // the configuration relaymail loaded, passed as -C
  std::string name = {};              // what its log lines are prefixed with ("sendmail", ...)
  bool print = false;                 // --print: one line per entry on stdout (relaymail flush)
  bool due_only = false;              // --due: only entries whose time has come (background)
  bool quiet_success = false;         // --quiet-success: successes logged at debug level
  bool log_to_stderr = true;          // false: --no-stderr (sendmail -oeq, -oem ...)
  std::vector<std::string> ids = {};  // restrict to these entries
};

std::vector<std::string> delivery_argv(const DeliveryRun& run);

// The delivery program's path: `relaymaild` in the directory of `self` (relaymail's resolved
// executable), else in `self`'s ../sbin; "" when neither exists.
std::string delivery_program(const std::string& self);

// Replaces this process with the delivery program; returns 69 only when that failed (logged).
int exec_delivery(const DeliveryRun& run, Logger& log);
// Runs the delivery program and waits; its exit status, or 69 when it could not start (logged).
int run_delivery(const DeliveryRun& run, Logger& log);

}  // namespace rm::cli
