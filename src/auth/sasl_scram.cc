#include "auth/sasl_scram.h"

#include <algorithm>
#include <vector>

#include "auth/base64.h"

namespace rm {
namespace {

constexpr size_t kNonceBytes = 24;
// RFC 7677 §4: at least 4096. The upper bound is a DoS guard: every iteration is an HMAC, so a
// hostile or broken server could otherwise make us spin for minutes (i=2^31-1) per attempt.
// A million is already some 10x the counts servers use today.
constexpr long kMinIterations = 4096;
constexpr long kMaxIterations = 1'000'000;
constexpr size_t kMaxErrorValue = 64;

// RFC 5802 §7 printable: %x21-2B / %x2D-7E (no ',').
bool printable_nonce(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x21 && u <= 0x7e && c != ',';
  });
}

// saslname: '=' → "=3D", ',' → "=2C".
std::string saslname(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '=') {
      out += "=3D";
    } else if (c == ',') {
      out += "=2C";
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::string_view> split_attrs(std::string_view msg) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t comma = msg.find(',');
    out.push_back(msg.substr(0, comma));
    if (comma == std::string_view::npos) {
      return out;
    }
    msg.remove_prefix(comma + 1);
  }
}

// The value of "k=value", or nullopt when the attribute is something else.
std::optional<std::string_view> attr(std::string_view a, char key) {
  if (a.size() < 2 || a[0] != key || a[1] != '=') {
    return std::nullopt;
  }
  return a.substr(2);
}

// A decimal number without sign or leading junk; nullopt when malformed or above the bound.
std::optional<long> iteration_count(std::string_view s) {
  if (s.empty() || s.size() > 10 ||
      !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  long n = 0;
  for (char c : s) {
    n = n * 10 + (c - '0');
  }
  return n;
}

// server-error-value, sanitised for an error text: printable ASCII, bounded.
std::string sanitize(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, kMaxErrorValue)) {
    auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  if (s.size() > kMaxErrorValue) {
    out += "...";
  }
  return out;
}

Error server_error(std::string_view value) {
  return make_error(Errc::auth, "AUTH SCRAM-SHA-256: server error: %s", sanitize(value).c_str());
}

Error malformed(const char* what) {
  return make_error(Errc::auth, "AUTH SCRAM-SHA-256: %s", what);
}

}  // namespace

Result<std::optional<SecretString>> SaslScramSha256::initial_response() {
  if (stage_ != Stage::start) {
    return malformed("initial response requested twice");
  }
  if (creds_.user.find('\0') != std::string::npos ||
      creds_.authzid.find('\0') != std::string::npos) {
    return malformed("user name contains a NUL byte");
  }
  if (nonce_.empty()) {
    auto raw = random_bytes(kNonceBytes);
    if (!raw) {
      return std::move(raw).error();
    }
    nonce_ = base64_encode(*raw);  // the base64 alphabet has no ','
  }
  if (!printable_nonce(nonce_)) {
    return malformed("client nonce is not printable");
  }
  gs2_header_ = creds_.authzid.empty() ? "n,," : "n,a=" + saslname(creds_.authzid) + ",";
  client_first_bare_ = "n=" + saslname(creds_.user) + ",r=" + nonce_;
  stage_ = Stage::sent_first;
  return std::optional<SecretString>(SecretString(base64_encode(gs2_header_ + client_first_bare_)));
}

Result<SecretString> SaslScramSha256::step(std::string_view challenge_b64) {
  auto msg = base64_decode(challenge_b64);
  Stage at = stage_;
  stage_ = Stage::failed;  // until a step succeeds
  if (!msg) {
    return malformed("server message is not base64");
  }
  Result<SecretString> r = malformed("unexpected server challenge");
  if (at == Stage::sent_first) {
    r = on_server_first(*msg);
  } else if (at == Stage::sent_final) {
    r = on_server_final(*msg);
  }
  if (r) {
    stage_ = at == Stage::sent_first ? Stage::sent_final : Stage::verified;
  }
  return r;
}

Result<SecretString> SaslScramSha256::on_server_first(std::string_view msg) {
  const std::vector<std::string_view> a = split_attrs(msg);
  if (auto e = attr(a[0], 'e')) {
    return server_error(*e);
  }
  if (attr(a[0], 'm')) {
    return malformed("server requires an unsupported extension (m=)");
  }
  if (a.size() < 3 || !attr(a[0], 'r') || !attr(a[1], 's') || !attr(a[2], 'i')) {
    return malformed("server-first-message lacks r=, s= or i=");
  }
  const std::string_view nonce = *attr(a[0], 'r');
  if (!printable_nonce(nonce) || nonce.size() <= nonce_.size() ||
      nonce.substr(0, nonce_.size()) != nonce_) {
    return malformed("server nonce does not extend the client nonce");
  }
  auto salt = base64_decode(*attr(a[1], 's'));
  if (!salt || salt->empty()) {
    return malformed("salt is empty or not base64");
  }
  std::optional<long> iterations = iteration_count(*attr(a[2], 'i'));
  if (!iterations || *iterations < kMinIterations || *iterations > kMaxIterations) {
    return make_error(Errc::auth, "AUTH SCRAM-SHA-256: iteration count outside %ld..%ld",
                      kMinIterations, kMaxIterations);
  }

  KeyBuf<kSha256Len> salted, client_key, stored_key, client_sig, server_key;
  const std::string without_proof = "c=" + base64_encode(gs2_header_) + ",r=" + std::string(nonce);
  const std::string auth_message =
      client_first_bare_ + "," + std::string(msg) + "," + without_proof;
  Status st = pbkdf2_sha256(creds_.password.view(), *salt, static_cast<int>(*iterations), salted);
  if (st) {
    st = hmac_sha256(salted.view(), "Client Key", client_key);
  }
  if (st) {
    st = sha256(client_key.view(), stored_key);
  }
  if (st) {
    st = hmac_sha256(stored_key.view(), auth_message, client_sig);
  }
  if (st) {
    st = hmac_sha256(salted.view(), "Server Key", server_key);
  }
  if (st) {
    st = hmac_sha256(server_key.view(), auth_message, server_signature_);
  }
  if (!st) {
    return std::move(st).error();
  }
  KeyBuf<kSha256Len> proof;
  for (size_t i = 0; i < proof.size(); ++i) {
    proof.data()[i] = client_key.data()[i] ^ client_sig.data()[i];
  }
  std::string proof_b64 = base64_encode(proof.view());
  std::string final_msg;
  final_msg.reserve(without_proof.size() + 3 + proof_b64.size());
  final_msg += without_proof;
  final_msg += ",p=";
  final_msg += proof_b64;
  SecretString out(base64_encode(final_msg));
  cleanse(final_msg);
  cleanse(proof_b64);
  return out;
}

Result<SecretString> SaslScramSha256::on_server_final(std::string_view msg) {
  const std::vector<std::string_view> a = split_attrs(msg);
  if (auto e = attr(a[0], 'e')) {
    return server_error(*e);
  }
  auto v = attr(a[0], 'v');
  if (!v) {
    return malformed("server-final-message lacks v=");
  }
  auto signature = base64_decode(*v);
  if (!signature || !equal_constant_time(*signature, server_signature_.view())) {
    return malformed("server signature does not match: the server does not know the password");
  }
  return SecretString();  // RFC 4954 §4: additional data with success is answered empty
}

Status SaslScramSha256::finish() {
  if (stage_ != Stage::verified) {
    stage_ = Stage::failed;
    return malformed("server accepted without proving it knows the password (no valid v=)");
  }
  return {};
}

}  // namespace rm
