// tests/bench/bench_relay.cc — relaymail against msmtp (and, in figure 1, nullmailer), figure by
// figure, as ONE Markdown table (issue 6; `make bench` through tests/bench/run.sh). It starts the
// project's test smarthost (fake_smtpd: STARTTLS, AUTH, --no-fsync so the server's disk is not
// what is measured) on 127.0.0.1 port 0, writes configs for both clients into a fresh temp dir,
// and measures, with relaymail and msmtp runs alternating inside each figure:
//   1. `sendmail -t -i` of a 4 KB message through a pipe, delivery = "queue" (msmtp delivers
//      synchronously, as it always does; nullmailer queues, alternating with relaymail in a
//      private mount namespace, and relaymail/nullmailer is printed beside relaymail's time); 2.
//      the same with delivery = "background" (the parent's exit is timed; each run waits,
//      untimed, until its child has delivered and exited); 3.
//      `relaymail flush` of 1,000 queued messages in msg/s (msmtp: one process per message,
//      sequentially, over a smaller batch); 4. peak RSS with a 50 MB message: submitter, flush,
//      msmtp's send (through bench_rss_exec, since ru_maxrss survives execve); 5. 100 concurrent
//      submissions, spawn-to-exit per process; 6. `--version` start-up; 7. `mailq` on 100,000
//      entries (bench_spool); then daemon mode (`relaymaild serve`, one per figure, its smarthost
//      the same fake_smtpd), each figure side by side with queue mode in the same run: 8.
//      `sendmail -t -i` of the 4 KB message, daemon against queue mode; 9. a burst of 400
//      submissions, 20 at a time, wall time, daemon against queue mode and an empty program; 10.
//      from starting `sendmail` to the message in the smarthost's maildir, daemon mode (msmtp's
//      synchronous send timed the same way); 11. `relaymail flush` of 2,000 queued messages
//      through XFLUSH against the one-shot flush of a 2,000-entry queue; and two floors: spawning
//      an empty static binary, and a durable 4 KB commit (write, fsync, rename, fsync dir) on
//      the spool's filesystem.
// Times are CLOCK_MONOTONIC around posix_spawn .. exit; waits are polls with deadlines.
//
//   bench_relay [--out FILE] [--smoke] [--no-msmtp] [--msmtp PATH --msmtp-libdir DIR]
//               [--msmtp-missing REASON] [--no-nullmailer] [--nullmailer ROOT]
//               [--nullmailer-version V] [--nullmailer-missing REASON]
//               [--revision TEXT] [--dir PARENT] [--keep]
//               [--smarthost-dir PARENT]
//               [--runs N] [--latency-runs N] [--bg-runs N] [--flush-msgs N] [--flush-runs N]
//               [--msmtp-flush-msgs N] [--msmtp-flush-runs N] [--big-mb N] [--rss-runs N]
//               [--concurrent N] [--conc-rounds N] [--msmtp-conc-rounds N]
//               [--mailq-entries N] [--mailq-runs N] [--burst-msgs N] [--burst-width N]
//               [--burst-runs N] [--daemon-flush-msgs N] [--daemon-flush-runs N]
//               [--relaymail P] [--fake-smtpd P] [--bench-spool P] [--rss-exec P] [--empty P]
//               [--only KEY,...]
// --smoke makes every count tiny (the ctest `bench_smoke`); explicit counts still win. Without
// --nullmailer (the unpacked Debian package), or when not root, figure 1 says why nullmailer was
// not measured. --only
// runs some figures (keys 1 to 11 and floors) and marks the other rows skipped; 8 and 10 come
// from the same runs, so either key fills both rows. The defaults (about eight minutes on a
// 2-core VM, three of them figures 8 to 11) are the fields of Options in bench_relay.h.
//
// Output: the table and the lines under it (date, machine, run counts, revision, notes,
// failures) on stdout and in --out; progress on stderr. Exit 0 when everything ran, even when a
// target is missed (the table says so); 1 when something failed (a submission or send exited
// non-zero, a message was not delivered, the smarthost did not start); 64 on bad usage.
// Not a test of correctness (the e2e tests are), and not registered with ctest except as the
// smoke run, which checks that every row is printed, not the targets. The figures themselves:
// bench_figures.cc and, for daemon mode, bench_daemon.cc.
#include "bench/bench_relay.h"

