#include "cli/smtp_submit.h"

#include "cli/daemon_client.h"
#include "cli/deliver_now.h"
#include "context/spool.h"
#include "mail/address.h"
#include "submit/smtp_stdio.h"
#include "sys/fd_io.h"
#include "sys/sysexits.h"

namespace rm::cli {
namespace {

// Before any dialogue is possible: one 421 line, so the client is not left waiting.
int refuse(const SubmitRequest& req, int code, const std::string& why) {
  FdSink out(1);
  (void)out.write("421 4.3.0 " + req.policy.hostname + " Service not available\r\n");
  (void)out.flush();
  req.log.error("%s", why.c_str());
  return code;
}

}  // namespace

int serve_smtp(const SubmitRequest& req) {
  const Config& cfg = req.config;
  if (cfg.delivery == DeliveryMode::daemon) {  // the daemon speaks SMTP itself
    const int code = bridge_to_daemon(cfg, req.log, 0, 1);
    return code == kExOk ? code : refuse(req, code, "-bs: no dialogue with the daemon");
  }
  SystemClock clock;
  auto opened = open_spool(cfg, req.ctx, clock);
  if (!opened) {  // before the greeting: no message could be taken
    return refuse(req, spool_exit(opened.error()), opened.error().what);
  }
  FsQueueStore& store = **opened;
  std::vector<std::string> ids;
  auto commit = [&](const SmtpEnvelope& env, ByteSource& body) -> Result<std::string> {
    MessageSpec spec;
    spec.sender = env.sender.empty() ? "" : qualify(env.sender, req.policy.domain);
    spec.rcpt_words = env.recipients;
    spec.ignore_dots = true;  // the session has un-stuffed the body: a "." line is text
    spec.rewrite_headers = !req.args.no_rewrite;
    spec.full_name = req.args.full_name.empty() ? req.ctx.gecos : req.args.full_name;
    spec.body_type = env.body_type.empty() ? req.args.body_type : env.body_type;
    spec.dsn_notify = req.args.dsn_notify;
    spec.dsn_ret = req.args.dsn_ret;
    spec.dsn_envid = req.args.dsn_envid;
    int code = kExOk;
    auto id = commit_message(Submitter{cfg, req.policy, req.ctx.uid, req.log}, store, clock, spec,
                             body, code);
    if (!id) {
      req.log.warn("-bs: message refused: %s", id.error().what.c_str());
      return std::move(id).error();
    }
    ids.push_back(*id);
    return id;
  };
  auto check = [&](std::string_view addr) -> Status {
    std::vector<std::string> one{std::string(addr)};
    const std::vector<std::string> none;
    auto r = collect_recipients(RecipientInput{one, none, false}, req.policy);
    return r ? Status{} : Status(std::move(r).error());
  };
  SmtpServerOptions so;
  so.hostname = req.policy.hostname;
  so.max_size = cfg.max_message_size;
  so.max_recipients = kMaxRecipients;
  FdSource in(req.input_fd);
  FdSink out(1);
  auto r = run_smtp_stdio(so, SmtpStdio{in, out, [&out] { return out.flush(); }}, commit, check);
  for (const std::string& id : ids) {  // committed messages go on, whatever ended the session
    after_commit(DeliverNowRequest{cfg, req.ctx, req.log, req.args.delivery, id, req.args.verbose});
  }
  if (!r) {
    drain_fd(req.input_fd);
    req.log.error("-bs: %s", r.error().what.c_str());
    return kExIoErr;
  }
  if (r->abandoned) {
    req.log.warn("-bs: input ended inside a transaction; that message was not queued");
  }
  return kExOk;
}

}  // namespace rm::cli
