#include "auth/sasl_plain.h"

#include <algorithm>

#include "auth/base64.h"

namespace rm {
namespace {

// Overwrites a buffer that held a credential before it is freed.
void wipe(std::string& s) {
  volatile char* p = s.data();
  for (size_t i = 0; i < s.size(); ++i) {
    p[i] = 0;
  }
  s.clear();
}

}  // namespace

Result<SecretString> SaslPlain::message() const {
  if (creds_.user.find('\0') != std::string::npos ||
      creds_.authzid.find('\0') != std::string::npos ||
      creds_.password.view().find('\0') != std::string_view::npos) {
    return make_error(Errc::auth, "AUTH PLAIN: user name or password contains a NUL byte");
  }
  std::string raw;
  // Large enough to live on the heap, so wipe() reaches the only copy.
  raw.reserve(std::max<size_t>(
      32, creds_.authzid.size() + creds_.user.size() + creds_.password.size() + 2));
  raw += creds_.authzid;
  raw += '\0';
  raw += creds_.user;
  raw += '\0';
  raw += creds_.password.view();
  SecretString out(base64_encode(raw));
  wipe(raw);
  return out;
}

Result<std::optional<SecretString>> SaslPlain::initial_response() {
  auto m = message();
  if (!m) {
    return std::move(m).error();
  }
  ++steps_;
  return std::optional<SecretString>(std::move(*m));
}

Result<SecretString> SaslPlain::step(std::string_view challenge_b64) {
  // RFC 4954 §4: "AUTH PLAIN" without an initial response is answered with an empty challenge.
  // Any other challenge, or one after the message went out, is not PLAIN.
  if (!challenge_b64.empty() || steps_ > 0) {
    return make_error(Errc::auth, "AUTH PLAIN: unexpected server challenge");
  }
  ++steps_;
  return message();
}

}  // namespace rm