#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>

namespace rm::bench {
namespace {

constexpr int kExUsage = 64;
constexpr size_t kMaxFailuresShown = 25;

void make_smoke(Options* o) {
  o->smoke = true;
  o->runs = 3;
  o->latency_runs = 3;
  o->bg_runs = 3;
  o->flush_msgs = 10;
  o->flush_runs = 3;
  o->msmtp_flush_msgs = 3;
  o->msmtp_flush_runs = 3;
  o->big_mb = 1;
  o->rss_runs = 1;
  o->concurrent = 5;
  o->conc_rounds = 3;
  o->msmtp_conc_rounds = 1;
  o->mailq_entries = 300;
  o->mailq_runs = 1;
  o->burst_msgs = 40;
  o->burst_runs = 1;
  o->daemon_flush_msgs = 20;
  o->daemon_flush_runs = 1;
}

int usage(const std::string& msg) {
  std::fprintf(stderr, "bench_relay: %s\n", msg.c_str());
  std::fprintf(stderr,
               "usage: bench_relay [--out FILE] [--smoke] [--no-msmtp] [--msmtp PATH "
               "--msmtp-libdir DIR] [--msmtp-missing REASON] [--no-nullmailer] "
               "[--nullmailer ROOT] [--nullmailer-version V] [--nullmailer-missing REASON] "
               "[--revision TEXT] [--dir PARENT] "
               "[--smarthost-dir PARENT] "
               "[--keep] [--runs N] [--latency-runs N] [--bg-runs N] [--flush-msgs N] "
               "[--flush-runs N] [--msmtp-flush-msgs N] [--msmtp-flush-runs N] [--big-mb N] "
               "[--rss-runs N] [--concurrent N] [--conc-rounds N] [--msmtp-conc-rounds N] "
               "[--mailq-entries N] [--mailq-runs N] [--burst-msgs N] [--burst-width N] "
               "[--burst-runs N] [--daemon-flush-msgs N] [--daemon-flush-runs N] "
               "[--relaymail P] [--fake-smtpd P] "
               "[--bench-spool P] [--rss-exec P] [--empty P] [--only 1,2,...,11,floors]\n");
  return kExUsage;
}

// Returns 0 when parsed, else the exit code.
int parse_args(int argc, char** argv, Options* o) {
  const char* tmp = std::getenv("TMPDIR");
  o->parent = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) {
      make_smoke(o);  // first, so explicit counts win wherever they stand
    }
  }
  const std::map<std::string, long*> counts = {
      {"--runs", &o->runs},
      {"--latency-runs", &o->latency_runs},
      {"--bg-runs", &o->bg_runs},
      {"--flush-msgs", &o->flush_msgs},
      {"--flush-runs", &o->flush_runs},
      {"--msmtp-flush-msgs", &o->msmtp_flush_msgs},
      {"--msmtp-flush-runs", &o->msmtp_flush_runs},
      {"--big-mb", &o->big_mb},
      {"--rss-runs", &o->rss_runs},
      {"--concurrent", &o->concurrent},
      {"--conc-rounds", &o->conc_rounds},
      {"--msmtp-conc-rounds", &o->msmtp_conc_rounds},
      {"--mailq-entries", &o->mailq_entries},
      {"--mailq-runs", &o->mailq_runs},
      {"--burst-msgs", &o->burst_msgs},
      {"--burst-width", &o->burst_width},
      {"--burst-runs", &o->burst_runs},
      {"--daemon-flush-msgs", &o->daemon_flush_msgs},
      {"--daemon-flush-runs", &o->daemon_flush_runs},
  };
  const std::map<std::string, std::string*> strings = {
      {"--out", &o->out},
      {"--msmtp", &o->msmtp_path},
      {"--msmtp-libdir", &o->msmtp_libdir},
      {"--msmtp-missing", &o->msmtp_missing},
      {"--nullmailer", &o->nullmailer_root},
      {"--nullmailer-version", &o->nullmailer_version},
      {"--nullmailer-missing", &o->nullmailer_missing},
      {"--revision", &o->revision},
      {"--dir", &o->parent},
      {"--smarthost-dir", &o->smarthost_parent},
      {"--relaymail", &o->relaymail},
      {"--fake-smtpd", &o->fake_smtpd},
      {"--bench-spool", &o->bench_spool},
      {"--rss-exec", &o->rss_exec},
      {"--empty", &o->empty},
      {"--only", &o->only},
  };
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--smoke") {
      continue;
    }
    if (flag == "--no-msmtp") {
      o->msmtp = false;
    } else if (flag == "--no-nullmailer") {
      o->nullmailer = false;
    } else if (flag == "--keep") {
      o->keep = true;
    } else if (i + 1 >= argc) {
      return usage("unknown option or missing value: " + flag);
    } else if (auto c = counts.find(flag); c != counts.end()) {
      char* end = nullptr;
      long v = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || v < 0 || v > 10000000) {
        return usage(flag + " takes a number from 0 to 10000000");
      }
      *c->second = v;
    } else if (auto s = strings.find(flag); s != strings.end()) {
      *s->second = argv[++i];
    } else {
      return usage("unknown option " + flag);
    }
  }
  if (o->concurrent < 1 || o->flush_msgs < 1 || o->msmtp_flush_msgs < 1 || o->big_mb < 1 ||
      o->burst_msgs < 1 || o->burst_width < 1 || o->daemon_flush_msgs < 1) {
    return usage(
        "--concurrent, --flush-msgs, --msmtp-flush-msgs, --big-mb, --burst-msgs, --burst-width "
        "and --daemon-flush-msgs must be >= 1");
  }
  return 0;
}
// A 4 KB message as a web application writes it: a realistic header block (no Message-ID:
// the submitter adds one) and a 4,096-byte body of 72-character lines.
std::string message_4k() {
  std::string m =
      "From: Web Shop <shop@example.com>\n"
      "To: Customer Name <customer@example.net>\n"
      "Subject: Your order 4711 has shipped\n"
      "Date: Tue, 04 Jun 2024 10:15:00 +0000\n"
      "MIME-Version: 1.0\n"
      "Content-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: 8bit\n"
      "X-Mailer: bench_relay\n"
      "\n";
  const std::string line =
      "Thank you for your order. Your parcel is on its way; track it online.\n";
  std::string body;
  while (body.size() + line.size() <= 4096) {
    body += line;
  }
  body.append(4095 - body.size(), '.');
  body += '\n';
  return m + body;
}
std::string replace_all(std::string text, const std::map<std::string, std::string>& vars) {
  for (const auto& [key, value] : vars) {
    for (size_t at = text.find(key); at != std::string::npos;
         at = text.find(key, at + value.size())) {
      text.replace(at, key.size(), value);
    }
  }
  return text;
}

