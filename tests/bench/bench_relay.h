// tests/bench/bench_relay.h — the parts of bench_relay (bench_relay.cc: options, set-up, the
// smarthost, the report; bench_figures.cc: what figures 1 to 7 and the floors measure;
// bench_nullmailer.cc: nullmailer's side of figure 1; bench_daemon.cc: relaymaild serve as a
// child and figures 8 to 11, daemon mode). One Bench runs once: run() sets up a temp dir,
// measures every figure, prints the table and returns the exit status. Failures (a child exiting
// non-zero, a message not delivered) are recorded with fail(), shown under the table and make
// run() return 1; a missed target is not a failure. Not thread-safe.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_proc.h"
#include "bench/bench_table.h"
#include "sys/unique_fd.h"

namespace rm::bench {

class NullmailerNs;

struct Options {
  std::string out;
  bool smoke = false;
  bool msmtp = true;
  std::string msmtp_path;
  std::string msmtp_libdir;
  std::string msmtp_missing;  // why run.sh has no msmtp
  bool nullmailer = true;
  std::string nullmailer_root;  // the unpacked package (figure 1)
  std::string nullmailer_version;
  std::string nullmailer_missing;  // why run.sh has no nullmailer
  std::string revision;
  std::string parent;
  // Where fake_smtpd's maildir lives: tmpfs by default, so that what figure 3 measures is our
  // flush, not the test server's file creations (2 per message) on the bench's disk.
  std::string smarthost_parent = "/dev/shm";
  bool keep = false;
  std::string only;         // comma-separated figure keys (1..11, floors); empty: all
  long runs = 20;           // msmtp runs of figures 1, 2, 6 and 10
  long latency_runs = 200;  // relaymail (and nullmailer) runs of figures 1, 6 and 8 (each mode),
                            // and of the floors
  long bg_runs = 100;
  long flush_msgs = 1000;
  long flush_runs = 12;
  long msmtp_flush_msgs = 50;
  long msmtp_flush_runs = 5;
  long big_mb = 50;
  long rss_runs = 5;
  long concurrent = 100;
  long conc_rounds = 20;
  long msmtp_conc_rounds = 3;
  long mailq_entries = 100000;
  long mailq_runs = 5;
  long burst_msgs = 400;          // figure 9: submissions per burst
  long burst_width = 20;          // ... at most this many running at once
  long burst_runs = 5;            // bursts per mode
  long daemon_flush_msgs = 2000;  // figure 11: messages per flush
  long daemon_flush_runs = 3;     // flushes per mode
  std::string relaymail = RM_RELAYMAIL_BIN;
  std::string fake_smtpd = RM_FAKE_SMTPD_BIN;
  std::string bench_spool = RM_BENCH_SPOOL_BIN;
  std::string rss_exec = RM_BENCH_RSS_EXEC_BIN;
  std::string empty = RM_BENCH_EMPTY_BIN;
  bool empty_static = RM_BENCH_EMPTY_STATIC != 0;
};

constexpr double kRunTimeoutMs = 120000;     // one process
constexpr double kDeliverWaitMs = 30000;     // a message to reach the maildir
constexpr double kBigTimeoutMs = 600000;     // 50 MB through TLS, under ASan too
constexpr double kMailqTimeoutMs = 1800000;  // bench_spool filling 100,000 entries

std::string basename_of(const std::string& path);
// "exited 75", "timed out (killed)", "could not be run: <spawn_error>", ...
std::string describe_status(int status, const std::string& spawn_error = "");
// Runs a n_a times and b n_b times, b's runs spread evenly between a's (a first).
void alternate(long n_a, long n_b, const std::function<void()>& a, const std::function<void()>& b);

// fake_smtpd as a child process; start() waits for the "PORT n" line on its stdout.
class Smarthost {
 public:
  bool start(const std::vector<std::string>& args, const std::string& bin,
             const std::string& stderr_path, std::string* err);
  int stop();  // SIGTERM and wait: its exit status (0 expected)
  int port() const { return port_; }
  pid_t pid() const { return child_.pid; }

 private:
  Spawned child_;
  UniqueFd out_;
  int port_ = 0;
};

// relaymaild serve as a child process, started and stopped by its pid alone; start() returns
// once its socket accepts a connection (or it exited, or 20 s passed). Stopped at destruction
// when still running.
class Relaymaild {
 public:
  Relaymaild() = default;
  ~Relaymaild() { (void)stop(); }
  Relaymaild(const Relaymaild&) = delete;
  Relaymaild& operator=(const Relaymaild&) = delete;
  bool start(const std::string& bin, const std::string& conf, const std::string& socket,
             const std::string& stderr_path, std::string* err);
  // SIGTERM to its pid, then wait until the deadline (past it: SIGKILL, kTimedOut): its exit
  // status (0 expected); 0 when it was not running.
  int stop();
  bool running() const { return child_.pid > 0; }

