// context/delivery_command.h — the command line relaymail starts relaymaild with, in one place:
// encode() writes it (cli/deliver_now.h), decode() reads it (oneshot/commands.h), and
// decode(encode(c)) == c for every command. Verbs: `flush` (one queue run), `check-connect`,
// `password-set` / `password-clear` (the account's keyring entry) and `oauth2-authorize` (the
// account's OAuth2 refresh token), these three with the account's name as the one id.
// Never a secret on it: passwords are fetched by relaymaild from the configuration.
// Errors: decode() returns Errc::usage with the reason in one line. Pure; thread-safe.
// Not here: finding and starting the program (cli/deliver_now.h), running the verbs (oneshot/).
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace rm {

struct DeliveryCommand {
  std::string command = "flush";      // "flush", "check-connect", "password-set|clear", ...
  std::string config_path = {};       // -C: the configuration relaymail loaded
  std::string name = {};              // --name: what log lines are prefixed with; "" = relaymaild
  bool print = false;                 // --print: one line per entry on stdout (relaymail flush)
  bool due_only = false;              // --due: only entries whose time has come (background)
  bool quiet_success = false;         // --quiet-success: successes logged at debug level
  bool log_to_stderr = true;          // false: --no-stderr (sendmail -oeq, -oem ...)
  std::vector<std::string> ids = {};  // restrict to these entries
  bool operator==(const DeliveryCommand&) const = default;
};

// argv for execv, argv[0] = "relaymaild".
std::vector<std::string> encode(const DeliveryCommand& cmd);
// The command from such an argv (argv[0] is skipped).
Result<DeliveryCommand> decode(const std::vector<std::string>& argv);

}  // namespace rm