constexpr const char* kRelaymailConf = R"(delivery = "@MODE@";
spool    = "@DIR@/spool-@NAME@";
domain   = "example.com";
hostname = "bench.example.com";
log      = { syslog = false; };
accounts = ( {
  name = "bench"; host = "localhost"; port = @PORT@;
  tls = "starttls"; tls_ca_file = "@DIR@/pki/ca.pem";
  auth = "auto"; user = "bench"; password = { file = "@DIR@/account.pass"; };
} );
)";

// Daemon mode: NAME-serve.conf is kRelaymailConf plus these lines (relaymaild serve reads it),
// NAME.conf only kDaemonClientConf and the daemon group (what `sendmail` reads). retry.first is
// long so that an entry deferred on purpose (figure 11) is not tried again behind the bench's
// back; every other figure counts a deferral as a failure anyway.
constexpr const char* kDaemonClientConf = R"(delivery = "daemon";
domain   = "example.com";
hostname = "bench.example.com";
log      = { syslog = false; };
)";
constexpr const char* kDaemonServeExtra = R"(retry    = { first = "1h"; };
)";
constexpr const char* kDaemonGroup = R"(daemon   = { socket = "@DIR@/@NAME@.sock"; @WHO@ };
)";

// Started as root, relaymaild would become daemon.user ("relaymail"): it stays root here, and
// root may XFLUSH. Otherwise it stays the bench's user, and XFLUSH needs daemon.admin_group: the
// bench's primary group.
std::string daemon_who() {
  if (::geteuid() == 0) {
    return "user = \"root\";";
  }
  const group* g = ::getgrgid(::getegid());
  return g == nullptr ? "" : "admin_group = \"" + std::string(g->gr_name) + "\";";
}

