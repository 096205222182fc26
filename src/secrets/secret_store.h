// secrets/secret_store.h — the keyring seam: a store of passwords keyed by service, host and
// user (the attributes msmtp uses), so that the delivery side can be handed the libsecret store
// (keyring/libsecret_store.h) while everything else links no GLib.
// Contract: lookup() returns the secret or an Error; store() adds or replaces the entry;
// clear() says whether there was one. Every call returns within `timeout` and never prompts.
// Errors: Errc::secret_unavailable for everything the keyring cannot do now (no bus, no
// service, locked, no entry, timeout), each message starting with backend(); the secret never
// appears in an Error. Never logs.
// Threads: one call at a time per store. Not here: which account uses the keyring (config/).
#pragma once

#include <chrono>
#include <string>

#include "core/result.h"
#include "core/secret_string.h"

namespace rm {

struct SecretQuery {
  std::string service = "smtp";
  std::string host;
  std::string user;
  std::chrono::milliseconds timeout{60000};
};

class SecretStore {
 public:
  virtual ~SecretStore() = default;
  // "keyring (libsecret)": what error lines start with.
  virtual const char* backend() const = 0;
  virtual Result<SecretString> lookup(const SecretQuery& q) = 0;
  virtual Status store(const SecretQuery& q, const std::string& label,
                       const SecretString& secret) = 0;
  // false when there was no entry to remove.
  virtual Result<bool> clear(const SecretQuery& q) = 0;
};

}  // namespace rm
