// tests/bench/bench_daemon.cc — daemon mode in bench_relay: `relaymaild serve` as a child
// (Relaymaild: started with a config, ready when its socket accepts a connection, stopped by
// SIGTERM to its pid with a deadline, never by name) and the figures that set it against queue
// mode in the same run (8 to 11; the list is in bench_relay.cc's header). Each figure starts a
// fresh smarthost and a daemon of its own (its own spool and socket), warms up untimed,
// alternates daemon and queue-mode runs, checks that every message arrived (maildir) or was
// queued (spool), stops the daemon, expecting exit 0, and returns its rows; failures go through
// Bench::fail() and show as "FAILED" in the row. Not here: options, set-up and the report
// (bench_relay.cc), processes (bench_proc.h), formatting (bench_table.h).
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bench/bench_relay.h"

namespace rm::bench {
namespace {

constexpr double kDaemonReadyMs = 20000;
constexpr double kDaemonStopMs = 30000;  // daemon.stop_timeout (10 s) and an attempt in flight
constexpr int kProbeMs = 2000;           // a reply to the readiness probe

// Whether something accepts connections on the Unix socket at path and greets with a 220: the
// probe reads the greeting and QUITs, so the daemon logs no broken pipe for it. Bounded by
// kProbeMs per read.
bool answers(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);  // the caller checked the length
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid() || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    return false;
  }
  auto reply = [&fd] {
    std::string text;
    char buf[512];
    pollfd p{fd.get(), POLLIN, 0};
    while (text.find('\n') == std::string::npos && ::poll(&p, 1, kProbeMs) > 0) {
      const ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n <= 0) {
        break;
      }
      text.append(buf, static_cast<size_t>(n));
    }
    return text;
  };
  if (reply().rfind("220", 0) != 0) {
    return false;
  }
  (void)write_all(fd.get(), "QUIT\r\n", 6);
  (void)reply();
  return true;
}

bool exited(const Spawned& child) {
  pollfd p{child.pidfd.get(), POLLIN, 0};
  return child.pidfd.valid() && ::poll(&p, 1, 0) > 0;
}

// "1.08×": a / b, or "—" without both.
std::string times(double a, double b) {
  return a > 0 && b > 0 ? num(a / b) + "×" : "—";
}

// Occurrences of needle in the complete lines of the log at path from *offset on; *offset moves
// past the last complete line read.
long count_lines(const std::string& path, const std::string& needle, size_t* offset) {
  const std::string text = read_file_from(path, *offset, size_t{16} << 20);
  const size_t end = text.rfind('\n');
  if (end == std::string::npos) {
    return 0;
  }
  long n = 0;
  for (size_t at = text.find(needle); at != std::string::npos && at < end;
       at = text.find(needle, at + needle.size())) {
    ++n;
  }
  *offset += end + 1;
  return n;
}

}  // namespace

bool Relaymaild::start(const std::string& bin, const std::string& conf, const std::string& socket,
                       const std::string& stderr_path, std::string* err) {
  if (socket.size() >= sizeof(sockaddr_un{}.sun_path)) {
    *err = "socket path too long for a Unix socket: " + socket;
    return false;
  }
  child_ = spawn(Cmd{bin, {"serve", "-C", conf}, nullptr},
                 Io{.stdout_path = stderr_path, .stderr_path = stderr_path});
  if (child_.pid < 0) {
    *err = child_.error;
    return false;
  }
  bool gone = false;
  const bool ready = wait_until(
      [&] {
        gone = exited(child_);
        return gone || answers(socket);
      },
      {socket.substr(0, socket.rfind('/'))}, now_ms() + kDaemonReadyMs);
  if (ready && !gone) {
    return true;
  }
  *err = "relaymaild serve " +
         (gone ? std::string("exited") : "did not answer on " + socket + " within 20 s") +
         " (log: " + tail_of(stderr_path, 300) + ")";
  (void)stop();
  return false;
}

int Relaymaild::stop() {
  if (child_.pid <= 0) {
    return 0;
  }
  ::kill(child_.pid, SIGTERM);  // this child's pid: unreaped, so it cannot have been reused
  return wait_exit(child_, now_ms() + kDaemonStopMs);
}

