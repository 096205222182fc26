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

struct SmtpdOptions {
  std::string tls = "starttls";  // none | starttls | tls
  std::string cert = "good";     // good | wrong_host | expired | self_signed
  std::string user = "demo";
  std::string password = "s3cret-pass";
  std::vector<std::string> fail;  // VERB=REPLY
  std::optional<int> port;        // reuse a port (restart after a stop)
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

 private:
  TempDir tmp_;
};

std::string read_file(const std::string& path);
std::vector<std::string> list_dir(const std::string& dir, const std::string& suffix);

}  // namespace rm::e2e
