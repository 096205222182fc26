// tests/bench/bench_figures.cc — what bench_relay measures, one Bench member per figure (the
// list and the rules are in bench_relay.cc's header). Each figure restarts the smarthost when it
// needs one, warms up untimed, alternates relaymail and msmtp runs, checks that every message
// arrived (maildir) or was queued (spool), and returns its table row; failures go through
// Bench::fail() and show as "FAILED" in the row. Not here: options, set-up and the report
// (bench_relay.cc), processes (bench_proc.h), formatting (bench_table.h).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "bench/bench_nullmailer_ns.h"
#include "bench/bench_relay.h"

namespace rm::bench {
namespace {

constexpr long kQueueParallel = 8;         // figure 3 queues its messages this many at a time
constexpr double kNullmailerRatio = 0.45;  // figure 1: relaymail's median / nullmailer's, at most

// Writes a message of at least `bytes` bytes in 76-character lines to path.
bool write_big_message(const std::string& path, size_t bytes) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  std::string chunk =
      "From: Reports <reports@example.com>\n"
      "To: Archive <archive@example.net>\n"
      "Subject: nightly export\n"
      "MIME-Version: 1.0\n"
      "Content-Type: text/plain; charset=us-ascii\n"
      "\n";
  size_t written = 0;
  for (size_t line = 0; fd.valid() && written < bytes; ++line) {
    char text[80];
    std::snprintf(text, sizeof text, "%08zu ", line);
    std::string l(text);
    l.append(76 - l.size(), static_cast<char>('a' + line % 26));
    chunk += l + "\n";
    if (chunk.size() >= (1u << 20) || written + chunk.size() >= bytes) {
      if (!write_all(fd.get(), chunk.data(), chunk.size())) {
        return false;
      }
      written += chunk.size();
      chunk.clear();
    }
  }
  return fd.valid();
}

// The numbers in the cells after `start` on the first line that begins with it (bench_spool's
// "| what | entries | runs | median | min | max |").
std::vector<double> table_numbers(const std::string& text, const std::string& start) {
  std::vector<double> f;
  size_t at = text.rfind(start, 0) == 0 ? 0 : text.find("\n" + start);
  if (at == std::string::npos) {
    return f;
  }
  at += text[at] == '\n' ? 1 : 0;
  const size_t end = std::min(text.find('\n', at), text.size());
  for (size_t p = at + start.size(); p < end && f.size() < 8;) {
    f.push_back(std::atof(text.c_str() + p));
    p = text.find('|', p);
    p = p == std::string::npos ? end : p + 1;
  }
  return f;
}

}  // namespace

