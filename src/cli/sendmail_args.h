// cli/sendmail_args.h — the sendmail command line (SENDMAIL.md §2) parsed into data, with no
// side effects: getopt-style clusters ("-ti"), attached or separate arguments ("-fX", "-f X"),
// "--" ends options, parsing stops at the first non-option (no GNU permutation). Unknown letters
// set `usage_error` (the caller drains stdin, then exits 64); bad values for -N/-R/-B/-h become
// warnings. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace rm::cli {

enum class Personality { sendmail, mailq, newaliases, hoststat, purgestat };

enum class Mode {
  deliver,       // -bm (default): read a message, queue it
  list_queue,    // -bp, mailq
  init_aliases,  // -bi, -I, newaliases
  smtp,          // -bs
  verify,        // -bv
  run_queue,     // -q and variants
  noop,          // -bh, -bH, -bC, hoststat, purgestat: exit 0
};

enum class DeliveryOverride { none, foreground, background, queue };

struct SendmailArgs {
  Mode mode = Mode::deliver;
  bool extract = false;                                // -t
  bool ignore_dots = false;                            // -i, -oi, -O IgnoreDots
  std::optional<std::string> sender;                   // -f / -r, last wins; "" = null sender
  std::string full_name;                               // -F
  DeliveryOverride delivery = DeliveryOverride::none;  // -od? / -O DeliveryMode=
  bool quiet_errors = false;                           // -oeq
  bool verbose = false;                                // -v
  bool no_rewrite = false;                             // -G
  std::string config_path;                             // -C
  std::string body_type;                               // -B, upper-case "7BIT" or "8BITMIME"
  std::string dsn_notify;                              // -N, lower-case
  std::string dsn_ret;                                 // -R, "FULL" or "HDRS"
  std::string dsn_envid;                               // -V
  std::string queue_arg;  // what followed -q ("", "f", "R<x>", "I<id>", "S<x>", "30m")
  std::vector<std::string> rcpt_words;  // operands, each an address list
  std::vector<std::string> warnings;    // one line each
  std::string usage_error;              // non-empty: exit 64
};

Personality personality_from_argv0(const char* argv0);
SendmailArgs parse_sendmail_args(const std::vector<std::string>& args, Personality who);

}  // namespace rm::cli
