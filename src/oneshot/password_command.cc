#include "oneshot/password_command.h"

#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>

#include "sys/sysexits.h"

namespace rm::oneshot {
namespace {

constexpr size_t kMaxPassword = size_t{64} * 1024;

// Echo off for as long as it lives; the terminal's settings are put back as they were.
class NoEcho {
 public:
  explicit NoEcho(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) == 0) {
      termios quiet = saved_;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      quiet.c_lflag |= ECHONL;
      active_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
    }
  }
  ~NoEcho() {
    if (active_) {
      (void)::tcsetattr(fd_, TCSAFLUSH, &saved_);
    }
  }
  NoEcho(const NoEcho&) = delete;
  NoEcho& operator=(const NoEcho&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

const Account* find_account(const Config& cfg, const std::string& name) {
  for (const Account& a : cfg.accounts) {
    if (a.name == name) {
      return &a;
    }
  }
  return nullptr;
}

std::string account_names(const Config& cfg) {
  std::string out;
  for (const Account& a : cfg.accounts) {
    out += (out.empty() ? "" : ", ") + a.name;
  }
  return out.empty() ? "none" : out;
}

}  // namespace

Result<SecretString> read_password(int fd, const std::string& prompt) {
  bool tty = ::isatty(fd) != 0;
  if (tty) {
    (void)std::fputs(prompt.c_str(), stderr);
    (void)std::fflush(stderr);
  }
  NoEcho quiet(tty ? fd : -1);
  std::string line;
  char c = 0;
  for (;;) {
    ssize_t n = ::read(fd, &c, 1);  // byte by byte: nothing after the line is consumed
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      SecretString wipe(std::move(line));
      return sys_error(Errc::io, errno, "read the password from stdin");
    }
    if (n == 0 || c == '\n') {
      break;
    }
    if (line.size() >= kMaxPassword) {
      SecretString wipe(std::move(line));
      return make_error(Errc::usage, "the password on stdin is longer than %zu bytes",
                        kMaxPassword);
    }
    line.push_back(c);
  }
  c = 0;
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  return SecretString(std::move(line));
}

int password_command(PasswordAction action, const std::string& account, const Config& cfg,
                     SecretStore& keyring, Logger& log) {
  const Account* a = find_account(cfg, account);
  if (a == nullptr) {
    log.error("password: no account named '%s' in %s (accounts: %s)", account.c_str(),
              cfg.path.c_str(), account_names(cfg).c_str());
    return kExUsage;
  }
  if (a->user.empty()) {
    log.error("password: account %s has no user; its keyring entry is keyed by host and user",
              a->name.c_str());
    return kExConfig;
  }
  if (a->password.kind != PasswordSource::Kind::keyring) {
    log.warn(
        "password: account %s does not read its password from the keyring (set password "
        "= { keyring = true; } to use this entry)",
        a->name.c_str());
  }
  SecretQuery q;
  q.host = a->host;
  q.user = a->user;
  q.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(a->timeout);
  if (action == PasswordAction::clear) {
    auto removed = keyring.clear(q);
    if (!removed) {
      log.error("account %s: %s", a->name.c_str(), removed.error().what.c_str());
      return kExUnavailable;
    }
    log.info("account %s: %s", a->name.c_str(),
             *removed ? "password removed from the keyring" : "no keyring entry; nothing removed");
    return kExOk;
  }
  auto secret = read_password(STDIN_FILENO,
                              format("Password for %s at %s: ", a->user.c_str(), a->host.c_str()));
  if (!secret) {
    log.error("password: %s", secret.error().what.c_str());
    return secret.error().code == Errc::usage ? kExUsage : kExIoErr;
  }
  if (secret->empty()) {
    log.error("password: empty password on stdin; nothing stored");
    return kExUsage;
  }
  std::string label =
      format("relaymail: %s@%s (account %s)", a->user.c_str(), a->host.c_str(), a->name.c_str());
  if (auto ok = keyring.store(q, label, *secret); !ok) {
    log.error("account %s: %s", a->name.c_str(), ok.error().what.c_str());
    return kExUnavailable;
  }
  log.info("account %s: password stored in the %s", a->name.c_str(), keyring.backend());
  return kExOk;
}

}  // namespace rm::oneshot