Row Bench::fig_submit(bool background) {
  const std::string conf = background ? "bg" : "submit";
  begin(background ? "2. submit, background" : "1. submit, queue", conf);
  const size_t mark = failure_mark();
  Row row;
  row.figure = background ? "2. `sendmail -t -i`, 4 KB, delivery = background: parent's exit (ms)"
                          : "1. `sendmail -t -i`, 4 KB, delivery = queue (ms)";
  row.target = background ? "median ≤ 2 ms"
                          : "median ≤ 1.5 ms, p99 ≤ 5 ms, ≤ " + num(kNullmailerRatio) +
                                "× nullmailer's median";
  if (!restart_smarthost()) {
    row.relaymail = row.msmtp = "FAILED";
    row.meets = meets(false, mark);
    return row;
  }
  const Cmd rm_cmd = sendmail(conf);
  const Cmd ms_cmd = msmtp({"-t", "-i"});
  const std::string queue = spool_queue(conf);
  std::vector<double> rm_ms;
  std::vector<double> ms_ms;
  long queued = 0;
  long sent = 0;
  auto rm_once = [&](std::vector<double>* into) {
    auto t = submit(rm_cmd);
    if (!t) {
      return;
    }
    if (into != nullptr) {
      into->push_back(*t);
    }
    if (!background) {
      ++queued;
      return;
    }
    ++sent;  // untimed: the child delivers, the entry leaves the spool, the child exits
    if (!wait_until([&] { return mails() == sent && count_files(queue, ".mail") == 0; },
                    {maildir_, queue}, now_ms() + kDeliverWaitMs)) {
      fail("background delivery " + std::to_string(sent) + " not done within 30 s (maildir " +
           std::to_string(mails()) + ", spool " + std::to_string(count_files(queue, ".mail")) +
           ")");
      sent = mails();
    }
    // The next run must not share the machine with this one's delivery process, which still
    // closes its session and exits after the entry is gone (median 8.1-9.6 ms when runs overlapped
    // it, 7.3-7.9 ms since).
    if (!reap_orphan(smtpd_.pid(), now_ms() + kDeliverWaitMs)) {
      fail("background delivery " + std::to_string(sent) + ": its process did not exit");
    }
  };
  auto ms_once = [&](std::vector<double>* into) {
    if (auto t = submit(ms_cmd)) {
      ++sent;
      if (into != nullptr) {
        into->push_back(*t);
      }
    }
  };
  // Figure 1 only: nullmailer, inside a mount namespace that relaymail's runs share.
  NullmailerNs nm_ns;
  bool nm = !background && nullmailer_enter(&nm_ns);
  const Cmd nm_cmd{nm_ns.sendmail(), {"-t", "-i"}, &nm_ns.env()};
  std::vector<double> nm_ms;
  long nm_queued = 0;
  auto nm_once = [&](std::vector<double>* into) {
    if (auto t = submit(nm_cmd, "nullmailer's sendmail")) {
      ++nm_queued;
      if (into != nullptr) {
        into->push_back(*t);
      }
    }
  };
  rm_once(nullptr);  // warm-up (page cache, spool directories)
  if (nm) {
    nm_once(nullptr);
  }
  if (nm && nm_queued == 0) {  // a failing exec measures nothing
    nullmailer_reason_ = "failed: its warm-up run did not queue the message (see below)";
    nullmailer_leave(&nm_ns, 0);
    nm = false;
  }
  if (have_msmtp_) {
    ms_once(nullptr);
  }
  long pairs = 0;
  auto rm_step = [&] {  // with nullmailer: a pair of runs, the order swapped every other pair
    const bool nm_first = nm && pairs++ % 2 == 1;
    if (nm_first) {
      nm_once(&nm_ms);
    }
    rm_once(&rm_ms);
    if (nm && !nm_first) {
      nm_once(&nm_ms);
    }
  };
  const long n_rm = background ? o_.bg_runs : o_.latency_runs;
  alternate(n_rm, have_msmtp_ ? o_.runs : 0, rm_step, [&] { ms_once(&ms_ms); });
  if (nm) {
    nullmailer_leave(&nm_ns, nm_queued);
  }
  if (!background && count_files(queue, ".mail") != queued) {
    fail("the spool holds " + std::to_string(count_files(queue, ".mail")) + " entries, not " +
         std::to_string(queued));
  }
  if (!wait_mails(sent)) {
    fail("the smarthost got " + std::to_string(mails()) + " messages, not " + std::to_string(sent));
  }
  const Stats r = summarize(rm_ms);
  const Stats m = summarize(ms_ms);
  const Stats n = summarize(nm_ms);
  row.relaymail = cell(r, !background);
  row.msmtp = have_msmtp_ ? cell(m, false) : msmtp_na();
  row.ratio = have_msmtp_ ? ratio(r.median, m.median) : "—";
  const bool ratio_ok = !nm || r.median <= kNullmailerRatio * n.median;
  row.meets = meets(background ? r.median <= 2 : r.median <= 1.5 && r.p99 <= 5 && ratio_ok, mark);
  if (!background) {
    row.relaymail += "; " + nullmailer_cell(r, n);
    if (!nm && row.meets == "yes") {
      row.meets = "yes (the nullmailer part unchecked: not measured)";
    }
  }
  notes_.push_back("Figure " + std::string(background ? "2" : "1") + ": " +
                   std::to_string(rm_ms.size()) + " relaymail runs, " +
                   std::to_string(ms_ms.size()) + " msmtp runs" +
                   (background ? "; each relaymail run waits, untimed, until its background "
                                 "child has delivered, removed the entry and exited."
                               : ". " + nullmailer_note(nm_ms.size())));
  return row;
}

