#include "daemon/commands.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/context.h"
#include "cli/setup.h"
#include "daemon/check_connect.h"
#include "daemon/password_command.h"
#include "daemon/queue_run.h"
#include "sys/signals.h"
#include "sys/std_fds.h"
#include "sys/sysexits.h"

namespace rm::daemon {
namespace {

constexpr const char* kUsage =
    "usage: relaymaild flush [-C FILE] [--name NAME] [--print] [--due] [--quiet-success]\n"
    "                        [--no-stderr] [--] [ID...]\n"
    "       relaymaild check-connect [-C FILE] [--name NAME]\n"
    "       relaymaild password-set|password-clear [-C FILE] [--name NAME] ACCOUNT\n"
    "The relaymail queue runner. relaymail runs these one-shot commands for `relaymail flush`,\n"
    "`sendmail -q`, `relaymail check --connect`, `relaymail password set|clear` and the\n"
    "foreground and background delivery modes. The daemon itself (delivery = \"daemon\") is not "
    "implemented yet.\n";

struct Command {
  std::string verb;
  std::string config_path;
  std::string name = "relaymaild";
  bool print = false;
  bool due = false;
  bool quiet_success = false;
  bool no_stderr = false;
  std::vector<std::string> ids;
  std::string error;  // a usage error, when not empty
};

Command parse(int argc, char** argv) {
  Command c;
  if (argc < 2) {
    c.error = "no command";
    return c;
  }
  c.verb = argv[1];
  bool ids_only = false;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    bool has_value = i + 1 < argc;
    if (ids_only || a.empty() || a[0] != '-') {
      c.ids.push_back(a);
    } else if (a == "--") {
      ids_only = true;
    } else if ((a == "-C" || a == "--config") && has_value) {
      c.config_path = argv[++i];
    } else if (a == "--name" && has_value) {
      c.name = argv[++i];
    } else if (a == "--print") {
      c.print = true;
    } else if (a == "--due") {
      c.due = true;
    } else if (a == "--quiet-success") {
      c.quiet_success = true;
    } else if (a == "--no-stderr") {
      c.no_stderr = true;
    } else {
      c.error = "unknown option '" + a + "'";
      return c;
    }
  }
  if (c.verb == "check-connect" && (!c.ids.empty() || c.print || c.due)) {
    c.error = "check-connect takes no ids or delivery options";
  } else if ((c.verb == "password-set" || c.verb == "password-clear") &&
             (c.ids.size() != 1 || c.print || c.due)) {
    c.error = c.verb + " takes one account name and no delivery options";
  } else if (c.verb != "flush" && c.verb != "check-connect" && c.verb != "password-set" &&
             c.verb != "password-clear") {
    c.error = "unknown command '" + c.verb + "'";
  }
  return c;
}

int flush(const Command& c, const Config& cfg, const cli::Context& ctx, Logger& log,
          SecretStore& keyring) {
  RunOptions opts;
  opts.force = !c.due;
  opts.only = c.ids;
  RunSummary s = run_queue(FlushRequest{cfg, ctx, log, opts, c.print, c.quiet_success, &keyring});
  if (c.print && s.delivered + s.deferred + s.failed == 0) {
    std::printf("nothing to deliver\n");
  }
  if (s.errors.empty()) {
    return kExOk;
  }
  // An untrusted spool is refused as submission refuses it (RELIABILITY.md §6 case 54).
  bool untrusted = std::any_of(s.errors.begin(), s.errors.end(),
                               [](const Error& e) { return e.code == Errc::untrusted; });
  return untrusted ? kExCantCreat : kExIoErr;
}

}  // namespace

int run(int argc, char** argv, SecretStore& keyring) {
  (void)ensure_std_fds();
  ignore_sigpipe();
  ::umask(077);
  if (argc > 1 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    (void)std::fputs(kUsage, stdout);
    return kExOk;
  }
  Command c = parse(argc, argv);
  Logger log(c.name, LogLevel::info);
  log.enable_stderr(!c.no_stderr);
  if (!c.error.empty()) {
    log.error("%s (relaymaild --help)", c.error.c_str());
    return kExUsage;
  }
  cli::Context ctx = cli::gather_context();
  auto cfg = cli::load_config_for(c.config_path, ctx);
  if (!cfg) {
    log.error("%s", cfg.error().what.c_str());
    return kExConfig;
  }
  cli::configure_logger(log, *cfg);
  if (c.verb == "check-connect") {
    return check_connect(*cfg, ctx, log, stdout, &keyring);
  }
  if (c.verb == "password-set" || c.verb == "password-clear") {
    return password_command(c.verb == "password-set" ? PasswordAction::set : PasswordAction::clear,
                            c.ids[0], *cfg, keyring, log);
  }
  return flush(c, *cfg, ctx, log, keyring);
}

}  // namespace rm::daemon
