#include "tls/tls_client.h"

#include <fcntl.h>

#include <cctype>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "sys/dir_list.h"
#include "sys/unique_fd.h"
#include "tls/ossl.h"
#include "tls/session_cache.h"
#include "tls/tls_stream.h"

namespace rm {
namespace {

class OpensslTlsClient final : public TlsClient {
 public:
  OpensslTlsClient(ossl::Ptr<SSL_CTX> ctx, std::string pin, std::shared_ptr<SessionCache> cache)
      : ctx_(std::move(ctx)), pin_(std::move(pin)), cache_(std::move(cache)) {}
  Result<std::unique_ptr<TlsStream>> handshake(std::unique_ptr<Stream> inner,
                                               const std::string& host,
                                               Deadline deadline) override {
    auto s = SslStream::connect(ctx_.get(), std::move(inner), host, deadline, pin_, cache_);
    if (!s) {
      return std::move(s).error();
    }
    return std::unique_ptr<TlsStream>(std::move(*s));
  }

 private:
  ossl::Ptr<SSL_CTX> ctx_;
  std::string pin_;  // normalised; empty: CA and name verification
  // Shared with every stream made here: TLS 1.3 tickets arrive while a stream is read, and a
  // stream may outlive this client. Null when resumption is off.
  std::shared_ptr<SessionCache> cache_;
};

// With a pin the chain may be anything (self-signed): let the handshake finish and decide on
// the pin afterwards (SslStream::handshake).
int accept_for_pin_check(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) {
  return 1;
}

// "AB:cd:..." -> "abcd..."; nullopt unless exactly 64 hex digits remain.
std::optional<std::string> normalize_pin(const std::string& in) {
  std::string out;
  for (char c : in) {
    if (c == ':') {
      continue;
    }
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (out.size() != 64) {
    return std::nullopt;
  }
  return out;
}

Error tls_setup_error(Errc code, const std::string& what) {
  Error e = make_error(code, "%s", what.c_str());
  ossl::append_errors(e.what);
  return e;
}

// "9d04f354.0": the <subject hash>.<n> names of c_rehash / update-ca-certificates.
bool hash_link_name(std::string_view name) {
  const size_t dot = name.find('.');
  if (dot != 8 || name.size() == dot + 1) {
    return false;
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (i != dot && !(i < dot ? std::isxdigit(c) : std::isdigit(c))) {
      return false;
    }
  }
  return true;
}

// Whether `dir` holds certificates under their hashed names, as X509_LOOKUP_hash_dir needs.
bool hashed_cert_dir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    return false;
  }
  bool hashed = false;
  auto scanned = for_each_name(
      fd.get(), dir, [&](std::string_view name) { hashed = hashed || hash_link_name(name); });
  return scanned && hashed;
}

// The system trust store. SSL_CTX_set_default_verify_paths parses the whole CA bundle file
// (Debian: 145 certificates) into the store up front: +0.8 MB peak RSS for `relaymail flush`
// (measured, 8.96 -> 8.14 MB). The default directory holds the same anchors under hashed
// names (update-ca-certificates writes both from one source) and is read only for the
// issuers a chain names, so where it is hashed and neither SSL_CERT_FILE nor SSL_CERT_DIR
// says otherwise, it alone is the store: the anchors trusted are the same or fewer, never more.
// Anywhere else OpenSSL's own default applies.
bool load_system_trust(SSL_CTX* ctx) {
  const char* dir = X509_get_default_cert_dir();
  if (std::getenv(X509_get_default_cert_file_env()) == nullptr &&
      std::getenv(X509_get_default_cert_dir_env()) == nullptr && dir != nullptr &&
      hashed_cert_dir(dir)) {
    return SSL_CTX_load_verify_dir(ctx, dir) == 1;
  }
  return SSL_CTX_set_default_verify_paths(ctx) == 1;
}

}  // namespace

Result<std::unique_ptr<TlsClient>> TlsClient::create(const TlsPolicy& policy) {
  ERR_clear_error();
  ossl::Ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) {
    return tls_setup_error(Errc::tls, "create TLS context: SSL_CTX_new failed");
  }
  if (SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1) {
    return tls_setup_error(Errc::tls, "create TLS context: cannot require TLS 1.2");
  }
  std::string pin;
  if (!policy.fingerprint_sha256.empty()) {
    auto p = normalize_pin(policy.fingerprint_sha256);
    if (!p) {
      return make_error(Errc::config, "TLS fingerprint %s: not 64 hex digits of SHA-256",
                        policy.fingerprint_sha256.c_str());
    }
    pin = *p;
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, pin.empty() ? nullptr : &accept_for_pin_check);
  // IGNORE_UNEXPECTED_EOF: a peer vanishing without close_notify reads as EOF, like TCP; SMTP's
  // own framing detects truncation (tls_stream.h). No renegotiation, no compression (CRIME).
  SSL_CTX_set_options(
      ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  if (policy.ca_file.empty()) {
    if (!load_system_trust(ctx.get())) {
      return tls_setup_error(Errc::config, "load the system trust store");
    }
  } else if (SSL_CTX_load_verify_locations(ctx.get(), policy.ca_file.c_str(), nullptr) != 1) {
    return tls_setup_error(Errc::config, "load CA file " + policy.ca_file);
  }
  if (policy.cert_file.empty() != policy.key_file.empty()) {
    const bool cert = !policy.cert_file.empty();
    return make_error(Errc::config, "client %s %s: no %s given; cert_file and key_file go together",
                      cert ? "certificate" : "key",
                      cert ? policy.cert_file.c_str() : policy.key_file.c_str(),
                      cert ? "key_file" : "cert_file");
  }
  if (!policy.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), policy.cert_file.c_str()) != 1) {
      return tls_setup_error(Errc::config, "load client certificate " + policy.cert_file);
    }
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), policy.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return tls_setup_error(Errc::config, "load client key " + policy.key_file);
    }
    if (SSL_CTX_check_private_key(ctx.get()) != 1) {
      return tls_setup_error(
          Errc::config, "client key " + policy.key_file + " does not match " + policy.cert_file);
    }
  }
  std::shared_ptr<SessionCache> cache;
  if (policy.resume_sessions) {
    SslStream::enable_resumption(ctx.get());
    cache = std::make_shared<SessionCache>();
  } else {
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  }
  return std::unique_ptr<TlsClient>(
      new OpensslTlsClient(std::move(ctx), std::move(pin), std::move(cache)));
}

}  // namespace rm
