#include "cli/submit.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <algorithm>
#include <cctype>
#include <set>

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

Result<std::string> commit_message(const SubmitRequest& req, QueueStore& store, const Clock& clock,
                                   const MessageSpec& spec, ByteSource& body, int& exit_code) {
  const Config& cfg = req.config;
  auto draft = store.begin();
  if (!draft) {
    exit_code = spool_create_exit(draft.error().sys_errno);
    return std::move(draft).error();
  }
  SubmitOptions opts;
  opts.extract_recipients = spec.extract;
  opts.ignore_dots = spec.ignore_dots;
  opts.rewrite_headers = spec.rewrite_headers;
  opts.envelope_sender = spec.sender;
  opts.full_name = spec.full_name;
  opts.domain = req.policy.domain;
  opts.hostname = req.policy.hostname;
  opts.uid = req.ctx.uid;
  const ClockReading now = read_clock(clock);
  opts.now = now.wall;
  opts.unique = (*draft)->id();
  opts.max_size = cfg.max_message_size;
  opts.add_to_header = cfg.add_to_header;
  // from_rewrite = "always": the header is rewritten here, once, for the account the sender
  // picks; the entry remembers that account so delivery uses the same one.
  const Account* rewrite_for =
      cfg.from_rewrite == FromRewrite::always ? pick_account(cfg, spec.sender) : nullptr;
  if (rewrite_for != nullptr && !rewrite_for->from.empty()) {
    opts.force_from = rewrite_for->from;
  } else {
    rewrite_for = nullptr;
  }
  auto built = build_message(body, (*draft)->sink(), opts);
  if (!built) {  // unparsable headers are the caller's data (65); the rest is I/O (74)
    exit_code = built.error().code == Errc::parse ? kExDataErr : kExIoErr;
    return std::move(built).error();
  }
  if (built->too_big) {  // behaviour 46: the draft is dropped, nothing is queued
    exit_code = kExUnavailable;
    Error e = make_error(Errc::smtp_perm, "message exceeds the size limit (max_message_size = %s)",
                         format_size(cfg.max_message_size).c_str());
    e.reply = SmtpReply{552, "5.3.4", {"message exceeds the size limit"}};
    return e;
  }
  RecipientInput all{spec.rcpt_words, built->header_rcpts, spec.extract, cfg.recipients_with_t};
  auto rcpts = collect_recipients(all, req.policy);
  if (!rcpts) {
    exit_code = recipient_exit_code(rcpts.error());
    return std::move(rcpts).error();
  }
  QueueEntry entry;
  entry.id = (*draft)->id();
  entry.uid = req.ctx.uid;
  entry.sender = spec.sender;
  for (auto& r : *rcpts) {
    entry.rcpts.push_back(RcptEntry{r, RcptState::pending, ""});
  }
  stamp_created(entry, now.wall, now.boot);
  entry.eightbit = built->eightbit;
  entry.dsn_notify = req.args.dsn_notify;
  entry.dsn_ret = req.args.dsn_ret;
  entry.dsn_envid = req.args.dsn_envid;
  entry.body_type = spec.body_type;
  entry.account = rewrite_for != nullptr ? rewrite_for->name : "";
  if (auto c = store.commit(**draft, entry); !c) {
    exit_code = kExIoErr;
    return std::move(c).error();
  }
  if (built->nul_removed > 0) {
    req.log.warn("%s: removed %llu NUL bytes", entry.id.c_str(),
                 static_cast<unsigned long long>(built->nul_removed));
  }
  return entry.id;
}

int submit_message(const SubmitRequest& req) {
  const SendmailArgs& a = req.args;
  const Config& cfg = req.config;
  if (cfg.delivery == DeliveryMode::daemon) {
    return fail(req, kExUnavailable,
                "delivery = \"daemon\" is not available yet: use \"background\", "
                "\"foreground\" or \"queue\"");
  }
  auto sender = envelope_sender(a, req.ctx.login, req.policy.domain);
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
  MessageSpec spec;
  spec.sender = *sender;
  spec.rcpt_words = a.rcpt_words;
  spec.extract = a.extract;
  spec.ignore_dots = a.ignore_dots;
  spec.rewrite_headers = !a.no_rewrite;
  spec.full_name = a.full_name.empty() ? req.ctx.gecos : a.full_name;
  spec.body_type = a.body_type;
  SystemClock clock;
  auto store = open_spool(cfg, req.ctx, clock);
  if (!store) {
    return fail(req, spool_exit(store.error()), store.error().what);
  }
  FdSource input(req.input_fd);
  int code = kExOk;
  auto id = commit_message(req, **store, clock, spec, input, code);
  if (!id) {
    return fail(req, code, id.error().what);
  }
  return after_commit(DeliverNowRequest{cfg, req.ctx, req.log, a.delivery, *id, a.verbose});
}

}  // namespace rm::cli
