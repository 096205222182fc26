// cli/deliver_now.h — what happens after a message is safe in the spool, and the queue runs
// that the cli starts: `queue` mode does nothing, `foreground` delivers before returning,
// `background` forks a detached child (new session, stdio on /dev/null) that delivers this and
// any other due entries while the caller goes on. Delivery failures never change the exit
// status of a submission: the message is accepted, and failures are deferred or kept.
// Outcome lines go to the Logger (and, for flush, to stdout). Not thread-safe (forks).
#pragma once

#include <string>
#include <vector>

#include "cli/context.h"
#include "cli/sendmail_args.h"
#include "config/config.h"
#include "log/logger.h"
#include "relay/queue_runner.h"

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

struct FlushRequest {
  const Config& config;
  const Context& ctx;
  Logger& log;
  RunOptions options;
  bool print = false;  // one line per entry on stdout (relaymail flush)
  // Successful deliveries are logged at debug level (a successful submission prints nothing,
  // DESIGN.md §9); failures always at warn.
  bool quiet_success = false;
};

// Runs the queue once. Returns the summary; spool problems are logged here.
RunSummary run_queue(const FlushRequest& req);

// "4F2A…: to=<a@b> relay=127.0.0.1:587 tls=TLSv1.3 delay=2 attempts=1 status=sent ..."
std::string outcome_line(const EntryOutcome& o);

}  // namespace rm::cli
