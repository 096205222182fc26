#include "cli/submit.h"

#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <algorithm>
#include <cctype>
#include <set>

#include "cli/deliver_now.h"
#include "core/clock.h"
#include "mail/address.h"
#include "mail/message_builder.h"
#include "queue/fs_queue_store.h"
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

std::string full_name(const SubmitRequest& req) {
  return req.args.full_name.empty() ? req.ctx.gecos : req.args.full_name;
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

int64_t now_micros() {
  struct timeval tv {};
  ::gettimeofday(&tv, nullptr);
  return static_cast<int64_t>(tv.tv_sec) * 1000000 + tv.tv_usec;
}

}  // namespace

int submit_message(const SubmitRequest& req) {
  const SendmailArgs& a = req.args;
  const Config& cfg = req.config;
  if (cfg.delivery == DeliveryMode::daemon) {
    return fail(req, kExUnavailable,
                "delivery = \"daemon\" is not available yet: use \"background\", "
                "\"foreground\" or \"queue\"");
  }
  std::string domain = effective_domain(cfg, req.ctx);
  std::string hostname = effective_hostname(cfg, req.ctx);
  auto sender = envelope_sender(a, req.ctx.login, domain);
  if (!sender) {
    return fail(req, kExUsage, sender.error().what);
  }
  // Argv recipients are checked before the body is read: a bad one costs no spool write.
  const std::vector<std::string> no_headers;
  RecipientInput rin{a.rcpt_words, no_headers, false};
  if (!a.rcpt_words.empty() || !a.extract) {
    if (auto r = collect_recipients(rin, req.policy); !r) {
      return fail(req, recipient_exit_code(r.error()), r.error().what);
    }
  }

  SystemClock clock;
  FsQueueStore store(effective_spool(cfg, req.ctx), clock);
  auto draft = store.begin();
  if (!draft) {
    return fail(req, kExCantCreat, draft.error().what);
  }
  SubmitOptions opts;
  opts.extract_recipients = a.extract;
  opts.ignore_dots = a.ignore_dots;
  opts.rewrite_headers = !a.no_rewrite;
  opts.envelope_sender = *sender;
  opts.full_name = full_name(req);
  opts.domain = domain;
  opts.hostname = hostname;
  opts.uid = req.ctx.uid;
  opts.now = now_micros() / 1000000;
  opts.unique = (*draft)->id();
  opts.max_size = cfg.max_message_size;
  opts.add_to_header = cfg.add_to_header;
  FdSource input(req.input_fd);
  auto built = build_message(input, (*draft)->sink(), opts);
  if (!built) {  // unparsable headers are the caller's data (65); the rest is I/O (74)
    return fail(req, built.error().code == Errc::parse ? kExDataErr : kExIoErr, built.error().what);
  }

  if (built->too_big) {  // behaviour 46: the draft is dropped, nothing is queued
    return fail(req, kExUnavailable,
                format("message exceeds the size limit (max_message_size = %s)",
                       format_size(cfg.max_message_size).c_str()));
  }
  RecipientInput all{a.rcpt_words, built->header_rcpts, a.extract, cfg.recipients_with_t};
  auto rcpts = collect_recipients(all, req.policy);
  if (!rcpts) {
    return fail(req, recipient_exit_code(rcpts.error()), rcpts.error().what);
  }
  QueueEntry entry;
  entry.id = (*draft)->id();
  entry.uid = req.ctx.uid;
  entry.sender = *sender;
  for (auto& r : *rcpts) {
    entry.rcpts.push_back(RcptEntry{r, RcptState::pending, ""});
  }
  entry.created = opts.now;
  entry.eightbit = built->eightbit;
  entry.dsn_notify = a.dsn_notify;
  entry.dsn_ret = a.dsn_ret;
  entry.dsn_envid = a.dsn_envid;
  entry.body_type = a.body_type;
  if (auto c = store.commit(**draft, entry); !c) {
    return fail(req, kExIoErr, c.error().what);
  }
  if (built->nul_removed > 0) {
    req.log.warn("%s: removed %llu NUL bytes", entry.id.c_str(),
                 static_cast<unsigned long long>(built->nul_removed));
  }
  return after_commit(DeliverNowRequest{cfg, req.ctx, req.log, a.delivery, entry.id, a.verbose});
}

}  // namespace rm::cli
