// support/fake_sasl.h — the server side of the SASL mechanisms the fake smarthost speaks:
// PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256 (no channel binding), XOAUTH2 and OAUTHBEARER. Each
// exchange is a small object: the client's initial response in, then each response to a 334
// challenge, and out comes the next challenge or a verdict. The SMTP framing (334/235/535, "*"
// to cancel) stays in fake_smtp_session.cc.
//
// An independent implementation that uses OpenSSL directly (one-shot HMAC, EVP_Digest,
// PKCS5_PBKDF2_HMAC, RAND_bytes, EVP_EncodeBlock), never rm_auth, so it can test the client.
// SCRAM-SHA-256 is real: a random server nonce (appended to the client's) and a random 16-byte
// salt, i=4096, the client proof checked against StoredKey, and a correct v= sent before the
// 235. CRAM-MD5 sends a fresh "<random.time@hostname>" challenge. XOAUTH2 and OAUTHBEARER take
// the configured password as the bearer token; a wrong token gets the 334 JSON error challenge,
// and whatever the client answers, the verdict is failure. The user must match everywhere.
//
// Verdicts: success (235), failure (535: wrong credentials), malformed (501: undecodable or
// out-of-protocol input). Not here: SASLprep (bytes are compared as they are).
// Thread-safety: an exchange serves one AUTH command on one thread; make_fake_sasl is
// thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace rm::test {

struct SaslServerStep {
  enum class Kind { challenge, success, failure, malformed };
  Kind kind = Kind::failure;
  std::string challenge{};  // base64 ("" is an empty challenge), for Kind::challenge
  std::string user{};       // the authenticated user, for Kind::success
};

class FakeSaslExchange {
 public:
  virtual ~FakeSaslExchange() = default;
  // The initial response from the AUTH command (base64; "" when the client sent "="), or
  // nullopt when the command carried none.
  virtual SaslServerStep start(std::optional<std::string_view> initial_b64) = 0;
  // The client's base64 answer to the last challenge.
  virtual SaslServerStep next(std::string_view response_b64) = 0;
};

// The exchange for `mechanism` (upper-case IANA name), or nullptr when not spoken here.
// `hostname` goes into the CRAM-MD5 challenge.
std::unique_ptr<FakeSaslExchange> make_fake_sasl(std::string_view mechanism, std::string user,
                                                 std::string password, std::string hostname);

// RFC 4648 base64 through OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock; decoding is strict
// (padding required, nothing outside the alphabet) and returns nullopt when malformed.
std::string sasl_b64_encode(std::string_view raw);
std::optional<std::string> sasl_b64_decode(std::string_view text);

}  // namespace rm::test
