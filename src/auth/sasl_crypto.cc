#include "auth/sasl_crypto.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <climits>

namespace rm {
namespace {

// "<what>: OpenSSL failed; <reason>; <reason>", emptying this thread's error queue.
Error crypto_error(const char* what) {
  Error e = make_error(Errc::auth, "%s: OpenSSL failed", what);
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    e.what += "; ";
    e.what += buf;
  }
  return e;
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

template <size_t N>
Status hmac(const EVP_MD* md, const char* what, std::string_view key, std::string_view data,
            KeyBuf<N>& out) {
  if (key.size() > INT_MAX) {
    return make_error(Errc::auth, "%s: key too long", what);
  }
  unsigned int len = 0;
  if (HMAC(md, key.data(), static_cast<int>(key.size()), bytes(data), data.size(), out.data(),
           &len) == nullptr ||
      len != N) {
    return crypto_error(what);
  }
  return {};
}

}  // namespace

Status hmac_md5(std::string_view key, std::string_view data, KeyBuf<kMd5Len>& out) {
  return hmac(EVP_md5(), "HMAC-MD5", key, data, out);
}

Status hmac_sha256(std::string_view key, std::string_view data, KeyBuf<kSha256Len>& out) {
  return hmac(EVP_sha256(), "HMAC-SHA-256", key, data, out);
}

Status sha256(std::string_view data, KeyBuf<kSha256Len>& out) {
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != kSha256Len) {
    return crypto_error("SHA-256");
  }
  return {};
}

Status pbkdf2_sha256(std::string_view password, std::string_view salt, int iterations,
                     KeyBuf<kSha256Len>& out) {
  if (password.size() > INT_MAX || salt.size() > INT_MAX) {
    return make_error(Errc::auth, "PBKDF2-HMAC-SHA-256: input too long");
  }
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), bytes(salt),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(),
                        static_cast<int>(out.size()), out.data()) != 1) {
    return crypto_error("PBKDF2-HMAC-SHA-256");
  }
  return {};
}

Result<std::string> random_bytes(size_t n) {
  if (n > INT_MAX) {
    return make_error(Errc::auth, "RAND_bytes: %zu bytes requested", n);
  }
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return crypto_error("RAND_bytes");
  }
  return out;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hex_lower(std::string_view raw) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (char c : raw) {
    auto u = static_cast<unsigned char>(c);
    out += kHex[u >> 4];
    out += kHex[u & 0x0f];
  }
  return out;
}

void cleanse(std::string& s) {
  OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace rm