Row Bench::fig_flush() {
  begin("3. flush throughput", "flush");
  const size_t mark = failure_mark();
  Row row;
  row.figure = "3. `relaymail flush` of " + std::to_string(o_.flush_msgs) +
               " queued 4 KB messages (msg/s); msmtp: one `msmtp -t -i` per message, " +
               std::to_string(o_.msmtp_flush_msgs) + " per run";
  row.target = "≥ 2,000 msg/s and ≥ 20× msmtp";
  if (!restart_smarthost()) {
    row.relaymail = row.msmtp = "FAILED";
    row.meets = meets(false, mark);
    return row;
  }
  const Cmd queue_cmd = sendmail("flush");
  const Cmd flush_cmd{bin_ + "/relaymail", {"flush"}, &env("flush")};
  const std::string queue = spool_queue("flush");
  const std::string out = dir_ + "/logs/flush.out";
  std::vector<double> rm_rate;
  std::vector<double> ms_rate;
  auto rm_once = [&](long k, std::vector<double>* into) {
    clear_dir(maildir_);
    // Untimed, kQueueParallel submissions at a time (what a busy web server does anyway).
    long queued = 0;
    for (long i = 0; i < k && queued == i;) {
      const long batch = std::min(kQueueParallel, k - i);
      (void)concurrent_round(queue_cmd, static_cast<size_t>(batch), "queueing", &queued);
      i += batch;
    }
    if (long q = count_files(queue, ".mail"); q != k) {
      fail("queued " + std::to_string(q) + " of " + std::to_string(k));
      return;
    }
    ::truncate(out.c_str(), 0);
    std::string err;
    const double t0 = now_ms();
    const int st =
        rm::bench::run(flush_cmd, Io{.stdout_path = out, .stderr_path = log_}, kBigTimeoutMs, &err);
    const double t1 = now_ms();
    if (st != 0) {
      fail("relaymail flush " + describe_status(st, err));
    } else if (!wait_mails(k) || count_files(queue, ".mail") != 0) {
      fail("flush delivered " + std::to_string(mails()) + " of " + std::to_string(k) + ", " +
           std::to_string(count_files(queue, ".mail")) + " left in the spool");
    } else if (into != nullptr) {
      into->push_back(static_cast<double>(k) * 1000 / (t1 - t0));
    }
  };
  auto ms_once = [&](long k, std::vector<double>* into) {
    clear_dir(maildir_);
    long ok = 0;
    const double t0 = now_ms();
    for (long i = 0, bad = 0; i < k && bad < 3; ++i) {
      if (submit(msmtp({"-t", "-i"}))) {
        ++ok;
      } else {
        ++bad;
      }
    }
    const double t1 = now_ms();
    if (ok != k || !wait_mails(k)) {
      fail("msmtp sent " + std::to_string(ok) + " of " + std::to_string(k) +
           "; the smarthost got " + std::to_string(mails()));
    } else if (into != nullptr) {
      into->push_back(static_cast<double>(k) * 1000 / (t1 - t0));
    }
  };
  rm_once(std::min(10L, o_.flush_msgs), nullptr);  // warm-up
  alternate(
      o_.flush_runs, have_msmtp_ ? o_.msmtp_flush_runs : 0,
      [&] { rm_once(o_.flush_msgs, &rm_rate); }, [&] { ms_once(o_.msmtp_flush_msgs, &ms_rate); });
  clear_dir(maildir_);
  const Stats r = summarize(rm_rate);
  const Stats m = summarize(ms_rate);
  row.relaymail = cell(r, false);
  row.msmtp = have_msmtp_ ? cell(m, false) : msmtp_na();
  row.ratio = have_msmtp_ ? ratio(r.median, m.median) : "—";
  row.meets = meets(r.median >= 2000 && (!have_msmtp_ || r.median >= 20 * m.median), mark);
  if (!have_msmtp_ && row.meets == "yes") {
    row.meets = "yes (rate; the 20× part unchecked without msmtp)";
  }
  notes_.push_back("Figure 3: " + std::to_string(rm_rate.size()) + " relaymail runs of " +
                   std::to_string(o_.flush_msgs) +
                   " messages (each run queues them afresh, untimed, with `sendmail -t -i`, " +
                   std::to_string(kQueueParallel) + " at a time), " +
                   std::to_string(ms_rate.size()) + " msmtp runs of " +
                   std::to_string(o_.msmtp_flush_msgs) +
                   " sequential `msmtp -t -i` processes; rates are messages / wall time of the "
                   "run, from spawn to the last exit.");
  return row;
}

