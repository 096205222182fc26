#include "submit/commit.h"

#include "mail/message_builder.h"
#include "sys/sysexits.h"

namespace rm {

uint64_t smaller_limit(uint64_t a, uint64_t b) {
  if (a == 0 || b == 0) {
    return a == 0 ? b : a;
  }
  return a < b ? a : b;
}

Result<std::string> commit_message(const Submitter& who, QueueStore& store, const Clock& clock,
                                   const MessageSpec& spec, ByteSource& body, int& exit_code) {
  const Config& cfg = who.config;
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
  opts.domain = who.policy.domain;
  opts.hostname = who.policy.hostname;
  opts.uid = who.uid;
  const ClockReading now = read_clock(clock);
  opts.now = now.wall;
  opts.unique = (*draft)->id();
  const uint64_t limit = smaller_limit(cfg.max_message_size, who.max_size);
  opts.max_size = limit;
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
                         format_size(limit).c_str());
    e.reply = SmtpReply{552, "5.3.4", {"message exceeds the size limit"}};
    return e;
  }
  RecipientInput all{spec.rcpt_words, built->header_rcpts, spec.extract, cfg.recipients_with_t};
  auto rcpts = collect_recipients(all, who.policy);
  if (!rcpts) {
    exit_code = recipient_exit_code(rcpts.error());
    return std::move(rcpts).error();
  }
  if (who.max_recipients > 0 && rcpts->size() > who.max_recipients) {
    exit_code = kExNoPerm;
    return make_error(Errc::usage, "too many recipients: %zu, at most %zu for uid %u",
                      rcpts->size(), who.max_recipients, static_cast<unsigned>(who.uid));
  }
  QueueEntry entry;
  entry.id = (*draft)->id();
  entry.uid = who.uid;
  entry.sender = spec.sender;
  for (auto& r : *rcpts) {
    entry.rcpts.push_back(RcptEntry{r, RcptState::pending, ""});
  }
  stamp_created(entry, now.wall, now.boot);
  entry.eightbit = built->eightbit;
  entry.dsn_notify = spec.dsn_notify;
  entry.dsn_ret = spec.dsn_ret;
  entry.dsn_envid = spec.dsn_envid;
  entry.body_type = spec.body_type;
  entry.account = rewrite_for != nullptr ? rewrite_for->name : "";
  if (auto c = store.commit(**draft, entry); !c) {
    exit_code = kExIoErr;
    return std::move(c).error();
  }
  if (built->nul_removed > 0) {
    who.log.warn("%s: removed %llu NUL bytes", entry.id.c_str(),
                 static_cast<unsigned long long>(built->nul_removed));
  }
  return entry.id;
}

}  // namespace rm