bool Bench::start_daemon(const std::string& conf) {
  stop_daemon();
  daemon_log_ = dir_ + "/logs/" + conf + "-relaymaild.log";
  const std::string bin = bin_ + "/relaymaild";
  std::string err;
  if (::access(bin.c_str(), X_OK) != 0) {
    fail("no relaymaild next to " + o_.relaymail);
    return false;
  }
  if (!daemon_.start(bin, dir_ + "/" + conf + "-serve.conf", dir_ + "/" + conf + ".sock",
                     daemon_log_, &err)) {
    fail("start relaymaild serve: " + err);
    return false;
  }
  return true;
}

void Bench::stop_daemon() {
  if (!daemon_.running()) {
    return;
  }
  if (int st = daemon_.stop(); st != 0) {
    fail("relaymaild serve " + describe_status(st) + " when stopped by SIGTERM (log " +
         daemon_log_ + ")");
  }
  size_t from = 0;
  if (long deferred = count_lines(daemon_log_, "status=deferred", &from);
      deferred > 0 && figure_.rfind("11.", 0) != 0) {  // figure 11 defers on purpose
    fail("relaymaild deferred " + std::to_string(deferred) + " attempts (log " + daemon_log_ + ")");
  }
}

// One submission of msg_ whose message must reach the smarthost before the next run: spawn to
// exit (seen by the collector's thread when it happens) and spawn to the .eml in the maildir
// (inotify); then, untimed, until `spool` is empty (the daemon removes the entry after the
// smarthost's 250). *sent counts the messages the maildir should hold. Nothing on failure
// (recorded).
std::optional<Bench::Delivered> Bench::submit_delivered(const Cmd& cmd, const std::string& spool,
                                                        long* sent) {
  UniqueFd r;
  UniqueFd w;
  if (!make_pipe(&r, &w)) {
    fail(std::string("pipe: ") + std::strerror(errno));
    return std::nullopt;
  }
  ExitCollector exits(1);
  const double t0 = now_ms();
  Spawned child = spawn(cmd, Io{.stdin_fd = r.get(), .stderr_path = log_});
  r.reset();
  if (child.pid < 0) {
    fail(child.error);
    return std::nullopt;
  }
  const bool wrote = write_all(w.get(), msg_.data(), msg_.size());
  w.reset();
  exits.add(std::move(child));
  const bool arrived = wait_until([&] { return mails() > *sent; }, {maildir_}, t0 + kDeliverWaitMs);
  const double t_arrived = now_ms();
  const ExitCollector::Exit e = exits.finish(t0 + kRunTimeoutMs)[0];
  if (e.status != 0 || !wrote) {
    fail(basename_of(cmd.path) + " " + describe_status(e.status) +
         (wrote ? "" : " (stdin closed early)"));
  }
  if (!arrived || !wait_until([&] { return count_files(spool, ".mail") == 0; }, {spool},
                              now_ms() + kDeliverWaitMs)) {
    fail("a message did not reach the smarthost within 30 s (maildir " + std::to_string(mails()) +
         ", spool " + std::to_string(count_files(spool, ".mail")) + ")");
    *sent = mails();
    return std::nullopt;
  }
  ++*sent;
  if (e.status != 0 || !wrote) {
    return std::nullopt;
  }
  return Delivered{e.exit_ms - t0, t_arrived - t0};
}