// Peak RSS of target run through bench_rss_exec, in KiB; nothing on failure (recorded).
std::optional<long> Bench::rss_kb(const Cmd& target, int stdin_fd, double timeout_ms) {
  const std::string out = dir_ + "/logs/rss.out";
  ::unlink(out.c_str());
  std::vector<std::string> args = {out, target.path};
  args.insert(args.end(), target.args.begin(), target.args.end());
  std::string err;
  const int st = rm::bench::run(Cmd{o_.rss_exec, args, target.env},
                                Io{.stdin_fd = stdin_fd, .stderr_path = log_}, timeout_ms, &err);
  const std::string text = read_file(out);
  if (st != 0 || text.rfind("maxrss_kb ", 0) != 0) {
    fail(basename_of(target.path) + " (under bench_rss_exec) " + describe_status(st, err));
    return std::nullopt;
  }
  return std::atol(text.c_str() + 10);
}

std::vector<Row> Bench::fig_rss() {
  begin("4. peak RSS", "rss");
  const size_t mark = failure_mark();
  const std::string mb = std::to_string(o_.big_mb) + " MB";
  Row sub;
  sub.figure = "4a. peak RSS, `sendmail -t -i` of a " + mb + " message, queue mode (MB)";
  sub.target = "≤ 4 MB (every run)";
  Row fl;
  fl.figure = "4b. peak RSS, `relaymail flush` of that message (MB)";
  fl.target = "≤ 6 MB (every run)";
  fl.msmtp = "n/a (no queue: its send in 4a is the whole delivery)";
  fl.ratio = "—";
  const std::string big = dir_ + "/big.eml";
  if (!restart_smarthost() || !write_big_message(big, static_cast<size_t>(o_.big_mb) << 20)) {
    if (smtpd_ok_) {
      fail("write " + big + ": " + std::strerror(errno));
    }
    sub.relaymail = sub.msmtp = fl.relaymail = "FAILED";
    sub.meets = fl.meets = meets(false, mark);
    return {sub, fl};
  }
  // The method: /bin/true must read about 1 MB, not this process's RSS.
  if (auto kb = rss_kb(Cmd{"/bin/true", {}, nullptr}, -1, kRunTimeoutMs)) {
    rss_check_ = num(static_cast<double>(*kb) / 1024) + " MB";
    if (*kb > 4096) {
      fail("bench_rss_exec reports " + rss_check_ + " for /bin/true: the method is broken");
    }
  }
  const std::string queue = spool_queue("big");
  std::vector<double> rm_sub;
  std::vector<double> rm_flush;
  std::vector<double> ms_send;
  for (long run = 0; run < o_.rss_runs; ++run) {
    clear_dir(maildir_);
    UniqueFd in(::open(big.c_str(), O_RDONLY | O_CLOEXEC));
    if (auto kb = rss_kb(sendmail("big"), in.get(), kBigTimeoutMs)) {
      rm_sub.push_back(static_cast<double>(*kb) / 1024);
    }
    if (count_files(queue, ".mail") != 1) {
      fail("the big message is not in the spool");
      continue;
    }
    if (auto kb = rss_kb(Cmd{bin_ + "/relaymail", {"flush"}, &env("big")}, -1, kBigTimeoutMs)) {
      rm_flush.push_back(static_cast<double>(*kb) / 1024);
    }
    if (!wait_mails(1) || count_files(queue, ".mail") != 0) {
      fail("relaymail flush did not deliver the big message");
    }
    if (have_msmtp_) {
      clear_dir(maildir_);
      UniqueFd in2(::open(big.c_str(), O_RDONLY | O_CLOEXEC));
      if (auto kb = rss_kb(msmtp({"-t", "-i"}), in2.get(), kBigTimeoutMs)) {
        ms_send.push_back(static_cast<double>(*kb) / 1024);
      }
      if (!wait_mails(1)) {
        fail("msmtp did not deliver the big message");
      }
    }
  }
  clear_dir(maildir_);
  ::unlink(big.c_str());
  const Stats s = summarize(rm_sub);
  const Stats f = summarize(rm_flush);
  const Stats m = summarize(ms_send);
  sub.relaymail = cell(s, false);
  sub.msmtp = have_msmtp_ ? cell(m, false) : msmtp_na();
  sub.ratio = have_msmtp_ ? ratio(s.median, m.median) : "—";
  sub.meets = meets(s.n > 0 && s.max <= 4, mark);
  fl.relaymail = cell(f, false);
  fl.meets = meets(f.n > 0 && f.max <= 6, mark);
  notes_.push_back("Figure 4: " + std::to_string(o_.rss_runs) + " runs of a " + mb +
                   " message in 76-character lines, fed from a file; peak RSS is wait4()'s "
                   "ru_maxrss through bench_rss_exec (fork, exec, wait4), which reads " +
                   (rss_check_.empty() ? std::string("?") : rss_check_) + " for /bin/true.");
  return {sub, fl};
}

