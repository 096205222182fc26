#include "cli/submit.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <algorithm>
#include <cctype>
#include <set>

#include "cli/daemon_client.h"
#include "cli/deliver_now.h"
#include "context/spool.h"
#include "core/clock.h"
#include "mail/address.h"
#include "mail/message_builder.h"
#include "sys/fd_io.h"
#include "sys/sysexits.h"

namespace rm::cli {
namespace {

// Submission failed after reading started: drain stdin so the caller never dies of SIGPIPE,
// say why in one line, and return the exit code.
int fail(const SubmitRequest& req, int code, const std::string& what) {
  drain_fd(req.input_fd);
  req.log.error("%s", what.c_str());
  return code;
}

Result<std::string> envelope_sender(const SendmailArgs& a, const std::string& login,
                                    const std::string& domain) {
  std::string s = a.sender.value_or(login);
  if (a.sender && a.sender->empty()) {
    return std::string();
  }
  Status ok = check_envelope_address(s);
  if (ok) {
    ok = check_storable(s);
  }
  if (!ok) {
    return make_error(Errc::usage, "bad sender address '%s': %s", s.c_str(),
                      ok.error().what.c_str());
  }
  auto list = parse_address_list(s);
  if (!list || list->size() != 1) {
    return make_error(Errc::usage, "bad sender address '%s'", s.c_str());
  }
  return qualify(list->front(), domain);
}

}  // namespace

int submit_message(const SubmitRequest& req) {
  const SendmailArgs& a = req.args;
  const Config& cfg = req.config;
  auto sender = envelope_sender(a, req.ctx.login, req.policy.domain);
  if (!sender) {
    return fail(req, kExUsage, sender.error().what);
  }
  if (cfg.delivery == DeliveryMode::daemon) {
    return submit_to_daemon(DaemonSubmit{a, cfg, req.ctx, req.log, *sender, req.input_fd});
  }
  // Argv recipients are checked before the body is read: a bad one costs no spool write.
  const std::vector<std::string> no_headers;
  RecipientInput rin{a.rcpt_words, no_headers, false};
  if (!a.rcpt_words.empty() || !a.extract) {
    if (auto r = collect_recipients(rin, req.policy); !r) {
      return fail(req, recipient_exit_code(r.error()), r.error().what);
    }
  }
  MessageSpec spec;
  spec.sender = *sender;
  spec.rcpt_words = a.rcpt_words;
  spec.extract = a.extract;
  spec.ignore_dots = a.ignore_dots;
  spec.rewrite_headers = !a.no_rewrite;
  spec.full_name = a.full_name.empty() ? req.ctx.gecos : a.full_name;
  spec.body_type = a.body_type;
  spec.dsn_notify = a.dsn_notify;
  spec.dsn_ret = a.dsn_ret;
  spec.dsn_envid = a.dsn_envid;
  SystemClock clock;
  auto store = open_spool(cfg, req.ctx, clock);
  if (!store) {
    return fail(req, spool_exit(store.error()), store.error().what);
  }
  FdSource input(req.input_fd);
  int code = kExOk;
  auto id = commit_message(Submitter{cfg, req.policy, req.ctx.uid, req.log}, **store, clock, spec,
                           input, code);
  if (!id) {
    return fail(req, code, id.error().what);
  }
  return after_commit(DeliverNowRequest{cfg, req.ctx, req.log, a.delivery, *id, a.verbose});
}

}  // namespace rm::cli
