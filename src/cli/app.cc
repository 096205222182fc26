#include "cli/app.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cli/daemon_client.h"
#include "cli/deliver_now.h"
#include "cli/queue_admin.h"
#include "cli/sendmail_args.h"
#include "cli/smtp_submit.h"
#include "cli/source_check.h"
#include "cli/submit.h"
#include "config/config.h"
#include "context/context.h"
#include "context/setup.h"
#include "context/spool.h"
#include "log/logger.h"
#include "mail/aliases.h"
#include "queue/queue_list.h"
#include "submit/recipients.h"
#include "sys/fd_io.h"
#include "sys/signals.h"
#include "sys/std_fds.h"
#include "sys/sysexits.h"

namespace rm::cli {
namespace {

constexpr const char* kVersion = "relaymail 0.1.0";

constexpr const char* kUsage =
    "usage: relaymail COMMAND [-C FILE] [ARGS]\n"
    "  send [sendmail flags]   submit a message (same as the sendmail personality)\n"
    "  queue [--json]          list the queue\n"
    "  flush [ID...]           deliver queued messages now and report each one\n"
    "  requeue ID...           put failed entries back in the queue (retries reset)\n"
    "  delete ID...            remove queued or failed entries\n"
    "  check [--connect]       validate the configuration; with --connect, log in to each\n"
    "                          account and report TLS, certificate, AUTH and OAuth2 token\n"
    "  password set ACCOUNT    store the account's password (read from stdin) in the keyring\n"
    "  password clear ACCOUNT  remove it from the keyring\n"
    "  oauth2 authorize ACCOUNT\n"
    "                          sign in to an OAuth2 account (a device code, or a browser on\n"
    "                          this machine) and store its refresh token where\n"
    "                          oauth2.refresh_token points\n"
    "  --print-config          print the effective configuration\n"
    "  version                 print the version\n"
    "Installed as sendmail, mailq or newaliases it behaves as those programs.\n";

std::string base_name(const char* argv0) {
  const char* b = argv0 == nullptr ? "relaymail" : argv0;
  if (const char* s = std::strrchr(b, '/')) {
    b = s + 1;
  }
  return b;
}

// A spool that cannot be used at all (RELIABILITY.md §6 cases 52, 54): one line, and its exit.
int spool_refused(const Error& e, Logger& log) {
  log.error("%s", e.what.c_str());
  return spool_exit(e);
}

int list_queue(const Config& cfg, const Context& ctx, Logger& log, bool json) {
  if (cfg.delivery == DeliveryMode::daemon) {
    return list_from_daemon(cfg, log, json);
  }
  SystemClock clock;
  auto store = open_spool(cfg, ctx, clock);
  if (!store) {
    return spool_refused(store.error(), log);
  }
  auto listed = (*store)->list();
  if (!listed) {
    log.error("%s", listed.error().what.c_str());
    return kExIoErr;
  }
  for (const auto& id : listed->quarantined) {
    log.error("%s: corrupt or untrusted queue entry moved to failed/", id.c_str());
  }
  for (const Error& e : listed->errors) {
    log.error("%s", e.what.c_str());
  }
  // Streamed through FdSink's 64 KiB buffer: nothing else has written to stdout yet.
  FdSink out(STDOUT_FILENO);
  Status written = json ? write_queue_json(listed->entries, clock.wall(), out)
                        : write_mailq(listed->entries, clock.wall(), out);
  if (written) {
    written = out.flush();
  }
  if (!written) {
    log.error("write the queue listing: %s", written.error().what.c_str());
    return kExIoErr;
  }
  return kExOk;
}

// `relaymail flush` and `sendmail -q`: the delivery program runs the queue (cli/deliver_now.h).
DeliveryCommand flush_run(const Config& cfg, const Logger& log, std::vector<std::string> ids,
                          bool print) {
  DeliveryCommand run;
  run.config_path = cfg.path;
  run.name = log.program();
  run.print = print;
  run.log_to_stderr = log.stderr_enabled();
  run.ids = std::move(ids);
  return run;
}

// The aliases file: none configured or missing → an empty table (the setting is optional);
// unreadable or malformed → an error for the caller to report (exit 78).
Result<Aliases> load_aliases(const Config& cfg, Logger& log) {
  if (cfg.aliases.empty()) {
    return Aliases();
  }
  auto al = Aliases::load(cfg.aliases);
  if (!al && al.error().code == Errc::io && al.error().sys_errno == ENOENT) {
    log.debug("%s: no aliases file, none used", cfg.aliases.c_str());
    return Aliases();
  }
  if (al) {
    for (const auto& w : al->warnings()) {
      log.debug("%s", w.c_str());  // visible on every cron mail otherwise (behaviour 1)
    }
  }
  return al;
}

RecipientPolicy recipient_policy(const Config& cfg, const Context& ctx, const Aliases& aliases) {
  RecipientPolicy p;
  p.domain = effective_domain(cfg, ctx);
  p.hostname = effective_hostname(cfg, ctx);
  p.mailname = ctx.mailname;
  p.admin = cfg.admin;
  p.aliases = &aliases;
  p.unknown_local = cfg.unknown_local;
  return p;
}

// -bv (behaviour 24): the final mapped address of each recipient, without reading stdin.
int verify(const SendmailArgs& a, const RecipientPolicy& policy, Logger& log) {
  const std::vector<std::string> none;
  auto r = collect_recipients(RecipientInput{a.rcpt_words, none, false}, policy);
  if (!r) {
    log.error("%s", r.error().what.c_str());
    return recipient_exit_code(r.error());
  }
  for (const auto& addr : *r) {
    (void)std::printf("%s... deliverable: mailer relay, user %s\n", addr.c_str(), addr.c_str());
  }
  return kExOk;
}

// newaliases / -bi / -I (behaviour 21): there is no database to build; validate the file.
int check_aliases(const Config& cfg, Logger& log) {
  if (cfg.aliases.empty()) {
    return kExOk;
  }
  auto al = Aliases::load(cfg.aliases);
  if (!al) {
    if (al.error().code == Errc::io && al.error().sys_errno == ENOENT) {
      log.warn("%s", al.error().what.c_str());
      return kExOk;
    }
    log.error("%s", al.error().what.c_str());
    return kExConfig;
  }
  for (const auto& w : al->warnings()) {
    log.warn("%s", w.c_str());
  }
  return kExOk;
}

// `relaymail check` (without --connect): the configuration is loaded; then each account's secret
// sources as far as they go without reading a secret (cli/source_check.h). What delivery would
// refuse goes to stderr, one line each, and makes it 78 with no OK line; notes and warnings
// (a file not there yet, a variable the daemon may have) go to stdout.
int check_config(const Config& cfg, const Context& ctx, Logger& log) {
  const std::vector<SourceFinding> findings = check_sources(cfg);
  bool refused = false;
  for (const SourceFinding& f : findings) {
    if (f.level == SourceFinding::Level::error) {
      log.error("check: %s", f.text.c_str());
      refused = true;
    }
  }
  if (!refused) {
    std::printf("%s: OK (%zu account%s, delivery %s, spool %s)\n", cfg.path.c_str(),
                cfg.accounts.size(), cfg.accounts.size() == 1 ? "" : "s",
                delivery_mode_name(cfg.delivery), effective_spool(cfg, ctx).c_str());
  }
  for (const SourceFinding& f : findings) {
    if (f.level != SourceFinding::Level::error) {
      std::printf("%s: %s%s\n", cfg.path.c_str(),
                  f.level == SourceFinding::Level::warning ? "warning: " : "", f.text.c_str());
    }
  }
  if (refused) {
    return kExConfig;
  }
  if (cfg.accounts.empty()) {
    // The packaged config as installed: valid, and nothing leaves until an account is given.
    std::printf(
        "%s: no account yet: mail is accepted and kept in the queue until `accounts` "
        "names a smarthost (host, user, password); see relaymail.conf(5) and the "
        "examples in /usr/share/doc/relaymail/examples\n",
        cfg.path.c_str());
  }
  return kExOk;
}

// Modes that need no config and read no message.
bool early_exit(const SendmailArgs& a, Logger& log, int& code) {
  if (!a.usage_error.empty()) {
    if (a.mode == Mode::deliver) {
      drain_fd(0);
    }
    log.error("%s", a.usage_error.c_str());
    code = kExUsage;
    return true;
  }
  switch (a.mode) {
    case Mode::noop:
      code = kExOk;
      return true;
    default:
      return false;
  }
}

int sendmail_main(Personality who, const std::vector<std::string>& args, const std::string& prog) {
  SendmailArgs a = parse_sendmail_args(args, who);
  Logger log(prog, LogLevel::info);
  log.enable_stderr(!a.quiet_errors);
  for (const auto& w : a.warnings) {
    log.warn("%s", w.c_str());
  }
  int code = 0;
  if (early_exit(a, log, code)) {
    return code;
  }
  Context ctx = gather_context();
  auto cfg = load_config_for(a.config_path, ctx);
  if (!cfg && a.mode == Mode::init_aliases) {
    // Package scripts run newaliases before anything is configured: 78 is for a bad aliases
    // file only (behaviour 21).
    log.warn("%s; no aliases to check", cfg.error().what.c_str());
    return kExOk;
  }
  if (!cfg) {
    if (a.mode == Mode::deliver) {
      drain_fd(0);
    } else if (a.mode == Mode::smtp) {  // an SMTP client waits for a greeting, not for EOF
      (void)write_all(1, "421 4.3.0 Service not available\r\n");
    }
    log.error("%s", cfg.error().what.c_str());
    return kExConfig;
  }
  configure_logger(log, *cfg);
  switch (a.mode) {
    case Mode::list_queue:
      return list_queue(*cfg, ctx, log, false);
    case Mode::run_queue: {
      if (!a.queue_arg.empty() && a.queue_arg[0] >= '0' && a.queue_arg[0] <= '9') {
        return kExOk;  // -q30m: Sendmail's periodic runner; accepted and ignored (SENDMAIL.md §2)
      }
      std::vector<std::string> ids;
      if (a.queue_arg.size() > 1 && a.queue_arg[0] == 'I') {
        ids.push_back(a.queue_arg.substr(1));
      }
      if (cfg->delivery == DeliveryMode::daemon) {
        return flush_through_daemon(*cfg, log, ids, false);
      }
      (void)run_delivery(flush_run(*cfg, log, ids, false), log);
      return kExOk;
    }
    case Mode::init_aliases:
      return check_aliases(*cfg, log);
    default:
      break;
  }
  auto aliases = load_aliases(*cfg, log);
  if (!aliases) {
    if (a.mode == Mode::deliver) {
      drain_fd(0);
    }
    log.error("%s", aliases.error().what.c_str());
    return kExConfig;
  }
  RecipientPolicy policy = recipient_policy(*cfg, ctx, *aliases);
  if (a.mode == Mode::verify) {
    return verify(a, policy, log);
  }
  if (a.mode == Mode::smtp) {
    return serve_smtp(SubmitRequest{a, *cfg, ctx, log, policy, 0});
  }
  return submit_message(SubmitRequest{a, *cfg, ctx, log, policy, 0});
}

int relaymail_main(std::vector<std::string> args) {
  Logger log("relaymail", LogLevel::info);
  log.enable_stderr(true);
  std::string config_path;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    // -C before or after the command; after `send` it is sendmail's own -C, passed on.
    const bool sendmail_flag = !rest.empty() && rest[0] == "send";
    if ((args[i] == "-C" || args[i] == "--config") && i + 1 < args.size() && !sendmail_flag) {
      config_path = args[++i];
    } else {
      rest.push_back(args[i]);
    }
  }
  if (rest.empty() || rest[0] == "--help" || rest[0] == "-h" || rest[0] == "help") {
    (void)std::fputs(kUsage, rest.empty() ? stderr : stdout);
    return rest.empty() ? kExUsage : kExOk;
  }
  std::string cmd = rest[0];
  std::vector<std::string> sub(rest.begin() + 1, rest.end());
  if (cmd == "--version" || cmd == "version") {
    std::puts(kVersion);
    return kExOk;
  }
  if (cmd == "send") {
    if (!config_path.empty()) {
      sub.insert(sub.begin(), {"-C", config_path});
    }
    return sendmail_main(Personality::sendmail, sub, "relaymail");
  }
  if (cmd != "queue" && cmd != "flush" && cmd != "requeue" && cmd != "delete" && cmd != "check" &&
      cmd != "password" && cmd != "oauth2" && cmd != "--print-config") {
    log.error("unknown command '%s' (try relaymail --help)", cmd.c_str());
    return kExUsage;
  }
  if (cmd == "password" && (sub.size() != 2 || (sub[0] != "set" && sub[0] != "clear"))) {
    log.error("usage: relaymail [-C FILE] password set|clear ACCOUNT");
    return kExUsage;
  }
  if (cmd == "oauth2" && (sub.size() != 2 || sub[0] != "authorize")) {
    log.error("usage: relaymail [-C FILE] oauth2 authorize ACCOUNT");
    return kExUsage;
  }
  Context ctx = gather_context();
  auto cfg = load_config_for(config_path, ctx);
  if (!cfg) {
    log.error("%s", cfg.error().what.c_str());
    return kExConfig;
  }
  configure_logger(log, *cfg);
  if (cmd == "queue") {
    bool json = !sub.empty() && sub[0] == "--json";
    return list_queue(*cfg, ctx, log, json);
  }
  if (cmd == "flush") {
    if (cfg->delivery == DeliveryMode::daemon) {
      return flush_through_daemon(*cfg, log, sub, true);
    }
    return exec_delivery(flush_run(*cfg, log, sub, true), log);
  }
  if (cmd == "requeue" || cmd == "delete") {
    SystemClock clock;
    auto store = open_spool(*cfg, ctx, clock);
    if (!store) {
      return spool_refused(store.error(), log);
    }
    return cmd == "requeue" ? requeue_entries(**store, sub, stdout, log)
                            : delete_entries(**store, sub, stdout, log);
  }
  if (cmd == "--print-config") {
    (void)std::fputs(print_config(*cfg).c_str(), stdout);
    return kExOk;
  }
  if (cmd == "password") {
    // The keyring is linked by relaymaild only; the password travels on the inherited stdin.
    DeliveryCommand run = flush_run(*cfg, log, {sub[1]}, false);
    run.command = "password-" + sub[0];
    return exec_delivery(run, log);
  }
  if (cmd == "oauth2") {
    // OAuth2, HTTPS and the keyring are relaymaild's; what the user must do comes on stdout.
    DeliveryCommand run = flush_run(*cfg, log, {sub[1]}, false);
    run.command = "oauth2-authorize";
    return exec_delivery(run, log);
  }
  if (!sub.empty() && sub[0] == "--connect") {
    DeliveryCommand run = flush_run(*cfg, log, {}, false);
    run.command = "check-connect";
    return exec_delivery(run, log);
  }
  if (!sub.empty()) {
    log.error("check: unknown argument '%s' (only --connect)", sub[0].c_str());
    return kExUsage;
  }
  return check_config(*cfg, ctx, log);
}

}  // namespace

int run(int argc, char** argv) {
  // A caller may start us with fd 0, 1 or 2 closed (behaviour 69): the first file we open must
  // never become "stdout". Failure leaves us no worse off than before.
  (void)ensure_std_fds();
  ignore_sigpipe();
  ::umask(077);
  std::string prog = base_name(argc > 0 ? argv[0] : nullptr);
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    args.emplace_back(argv[i]);
  }
  if (prog == "relaymail") {
    return relaymail_main(std::move(args));
  }
  Personality who = personality_from_argv0(prog.c_str());
  std::string name = (who == Personality::sendmail) ? "sendmail" : prog;
  return sendmail_main(who, args, name);
}

}  // namespace rm::cli
