#include "secrets/write_secret.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "sys/fs.h"

namespace rm {
namespace {

// The file as fetch_secret() would accept it: regular, ours. A missing one is created.
Status check_replaceable(const SecretRef& ref) {
  struct stat st {};
  if (::lstat(ref.value.c_str(), &st) != 0) {
    return errno == ENOENT ? Status()
                           : sys_error(Errc::io, errno, "account %s: stat %s", ref.account.c_str(),
                                       ref.value.c_str());
  }
  if (!S_ISREG(st.st_mode)) {
    return make_error(Errc::config, "account %s: %s: not a regular file", ref.account.c_str(),
                      ref.value.c_str());
  }
  if (st.st_uid != ::geteuid()) {
    return make_error(Errc::config, "account %s: %s: owned by uid %u, not by uid %u",
                      ref.account.c_str(), ref.value.c_str(), static_cast<unsigned>(st.st_uid),
                      static_cast<unsigned>(::geteuid()));
  }
  return {};
}

Status to_file(const SecretRef& ref, const SecretString& secret) {
  if (auto ok = check_replaceable(ref); !ok) {
    return ok;
  }
  std::string name = ref.value.substr(ref.value.rfind('/') + 1);
  std::string text;
  text.reserve(secret.size() + 1);  // no reallocation leaves a copy behind
  text.append(secret.view());
  text += '\n';
  SecretString content(std::move(text));  // wiped when done
  if (auto w = write_file_atomic(dir_name(ref.value), name, content.view()); !w) {
    Error e = std::move(w).error();
    e.what = format("account %s: %s", ref.account.c_str(), e.what.c_str());
    return e;
  }
  return {};
}

Status to_keyring(const SecretRef& ref, const SecretString& secret, const std::string& label,
                  SecretStore* keyring) {
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
  if (auto st = keyring->store(q, label, secret); !st) {
    Error e = std::move(st).error();
    e.what = format("account %s: %s", ref.account.c_str(), e.what.c_str());
    return e;
  }
  return {};
}

const char* kind_name(SecretRef::Kind kind) {
  switch (kind) {
    case SecretRef::Kind::command:
      return "command";
    case SecretRef::Kind::env:
      return "variable";
    case SecretRef::Kind::credential:
      return "systemd credential";
    default:
      return "missing";
  }
}

}  // namespace

bool can_write_secret(SecretRef::Kind kind) {
  return kind == SecretRef::Kind::file || kind == SecretRef::Kind::keyring;
}

Status write_secret(const SecretRef& ref, const SecretString& secret, const std::string& label,
                    SecretStore* keyring) {
  switch (ref.kind) {
    case SecretRef::Kind::file:
      return to_file(ref, secret);
    case SecretRef::Kind::keyring:
      return to_keyring(ref, secret, label, keyring);
    case SecretRef::Kind::none:
    case SecretRef::Kind::command:
    case SecretRef::Kind::env:
    case SecretRef::Kind::credential:
      break;
  }
  return make_error(Errc::config, "account %s: a %s source cannot be written", ref.account.c_str(),
                    kind_name(ref.kind));
}

}  // namespace rm