 private:
  Spawned child_;
};

class Bench {
 public:
  explicit Bench(Options o) : o_(std::move(o)) {}
  int run();

 private:
  // bench_relay.cc
  bool setup();
  // A fresh fake_smtpd on `port` (0: any free one) and the configs that name its port.
  bool restart_smarthost(int port = 0);
  void stop_smarthost();
  void check_msmtp();
  void begin(const std::string& figure, const std::string& log_name);
  void fail(const std::string& what);
  size_t failure_mark() const { return failure_count_; }
  std::string meets(bool ok, size_t mark) const;  // "yes", "NO", or failed since mark
  // msg_ through a pipe: ms, or failed (failures name `who`, else cmd's basename).
  std::optional<double> submit(const Cmd& cmd, const std::string& who = "");
  Cmd sendmail(const std::string& conf);
  Cmd msmtp(std::vector<std::string> args) const;
  Env& env(const std::string& conf);
  std::string spool_queue(const std::string& conf) const;
  long mails() const { return count_files(maildir_, ".eml"); }
  bool wait_mails(long n);
  std::string msmtp_na() const { return "n/a (" + msmtp_reason_ + ")"; }
  bool wanted(const std::string& key) const;
  std::string footer(double started_ms) const;

  // bench_figures.cc
  Row fig_submit(bool background);
  Row fig_flush();
  std::vector<Row> fig_rss();
  Row fig_concurrent();
  Row fig_startup();
  Row fig_mailq();
  Row floor_spawn();
  Row floor_commit();
  std::vector<double> concurrent_round(const Cmd& cmd, size_t n, const std::string& who, long* ok);
  std::optional<long> rss_kb(const Cmd& target, int stdin_fd, double timeout_ms);

  // bench_nullmailer.cc (figure 1)
  bool nullmailer_enter(NullmailerNs* ns);  // false: nullmailer_reason_ says why
  void nullmailer_leave(NullmailerNs* ns, long queued);
  std::string nullmailer_cell(const Stats& relaymail, const Stats& nullmailer) const;
  std::string nullmailer_note(size_t runs) const;

  // bench_daemon.cc
  std::vector<Row> fig_daemon_submit();  // figures 8 and 10, from the same runs
  Row fig_daemon_burst();
  Row fig_daemon_flush();
  bool start_daemon(const std::string& conf);  // relaymaild serve -C dir_/CONF-serve.conf
  void stop_daemon();
  std::optional<double> burst(const Cmd& cmd, long n, long width, const std::string& who);
  struct Delivered {
    double exit_ms = 0;     // spawn to exit
    double arrived_ms = 0;  // spawn to the message in the maildir
  };
  std::optional<Delivered> submit_delivered(const Cmd& cmd, const std::string& spool, long* sent);
  bool defer_through_daemon(const Cmd& cmd, const std::string& spool, long n, size_t* log_at);
  std::optional<double> timed_flush(const Cmd& flush, const std::string& spool, long n, int port,
                                    const std::string& who);

  Options o_;
  std::string dir_;
  std::string bin_;  // symlinks sendmail, relaymail, relaymaild -> the build's binaries
  std::string maildir_;
  std::string maildir_parent_;  // the temp dir holding maildir_ when it is not under dir_
  std::string msg_;             // the 4 KB message
  std::map<std::string, Env> envs_;
  Env msmtp_env_;
  bool have_msmtp_ = false;
  std::string msmtp_reason_;
  std::string msmtp_version_;
  std::string nullmailer_reason_;  // why figure 1 has no nullmailer; "" when it has
  long nullmailer_queued_ = 0;
  Smarthost smtpd_;
  bool smtpd_ok_ = false;
  Relaymaild daemon_;
  std::string daemon_log_;  // the current relaymaild's stderr (its log: syslog is off)
  double started_ms_ = 0;
  std::string figure_;
  std::string log_;  // the current figure's children's stderr
  struct Failure {
    std::string key;   // figure: what
    std::string text;  // key, plus the children's stderr for the first few
    long count = 0;
  };
  std::vector<Failure> failures_;  // distinct ones, in order
  size_t failure_count_ = 0;
  std::vector<std::string> notes_;
  std::string rss_check_;  // what bench_rss_exec reads for /bin/true
};

}  // namespace rm::bench
