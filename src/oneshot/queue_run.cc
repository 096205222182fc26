#include "oneshot/queue_run.h"

#include <cstdio>
#include <functional>
#include <string_view>

#include "context/spool.h"
#include "oauth2/token_provider.h"
#include "relay/connector.h"
#include "sys/fs.h"
#include "sys/hardening.h"

namespace rm::oneshot {
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

RunSummary run_queue(const FlushRequest& req) {
  if (auto h = keep_secrets_out_of_dumps(); !h) {  // before any password is fetched
    req.log.warn("%s", h.error().what.c_str());
  }
  SystemClock clock;
  auto opened = open_spool(*req.config, req.ctx, clock);
  if (!opened) {
    req.log.error("%s", opened.error().what.c_str());
    RunSummary refused;
    refused.errors.push_back(std::move(opened).error());
    return refused;
  }
  FsQueueStore& store = **opened;
  // OAuth2 access tokens are cached beside the spool, checked as it is (oauth2/token_cache.h).
  TokenProvider tokens(join_path(store.dir(), "oauth2"), clock, req.keyring,
                       [&log = req.log](const std::string& line) { log.warn("%s", line.c_str()); });
  NetConnector connector(effective_hostname(*req.config, req.ctx), smtp_trace(req.log), req.keyring,
                         &tokens);
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
  QueueRunner runner(req.config, effective_hostname(*req.config, req.ctx), store, connector, clock,
                     report);
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
  for (const auto& id : s.orphans_removed) {
    req.log.warn("%s: orphan message file (no envelope, unlocked) removed from queue/", id.c_str());
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
    } else if (e.code == Errc::grant_refused) {  // the text ends with the command to run
      req.log.error("%s; messages stay queued and are retried", e.what.c_str());
    }
  }
  return s;
}

}  // namespace rm::oneshot
