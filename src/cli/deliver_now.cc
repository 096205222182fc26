#include "cli/deliver_now.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "log/logger.h"
#include "queue/fs_queue_store.h"
#include "relay/connector.h"
#include "sys/hardening.h"
#include "sys/signals.h"
#include "sys/sysexits.h"

namespace rm::cli {
namespace {

DeliveryMode effective_mode(const Config& cfg, DeliveryOverride o) {
  switch (o) {
    case DeliveryOverride::foreground:
      return DeliveryMode::foreground;
    case DeliveryOverride::background:
      return DeliveryMode::background;
    case DeliveryOverride::queue:
      return DeliveryMode::queue;
    case DeliveryOverride::none:
      break;
  }
  return cfg.delivery;
}

// Detaches the grandchild from the caller: new session, stdio on /dev/null, so a caller that
// reads our stdout/stderr to EOF (popen) is released at once.
void detach_stdio() {
  int fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd >= 0) {
    ::dup2(fd, 0);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    if (fd > 2) {
      ::close(fd);
    }
  }
}

// Double fork: the caller waits only for the short-lived middle child, and the delivering
// grandchild is re-parented to init, never a zombie of the caller.
void spawn_background(const DeliverNowRequest& req) {
  pid_t pid = ::fork();
  if (pid < 0) {
    req.log.warn("%s: queued; cannot fork a delivery process: %m", req.id.c_str());
    return;
  }
  if (pid == 0) {
    ::setsid();
    pid_t grandchild = ::fork();
    if (grandchild != 0) {
      ::_exit(0);
    }
    detach_stdio();
    (void)restore_default_signals();  // the caller's blocked or ignored signals are not ours
    ignore_sigpipe();
    req.log.enable_stderr(false);
    run_queue(FlushRequest{req.config, req.ctx, req.log, RunOptions{}, false});
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

// log.level = "debug": the SMTP conversation, AUTH payloads already redacted by the client.
std::function<void(bool, std::string_view)> smtp_trace(Logger& log) {
  if (log.level() != LogLevel::debug) {
    return {};
  }
  return [&log](bool sent, std::string_view line) {
    log.debug("smtp %s %.*s", sent ? ">" : "<", static_cast<int>(line.size()), line.data());
  };
}

}  // namespace

std::string outcome_line(const EntryOutcome& o) {
  std::string line = o.id + ":";
  for (const RcptEntry& r : o.rcpts) {
    line += " to=<" + r.addr + ">";
  }
  line += " relay=" + (o.relay.empty() ? std::string("none") : o.relay);
  if (!o.tls.empty()) {
    line += " tls=" + o.tls;
  }
  line +=
      format(" delay=%.0f attempts=%u status=%s", o.delay, o.attempts, entry_result_name(o.result));
  if (o.result != EntryResult::delivered) {
    line += " dsn=" + o.dsn + " reason=" + kv_quote(o.reason);
  }
  if (!o.bounce.empty()) {
    line += " bounce=" + o.bounce;
  } else if (!o.no_bounce.empty()) {
    line += " bounce=none no_bounce=" + kv_quote(o.no_bounce);
  }
  return line;
}

RunSummary run_queue(const FlushRequest& req) {
  if (auto h = keep_secrets_out_of_dumps(); !h) {  // before any password is fetched
    req.log.warn("%s", h.error().what.c_str());
  }
  SystemClock clock;
  FsQueueStore store(effective_spool(req.config, req.ctx), clock);
  NetConnector connector(effective_hostname(req.config, req.ctx), smtp_trace(req.log));
  auto report = [&](const EntryOutcome& o) {
    std::string line = outcome_line(o);
    if (o.result == EntryResult::delivered) {
      req.log.log(req.quiet_success ? LogLevel::debug : LogLevel::info, "%s", line.c_str());
    } else {
      req.log.warn("%s", line.c_str());
    }
    if (req.print) {
      (void)std::printf("%s\n", line.c_str());
      (void)std::fflush(stdout);
    }
  };
  QueueRunner runner(req.config, effective_hostname(req.config, req.ctx), store, connector, clock,
                     report);
  // flush reports each entry on stdout; the same line on stderr would only repeat it.
  bool was_on_stderr = req.log.stderr_enabled();
  if (req.print) {
    req.log.enable_stderr(false);
  }
  RunSummary s = runner.run(req.options);
  req.log.enable_stderr(was_on_stderr);
  for (const auto& id : s.quarantined) {
    req.log.error("%s: corrupt queue entry moved to failed/", id.c_str());
  }
  for (const auto& e : s.errors) {
    req.log.error("%s", e.what.c_str());
  }
  for (const auto& [account, e] : s.account_failures) {
    if (e.code == Errc::auth) {  // RELIABILITY.md §6 case 19: deferred, and said out loud
      req.log.error(
          "account %s: the smarthost refused the login (%s); messages stay queued "
          "and are retried: check the user and password",
          account.c_str(), e.what.c_str());
    }
  }
  return s;
}

int after_commit(const DeliverNowRequest& req) {
  switch (effective_mode(req.config, req.override_mode)) {
    case DeliveryMode::queue:
    case DeliveryMode::daemon:
      return kExOk;
    case DeliveryMode::foreground: {
      RunOptions opts;
      opts.force = true;
      opts.only.push_back(req.id);
      run_queue(FlushRequest{req.config, req.ctx, req.log, opts, false, !req.verbose});
      return kExOk;
    }
    case DeliveryMode::background:
      spawn_background(req);
      return kExOk;
  }
  return kExOk;
}

}  // namespace rm::cli
