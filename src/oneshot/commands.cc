#include "oneshot/commands.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "context/context.h"
#include "context/delivery_command.h"
#include "context/setup.h"
#include "oneshot/authorize_command.h"
#include "oneshot/check_connect.h"
#include "oneshot/password_command.h"
#include "oneshot/queue_run.h"
#include "sys/signals.h"
#include "sys/std_fds.h"
#include "sys/sysexits.h"

namespace rm::oneshot {
namespace {

constexpr const char* kUsage =
    "usage: relaymaild flush [-C FILE] [--name NAME] [--print] [--due] [--quiet-success]\n"
    "                        [--no-stderr] [--] [ID...]\n"
    "       relaymaild check-connect [-C FILE] [--name NAME]\n"
    "       relaymaild password-set|password-clear [-C FILE] [--name NAME] ACCOUNT\n"
    "       relaymaild oauth2-authorize [-C FILE] [--name NAME] ACCOUNT\n"
    "       relaymaild serve [-C FILE]\n"
    "relaymail's delivery. relaymail runs the one-shot commands for `relaymail flush`,\n"
    "`sendmail -q`, `relaymail check --connect`, `relaymail password set|clear`,\n"
    "`relaymail oauth2 authorize` and the foreground and background delivery modes; `serve` is\n"
    "the daemon of delivery = \"daemon\", in the foreground.\n";

int flush(const DeliveryCommand& c, std::shared_ptr<const Config> cfg, const Context& ctx,
          Logger& log, SecretStore& keyring) {
  RunOptions opts;
  opts.force = !c.due_only;
  opts.only = c.ids;
  RunSummary s =
      run_queue(FlushRequest{std::move(cfg), ctx, log, opts, c.print, c.quiet_success, &keyring});
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
  auto c = decode(std::vector<std::string>(argv, argv + argc));
  Logger log(c && !c->name.empty() ? c->name : "relaymaild", LogLevel::info);
  log.enable_stderr(!c || c->log_to_stderr);
  if (!c) {
    log.error("%s (relaymaild --help)", c.error().what.c_str());
    return kExUsage;
  }
  Context ctx = gather_context();
  auto cfg = load_config_for(c->config_path, ctx);
  if (!cfg) {
    log.error("%s", cfg.error().what.c_str());
    return kExConfig;
  }
  configure_logger(log, *cfg);
  if (c->command == "check-connect") {
    return check_connect(*cfg, ctx, log, stdout, &keyring);
  }
  if (c->command == "password-set" || c->command == "password-clear") {
    return password_command(
        c->command == "password-set" ? PasswordAction::set : PasswordAction::clear, c->ids[0], *cfg,
        keyring, log);
  }
  if (c->command == "oauth2-authorize") {
    return oauth2_authorize(c->ids[0], *cfg, ctx, keyring, log);
  }
  return flush(*c, std::make_shared<const Config>(std::move(*cfg)), ctx, log, keyring);
}

}  // namespace rm::oneshot
