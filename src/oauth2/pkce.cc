#include "oauth2/pkce.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>

namespace rm {
namespace {

constexpr size_t kRandomOctets = 32;  // 256 bits: a 43-character verifier

Result<std::string> random_text(const char* what) {
  std::array<unsigned char, kRandomOctets> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    return make_error(Errc::io, "make the %s: RAND_bytes failed", what);
  }
  std::string text =
      base64url(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
  OPENSSL_cleanse(raw.data(), raw.size());
  return text;
}

}  // namespace

std::string base64url(std::string_view raw) {
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((raw.size() * 4 + 2) / 3);
  uint32_t bits = 0;
  int held = 0;
  for (char c : raw) {
    bits = (bits << 8) | static_cast<unsigned char>(c);
    held += 8;
    while (held >= 6) {
      held -= 6;
      out += kAlphabet[(bits >> held) & 63];
    }
  }
  if (held > 0) {
    out += kAlphabet[(bits << (6 - held)) & 63];
  }
  return out;
}

std::string code_challenge(std::string_view verifier) {
  std::array<unsigned char, 32> digest{};
  unsigned int size = 0;
  (void)EVP_Digest(verifier.data(), verifier.size(), digest.data(), &size, EVP_sha256(), nullptr);
  return base64url(std::string_view(reinterpret_cast<const char*>(digest.data()), size));
}

Result<Pkce> make_pkce() {
  auto verifier = random_text("PKCE code verifier");
  if (!verifier) {
    return std::move(verifier).error();
  }
  std::string challenge = code_challenge(*verifier);
  return Pkce{SecretString(std::move(*verifier)), std::move(challenge)};
}

Result<std::string> random_state() {
  return random_text("authorization request's state");
}

}  // namespace rm