constexpr const char* kMsmtprc = R"(defaults
account bench
host localhost
port @PORT@
tls on
tls_starttls on
tls_trust_file @DIR@/pki/ca.pem
auth on
user bench
password bench-password
from shop@example.com
account default : bench
)";

}  // namespace

std::string basename_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string describe_status(int status, const std::string& spawn_error) {
  if (status == kTimedOut) {
    return "timed out (killed)";
  }
  if (status == kNotRun) {
    return "could not be run" + (spawn_error.empty() ? "" : ": " + spawn_error);
  }
  return "exited " + std::to_string(status);
}

// Runs a n_a times and b n_b times, b's runs spread evenly between a's (a first).
void alternate(long n_a, long n_b, const std::function<void()>& a, const std::function<void()>& b) {
  long ia = 0;
  long ib = 0;
  while (ia < n_a || ib < n_b) {
    bool take_b = ib < n_b && (ia >= n_a || ib * n_a < ia * n_b);
    if (take_b) {
      b();
      ++ib;
    } else {
      a();
      ++ia;
    }
  }
}

bool Smarthost::start(const std::vector<std::string>& args, const std::string& bin,
                      const std::string& stderr_path, std::string* err) {
  UniqueFd r;
  UniqueFd w;
  if (!make_pipe(&r, &w)) {
    *err = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  child_ = spawn(Cmd{bin, args, nullptr}, Io{.stdout_fd = w.get(), .stderr_path = stderr_path});
  w.reset();
  if (child_.pid < 0) {
    *err = child_.error;
    return false;
  }
  std::string text;
  const double deadline = now_ms() + 60000;  // the first start generates the test PKI
  bool eof = false;
  while (!eof && text.find('\n') == std::string::npos && now_ms() < deadline) {
    pollfd pfd{r.get(), POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(std::max(1.0, deadline - now_ms()))) <= 0) {
      continue;  // EINTR or the deadline: the loop condition decides
    }
    char buf[256];
    ssize_t n = ::read(r.get(), buf, sizeof buf);
    if (n > 0) {
      text.append(buf, static_cast<size_t>(n));
    }
    eof = n == 0;
  }
  out_ = std::move(r);
  port_ = text.rfind("PORT ", 0) == 0 ? std::atoi(text.c_str() + 5) : 0;
  if (port_ <= 0) {
    *err = "fake_smtpd did not print its port (" + std::string(eof ? "exited" : "timed out") +
           "; stderr: " + tail_of(stderr_path, 300) + ")";
    stop();
    return false;
  }
  return true;
}

