// submit/smtp_stdio.h — `sendmail -bs` (SENDMAIL.md §2, behaviour 23): an SMTP server dialogue
// on a ByteSource (stdin) and a ByteSink (stdout), driving submit/smtp_server_session.h. Callers:
// Alpine (`-bs -odb -oem`), Laravel/Symfony (`-bs -i`; -i means nothing here).
//
// Input is buffered; a line ends at LF (a CR before it is dropped), so LF-only clients work;
// replies always end in CRLF. Pipelining (RFC 2920): every complete command already buffered
// is answered in order, and the replies go out together in one write, followed by flush, just
// before a read that could block (and when more than 64 KiB of replies are pending). Command
// lines longer than SmtpServerOptions::max_line are discarded as they arrive and answered 500;
// memory stays bounded whatever the input.
//
// DATA is streamed: after the 354, `commit` runs once with the envelope and a ByteSource that
// yields the body as it is read (un-dot-stuffed, line ends as received, LF or CRLF) and reports
// end of input (0) at the final dot. `commit` must read the body until read() returns 0 and
// only then make the message durable, returning its queue id; it must return an error, and
// commit nothing, when a read fails. Read errors it will see: the size limit (Errc::parse;
// answered 552 5.3.4 after the rest is read up to the dot), the end of input before the dot
// (Errc::io; the message is abandoned and the dialogue ends without a reply) and a failed read
// of stdin (Errc::io; returned by run_smtp_stdio). "250 2.0.0 Ok: queued as <id>" is written
// only after `commit` succeeded. Its failure is answered with Error::reply when that holds a
// 4xx/5xx reply, else 451 4.3.0; never with Error::what (it may name spool paths).
// A hook that returns success without having read the body to its end is a bug: the driver
// reads the rest, answers 451 and counts it as refused, but cannot undo the commit. The hook
// must not write to the ByteSink (the client's stdout). What the hook committed stays
// committed when run_smtp_stdio later returns an error: the caller keeps its own list of ids.
//
// Errors: Errc::io when reading the input or writing/flushing the output fails; replies
// already produced are written first when possible. The end of input is not an error: the
// dialogue simply stops (SmtpSessionSummary::abandoned says whether a transaction was open).
// Never logs.
// Not here: timeouts (a local pipe; the caller may close it), the spool and address mapping
// (the hook's), exit codes (cli/app.cc). Not thread-safe.
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
