#include "daemon/submission_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "daemon/queue_commands.h"
#include "daemon/submit_socket.h"
#include "daemon/uid_policy.h"
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

// Who is calling: the kernel's uid, gid and groups, and the passwd entry's name and GECOS.
struct Peer {
  Caller caller;
  std::string full_name;  // GECOS up to its first comma
};

Peer peer_of(int fd, const PeerCred& cred) {
  Peer p;
  p.caller.uid = cred.uid;
  p.caller.gid = cred.gid;
  if (auto groups = peer_groups(fd)) {
    p.caller.groups = std::move(*groups);
  }
  if (auto pw = lookup_uid(cred.uid)) {
    p.caller.user = pw->name;
    p.full_name = pw->gecos.substr(0, pw->gecos.find(','));
  }
  return p;
}

// The address a uid may always send as: its login (as context/context.h names a uid without
// one) with the domain.
std::string own_address(const Caller& c, const std::string& domain) {
  return qualify(c.user.empty() ? "uid" + std::to_string(c.uid) : c.user, domain);
}

Error policy_refusal(int code, const char* enhanced, std::string text) {
  Error e = make_error(Errc::usage, "%s", text.c_str());
  e.reply = SmtpReply{code, enhanced, {std::move(text)}};
  return e;
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
  const Peer peer = peer_of(fd, cred);
  const uid_t uid = cred.uid;
  // The daemon's own uid (a `systemctl --user` instance's user) is as root to it.
  const Limits limits = uid == ::geteuid()
                            ? Limits{.admin = true}
                            : limits_for(cfg->daemon, peer.caller, system_name_lookup());
  auto ticket = ledger_.admit_connection(uid, limits.connections);
  if (!ticket) {
    const std::string r = "421 4.7.0 uid " + std::to_string(uid) + " has " +
                          std::to_string(limits.connections) + " connections open already\r\n";
    refuse(fd, r.c_str());
    d_.log.warn("uid %u: connection refused: %u open already", static_cast<unsigned>(uid),
                limits.connections);
    return;
  }
  Aliases aliases = load_aliases_or_none(*cfg, d_.log);
  RecipientPolicy policy;
  policy.domain = effective_domain(*cfg, d_.ctx);
  policy.hostname = effective_hostname(*cfg, d_.ctx);
  policy.mailname = d_.ctx.mailname;
  policy.admin = cfg->admin;
  policy.aliases = &aliases;
  policy.unknown_local = cfg->unknown_local;
  const std::string own = own_address(peer.caller, policy.domain);
  const std::string hour_full = "uid " + std::to_string(uid) + " has sent its " +
                                std::to_string(limits.messages_per_hour) +
                                " messages of the last hour";
  auto commit = [&](const SmtpEnvelope& env, ByteSource& body) -> Result<std::string> {
    auto slot = ledger_.admit_message(uid, limits.messages_per_hour, d_.clock.mono());
    if (!slot) {
      d_.log.warn("uid %u: message refused: %s", static_cast<unsigned>(uid), hour_full.c_str());
      return policy_refusal(450, "4.7.1", hour_full);
    }
    MessageSpec spec = message_spec(env, policy.domain);
    if (spec.full_name.empty()) {
      spec.full_name = peer.full_name;
    }
    Submitter who{
        *cfg, policy, uid, d_.log, limits.max_message_size, limits.recipients_per_message};
    int code = 0;
    auto id = commit_message(who, d_.store, d_.clock, spec, body, code);
    if (!id) {
      d_.log.warn("uid %u: message refused: %s", static_cast<unsigned>(uid),
                  id.error().what.c_str());
      Error e = std::move(id).error();
      e.reply = reply_for_refusal(e, code);
      return e;
    }
    slot->commit();
    d_.log.info("%s: uid=%u from=<%s>", id->c_str(), static_cast<unsigned>(uid),
                spec.sender.c_str());
    d_.scheduler.add(*id, d_.clock.mono());
    return id;
  };
  SmtpServerOptions so;
  so.hostname = policy.hostname;
  so.max_size = smaller_limit(cfg->max_message_size, limits.max_message_size);
  so.max_recipients = kMaxRecipients;
  so.local_extensions = true;
  so.check_sender = [&](std::string_view sender) -> Status {
    const std::string s = sender.empty() ? "" : qualify(std::string(sender), policy.domain);
    if (!sender_allowed(limits, s, own)) {
      return policy_refusal(553, "5.7.1",
                            "uid " + std::to_string(uid) + " may not send as <" + s + ">");
    }
    if (limits.messages_per_hour > 0 &&
        ledger_.messages(uid, d_.clock.mono()) >= limits.messages_per_hour) {
      return policy_refusal(450, "4.7.1", hour_full);
    }
    return {};
  };
  const QueueCaller caller{uid, limits.admin, cfg->daemon.admin_group};
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
  if (!r) {  // a client that hung up without QUIT (a probe, a killed sendmail) is no news
    const int e = r.error().sys_errno;
    d_.log.log(e == EPIPE || e == ECONNRESET ? LogLevel::debug : LogLevel::warn, "uid %u: %s",
               static_cast<unsigned>(uid), r.error().what.c_str());
  }
}

}  // namespace rm
