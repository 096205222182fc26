// oneshot/queue_run.h — one run of the queue as `relaymaild flush` performs it for relaymail:
// the spool, the network connector and the QueueRunner wired together, each entry's outcome
// reported as one line (Logger, and stdout for `relaymail flush`), spool problems, refused
// logins and refused OAuth2 grants logged once. OAuth2 access tokens come from a TokenProvider
// whose cache is <spool>/oauth2 (oauth2/token_provider.h). Core dumps are switched off before
// any password can be fetched.
// Errors: none returned; the summary says what happened. Not thread-safe.
// Not here: which entries are due and what a reply means (relay/), the command line (oneshot.h).
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "context/context.h"
#include "log/logger.h"
#include "relay/queue_runner.h"
#include "secrets/secret_store.h"

namespace rm::oneshot {

struct FlushRequest {
  std::shared_ptr<const Config> config;  // the snapshot this run uses throughout
  const Context& ctx;
  Logger& log;
  RunOptions options;
  bool print = false;  // one line per entry on stdout (relaymail flush)
  // Successful deliveries are logged at debug level (a successful submission prints nothing,
  // DESIGN.md §9); failures always at warn.
  bool quiet_success = false;
  SecretStore* keyring = nullptr;  // password = { keyring = true; } (secrets/secret_store.h)
};

// Runs the queue once. Returns the summary; spool problems are logged here.
RunSummary run_queue(const FlushRequest& req);

}  // namespace rm::oneshot