// One round: cmd spawned n times as fast as possible, 4 KB into each pipe; the spawn-to-exit
// times of those that exited 0, *ok counts them.
std::vector<double> Bench::concurrent_round(const Cmd& cmd, size_t n, const std::string& who,
                                            long* ok) {
  ExitCollector exits(n);
  std::vector<double> t0(n);
  for (size_t i = 0; i < n; ++i) {
    UniqueFd r;
    UniqueFd w;
    Spawned child;
    if (make_pipe(&r, &w)) {
      t0[i] = now_ms();
      child = spawn(cmd, Io{.stdin_fd = r.get(), .stderr_path = log_});
      r.reset();
      if (child.pid > 0) {
        (void)write_all(w.get(), msg_.data(), msg_.size());  // a short write shows as an exit
      }
    }
    exits.add(std::move(child));
  }
  std::vector<ExitCollector::Exit> done = exits.finish(now_ms() + kRunTimeoutMs);
  std::vector<double> lat;
  std::map<int, int> bad;
  for (size_t i = 0; i < n; ++i) {
    if (done[i].status == 0) {
      lat.push_back(done[i].exit_ms - t0[i]);
    } else {
      ++bad[done[i].status];
    }
  }
  *ok += static_cast<long>(lat.size());
  if (!bad.empty()) {
    std::string what;
    for (const auto& [st, count] : bad) {
      what += (what.empty() ? "" : ", ") + std::to_string(count) + " " + describe_status(st);
    }
    fail(who + ": " + std::to_string(n - lat.size()) + " of " + std::to_string(n) +
         " concurrent processes failed (" + what + ")");
  }
  return lat;
}