int Smarthost::stop() {
  if (child_.pid <= 0) {
    return 0;
  }
  ::kill(child_.pid, SIGTERM);
  int st = wait_exit(child_, now_ms() + 10000);
  out_.reset();
  return st;
}

Cmd Bench::sendmail(const std::string& conf) {
  return Cmd{bin_ + "/sendmail", {"-t", "-i"}, &env(conf)};
}

std::string Bench::spool_queue(const std::string& conf) const {
  return dir_ + "/spool-" + conf + "/queue";
}

Env& Bench::env(const std::string& conf) {
  auto it = envs_.find(conf);
  if (it == envs_.end()) {
    it = envs_.emplace(conf, env_with({"RELAYMAIL_CONFIG=" + dir_ + "/" + conf + ".conf"})).first;
  }
  return it->second;
}

Cmd Bench::msmtp(std::vector<std::string> args) const {
  std::vector<std::string> all = {"-C", dir_ + "/msmtprc"};
  all.insert(all.end(), args.begin(), args.end());
  return Cmd{o_.msmtp_path, all, &msmtp_env_};
}

void Bench::begin(const std::string& figure, const std::string& log_name) {
  figure_ = figure;
  log_ = dir_ + "/logs/" + log_name + ".stderr";
  std::fprintf(stderr, "bench_relay: %5.1f s: %s\n", (now_ms() - started_ms_) / 1000,
               figure.c_str());
}

void Bench::fail(const std::string& what) {
  ++failure_count_;
  const std::string key = figure_ + ": " + what;
  std::fprintf(stderr, "bench_relay: FAILED %s\n", key.c_str());
  for (Failure& f : failures_) {
    if (f.key == key) {
      ++f.count;
      return;
    }
  }
  std::string text = key;
  if (failures_.size() < 5) {  // the first few carry their children's stderr
    std::string tail = tail_of(log_, 300);
    for (char& c : tail) {
      c = c == '\n' ? ' ' : c;
    }
    if (!tail.empty()) {
      text += " [stderr: …" + tail + "]";
    }
  }
  failures_.push_back(Failure{key, text, 1});
}

std::string Bench::meets(bool ok, size_t mark) const {
  if (failure_count_ > mark) {
    return "FAILED (see below)";
  }
  return ok ? "yes" : "NO";
}

bool Bench::wait_mails(long n) {
  return wait_until([&] { return mails() == n; }, {maildir_}, now_ms() + kDeliverWaitMs);
}

bool Bench::setup() {
  std::string templ = o_.parent + "/bench_relay.XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    std::fprintf(stderr, "bench_relay: mkdtemp %s: %s\n", templ.c_str(), std::strerror(errno));
    return false;
  }
  // Background delivery processes outlive the `sendmail` that started them: as their subreaper
  // the bench can wait for each to end before the next run (figure 2).
  if (!become_subreaper()) {
    std::fprintf(stderr, "bench_relay: PR_SET_CHILD_SUBREAPER: %s\n", std::strerror(errno));
    return false;
  }
  dir_ = std::filesystem::absolute(templ).string();  // configs want absolute paths
  bin_ = dir_ + "/bin";
  maildir_ = dir_ + "/maildir";
  for (const char* sub : {"/bin", "/maildir", "/pki", "/logs", "/commit"}) {
    ::mkdir((dir_ + sub).c_str(), 0700);
  }
  // The smarthost's maildir on tmpfs when there is one (and --smarthost-dir "" keeps it here).
  std::string shm = o_.smarthost_parent + "/relaymail-bench-smarthost.XXXXXX";
  if (!o_.smarthost_parent.empty() && ::mkdtemp(shm.data()) != nullptr) {
    maildir_parent_ = shm;
    maildir_ = shm + "/maildir";
    ::mkdir(maildir_.c_str(), 0700);
  }
  const std::string real = std::filesystem::absolute(o_.relaymail).string();
  const std::string daemon = real.substr(0, real.rfind('/') + 1) + "relaymaild";
  bool ok = ::symlink(real.c_str(), (bin_ + "/sendmail").c_str()) == 0 &&
            ::symlink(real.c_str(), (bin_ + "/relaymail").c_str()) == 0 &&
            (::access(daemon.c_str(), X_OK) != 0 ||
             ::symlink(daemon.c_str(), (bin_ + "/relaymaild").c_str()) == 0) &&
            write_file(dir_ + "/smtpd.pass", "bench-password\n") &&
            write_file(dir_ + "/account.pass", "bench-password\n");
  if (!ok) {
    std::fprintf(stderr, "bench_relay: set up %s: %s\n", dir_.c_str(), std::strerror(errno));
    return false;
  }
  msg_ = message_4k();
  if (!o_.msmtp) {
    msmtp_reason_ = "not measured: --no-msmtp";
  } else if (!o_.msmtp_missing.empty()) {
    msmtp_reason_ = "not fetched: " + o_.msmtp_missing;
  } else if (o_.msmtp_path.empty() || ::access(o_.msmtp_path.c_str(), X_OK) != 0) {
    msmtp_reason_ = "not fetched: no msmtp at '" + o_.msmtp_path + "'";
  } else {
    have_msmtp_ = true;
    msmtp_env_ = env_with({"LD_LIBRARY_PATH=" + o_.msmtp_libdir});
  }
  return true;
}

