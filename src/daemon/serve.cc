#include "daemon/serve.h"

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <thread>

#include "context/context.h"
#include "context/setup.h"
#include "context/spool.h"
#include "daemon/config_holder.h"
#include "daemon/delivery_worker.h"
#include "daemon/housekeeper.h"
#include "daemon/network_waiters.h"
#include "daemon/network_watch.h"
#include "daemon/queue_flusher.h"
#include "daemon/scheduler.h"
#include "daemon/submission_server.h"
#include "daemon/submit_socket.h"
#include "daemon/systemd_notify.h"
#include "oauth2/token_provider.h"
#include "relay/connector.h"
#include "relay/retry_policy.h"
#include "sys/fs.h"
#include "sys/hardening.h"
#include "sys/signals.h"
#include "sys/std_fds.h"
#include "sys/sysexits.h"
#include "sys/trusted_dir.h"

namespace rm::daemon {
namespace {

// Started as root: become daemon.user now that the socket is open ("" or "root": stay root).
// `socket_path` is given to that user; "" when the socket is systemd's (SocketUser= owns it).
Status drop_privileges(const Config& cfg, const std::string& socket_path) {
  if (::geteuid() != 0 || cfg.daemon.user.empty() || cfg.daemon.user == "root") {
    return {};
  }
  const passwd* pw = ::getpwnam(cfg.daemon.user.c_str());
  if (pw == nullptr) {
    return make_error(Errc::config, "daemon.user \"%s\": no such user", cfg.daemon.user.c_str());
  }
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  if (!socket_path.empty() && ::chown(socket_path.c_str(), uid, gid) != 0) {
    return sys_error(Errc::io, errno, "chown %s", socket_path.c_str());
  }
  if (::setgroups(1, &gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) {
    return sys_error(Errc::io, errno, "become user %s", cfg.daemon.user.c_str());
  }
  return {};
}

// Every entry with something left to do, due at its next try (now when it is past, or when the
// entry has outlived its lifetime and must bounce).
void schedule_spool(QueueStore& store, const Config& cfg, const Clock& clock, Scheduler& sched,
                    NetworkWaiters& waiters, Logger& log) {
  auto listed = store.list();
  if (!listed) {
    log.error("%s", listed.error().what.c_str());
    return;
  }
  for (const auto& id : listed->quarantined) {
    log.error("%s: corrupt or untrusted queue entry moved to failed/", id.c_str());
  }
  const ClockReading now = read_clock(clock);
  const MonoTime mono = clock.mono();
  for (const QueueEntry& e : listed->entries) {
    if (!e.has_pending()) {
      continue;
    }
    int64_t wait = 0;
    if (!retry_due(cfg.retry, e, now) && !entry_expired(cfg.retry, e, now)) {
      wait = std::max<int64_t>(0, e.next_try - now.wall);
    }
    sched.add(e.id, mono + std::chrono::seconds(wait));
    const Account* acc = pick_account(cfg, e.sender, e.account);
    if (wait > 0 && acc != nullptr && awaits_network(e)) {
      waiters.add(acc->name, e.id);
    }
  }
  log.info("%zu queued entries scheduled", sched.size());
}

// The host gained an address or a route: the network may be back. Each account with entries
// waiting for it is tried again at once, with one of them; when that one reaches the smarthost
// the rest follow (daemon/delivery_worker.h).
void watch_network(NetworkWatch& watch, NetworkWaiters& waiters, ConnectionPool& pool,
                   Scheduler& sched, const Clock& clock, Logger& log) {
  while (watch.wait()) {
    std::vector<std::string> probes = waiters.take_probes();
    if (probes.empty()) {
      continue;
    }
    pool.clear_down();
    log.info("the network changed: trying %zu account(s) again", probes.size());
    for (const std::string& id : probes) {
      sched.add(id, clock.mono());
    }
  }
}

size_t worker_count(const Config& cfg) {
  size_t n = 1;
  for (const Account& a : cfg.accounts) {
    n = std::max<size_t>(n, a.connections);
  }
  return std::min<size_t>(n, kMaxConnections);
}

// RELIABILITY.md §6 case 55: what the daemon reads to decide where mail goes and as whom must
// be changeable by root or the daemon user alone.
Status check_daemon_files(const Config& cfg) {
  const uid_t me = ::geteuid();
  std::vector<std::string> files{cfg.path};
  if (!cfg.aliases.empty() && ::access(cfg.aliases.c_str(), F_OK) == 0) {
    files.push_back(cfg.aliases);
  }
  auto secret_file = [&files](const PasswordSource& p) {
    if (p.kind == PasswordSource::Kind::file) {
      files.push_back(p.value);
    }
  };
  for (const Account& a : cfg.accounts) {
    secret_file(a.password);
    if (a.oauth2) {
      secret_file(a.oauth2->refresh_token);
      secret_file(a.oauth2->client_secret);
    }
  }
  for (const std::string& f : files) {
    if (auto r = check_trusted_file(f, me); !r) {
      return r;
    }
  }
  return {};
}

// systemd is told, not asked: a failed notification is worth a line, never a stop.
void tell(Logger& log, const Status& notified) {
  if (!notified) {
    log.warn("%s", notified.error().what.c_str());
  }
}

// The socket systemd passed (relaymail.socket), else one of our own at daemon.socket.
Result<UniqueFd> open_listen_socket(const Config& cfg, bool& activated) {
  auto passed = systemd::passed_socket();
  if (!passed) {
    return std::move(passed).error();
  }
  activated = passed->has_value();
  return activated ? std::move(**passed) : listen_at(cfg.daemon.socket);
}

int wait_for_stop(ConfigHolder& holder, const std::string& path, const Context& ctx,
                  const sigset_t& signals, Logger& log) {
  for (;;) {
    int sig = 0;
    if (::sigwait(&signals, &sig) != 0) {
      continue;
    }
    if (sig != SIGHUP) {
      log.info("signal %d: stopping", sig);
      tell(log, systemd::stopping());
      return kExOk;
    }
    tell(log, systemd::reloading());
    auto fresh = load_config_for(path, ctx);
    Status trusted = fresh ? check_daemon_files(*fresh) : Status{};
    if (!fresh || !trusted) {
      log.error("reload: %s; keeping the configuration in use",
                (fresh ? trusted.error() : fresh.error()).what.c_str());
      tell(log, systemd::ready("reload refused; the previous configuration stays in use"));
      continue;
    }
    holder.set(std::make_shared<const Config>(std::move(*fresh)));
    log.info("reload: configuration from %s in use", holder.get()->path.c_str());
    tell(log, systemd::ready("serving; configuration reloaded"));
  }
}

}  // namespace

int serve(const std::vector<std::string>& args, SecretStore& keyring) {
  (void)ensure_std_fds();
  ignore_sigpipe();
  ::umask(077);
  Logger log("relaymaild", LogLevel::info);
  log.enable_stderr(true);
  std::string config_path;
  for (size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "-C" || args[i] == "--config") && i + 1 < args.size()) {
      config_path = args[++i];
    } else {
      log.error("serve: unknown argument '%s' (relaymaild --help)", args[i].c_str());
      return kExUsage;
    }
  }
  // Signals are taken by sigwait() here only: every thread started below inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) {
    sigaddset(&signals, s);
  }
  ::pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  Context ctx = gather_context();
  auto loaded = load_config_for(config_path, ctx);
  if (!loaded) {
    log.error("%s", loaded.error().what.c_str());
    return kExConfig;
  }
  configure_logger(log, *loaded);
  if (auto h = keep_secrets_out_of_dumps(); !h) {
    log.warn("%s", h.error().what.c_str());
  }
  ConfigHolder holder(std::make_shared<const Config>(std::move(*loaded)));
  std::shared_ptr<const Config> cfg = holder.get();
  bool activated = false;
  auto listen_fd = open_listen_socket(*cfg, activated);
  if (!listen_fd) {
    log.error("%s", listen_fd.error().what.c_str());
    return kExOsErr;
  }
  if (auto d = drop_privileges(*cfg, activated ? "" : cfg->daemon.socket); !d) {
    log.error("%s", d.error().what.c_str());
    return d.error().code == Errc::config ? kExConfig : kExOsErr;
  }
  ctx = gather_context();  // who we are now
  if (auto trusted = check_daemon_files(*cfg); !trusted) {
    log.error("%s", trusted.error().what.c_str());
    return kExConfig;
  }
  Config as_daemon = *cfg;
  as_daemon.delivery = DeliveryMode::daemon;  // the daemon's spool, whatever mode the file says
  SystemClock clock;
  auto store = open_spool(as_daemon, ctx, clock);
  if (!store) {
    log.error("%s", store.error().what.c_str());
    return spool_exit(store.error());
  }
  Scheduler scheduler;
  NetworkWaiters waiters;
  schedule_spool(**store, *cfg, clock, scheduler, waiters, log);
  const std::string hostname = effective_hostname(*cfg, ctx);
  // OAuth2 access tokens are cached beside the spool, checked as it is (oauth2/token_cache.h).
  TokenProvider tokens(join_path((*store)->dir(), "oauth2"), clock, &keyring,
                       [&log](const std::string& line) { log.warn("%s", line.c_str()); });
  NetConnector connector(hostname, {}, &keyring, &tokens);
  ConnectionPool pool(connector, clock, ConnectionPool::Options{Millis(cfg->retry.first)});
  std::vector<std::thread> workers;
  for (size_t k = 0; k < worker_count(*cfg); ++k) {
    workers.emplace_back([&] {
      DeliveryWorker(
          DeliveryDeps{holder, hostname, **store, clock, scheduler, pool, log, {}, &waiters})
          .run();
    });
  }
  QueueFlusher flusher(
      DeliveryDeps{holder, hostname, **store, clock, scheduler, pool, log, {}, &waiters},
      worker_count(*cfg));
  SubmissionServer server(SubmissionDeps{holder, ctx, **store, clock, scheduler, flusher, log},
                          std::move(*listen_fd));
  std::thread acceptor([&server] { server.run(); });
  Housekeeper housekeeper(pool, **store, log);
  std::thread chores([&housekeeper] { housekeeper.run(); });
  auto watch = NetworkWatch::open();
  if (!watch) {
    log.warn("%s: a network coming back is noticed by the next retry only",
             watch.error().what.c_str());
  }
  std::thread network([&] {
    if (watch) {
      watch_network(*watch, waiters, pool, scheduler, clock, log);
    }
  });
  const std::string where = activated ? "the socket systemd passed" : cfg->daemon.socket;
  log.info("serving on %s, spool %s", where.c_str(), (*store)->dir().c_str());
  tell(log, systemd::ready("serving on " + where));
  int code = wait_for_stop(holder, config_path, ctx, signals, log);
  server.stop();
  acceptor.join();
  const bool idle = server.wait_idle(Millis(holder.get()->daemon.stop_timeout));
  if (!idle) {
    log.warn("stop: dialogues still open after daemon.stop_timeout; their messages are not queued");
  }
  if (watch) {
    watch->stop();
  }
  network.join();
  housekeeper.stop();
  chores.join();
  scheduler.stop();
  for (std::thread& t : workers) {
    t.join();  // each ends its attempt in flight first
  }
  if (!idle) {
    ::_exit(code);  // the open dialogues' threads still use what the destructors would free
  }
  return code;
}

}  // namespace rm::daemon
