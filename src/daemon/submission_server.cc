#include "daemon/submission_server.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "daemon/queue_commands.h"
#include "daemon/submit_socket.h"
#include "mail/address.h"
#include "mail/aliases.h"
#include "submit/commit.h"
#include "submit/daemon_protocol.h"
#include "submit/smtp_stdio.h"
#include "sys/fd_io.h"
#include "sys/user_db.h"

namespace rm {
namespace {

constexpr int kIdleTimeoutSeconds = 300;  // RELIABILITY.md §4 (f): read timeouts per client
constexpr uid_t kOverflowUid = 65534;

// The aliases of the snapshot; none when unset or missing (as sendmail treats them).
Aliases load_aliases_or_none(const Config& cfg, Logger& log) {
  if (cfg.aliases.empty()) {
    return Aliases();
  }
  auto al = Aliases::load(cfg.aliases);
  if (!al) {
    log.warn("%s", al.error().what.c_str());
    return Aliases();
  }
  return std::move(*al);
}

void refuse(int fd, const char* reply) {
  (void)write_all(fd, reply);
}

// The message as the client's MAIL command describes it (submit/daemon_protocol.h).
MessageSpec message_spec(const SmtpEnvelope& env, const std::string& domain) {
  MessageSpec spec;
  spec.sender = env.sender.empty() ? "" : qualify(env.sender, domain);
  spec.rcpt_words = env.recipients;
  spec.extract = env.flags.extract;
  spec.ignore_dots = !env.flags.dot_ends;  // the session has un-stuffed the body
  spec.rewrite_headers = !env.flags.no_rewrite;
  spec.full_name = env.flags.full_name;
  spec.body_type = env.body_type;
  spec.dsn_notify = env.flags.notify;
  spec.dsn_ret = env.flags.ret;
  spec.dsn_envid = env.flags.envid;
  return spec;
}

// Root, or a member of daemon.admin_group by its primary or a supplementary group.
bool is_admin(const DaemonConfig& dc, const PeerCred& cred, const std::vector<gid_t>& groups) {
  if (cred.uid == 0) {
    return true;
  }
  if (dc.admin_group.empty()) {
    return false;
  }
  const group* g = ::getgrnam(dc.admin_group.c_str());
  if (g == nullptr) {
    return false;
  }
  return cred.gid == g->gr_gid ||
         std::find(groups.begin(), groups.end(), g->gr_gid) != groups.end();
}

}  // namespace

SubmissionServer::SubmissionServer(SubmissionDeps deps, UniqueFd listen_fd)
    : d_(deps), listen_(std::move(listen_fd)) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
    wake_read_.reset(p[0]);
    wake_write_.reset(p[1]);
  }
}

SubmissionServer::~SubmissionServer() = default;

void SubmissionServer::run() {
  for (;;) {
    pollfd fds[2] = {{listen_.get(), POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      d_.log.error("poll: %m");
      return;
    }
    if (fds[1].revents != 0) {
      return;  // stop()
    }
    UniqueFd conn(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn.valid()) {
      continue;  // the client gave up, or no fd left: the next one may do better
    }
    {
      std::lock_guard lock(mu_);
      ++active_;
    }
    try {
      std::thread([this, c = std::move(conn)]() mutable { serve(std::move(c)); }).detach();
    } catch (const std::system_error&) {  // no thread to be had: refuse this one
      std::lock_guard lock(mu_);
      --active_;
    }
  }
}

void SubmissionServer::stop() {
  (void)write_all(wake_write_.get(), "x");
}

bool SubmissionServer::wait_idle(Millis grace) {
  std::unique_lock lock(mu_);
  return idle_.wait_for(lock, grace, [&] { return active_ == 0; });
}

void SubmissionServer::serve(UniqueFd conn) {
  timeval tv{kIdleTimeoutSeconds, 0};
  (void)::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)::setsockopt(conn.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  auto cred = peer_cred(conn.get());
  if (!cred || cred->uid == kOverflowUid) {
    refuse(conn.get(), "421 4.7.0 who you are is not known here\r\n");
    d_.log.warn("connection refused: %s",
                cred ? "uid 65534 (unmapped in a user namespace)" : cred.error().what.c_str());
  } else {
    dialogue(conn.get(), *cred);
  }
  conn.reset();
  std::lock_guard lock(mu_);
  if (--active_ == 0) {
    idle_.notify_all();
  }
}

void SubmissionServer::dialogue(int fd, const PeerCred& cred) {
  std::shared_ptr<const Config> cfg = d_.config.get();  // this connection's snapshot
  const uid_t uid = cred.uid;
  auto groups = peer_groups(fd);
  const bool admin = is_admin(cfg->daemon, cred, groups ? *groups : std::vector<gid_t>{});
  std::string gecos;
  if (auto pw = lookup_uid(uid)) {
    gecos = pw->gecos.substr(0, pw->gecos.find(','));
  }
  Aliases aliases = load_aliases_or_none(*cfg, d_.log);
  RecipientPolicy policy;
  policy.domain = effective_domain(*cfg, d_.ctx);
  policy.hostname = effective_hostname(*cfg, d_.ctx);
  policy.mailname = d_.ctx.mailname;
  policy.admin = cfg->admin;
  policy.aliases = &aliases;
  policy.unknown_local = cfg->unknown_local;
  auto commit = [&](const SmtpEnvelope& env, ByteSource& body) -> Result<std::string> {
    MessageSpec spec = message_spec(env, policy.domain);
    if (spec.full_name.empty()) {
      spec.full_name = gecos;
    }
    int code = 0;
    auto id =
        commit_message(Submitter{*cfg, policy, uid, d_.log}, d_.store, d_.clock, spec, body, code);
    if (!id) {
      d_.log.warn("uid %u: message refused: %s", static_cast<unsigned>(uid),
                  id.error().what.c_str());
      Error e = std::move(id).error();
      e.reply = reply_for_refusal(e, code);
      return e;
    }
    d_.log.info("%s: uid=%u from=<%s>", id->c_str(), static_cast<unsigned>(uid),
                spec.sender.c_str());
    d_.scheduler.add(*id, d_.clock.mono());
    return id;
  };
  SmtpServerOptions so;
  so.hostname = policy.hostname;
  so.max_size = cfg->max_message_size;
  so.max_recipients = kMaxRecipients;
  so.local_extensions = true;
  const QueueCaller caller{uid, admin, cfg->daemon.admin_group};
  so.admin = [&](std::string_view verb, std::string_view arg) {
    return queue_command_reply(QueueCommandDeps{d_.store, d_.clock, d_.flusher, d_.log}, caller,
                               verb, arg);
  };
  auto check = [&](std::string_view addr) -> Status {
    std::vector<std::string> one{std::string(addr)};
    const std::vector<std::string> none;
    auto r = collect_recipients(RecipientInput{one, none, false}, policy);
    return r ? Status{} : Status(std::move(r).error());
  };
  FdSource in(fd);
  FdSink out(fd);
  auto r = run_smtp_stdio(so, SmtpStdio{in, out, [&out] { return out.flush(); }}, commit, check);
  if (!r) {
    d_.log.warn("uid %u: %s", static_cast<unsigned>(uid), r.error().what.c_str());
  }
}

}  // namespace rm
