// support/fake_token_endpoint.h — a fake OAuth 2.0 authorization server over real HTTPS on
// 127.0.0.1:0, for the oauth2 unit tests and the end-to-end tests: the token endpoint (/token:
// the refresh-token grant, RFC 6749 §6; the authorization-code grant with PKCE, RFC 7636; the
// device-code grant, RFC 8628 §3.4) and the device authorization endpoint (/devicecode). OpenSSL
// directly (the test PKI's certificate; support/server_conn.h for the bytes), one thread for
// accepting and one per connection; each connection carries one request and is closed after the
// answer ("Connection: close"; "Expect: 100-continue" is honoured).
//
// What it does: reads "POST <path> HTTP/1.1", the headers and a Content-Length body (at most
// 1 MiB), decodes the form (application/x-www-form-urlencoded) and records the request; then
// answers with the next scripted reply (the last one repeats; none scripted: 500). A reply is a
// status and a JSON body sent as written, or a stall (no answer until the client hangs up or the
// server stops), or a disconnect without an answer. grant() and error() build the usual bodies.
// /devicecode answers with its own reply (script_device(); none: 500). Device-code polls take
// the /token script, so a test scripts authorization_pending, slow_down, access_denied or a
// grant in order. expect_code() registers an authorization code as the authorization endpoint
// would have issued it: an authorization_code grant is answered 400 invalid_grant unless it
// carries a registered, unused code, the same redirect_uri and a code_verifier whose S256
// challenge is the registered one; then it takes the /token script.
// accept_only() turns on a refresh-token check (for refresh-token grants): a request carrying
// another refresh token is answered 400 invalid_grant, and a grant that carries a refresh_token
// makes it the only one accepted from then on (a rotation: the old token dies).
//
// Errors: start() returns Errc::config for unusable certificates, Errc::io for socket failures.
// Thread-safety: every public member may be called from any thread once start() returned.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace rm::test {

struct TokenReply {
  enum class Action { answer, stall, disconnect };
  Action action = Action::answer;
  int status = 200;
  std::string body{};  // sent as is, with Content-Type: application/json
};

struct TokenRequestSeen {
  std::string method{};
  std::string target{};  // "/token"
  std::string content_type{};
  std::string body{};                         // as received
  std::map<std::string, std::string> form{};  // decoded
};

class FakeTokenEndpoint {
 public:
  FakeTokenEndpoint(std::string cert_file, std::string key_file);
  ~FakeTokenEndpoint();  // stop()
  FakeTokenEndpoint(const FakeTokenEndpoint&) = delete;
  FakeTokenEndpoint& operator=(const FakeTokenEndpoint&) = delete;

  Status start();
  void stop();  // idempotent; wakes stalled connections and joins every thread

  uint16_t port() const;
  std::string url() const;            // "https://localhost:<port>/token"
  std::string device_url() const;     // "https://localhost:<port>/devicecode"
  std::string authorize_url() const;  // "https://localhost:<port>/authorize" (not served)

  void script(std::vector<TokenReply> replies);
  void script_device(TokenReply reply);
  void expect_code(std::string code, std::string code_challenge, std::string redirect_uri);
  void accept_only(std::string refresh_token);
  std::optional<std::string> accepted_refresh_token() const;

  std::vector<TokenRequestSeen> requests() const;

  // {"access_token": ..., "token_type": "Bearer", "expires_in": ..., ["refresh_token": ...]}
  static TokenReply grant(const std::string& access_token, long expires_in,
                          const std::string& refresh_token = "");
  // {"device_code": ..., "user_code": ..., "verification_uri": ..., "expires_in": ...,
  // "interval": ...[, "message": ...]}
  static TokenReply device_answer(const std::string& device_code, const std::string& user_code,
                                  const std::string& verification_uri, long expires_in,
                                  long interval, const std::string& message = "");
  // {"error": code, "error_description": description}
  static TokenReply error(int status, const std::string& code, const std::string& description);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// "a%20b+c" → "a b c" (form decoding); nullopt for a bad %-escape.
std::optional<std::string> form_decode(const std::string& text);
// BASE64URL(SHA256(verifier)) without padding, as RFC 7636 §4.2 has the server compute it.
std::string s256_challenge(const std::string& verifier);

}  // namespace rm::test
