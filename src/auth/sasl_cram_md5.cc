#include "auth/sasl_cram_md5.h"

#include <algorithm>

#include "auth/base64.h"
#include "auth/sasl_crypto.h"

namespace rm {

Result<SecretString> SaslCramMd5::step(std::string_view challenge_b64) {
  if (++steps_ > 1) {
    return make_error(Errc::auth, "AUTH CRAM-MD5: unexpected second server challenge");
  }
  auto challenge = base64_decode(challenge_b64);
  if (!challenge || challenge->empty()) {
    return make_error(Errc::auth, "AUTH CRAM-MD5: malformed server challenge");
  }
  if (creds_.user.find('\0') != std::string::npos) {
    return make_error(Errc::auth, "AUTH CRAM-MD5: user name contains a NUL byte");
  }
  KeyBuf<kMd5Len> digest;
  if (auto st = hmac_md5(creds_.password.view(), *challenge, digest); !st) {
    return std::move(st).error();
  }
  std::string hex = hex_lower(digest.view());
  std::string raw;
  // Large enough to live on the heap, so cleanse() reaches the only copy.
  raw.reserve(std::max<size_t>(64, creds_.user.size() + 1 + hex.size()));
  raw += creds_.user;
  raw += ' ';
  raw += hex;
  SecretString out(base64_encode(raw));
  cleanse(raw);
  cleanse(hex);
  return out;
}

}  // namespace rm
