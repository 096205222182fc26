// cli/submit.h — the sendmail submission path (DESIGN.md §2 step 1): read the caller's message,
// fix it up (mail/message_builder.h), work out the envelope, commit it durably to the spool,
// then hand over to the delivery mode (queue: nothing; foreground: deliver now; background:
// a detached child delivers). Exit 0 only after the commit; stdin is always read to EOF before
// any non-zero exit; never exits 75. Errors are reported once, here, as one stderr line.
// Not thread-safe (forks).
#pragma once

#include "cli/recipients.h"
#include "cli/sendmail_args.h"
#include "config/config.h"
#include "context/context.h"
#include "core/clock.h"
#include "log/logger.h"
#include "queue/queue_store.h"

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

// One message as the sendmail command line or an SMTP transaction describes it.
struct MessageSpec {
  std::string sender;                   // qualified; "" = null sender
  std::vector<std::string> rcpt_words;  // argv words, or the RCPT TO addresses of -bs
  bool extract = false;                 // -t
  bool ignore_dots = false;             // -i; always true for -bs (the body is unstuffed)
  bool rewrite_headers = true;          // false with -G
  std::string full_name;
  std::string body_type;
};

// Fixes up `body`, works out the recipients and commits one entry to `store`, stamped with
// `clock`'s wall and boot time: the shared core of sendmail and -bs. On failure nothing is queued
// and `exit_code` says why (sysexits); a too-big message carries a 552 reply for -bs. Does not
// drain `body` beyond build_message.
Result<std::string> commit_message(const SubmitRequest& req, QueueStore& store, const Clock& clock,
                                   const MessageSpec& spec, ByteSource& body, int& exit_code);

}  // namespace rm::cli
