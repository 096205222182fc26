#include "daemon/queue_run.h"

#include <cstdio>
#include <functional>
#include <string_view>

#include "log/kv.h"
#include "queue/fs_queue_store.h"
#include "relay/connector.h"
#include "sys/hardening.h"

namespace rm::daemon {
namespace {

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
  auto dir = cli::spool_dir(req.config, req.ctx);
  if (!dir) {
    req.log.error("%s", dir.error().what.c_str());
    RunSummary refused;
    refused.errors.push_back(std::move(dir).error());
    return refused;
  }
  SystemClock clock;
  FsQueueStore store(*dir, clock);
  NetConnector connector(cli::effective_hostname(req.config, req.ctx), smtp_trace(req.log),
                         req.keyring);
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
  QueueRunner runner(req.config, cli::effective_hostname(req.config, req.ctx), store, connector,
                     clock, report);
  // flush reports each entry on stdout; the same line on stderr would only repeat it.
  bool was_on_stderr = req.log.stderr_enabled();
  if (req.print) {
    req.log.enable_stderr(false);
  }
  RunSummary s = runner.run(req.options);
  req.log.enable_stderr(was_on_stderr);
  for (const auto& id : s.quarantined) {
    req.log.error("%s: corrupt or untrusted queue entry moved to failed/", id.c_str());
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

}  // namespace rm::daemon
