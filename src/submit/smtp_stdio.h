// submit/smtp_stdio.h — an SMTP submission dialogue on a ByteSource and a ByteSink (stdin and
// stdout for `sendmail -bs`), driving submit/smtp_server_session.h, with PIPELINING and DATA
// streamed to a commit hook.
// Contract: "250 ... queued as <id>" only after the hook made the message durable; the hook reads
// the body to its end (read() == 0) before committing and commits nothing when a read fails; its
// failure is answered with its reply or 451, never its text. Memory stays bounded whatever the
// input. The details (framing, flushes, what the hook sees): the top of smtp_stdio.cc.
// Errors: Errc::io when the input cannot be read or the output written; the end of input is not
// an error (SmtpSessionSummary::abandoned). Never logs.
// Threads: one dialogue per call, not thread-safe.
// Not here: timeouts, the spool and address mapping (the hook's), exit codes (cli/app.cc).
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "core/byte_io.h"
#include "core/result.h"
#include "submit/smtp_server_session.h"

namespace rm {

// Commits one message; returns its queue id. See the contract above.
using SmtpCommitFn = std::function<Result<std::string>(const SmtpEnvelope& env, ByteSource& body)>;

struct SmtpStdio {
  ByteSource& in;
  ByteSink& out;
  // Pushes written replies to the client (FdSink::flush); called after every batch of
  // replies. May be empty when `out` does not buffer.
  std::function<Status()> flush = {};
};

struct SmtpSessionSummary {
  size_t queued = 0;       // messages committed and answered 250
  size_t refused = 0;      // messages answered 451 or 552 after DATA
  bool quit = false;       // the client sent QUIT (else the input ended)
  bool abandoned = false;  // the input ended inside a transaction; nothing was committed for it
};

// `check_recipient` (optional) is asked about each RCPT that passed the syntax checks; see
// SmtpRecipientCheck in submit/smtp_server_session.h.
Result<SmtpSessionSummary> run_smtp_stdio(const SmtpServerOptions& opts, const SmtpStdio& io,
                                          const SmtpCommitFn& commit,
                                          const SmtpRecipientCheck& check_recipient = {});

}  // namespace rm