std::vector<Row> Bench::fig_daemon_submit() {
  begin("8 and 10. submit, daemon vs queue; to the smarthost", "dsub");
  const size_t mark = failure_mark();
  Row sub;
  sub.figure = "8. `sendmail -t -i`, 4 KB, delivery = daemon against delivery = queue (ms)";
  sub.target = "daemon/queue (medians) ≤ 1.1×";
  sub.msmtp = "n/a (relaymail's two modes)";
  sub.ratio = "—";
  Row arr;
  arr.figure =
      "10. delivery = daemon, smarthost up: from starting `sendmail -t -i` to the message in the "
      "smarthost's maildir (ms); msmtp's synchronous send timed the same way";
  arr.target = "— (none set; msmtp for scale)";
  if (!restart_smarthost() || !start_daemon("dsub")) {
    sub.relaymail = arr.relaymail = "FAILED";
    sub.meets = arr.meets = meets(false, mark);
    return {sub, arr};
  }
  const Cmd d_cmd = sendmail("dsub");
  const Cmd q_cmd = sendmail("qsub");
  const Cmd ms_cmd = msmtp({"-t", "-i"});
  const std::string dq = spool_queue("dsub");
  std::vector<double> d_exit;
  std::vector<double> d_arrive;
  std::vector<double> q_exit;
  std::vector<double> ms_arrive;
  long sent = 0;
  long queued = 0;
  auto delivered_once = [&](const Cmd& cmd, std::vector<double>* exit_ms,
                            std::vector<double>* arrive_ms) {
    if (auto t = submit_delivered(cmd, dq, &sent); t && exit_ms != nullptr) {
      exit_ms->push_back(t->exit_ms);
      arrive_ms->push_back(t->arrived_ms);
    }
  };
  auto queue_once = [&](std::vector<double>* into) {
    if (auto t = submit(q_cmd)) {
      ++queued;
      if (into != nullptr) {
        into->push_back(*t);
      }
    }
  };
  delivered_once(d_cmd, nullptr, nullptr);  // warm-up (the daemon's first session, page cache)
  queue_once(nullptr);
  long pairs = 0;
  alternate(
      o_.latency_runs, have_msmtp_ ? o_.runs : 0,
      [&] {  // one of each mode, the order swapped every other time
        if (pairs++ % 2 == 0) {
          delivered_once(d_cmd, &d_exit, &d_arrive);
          queue_once(&q_exit);
        } else {
          queue_once(&q_exit);
          delivered_once(d_cmd, &d_exit, &d_arrive);
        }
      },
      [&] {
        std::vector<double> exit_ms;
        delivered_once(ms_cmd, &exit_ms, &ms_arrive);
      });
  if (count_files(spool_queue("qsub"), ".mail") != queued) {
    fail("the queue-mode spool holds " + std::to_string(count_files(spool_queue("qsub"), ".mail")) +
         " entries, not " + std::to_string(queued));
  }
  stop_daemon();
  clear_dir(maildir_);
  const Stats d = summarize(d_exit);
  const Stats q = summarize(q_exit);
  const Stats a = summarize(d_arrive);
  const Stats m = summarize(ms_arrive);
  sub.relaymail = "daemon " + cell(d, true) + "; queue " + cell(q, true) + "; daemon/queue " +
                  times(d.median, q.median);
  sub.meets = meets(d.n > 0 && q.n > 0 && d.median <= 1.1 * q.median, mark);
  arr.relaymail = cell(a, true);
  arr.msmtp = have_msmtp_ ? cell(m, false) : msmtp_na();
  arr.ratio = have_msmtp_ ? ratio(a.median, m.median) : "—";
  arr.meets = failure_count_ > mark ? "FAILED (see below)" : "—";
  notes_.push_back(
      "Figure 8: " + std::to_string(d.n) + " daemon-mode and " + std::to_string(q.n) +
      " queue-mode runs, alternating; `relaymaild serve` is started for the figure (its own "
      "spool; ready when its socket accepts a connection; stopped by SIGTERM to its pid) and "
      "delivers each message to the smarthost at once: each daemon run waits, untimed, until "
      "the smarthost has the message and the daemon's spool is empty; queue-mode entries stay "
      "queued.");
  notes_.push_back(
      "Figure 10: the daemon runs of figure 8, timed from just before posix_spawn to "
      "the .eml appearing in fake_smtpd's maildir (inotify); " +
      std::to_string(m.n) + " msmtp runs timed the same way.");
  return {sub, arr};
}

