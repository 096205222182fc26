// auth/sasl_scram.h — the SCRAM-SHA-256 mechanism (RFC 5802, RFC 7677) without channel binding
// (gs2 header "n,," or "n,a=<authzid>,"). It authenticates both ways: the password never
// crosses the wire, and the server must prove it knows it (v=) before finish() accepts a 235.
//
// Exchange: initial response client-first "n,,n=<user>,r=<nonce>" (user with '=' and ','
// escaped as =3D and =2C; the nonce is 24 RAND_bytes, base64); step 1 checks server-first (a
// nonce that extends ours, a non-empty base64 salt, an iteration count in [4096, 1000000], no
// mandatory extension m=) and answers client-final with the proof; step 2 checks the server
// signature in v= (CRYPTO_memcmp) and answers with an empty response; finish() fails unless
// that happened. Derived keys live in KeyBufs that are OPENSSL_cleanse()d.
//
// SASLprep (RFC 4013) is not applied: user name and password go in as the UTF-8 bytes they are.
// For ASCII passwords, the common case, that is exactly SASLprep's result; a non-ASCII password
// that SASLprep would change (e.g. not in NFKC form, or with mapped-to-nothing characters) fails
// against a server that normalises it. A documented limitation.
//
// Errors: Errc::auth for anything the server sends that does not check out, for a server error
// (e=, its value sanitised into the text), and for a NUL in the user name; texts never contain
// the password, the proof or a derived key. Not thread-safe.
#pragma once

#include <string>

#include "auth/sasl_crypto.h"
#include "auth/sasl_mechanism.h"

namespace rm {

class SaslScramSha256 final : public SaslMechanism {
 public:
  // The client nonce is drawn by initial_response().
  explicit SaslScramSha256(SaslCredentials creds) : creds_(std::move(creds)) {}
  // A fixed client nonce (printable ASCII without ','), for test vectors only.
  SaslScramSha256(SaslCredentials creds, std::string client_nonce)
      : creds_(std::move(creds)), nonce_(std::move(client_nonce)) {}

  std::string_view name() const override { return "SCRAM-SHA-256"; }
  Result<std::optional<SecretString>> initial_response() override;
  Result<SecretString> step(std::string_view challenge_b64) override;
  // Errc::auth unless the server's signature was verified.
  Status finish() override;

 private:
  enum class Stage { start, sent_first, sent_final, verified, failed };
  Result<SecretString> on_server_first(std::string_view msg);
  Result<SecretString> on_server_final(std::string_view msg);

  SaslCredentials creds_;
  std::string nonce_;
  std::string gs2_header_;
  std::string client_first_bare_;
  KeyBuf<kSha256Len> server_signature_;
  Stage stage_ = Stage::start;
};

}  // namespace rm
