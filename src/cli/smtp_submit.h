// cli/smtp_submit.h — `sendmail -bs` (SENDMAIL.md behaviour 23, Alpine, Laravel/Symfony): an
// SMTP dialogue on stdin/stdout (submit/smtp_stdio.h) whose every accepted message is committed to
// the spool (cli/submit.h commit_message) before its 250, then handed to the delivery mode.
// The command line's -t, -i, -f and recipients do not apply: MAIL and RCPT decide.
// Returns a sysexits code; errors are logged once, here. Never writes anything but SMTP replies
// on stdout. Not thread-safe.
#pragma once

#include "cli/submit.h"

namespace rm::cli {

int serve_smtp(const SubmitRequest& req);

}  // namespace rm::cli
