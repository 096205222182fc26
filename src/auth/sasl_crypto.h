// auth/sasl_crypto.h — the few OpenSSL primitives the SASL mechanisms need (HMAC-MD5,
// HMAC-SHA-256, SHA-256, PBKDF2-HMAC-SHA-256, random bytes, a constant-time compare), over
// byte strings, plus KeyBuf: a fixed-size buffer for derived keys that OPENSSL_cleanse()s itself
// when it dies. Only one-shot OpenSSL calls are used, so no OpenSSL object outlives a call.
// Not here: the mechanisms themselves (sasl_*.h), base64 (auth/base64.h).
// Errors: Errc::auth naming the primitive, with this thread's whole OpenSSL error queue
// appended; never the input. Thread-safe (no shared state; the error queue is per thread).
#pragma once

#include <openssl/crypto.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rm {

constexpr size_t kMd5Len = 16;
constexpr size_t kSha256Len = 32;

template <size_t N>
class KeyBuf {
 public:
  KeyBuf() = default;
  KeyBuf(const KeyBuf&) = delete;
  KeyBuf& operator=(const KeyBuf&) = delete;
  ~KeyBuf() { OPENSSL_cleanse(b_.data(), b_.size()); }

  unsigned char* data() { return b_.data(); }
  const unsigned char* data() const { return b_.data(); }
  static constexpr size_t size() { return N; }
  std::string_view view() const { return {reinterpret_cast<const char*>(b_.data()), N}; }

 private:
  std::array<unsigned char, N> b_{};
};

Status hmac_md5(std::string_view key, std::string_view data, KeyBuf<kMd5Len>& out);
Status hmac_sha256(std::string_view key, std::string_view data, KeyBuf<kSha256Len>& out);
Status sha256(std::string_view data, KeyBuf<kSha256Len>& out);
// RFC 8018 PBKDF2 with HMAC-SHA-256 (SCRAM's Hi()); the caller bounds `iterations`.
Status pbkdf2_sha256(std::string_view password, std::string_view salt, int iterations,
                     KeyBuf<kSha256Len>& out);
// n bytes from RAND_bytes (the OpenSSL CSPRNG).
Result<std::string> random_bytes(size_t n);

// false when the sizes differ (sizes are not secret); else CRYPTO_memcmp.
bool equal_constant_time(std::string_view a, std::string_view b);
std::string hex_lower(std::string_view raw);
// OPENSSL_cleanse()s the bytes of a string that held key material, then clears it.
void cleanse(std::string& s);

}  // namespace rm
