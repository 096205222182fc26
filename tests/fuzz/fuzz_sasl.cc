// Fuzz target: the server's SASL challenges as the client mechanisms read them
// (auth/sasl_scram.h: server-first and server-final messages; auth/sasl_bearer.h: the base64
// JSON error a provider sends for a refused token; LOGIN and CRAM-MD5 prompts). The input is
// a sequence of challenges separated by NUL; each mechanism answers them in turn until it fails.
// Invariant: no response ever carries the password in clear where the mechanism must not send
// it (SCRAM, CRAM-MD5).
#include <cstdint>
#include <memory>
#include <string>

#include "auth/base64.h"
#include "auth/sasl_mechanism.h"
#include "auth/sasl_scram.h"
#include "fuzz/fuzz_input.h"

namespace {

constexpr char kPassword[] = "fuzz-password-7Qz";

constexpr char kClientNonce[] = "fyko+d2lbbFgONRv9qkxdawL";

rm::SaslCredentials credentials() {
  return {.user = "user@example.com", .password = rm::SecretString(kPassword)};
}

// SCRAM with a fixed client nonce, so an input can carry a server-first message that extends
// it; the others as delivery makes them.
rm::Result<std::unique_ptr<rm::SaslMechanism>> make(rm::AuthMethod method) {
  if (method == rm::AuthMethod::scram_sha_256) {
    return std::unique_ptr<rm::SaslMechanism>(
        std::make_unique<rm::SaslScramSha256>(credentials(), kClientNonce));
  }
  return rm::make_sasl_mechanism(method, credentials());
}

void run(rm::AuthMethod method, std::string_view in) {
  auto mech = make(method);
  if (!mech) {
    return;
  }
  const bool hashed = method == rm::AuthMethod::scram_sha_256 || method == rm::AuthMethod::cram_md5;
  if (!(*mech)->initial_response()) {
    return;
  }
  for (int step = 0; step < 4; ++step) {
    auto [challenge, rest] = rm::fuzz::split_at_nul(in);
    auto response = (*mech)->step(challenge);
    if (!response) {
      return;
    }
    if (hashed) {
      auto raw = rm::base64_decode(response->view());
      rm::fuzz::require(!raw || raw->find(kPassword) == std::string::npos,
                        "password in a hashed mechanism's response");
    }
    if (rest.empty()) {
      break;
    }
    in = rest;
  }
  (void)(*mech)->finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = rm::fuzz::as_text(data, size);
  for (rm::AuthMethod m :
       {rm::AuthMethod::scram_sha_256, rm::AuthMethod::xoauth2, rm::AuthMethod::oauthbearer,
        rm::AuthMethod::login, rm::AuthMethod::cram_md5}) {
    run(m, in);
  }
  return 0;
}
