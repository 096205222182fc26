// submit/commit.h — one message made durable in the spool: fix it up (mail/message_builder.h),
// work out its recipients (submit/recipients.h), commit it (QueueStore). The shared core of
// `sendmail`, `sendmail -bs` and the daemon's submissions.
// Errors: Result, with the sysexits code the failure maps to in `exit_code`. Never logs but
// one warning when NUL bytes were removed. Threads: one call per thread; the store decides.
// Not here: reading a command line or a socket (cli/, daemon/), delivery (relay/).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/byte_io.h"
#include "core/clock.h"
#include "log/logger.h"
#include "queue/queue_store.h"
#include "submit/recipients.h"

namespace rm {

// One message as the sendmail command line or an SMTP transaction describes it.
struct MessageSpec {
  std::string sender;                   // qualified; "" = null sender
  std::vector<std::string> rcpt_words;  // argv words, or the RCPT TO addresses of -bs
  bool extract = false;                 // -t
  bool ignore_dots = false;             // -i; always true for -bs (the body is unstuffed)
  bool rewrite_headers = true;          // false with -G
  std::string full_name;
  std::string body_type;
  std::string dsn_notify;  // -N / RCPT NOTIFY=, kept for delivery
  std::string dsn_ret;     // -R / MAIL RET=
  std::string dsn_envid;   // -V / MAIL ENVID=
};

// Who submits, and under which rules: the identity is the kernel's (the real uid for sendmail,
// SO_PEERCRED for the daemon), never the client's word.
struct Submitter {
  const Config& config;
  const RecipientPolicy& policy;
  uint32_t uid;  // recorded in the entry and the Received: line
  Logger& log;   // a NUL-stripping warning
  // The daemon's per-uid limits (0: none beyond the config's): a smaller size limit, and at
  // most this many recipients after -t and aliases (more: exit 77, 550 5.7.1).
  uint64_t max_size = 0;
  size_t max_recipients = 0;
};

// The smaller of two size limits, 0 meaning none.
uint64_t smaller_limit(uint64_t a, uint64_t b);

// Fixes up `body`, works out the recipients and commits one entry to `store`, stamped with
// `clock`'s wall and boot time: the shared core of sendmail and -bs. On failure nothing is queued
// and `exit_code` says why (sysexits); a too-big message carries a 552 reply for -bs. Does not
// drain `body` beyond build_message.
Result<std::string> commit_message(const Submitter& who, QueueStore& store, const Clock& clock,
                                   const MessageSpec& spec, ByteSource& body, int& exit_code);

}  // namespace rm