// n submissions of msg_, at most width running at once (a slot refilled as soon as a process
// exits): the wall time from the first spawn to the last exit, or nothing (failure recorded).
std::optional<double> Bench::burst(const Cmd& cmd, long n, long width, const std::string& who) {
  const double t0 = now_ms();
  const std::vector<int> status = run_window(
      static_cast<size_t>(n), static_cast<size_t>(width),
      [&](size_t) {
        UniqueFd r;
        UniqueFd w;
        Spawned child;
        if (!make_pipe(&r, &w)) {
          child.error = std::string("pipe: ") + std::strerror(errno);
          return child;
        }
        child = spawn(cmd, Io{.stdin_fd = r.get(), .stderr_path = log_});
        r.reset();
        if (child.pid > 0) {
          (void)write_all(w.get(), msg_.data(), msg_.size());  // a short write shows as an exit
        }
        return child;
      },
      t0 + kRunTimeoutMs);
  const double t1 = now_ms();
  std::map<int, long> bad;
  for (int st : status) {
    if (st != 0) {
      ++bad[st];
    }
  }
  if (bad.empty()) {
    return t1 - t0;
  }
  std::string what;
  long failed = 0;
  for (const auto& [st, count] : bad) {
    what += (what.empty() ? "" : ", ") + std::to_string(count) + " " + describe_status(st);
    failed += count;
  }
  fail(who + ": " + std::to_string(failed) + " of " + std::to_string(n) + " failed (" + what + ")");
  return std::nullopt;
}

Row Bench::fig_daemon_burst() {
  begin("9. burst, daemon vs queue", "dburst");
  const size_t mark = failure_mark();
  const long n = o_.burst_msgs;
  Row row;
  row.figure = "9. burst of " + std::to_string(n) + " `sendmail -t -i`, " +
               std::to_string(o_.burst_width) +
               " at a time: wall time, delivery = daemon against delivery = queue (ms)";
  row.target = "daemon/queue (medians) ≤ 1.0× (an empty program: about 0.7×, the floor)";
  row.msmtp = "n/a (relaymail's two modes)";
  row.ratio = "—";
  if (!restart_smarthost() || !start_daemon("dburst")) {
    row.relaymail = "FAILED";
    row.meets = meets(false, mark);
    return row;
  }
  const Cmd d_cmd = sendmail("dburst");
  const Cmd q_cmd = sendmail("qburst");
  const Cmd e_cmd{o_.empty, {}, nullptr};
  const std::string dq = spool_queue("dburst");
  const std::string qq = spool_queue("qburst");
  std::vector<double> d_ms;
  std::vector<double> q_ms;
  std::vector<double> e_ms;
  std::vector<double> d_done_ms;
  auto daemon_once = [&](long k, bool timed) {
    clear_dir(maildir_);
    const double t0 = now_ms();
    auto t = burst(d_cmd, k, o_.burst_width, "daemon-mode burst");
    // Untimed: the daemon delivers the whole burst and empties its spool before the next one.
    const bool done =
        wait_until([&] { return (!t || mails() == k) && count_files(dq, ".mail") == 0; },
                   {maildir_, dq}, now_ms() + kDeliverWaitMs);
    const double t1 = now_ms();
    if (!done) {
      fail("the daemon delivered " + std::to_string(mails()) + " of a burst of " +
           std::to_string(k) +
           " within 30 s after it (its spool: " + std::to_string(count_files(dq, ".mail")) + ")");
    } else if (t && timed) {
      d_ms.push_back(*t);
      d_done_ms.push_back(t1 - t0);
    }
  };
  auto queue_once = [&](long k, bool timed) {
    auto t = burst(q_cmd, k, o_.burst_width, "queue-mode burst");
    if (long queued = count_files(qq, ".mail"); queued != k) {
      fail("the queue-mode spool holds " + std::to_string(queued) + " entries after a burst of " +
           std::to_string(k));
    } else if (t && timed) {
      q_ms.push_back(*t);
    }
    clear_dir(qq);  // every burst starts on an empty queue, as the daemon's do
  };
  auto empty_once = [&](long k, bool timed) {
    if (auto t = burst(e_cmd, k, o_.burst_width, "empty-program burst"); t && timed) {
      e_ms.push_back(*t);
    }
  };
  const long warm = std::min(n, o_.burst_width);
  daemon_once(warm, false);
  queue_once(warm, false);
  empty_once(warm, false);
  const std::function<void()> each[] = {[&] { daemon_once(n, true); }, [&] { queue_once(n, true); },
                                        [&] { empty_once(n, true); }};
  for (long r = 0; r < o_.burst_runs; ++r) {
    for (long k = 0; k < 3; ++k) {
      each[(r + k) % 3]();  // the order rotates from one round to the next
    }
  }
  stop_daemon();
  clear_dir(maildir_);
  const Stats d = summarize(d_ms);
  const Stats q = summarize(q_ms);
  const Stats e = summarize(e_ms);
  row.relaymail = "daemon " + cell(d, false) + "; queue " + cell(q, false) + "; daemon/queue " +
                  times(d.median, q.median) + "; empty program " + cell(e, false) +
                  ", empty/queue " + times(e.median, q.median) + " (the floor)";
  row.meets = meets(d.n > 0 && q.n > 0 && d.median <= q.median, mark);
  notes_.push_back(
      "Figure 9: " + std::to_string(o_.burst_runs) +
      " bursts per kind (daemon mode, queue mode, "
      "bench_empty; the order rotating), each of " +
      std::to_string(n) +
      " processes fed the 4 "
      "KB message through a pipe, at most " +
      std::to_string(o_.burst_width) +
      " running at once (a slot refilled as soon as a process exits), timed from the first "
      "posix_spawn to the last exit. The daemon delivers to the smarthost while its burst runs "
      "(as it does in use); the bench then waits, untimed, until the smarthost has all " +
      std::to_string(n) + " (median " + num(summarize(d_done_ms).median) +
      " ms after the burst began) and the daemon's spool is empty. The queue-mode spool is "
      "emptied between bursts.");
  return row;
}

