// cli/submit.h — the sendmail submission path (DESIGN.md §2 step 1): read the caller's message,
// fix it up (mail/message_builder.h), work out the envelope, commit it durably to the spool,
// then hand over to the delivery mode (queue: nothing; foreground: deliver now; background:
// a detached child delivers). Exit 0 only after the commit; stdin is always read to EOF before
// any non-zero exit; never exits 75. Errors are reported once, here, as one stderr line.
// Not thread-safe (forks).
#pragma once

#include "cli/sendmail_args.h"
#include "config/config.h"
#include "context/context.h"
#include "core/clock.h"
#include "log/logger.h"
#include "queue/queue_store.h"
#include "submit/commit.h"
#include "submit/recipients.h"

namespace rm::cli {

struct SubmitRequest {
  const SendmailArgs& args;
  const Config& config;
  const Context& ctx;
  Logger& log;
  const RecipientPolicy& policy;
  int input_fd = 0;
};

// Returns the process exit code (sysexits).
int submit_message(const SubmitRequest& req);

}  // namespace rm::cli