void Bench::stop_smarthost() {
  if (smtpd_ok_) {
    if (int st = smtpd_.stop(); st != 0) {
      fail("fake_smtpd " + describe_status(st) + " when stopped");
    }
    smtpd_ok_ = false;
  }
}

// A fresh smarthost (so no figure pays for the messages the last one left in its memory), and
// the configs that name its port.
bool Bench::restart_smarthost(int port) {
  stop_smarthost();
  const long max_bytes = (o_.big_mb + 16) << 20;
  const long max_conns = std::max(256L, 2 * o_.concurrent);
  std::string err;
  smtpd_ok_ =
      smtpd_.start({"--tls", "starttls", "--pki", dir_ + "/pki", "--user", "bench", "--pass-file",
                    dir_ + "/smtpd.pass", "--maildir", maildir_, "--host", "127.0.0.1", "--port",
                    std::to_string(port), "--no-fsync", "--max-message-bytes",
                    std::to_string(max_bytes), "--max-connections", std::to_string(max_conns)},
                   o_.fake_smtpd, dir_ + "/logs/fake_smtpd.stderr", &err);
  if (!smtpd_ok_) {
    fail("start fake_smtpd: " + err);
    return false;
  }
  const std::string port_text = std::to_string(smtpd_.port());
  const std::map<std::string, std::string> modes = {
      {"submit", "queue"}, {"bg", "background"}, {"flush", "queue"},  {"big", "queue"},
      {"conc", "queue"},   {"dsub", "daemon"},   {"qsub", "queue"},   {"dburst", "daemon"},
      {"qburst", "queue"}, {"dflush", "daemon"}, {"qflush", "queue"},
  };
  bool ok = true;
  for (const auto& [name, mode] : modes) {
    const std::map<std::string, std::string> vars = {{"@MODE@", mode},
                                                     {"@NAME@", name},
                                                     {"@DIR@", dir_},
                                                     {"@PORT@", port_text},
                                                     {"@WHO@", daemon_who()}};
    const std::string conf = replace_all(kRelaymailConf, vars);
    if (mode != "daemon") {
      ok = ok && write_file(dir_ + "/" + name + ".conf", conf);
      continue;
    }
    const std::string group = replace_all(kDaemonGroup, vars);
    ok = ok && write_file(dir_ + "/" + name + "-serve.conf", conf + kDaemonServeExtra + group) &&
         write_file(dir_ + "/" + name + ".conf", kDaemonClientConf + group);
  }
  ok = ok && write_file(dir_ + "/msmtprc",
                        replace_all(kMsmtprc, {{"@DIR@", dir_}, {"@PORT@", port_text}}));
  if (!ok) {
    fail("write the configs: " + std::string(std::strerror(errno)));
  }
  return ok && clear_dir(maildir_);
}