// With the smarthost down: n submissions of msg_ through the daemon (burst_width at a time),
// then until its log (read on from *log_at) shows n more deferrals (retry.first is 1 h: none
// is tried again meanwhile). Whether `spool` then holds the n entries (failures recorded).
bool Bench::defer_through_daemon(const Cmd& cmd, const std::string& spool, long n, size_t* log_at) {
  (void)count_lines(daemon_log_, "status=deferred", log_at);  // what came before
  (void)burst(cmd, n, o_.burst_width, "queueing through the daemon");
  long deferred = 0;
  if (!wait_until(
          [&] {
            deferred += count_lines(daemon_log_, "status=deferred", log_at);
            return deferred >= n;
          },
          {}, now_ms() + kDeliverWaitMs)) {
    fail("with the smarthost down, the daemon deferred " + std::to_string(deferred) + " of " +
         std::to_string(n) + " within 30 s");
  }
  if (long queued = count_files(spool, ".mail"); queued != n) {
    fail("the daemon's spool holds " + std::to_string(queued) + " entries, not " +
         std::to_string(n));
    return false;
  }
  return true;
}

// A fresh smarthost on `port` (what the configs name), then `flush` timed from spawn to exit
// over the n entries waiting in spool: the rate in msg/s, or nothing (failure recorded).
std::optional<double> Bench::timed_flush(const Cmd& flush, const std::string& spool, long n,
                                         int port, const std::string& who) {
  if (!restart_smarthost(port)) {
    return std::nullopt;
  }
  const std::string out = dir_ + "/logs/dflush.out";  // one line per message
  ::truncate(out.c_str(), 0);
  std::string err;
  const double t0 = now_ms();
  const int st =
      rm::bench::run(flush, Io{.stdout_path = out, .stderr_path = log_}, kBigTimeoutMs, &err);
  const double t1 = now_ms();
  if (st != 0) {
    fail(who + " " + describe_status(st, err));
  } else if (!wait_mails(n) || count_files(spool, ".mail") != 0) {
    fail(who + " delivered " + std::to_string(mails()) + " of " + std::to_string(n) + ", " +
         std::to_string(count_files(spool, ".mail")) + " left in the spool");
  } else {
    return static_cast<double>(n) * 1000 / (t1 - t0);
  }
  return std::nullopt;
}