Row Bench::fig_concurrent() {
  begin("5. concurrent submissions", "conc");
  const size_t mark = failure_mark();
  Row row;
  row.figure = "5. " + std::to_string(o_.concurrent) +
               " concurrent `sendmail -t -i`, queue mode: spawn-to-exit per process (ms)";
  row.target = "p99 ≤ 20 ms, every one exits 0";
  if (!restart_smarthost()) {
    row.relaymail = row.msmtp = "FAILED";
    row.meets = meets(false, mark);
    return row;
  }
  const Cmd rm_cmd = sendmail("conc");
  const size_t n = static_cast<size_t>(o_.concurrent);
  const Cmd ms_cmd = msmtp({"-t", "-i"});
  std::vector<double> rm_lat;
  std::vector<double> ms_lat;
  long rm_ok = 0;
  long ms_ok = 0;
  rm_ok += submit(rm_cmd) ? 1 : 0;  // warm-up
  alternate(
      o_.conc_rounds, have_msmtp_ ? o_.msmtp_conc_rounds : 0,
      [&] {
        auto l = concurrent_round(rm_cmd, n, "relaymail", &rm_ok);
        rm_lat.insert(rm_lat.end(), l.begin(), l.end());
      },
      [&] {
        auto l = concurrent_round(ms_cmd, n, "msmtp", &ms_ok);
        ms_lat.insert(ms_lat.end(), l.begin(), l.end());
      });
  if (long q = count_files(spool_queue("conc"), ".mail"); q != rm_ok) {
    fail("the spool holds " + std::to_string(q) + " entries, not " + std::to_string(rm_ok));
  }
  if (!wait_mails(ms_ok)) {
    fail("the smarthost got " + std::to_string(mails()) + " of msmtp's " + std::to_string(ms_ok) +
         " messages");
  }
  clear_dir(maildir_);
  const Stats r = summarize(rm_lat);
  const Stats m = summarize(ms_lat);
  const long rm_total = o_.concurrent * o_.conc_rounds;
  const long ms_total = o_.concurrent * o_.msmtp_conc_rounds;
  row.relaymail = cell(r, true) + "; " + std::to_string(rm_total - static_cast<long>(r.n)) +
                  " of " + std::to_string(rm_total) + " failed";
  row.msmtp = have_msmtp_
                  ? cell(m, true) + "; " + std::to_string(ms_total - static_cast<long>(m.n)) +
                        " of " + std::to_string(ms_total) + " failed"
                  : msmtp_na();
  row.ratio = have_msmtp_ ? ratio(r.median, m.median) : "—";
  row.meets = meets(r.p99 <= 20, mark);
  notes_.push_back("Figure 5: " + std::to_string(o_.conc_rounds) + " relaymail rounds and " +
                   std::to_string(have_msmtp_ ? o_.msmtp_conc_rounds : 0) + " msmtp rounds of " +
                   std::to_string(o_.concurrent) +
                   " processes started back to back (each timed from just before its own "
                   "posix_spawn to its exit, seen by a pidfd/epoll thread).");
  return row;
}

Row Bench::fig_startup() {
  begin("6. start-up", "startup");
  const size_t mark = failure_mark();
  Row row;
  row.figure = "6. start-up: `relaymail --version` / `msmtp --version` (ms)";
  row.target = "median ≤ 1 ms";
  const Cmd rm_cmd{bin_ + "/relaymail", {"--version"}, nullptr};
  const Cmd ms_cmd = msmtp({"--version"});
  std::vector<double> rm_ms;
  std::vector<double> ms_ms;
  auto once = [&](const Cmd& cmd, std::vector<double>* into) {
    std::string err;
    const double t0 = now_ms();
    const int st = rm::bench::run(cmd, Io{.stderr_path = log_}, kRunTimeoutMs, &err);
    const double t1 = now_ms();
    if (st != 0) {
      fail(basename_of(cmd.path) + " --version " + describe_status(st, err));
    } else if (into != nullptr) {
      into->push_back(t1 - t0);
    }
  };
  once(rm_cmd, nullptr);
  if (have_msmtp_) {
    once(ms_cmd, nullptr);
  }
  alternate(
      o_.latency_runs, have_msmtp_ ? o_.runs : 0, [&] { once(rm_cmd, &rm_ms); },
      [&] { once(ms_cmd, &ms_ms); });
  const Stats r = summarize(rm_ms);
  const Stats m = summarize(ms_ms);
  row.relaymail = cell(r, false);
  row.msmtp = have_msmtp_ ? cell(m, false) : msmtp_na();
  row.ratio = have_msmtp_ ? ratio(r.median, m.median) : "—";
  row.meets = meets(r.median <= 1, mark);
  notes_.push_back("Figure 6: " + std::to_string(rm_ms.size()) + " relaymail runs, " +
                   std::to_string(ms_ms.size()) + " msmtp runs.");
  return row;
}