// The version line, and one real send that must reach the maildir before anything is timed.
void Bench::check_msmtp() {
  if (!have_msmtp_) {
    return;
  }
  begin("msmtp warm-up", "msmtp-check");
  std::string err;
  const std::string out = dir_ + "/logs/msmtp-version.out";
  int st = rm::bench::run(msmtp({"--version"}), Io{.stdout_path = out, .stderr_path = log_},
                          kRunTimeoutMs, &err);
  std::string text = read_file(out);
  msmtp_version_ = text.substr(0, text.find('\n'));
  if (st != 0) {
    fail("msmtp --version " + describe_status(st, err));
  } else if (submit(msmtp({"-t", "-i"})) && wait_mails(1)) {
    clear_dir(maildir_);
    return;
  } else {
    fail("msmtp's warm-up send did not reach the smarthost (maildir has " +
         std::to_string(mails()) + ")");
  }
  have_msmtp_ = false;
  msmtp_reason_ = "failed: warm-up send did not arrive";
}

// One submission of msg_ through a pipe: spawn-to-exit in ms, or nothing (failure recorded).
std::optional<double> Bench::submit(const Cmd& cmd, const std::string& who) {
  UniqueFd r;
  UniqueFd w;
  if (!make_pipe(&r, &w)) {
    fail(std::string("pipe: ") + std::strerror(errno));
    return std::nullopt;
  }
  const double t0 = now_ms();
  Spawned child = spawn(cmd, Io{.stdin_fd = r.get(), .stderr_path = log_});
  r.reset();
  if (child.pid < 0) {
    fail(child.error);
    return std::nullopt;
  }
  const bool wrote = write_all(w.get(), msg_.data(), msg_.size());
  w.reset();
  const int st = wait_exit(child, t0 + kRunTimeoutMs);
  const double t1 = now_ms();
  if (st != 0 || !wrote) {
    fail((who.empty() ? basename_of(cmd.path) : who) + " " + describe_status(st) +
         (wrote ? "" : " (stdin closed early)"));
    return std::nullopt;
  }
  return t1 - t0;
}
std::string Bench::footer(double started_ms) const {
  char date[64];
  std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::string f = "\n";
  f += "- Date: " + std::string(date) + "; the run took " + num((now_ms() - started_ms) / 1000) +
       " s" + (o_.smoke ? " (--smoke: tiny counts)" : "") + ".\n";
  f += "- Machine: " + machine_line(o_.parent) + ".\n";
  f += "- relaymail: " + (o_.revision.empty() ? std::string("revision not given") : o_.revision) +
       " (" + o_.relaymail +
       "); msmtp: " + (have_msmtp_ ? msmtp_version_ + " (" + o_.msmtp_path + ")" : msmtp_na()) +
       ".\n";
  f += "- Smarthost: fake_smtpd on 127.0.0.1 (STARTTLS, AUTH PLAIN, --no-fsync, maildir " +
       maildir_ +
       "), restarted for each figure; both clients verify its certificate against a throwaway CA "
       "and log in. "
       "Latencies run from just before posix_spawn to the exit, with the message written into "
       "a pipe on stdin; relaymail and msmtp runs alternate within each figure.\n";
  std::vector<std::string> notes = notes_;  // "Figure N: ..." in figure order
  std::stable_sort(notes.begin(), notes.end(), [](const std::string& a, const std::string& b) {
    return std::atoi(a.c_str() + 7) < std::atoi(b.c_str() + 7);  // after "Figure "
  });
  for (const std::string& n : notes) {
    f += "- " + n + "\n";
  }
  f += "- Floors: " + std::to_string(o_.latency_runs) + " runs each" +
       (o_.empty_static ? "" : "; bench_empty could not be linked statically") + ".\n";
  if (!failures_.empty()) {
    f += "\n**" + std::to_string(failure_count_) + " failure(s):**\n";
    for (size_t i = 0; i < failures_.size() && i < kMaxFailuresShown; ++i) {
      const Failure& e = failures_[i];
      f += "- " + e.text + (e.count > 1 ? " (×" + std::to_string(e.count) + ")" : "") + "\n";
    }
    if (failures_.size() > kMaxFailuresShown) {
      f += "- … and " + std::to_string(failures_.size() - kMaxFailuresShown) + " other kinds\n";
    }
  }
  return f;
}

