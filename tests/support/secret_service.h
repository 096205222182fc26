// support/secret_service.h — a real Secret Service for tests, headless and private: a
// dbus-daemon on a socket in the test's directory (a config with no service directories, so
// nothing is ever activated: no prompter, no second keyring) and gnome-keyring-daemon on it,
// its login keyring created and unlocked from stdin, HOME the test's directory.
// Contract: start() waits (bounded, by `gdbus wait`) until org.freedesktop.secrets is owned; the
// destructor stops both daemons by PID. run() runs secret-tool or gdbus in that session.
// Errors: start() returns false with the reason. Never sleeps; waits are bounded.
// Not thread-safe. Not here: the store under test (keyring/).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace rm::test {

struct ToolResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

// Runs argv (a bare name is taken from /usr/bin) with exactly `env`, `input` on its stdin;
// stdout and stderr together, bounded by a 20 s deadline.
ToolResult run_tool(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    const std::string& input = "");

class SecretServiceSession {
 public:
  // gnome-keyring-daemon, dbus-daemon, gdbus and secret-tool are all installed.
  static bool available();

  explicit SecretServiceSession(std::string dir) : dir_(std::move(dir)) {}
  ~SecretServiceSession();
  SecretServiceSession(const SecretServiceSession&) = delete;
  SecretServiceSession& operator=(const SecretServiceSession&) = delete;

  // The bus alone (no Secret Service on it) with with_keyring = false.
  bool start(bool with_keyring, std::string* why);
  const std::string& address() const { return address_; }
  // "DBUS_SESSION_BUS_ADDRESS=...", "HOME=...": what a client of this session needs.
  std::vector<std::string> env() const;

  ToolResult run(const std::vector<std::string>& argv, const std::string& input = "") const;
  // org.freedesktop.Secret.Service.Lock on the login collection, by D-Bus (not secret-tool).
  bool lock_login(std::string* why) const;

 private:
  std::string dir_;
  std::string address_;
  pid_t bus_pid_ = -1;
  pid_t keyring_pid_ = -1;
};

}  // namespace rm::test