// bench_spool's `relaymail queue` line: "| relaymail queue | N | runs | median | min | max |".
Row Bench::fig_mailq() {
  begin("7. mailq", "mailq");
  const size_t mark = failure_mark();
  Row row;
  row.figure = "7. `mailq` (`relaymail queue`) with " + std::to_string(o_.mailq_entries) +
               " queued entries, warm (s)";
  row.target = "≤ 1 s";
  row.msmtp = "n/a (msmtp has no queue)";
  row.ratio = "—";
  const std::string out = dir_ + "/logs/bench_spool.out";
  std::string err;
  const int st = rm::bench::run(Cmd{o_.bench_spool,
                                    {"--entries", std::to_string(o_.mailq_entries), "--runs",
                                     std::to_string(std::max(1L, o_.mailq_runs)), "--json", "--dir",
                                     dir_, "--bin", bin_ + "/relaymail"},
                                    nullptr},
                                Io{.stdout_path = out, .stderr_path = log_}, kMailqTimeoutMs, &err);
  const std::string text = read_file(out);
  std::vector<double> f = table_numbers(text, "| relaymail queue |");
  if (st != 0 || f.size() < 5) {
    fail("bench_spool " + describe_status(st, err));
    row.relaymail = "FAILED";
  } else {  // f: entries, runs, median, min, max (ms)
    Stats s{.n = static_cast<size_t>(f[1]),
            .median = f[2] / 1000,
            .min = f[3] / 1000,
            .max = f[4] / 1000};
    row.relaymail = cell(s, false);
    row.meets = meets(s.median <= 1, mark);
    std::vector<double> json = table_numbers(text, "| relaymail queue --json |");
    notes_.push_back("Figure 7: bench_spool, " + std::to_string(o_.mailq_entries) +
                     " entries (the spool filled in process), " +
                     std::to_string(static_cast<long>(f[1])) +
                     " runs after a warm-up; `relaymail queue --json` took " +
                     (json.size() >= 5 ? num(json[2] / 1000) + " s (median)" : "?") + ".");
  }
  if (row.meets.empty()) {
    row.meets = meets(false, mark);
  }
  return row;
}

Row Bench::floor_spawn() {
  begin("floor: spawn", "floor-spawn");
  const size_t mark = failure_mark();
  Row row;
  row.figure = o_.empty_static ? "floor: spawn + exit of an empty static binary (ms)"
                               : "floor: spawn + exit of an empty binary (NOT static: no static "
                                 "libc here) (ms)";
  row.target = "— (what the machine allows)";
  row.msmtp = "—";
  row.ratio = "—";
  std::vector<double> t;
  const Cmd cmd{o_.empty, {}, nullptr};
  for (long i = 0; i <= o_.latency_runs; ++i) {  // run 0 is the warm-up
    std::string err;
    const double t0 = now_ms();
    const int st = rm::bench::run(cmd, Io{.stderr_path = log_}, kRunTimeoutMs, &err);
    const double t1 = now_ms();
    if (st != 0) {
      fail("bench_empty " + describe_status(st, err));
    } else if (i > 0) {
      t.push_back(t1 - t0);
    }
  }
  row.relaymail = cell(summarize(t), false);
  row.meets = failure_count_ > mark ? "FAILED (see below)" : "—";
  return row;
}

Row Bench::floor_commit() {
  begin("floor: durable commit", "floor-commit");
  const size_t mark = failure_mark();
  Row row;
  row.figure = "floor: durable 4 KB commit in-process: write, fsync, rename, fsync dir (ms)";
  row.target = "— (what the disk allows)";
  row.msmtp = "—";
  row.ratio = "—";
  const std::string dir = dir_ + "/commit";
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  const std::string data(4096, 'x');
  std::vector<double> t;
  for (long i = 0; dfd.valid() && i <= o_.latency_runs; ++i) {  // run 0 is the warm-up
    const std::string tmp = dir + "/tmp." + std::to_string(i);
    const std::string fin = dir + "/entry." + std::to_string(i);
    const double t0 = now_ms();
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    bool ok = fd.valid() && write_all(fd.get(), data.data(), data.size()) &&
              ::fsync(fd.get()) == 0 && ::close(fd.release()) == 0 &&
              ::rename(tmp.c_str(), fin.c_str()) == 0 && ::fsync(dfd.get()) == 0;
    const double t1 = now_ms();
    if (!ok) {
      fail("commit " + fin + ": " + std::strerror(errno));
      break;
    }
    if (i > 0) {
      t.push_back(t1 - t0);
    }
  }
  if (!dfd.valid()) {
    fail("open " + dir + ": " + std::strerror(errno));
  }
  clear_dir(dir);
  row.relaymail = cell(summarize(t), false);
  row.meets = failure_count_ > mark ? "FAILED (see below)" : "—";
  return row;
}

}  // namespace rm::bench