bool Bench::wanted(const std::string& key) const {
  return o_.only.empty() || ("," + o_.only + ",").find("," + key + ",") != std::string::npos;
}

int Bench::run() {
  started_ms_ = now_ms();
  if (!setup()) {
    return 1;
  }
  const char* labels[] = {"1.", "2.", "3.", "4a.", "4b.", "5.",           "6.",
                          "7.", "8.", "9.", "10.", "11.", "floor: spawn", "floor: durable commit"};
  std::vector<Row> rows(std::size(labels));
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].figure = std::string(labels[i]) + " skipped";
    rows[i].target = "(--only " + o_.only + ")";
    rows[i].meets = "—";
  }
  if (wanted("floors")) {  // first, on a quiet machine
    rows[12] = floor_spawn();
    rows[13] = floor_commit();
  }
  if (wanted("6")) {
    rows[6] = fig_startup();
  }
  if (restart_smarthost()) {
    check_msmtp();
  }
  if (wanted("1")) {
    rows[0] = fig_submit(false);
  }
  if (wanted("2")) {
    rows[1] = fig_submit(true);
  }
  if (wanted("5")) {
    rows[5] = fig_concurrent();
  }
  if (wanted("3")) {
    rows[2] = fig_flush();
  }
  if (wanted("4")) {
    std::vector<Row> rss = fig_rss();
    rows[3] = rss[0];
    rows[4] = rss[1];
  }
  if (wanted("8") || wanted("10")) {
    std::vector<Row> both = fig_daemon_submit();
    rows[8] = both[0];
    rows[10] = both[1];
  }
  if (wanted("9")) {
    rows[9] = fig_daemon_burst();
  }
  if (wanted("11")) {
    rows[11] = fig_daemon_flush();
  }
  if (wanted("7")) {
    rows[7] = fig_mailq();
  }
  stop_daemon();  // figures stop theirs; this is for one cut short
  if (smtpd_ok_) {
    figure_ = "shutdown";
    if (int st = smtpd_.stop(); st != 0) {
      fail("fake_smtpd " + describe_status(st) + " when stopped");
    }
  }
  const std::string text = render_table(rows) + footer(started_ms_);
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
  if (!o_.out.empty() && !write_file(o_.out, text, 0644)) {
    std::fprintf(stderr, "bench_relay: write %s: %s\n", o_.out.c_str(), std::strerror(errno));
    return 1;
  }
  if (o_.keep || !failures_.empty()) {
    std::fprintf(stderr, "bench_relay: kept %s%s%s\n", dir_.c_str(),
                 maildir_parent_.empty() ? "" : " and ", maildir_parent_.c_str());
  } else {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    if (!maildir_parent_.empty()) {
      std::filesystem::remove_all(maildir_parent_, ec);
    }
  }
  return failures_.empty() ? 0 : 1;
}

}  // namespace rm::bench

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);  // a child that dies early must not kill the writer
  rm::bench::Options o;
  if (int rc = rm::bench::parse_args(argc, argv, &o); rc != 0) {
    return rc;
  }
  return rm::bench::Bench(std::move(o)).run();
}