Row Bench::fig_daemon_flush() {
  begin("11. flush, daemon (XFLUSH) vs one-shot", "dflush");
  const size_t mark = failure_mark();
  const long k = o_.daemon_flush_msgs;
  Row row;
  row.figure = "11. `relaymail flush` of " + std::to_string(k) +
               " queued 4 KB messages, delivery = daemon (XFLUSH) against the one-shot queue run "
               "(msg/s)";
  row.target = "daemon/one-shot (medians) ≥ 1.0×";
  row.msmtp = "n/a (relaymail's two modes)";
  row.ratio = "—";
  if (!restart_smarthost() || !start_daemon("dflush")) {
    row.relaymail = "FAILED";
    row.meets = meets(false, mark);
    return row;
  }
  const int port = smtpd_.port();  // the daemon's config names it: each restart keeps it
  const Cmd d_sub = sendmail("dflush");
  const Cmd q_sub = sendmail("qflush");
  const Cmd d_flush{bin_ + "/relaymail", {"flush"}, &env("dflush")};
  const Cmd q_flush{bin_ + "/relaymail", {"flush"}, &env("qflush")};
  const std::string dq = spool_queue("dflush");
  const std::string qq = spool_queue("qflush");
  std::vector<double> d_rate;
  std::vector<double> q_rate;
  size_t log_at = 0;  // how far the daemon's log has been read
  auto daemon_once = [&](long m, std::vector<double>* into) {
    stop_smarthost();  // down: the daemon defers each message it is given
    const bool queued = defer_through_daemon(d_sub, dq, m, &log_at);
    auto rate =
        queued ? timed_flush(d_flush, dq, m, port, "relaymail flush (XFLUSH)") : std::nullopt;
    if (!queued) {
      (void)restart_smarthost(port);
    }
    if (rate && into != nullptr) {
      into->push_back(*rate);
    }
  };
  auto oneshot_once = [&](long m, std::vector<double>* into) {
    (void)burst(q_sub, m, o_.burst_width, "queueing in queue mode");
    if (long queued = count_files(qq, ".mail"); queued != m) {
      fail("the queue-mode spool holds " + std::to_string(queued) + " entries, not " +
           std::to_string(m));
      clear_dir(qq);
      return;
    }
    if (auto rate = timed_flush(q_flush, qq, m, port, "relaymail flush (one-shot)");
        rate && into != nullptr) {
      into->push_back(*rate);
    }
  };
  const long warm = std::min(k, o_.burst_width);
  daemon_once(warm, nullptr);
  oneshot_once(warm, nullptr);
  alternate(
      o_.daemon_flush_runs, o_.daemon_flush_runs, [&] { daemon_once(k, &d_rate); },
      [&] { oneshot_once(k, &q_rate); });
  stop_daemon();
  clear_dir(maildir_);
  const Stats d = summarize(d_rate);
  const Stats q = summarize(q_rate);
  row.relaymail = "daemon " + cell(d, false) + "; one-shot " + cell(q, false) +
                  "; daemon/one-shot " + times(d.median, q.median);
  row.meets = meets(d.n > 0 && q.n > 0 && d.median >= q.median, mark);
  notes_.push_back(
      "Figure 11: " + std::to_string(o_.daemon_flush_runs) + " flushes of " + std::to_string(k) +
      " messages per mode, alternating. Daemon: with the smarthost stopped, the messages are "
      "submitted through the daemon (" +
      std::to_string(o_.burst_width) +
      " at a time, untimed) and wait until its log shows each deferred; then a fresh smarthost "
      "starts on the same port and `relaymail flush` (XFLUSH: the daemon runs the whole queue and "
      "replies one line per message) is timed from spawn to exit. One-shot: the messages are "
      "queued with `sendmail -t -i` in queue mode (untimed), a fresh smarthost starts, and "
      "`relaymail flush` is timed the same way. Rates are messages / that time; every run ends "
      "with all of them in the maildir and the spool empty.");
  return row;
}

}  // namespace rm::bench
