// submit/daemon_protocol.h — what `sendmail` and relaymaild say to each other on the daemon's
// socket beyond plain SMTP (DESIGN.md §2): the sendmail flags as MAIL parameters, and the
// replies that carry a submission's outcome back as a sysexits code.
// Contract: MAIL FROM:<-f or the login> then "XRM-T" (-t), "XRM-DOTS" (no -i: a lone "." line
// ends the message; the body is dot-stuffed on the wire as always), "XRM-G" (-G), "XRM-NAME="
// (-F, xtext), "XRM-NOTIFY=" (-N), RET= (-R), ENVID= (-V, xtext). With XRM-T, DATA may follow
// MAIL without any RCPT. XQUEUE [JSON] and XFLUSH [ID...] answer with a multi-line 250: one
// listing or outcome line per reply line, after "250-", and a last line of their own.
// The daemon answers a refused message with the reply reply_for_refusal() makes of the
// submission's sysexits code; the client turns any reply back into a code with
// exit_for_reply(), so both modes exit alike.
// Errors: parse_mail_param: Errc::usage for a malformed value. Pure, no I/O. Thread-compatible.
// Not here: the SMTP session (submit/smtp_server_session.h), the socket (cli/, daemon/).
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "core/result.h"

namespace rm {

// The sendmail flags that shape the message, as the client gives them.
struct SubmitFlags {
  bool extract = false;        // -t
  bool dot_ends = false;       // no -i
  bool no_rewrite = false;     // -G
  std::string full_name = {};  // -F; "" = the passwd entry's
  std::string notify = {};     // -N
  std::string ret = {};        // -R
  std::string envid = {};      // -V
  bool operator==(const SubmitFlags&) const = default;
};

// " XRM-T XRM-NAME=Cron+20Daemon RET=HDRS": what the client appends to MAIL FROM:<...>.
std::string mail_params(const SubmitFlags& f);

// One MAIL parameter (KEY or KEY=VALUE) applied to `f`: false when KEY is none of ours.
Result<bool> parse_mail_param(std::string_view param, SubmitFlags& f);

// The reply to a submission the daemon refused with sysexits code `exit_code` and error `e`.
SmtpReply reply_for_refusal(const Error& e, int exit_code);

// The sysexits code a refusing reply means (4xx/5xx): see daemon_protocol.cc for the table.
int exit_for_reply(int code, std::string_view enhanced);

inline constexpr std::string_view kXQueue = "XQUEUE";
inline constexpr std::string_view kXFlush = "XFLUSH";

}  // namespace rm
