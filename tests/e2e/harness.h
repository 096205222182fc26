// tests/e2e/harness.h — runs the built binaries the way callers do: a temp dir per test with
// a config, a spool and an argv[0] symlink farm (sendmail, mailq, newaliases → relaymail); a
// fake_smtpd child process as the smarthost; process running with exact stdin bytes and
// captured stdout/stderr. Waits are polls with a deadline; no fixed ports, no sleeps.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rm::e2e {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs argv[0] = `argv0_path` (a path, exec'd as is) with `args`, writing `input` to its
// stdin and closing it. env entries "K=V" are added to a minimal environment.
RunResult run(const std::string& argv0_path, const std::vector<std::string>& args,
              const std::string& input = "", const std::vector<std::string>& env = {});

// How a spawned child's stdout or stderr is set up.
enum class Stdio {
  capture,      // a pipe read into SpawnResult::out / err
  dev_null,     // /dev/null (atd, sudo)
  closed,       // no fd at all (cron started from a closed terminal)
  broken_pipe,  // a pipe whose read end is already closed: writes get EPIPE or SIGPIPE
};

// A process started the way one particular caller starts it: argv[0] distinct from the exec'd
// path (atd and sudo pass "sendmail"), an exact environment, a cwd, a uid, a new session, stdin
// as a seekable regular file or as a pipe that is never closed, stdout/stderr per Stdio.
// Unlike run(), the child starts with SIGPIPE at its default action, as a caller's child does.
struct SpawnSpec {
  std::string path;                  // exec'd as is
  std::optional<std::string> argv0;  // argv[0] when it is not `path`
  std::vector<std::string> args;
  std::string input;                      // written to a pipe, which is then closed
  std::optional<std::string> stdin_file;  // instead: this file, opened O_RDONLY (offset 0)
  bool stdin_held_open = false;  // instead: a pipe kept open and unwritten until the child exits
  std::optional<std::vector<std::string>> exact_env;  // the whole environment
  std::vector<std::string> env;                       // else added to run()'s minimal one
  std::string cwd;                                    // chdir before exec when set
  Stdio out = Stdio::capture;
  Stdio err = Stdio::capture;
  bool new_session = false;  // setsid()
  std::optional<uid_t> uid;  // setgid(gid), setgroups({gid}), setuid(uid) before exec
  std::optional<gid_t> gid;
  std::chrono::milliseconds timeout{30000};  // then SIGKILL, timed_out = true
};

struct SpawnResult : RunResult {
  bool timed_out = false;
  size_t input_written = 0;  // bytes of SpawnSpec::input the child's pipe accepted
};

SpawnResult spawn(const SpawnSpec& spec);

struct SmtpdOptions {
  std::string tls = "starttls";  // none | starttls | tls
  std::string cert = "good";     // good | wrong_host | expired | self_signed
  std::string user = "demo";
  std::string password = "s3cret-pass";
  std::vector<std::string> fail{};   // VERB=REPLY
  std::vector<std::string> flags{};  // more fake_smtpd flags: "--dsn", "--chunking", ...
  std::optional<int> port{};         // reuse a port (restart after a stop)
};

class Smtpd {
 public:
  Smtpd(const std::string& dir, SmtpdOptions opts);
  ~Smtpd();
  bool start();  // spawns fake_smtpd and waits for its port
  void stop();
  int port() const { return port_; }
  const std::string& pki_dir() const { return pki_; }
  const std::string& maildir() const { return maildir_; }
  // Number of messages received so far (files *.eml in the maildir).
  size_t received() const;
  std::vector<std::string> messages() const;   // the .eml contents, in order
  std::vector<std::string> envelopes() const;  // the .env contents, in order
  bool wait_for(size_t n, std::chrono::milliseconds timeout) const;

 private:
  std::string dir_;
  SmtpdOptions opts_;
  std::string pki_;
  std::string maildir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// One test's world: temp dir, config, spool, binaries symlinked as their personalities.
class World {
 public:
  World();
  const std::string& dir() const { return tmp_.path(); }
  std::string bin(const std::string& name) const;  // dir/bin/<name> → relaymail
  // dir/preloadable/<name> → the dynamically linked twin of relaymail that LD_PRELOAD reaches
  // (relaymail itself is a static PIE): for fault injection only.
  std::string preloadable_bin(const std::string& name) const;
  std::string spool() const { return dir() + "/spool"; }
  std::string config_path() const { return dir() + "/relaymail.conf"; }
  // Writes the config pointing at `smtpd` (port, CA, user, password file).
  void write_config(const Smtpd& smtpd, const std::string& delivery = "queue",
                    const std::string& tls = "starttls");
  // Runs a personality with RELAYMAIL_CONFIG set to this world's config.
  RunResult sendmail(const std::vector<std::string>& args, const std::string& input) const;
  RunResult relaymail(const std::vector<std::string>& args) const;
  RunResult mailq() const;
  size_t queued() const;  // .env files in spool/queue
  std::vector<std::string> env() const;
  // A SpawnSpec for the sendmail personality (full path as argv[0], this world's config).
  SpawnSpec sendmail_spec(const std::vector<std::string>& args, const std::string& input) const;

 private:
  TempDir tmp_;
};

// Writes `text` to `path` (created or truncated) with `mode`; false on any error.
bool write_file(const std::string& path, const std::string& text, mode_t mode = 0600);
// chown -R: gives a World to another uid (behaviour 70). False on the first error.
bool chown_tree(const std::string& dir, uid_t uid, gid_t gid);

// What fake_smtpd recorded in NNNN.env: "from: <sender>" ("" for MAIL FROM:<>), "to: <rcpt>".
struct Envelope {
  std::string from;
  std::vector<std::string> to;
};
Envelope parse_envelope(const std::string& env_text);

// A received message split at its first empty line: the header block (each line with its
// CRLF, the empty line excluded) and the body after the empty line. No empty line: all header.
std::string headers_of(const std::string& msg);
std::string body_of(const std::string& msg);
// Every field called `name` (case-insensitive) in the header block, unfolded (CRLF removed),
// value only with the one space after the colon dropped.
std::vector<std::string> header_values(const std::string& msg, const std::string& name);
// Offset of the first LF without a CR before it, or CR without an LF after; npos if none.
size_t first_bare_eol(const std::string& msg);
// Every LF and CRLF in `text` turned into CRLF (what the smarthost must see).
std::string to_crlf(const std::string& text);

// After a submission: `relaymail flush`, then wait (deadline 10 s) until `expected` messages
// are at the smarthost, and return what it has.
struct Delivered {
  RunResult flush;
  std::vector<std::string> messages;
  std::vector<Envelope> envelopes;
};
Delivered flush_and_collect(const World& w, const Smtpd& smtpd, size_t expected);

std::string read_file(const std::string& path);
// The message of a spooled <id>.mail: what follows its head (queue/mail_file.h).
std::string spooled_message(const std::string& mail_path);
std::vector<std::string> list_dir(const std::string& dir, const std::string& suffix);

}  // namespace rm::e2e
