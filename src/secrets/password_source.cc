#include "secrets/password_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>

#include "sys/secret_file.h"
#include "sys/unique_fd.h"

namespace rm {
namespace {

constexpr size_t kMaxSecret = size_t{64} * 1024;

std::string first_line(std::string s) {
  auto nl = s.find('\n');
  if (nl != std::string::npos) {
    s.resize(nl);
  }
  if (!s.empty() && s.back() == '\r') {
    s.pop_back();
  }
  return s;
}

// Reads up to kMaxSecret bytes; the buffer is wiped by SecretString at the end.
Result<std::string> read_fd(int fd, const std::string& what) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return sys_error(Errc::secret_unavailable, errno, "read %s", what.c_str());
    }
    if (n == 0 || out.size() >= kMaxSecret) {
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  volatile char* p = buf;
  for (size_t i = 0; i < sizeof buf; ++i) {
    p[i] = 0;
  }
  return out;
}

Result<SecretString> from_file(const SecretRef& ref) {
  UniqueFd fd(::open(ref.value.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    return sys_error(Errc::secret_unavailable, errno, "open password file %s", ref.value.c_str());
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return sys_error(Errc::secret_unavailable, errno, "stat %s", ref.value.c_str());
  }
  // The rules `relaymail check` applies too (sys/secret_file.h).
  const PathFacts facts{st.st_mode, st.st_uid};
  const uid_t me = ::geteuid();
  if (auto fault = secret_file_fault(facts, me); fault != SecretFileFault::none) {
    return make_error(Errc::config, "password file %s: %s", ref.value.c_str(),
                      secret_file_reason(fault, facts, me).c_str());
  }
  auto text = read_fd(fd.get(), ref.value);
  if (!text) {
    return text.error();
  }
  return SecretString(first_line(std::move(*text)));
}

// systemd makes $CREDENTIALS_DIRECTORY private to the service (mode 0500, owned by root or the
// service user, its files possibly readable through an ACL), so the file source's owner and mode
// rules are not applied here; a symlink or a non-regular file still is refused.
Result<SecretString> from_credential(const SecretRef& ref, const char* credentials_dir) {
  const std::string& name = ref.value;
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    return make_error(Errc::config, "account %s: credential \"%s\" must be a plain file name",
                      ref.account.c_str(), name.c_str());
  }
  if (credentials_dir == nullptr || *credentials_dir == '\0') {
    return make_error(Errc::secret_unavailable,
                      "account %s: credential %s: CREDENTIALS_DIRECTORY is not set (not run by "
                      "systemd with LoadCredential= or SetCredential=)",
                      ref.account.c_str(), name.c_str());
  }
  std::string path = std::string(credentials_dir) + "/" + name;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    return sys_error(Errc::secret_unavailable, errno, "account %s: open credential %s",
                     ref.account.c_str(), path.c_str());
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return sys_error(Errc::secret_unavailable, errno, "stat %s", path.c_str());
  }
  const PathFacts facts{st.st_mode, st.st_uid};
  if (auto fault = secret_file_fault(facts, std::nullopt); fault != SecretFileFault::none) {
    return make_error(Errc::config, "account %s: credential %s: %s", ref.account.c_str(),
                      path.c_str(), secret_file_reason(fault, facts, std::nullopt).c_str());
  }
  auto text = read_fd(fd.get(), path);
  if (!text) {
    return text.error();
  }
  return SecretString(first_line(std::move(*text)));
}

Result<SecretString> from_keyring(const SecretRef& ref, SecretStore* keyring) {
  if (keyring == nullptr) {
    return make_error(Errc::secret_unavailable,
                      "account %s: keyring (libsecret): not available in this program",
                      ref.account.c_str());
  }
  SecretQuery q;
  q.service = ref.service;
  q.host = ref.host;
  q.user = ref.user;
  q.timeout = ref.timeout;
  auto secret = keyring->lookup(q);
  if (!secret) {
    Error e = std::move(secret).error();
    e.what = format("account %s: %s", ref.account.c_str(), e.what.c_str());
    return e;
  }
  return secret;
}

Result<SecretString> from_env(const SecretRef& ref) {
  if (ref.value.empty()) {
    return make_error(Errc::config, "account %s: empty password variable name",
                      ref.account.c_str());
  }
  const char* v = std::getenv(ref.value.c_str());
  if (v == nullptr) {
    return make_error(Errc::secret_unavailable, "account %s: variable %s is not set",
                      ref.account.c_str(), ref.value.c_str());
  }
  return SecretString(v);
}

Result<SecretString> from_command(const SecretRef& ref) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return sys_error(Errc::secret_unavailable, errno, "pipe");
  }
  UniqueFd rd(fds[0]);
  UniqueFd wr(fds[1]);
  pid_t pid = ::fork();
  if (pid < 0) {
    return sys_error(Errc::secret_unavailable, errno, "fork for password command");
  }
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
      ::dup2(devnull, 0);
    }
    ::dup2(wr.get(), 1);
    ::execl("/bin/sh", "sh", "-c", ref.value.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  wr.reset();
  auto text = read_fd(rd.get(), "password command output");
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!text) {
    return text.error();
  }
  SecretString secret(first_line(std::move(*text)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return make_error(Errc::secret_unavailable, "account %s: password command failed (status %d)",
                      ref.account.c_str(), WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }
  return secret;
}

}  // namespace

Result<SecretString> fetch_secret(const SecretRef& ref, SecretStore* keyring,
                                  const char* credentials_dir) {
  switch (ref.kind) {
    case SecretRef::Kind::none:
      return SecretString();
    case SecretRef::Kind::file:
      return from_file(ref);
    case SecretRef::Kind::env:
      return from_env(ref);
    case SecretRef::Kind::command:
      return from_command(ref);
    case SecretRef::Kind::credential:
      return from_credential(ref, credentials_dir);
    case SecretRef::Kind::keyring:
      return from_keyring(ref, keyring);
  }
  return make_error(Errc::config, "account %s: unknown password source", ref.account.c_str());
}

}  // namespace rm
