#include "tls/tls_stream.h"

#include <arpa/inet.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace rm {
namespace {

// Ciphertext is handed to the inner stream at flush points; past this much it goes at once, so
// one huge write_all never buffers more than about four records.
constexpr size_t kFlushAt = size_t{64} * 1024;
// close() has no deadline of its own: close_notify is one small record, so a short bound is
// enough for a peer that still reads, and a peer that does not cannot hold us longer.
constexpr Millis kCloseTimeout{1000};

// "[::1]" → "::1"; returns true when `host` is an IPv4 or IPv6 literal.
bool ip_literal(const std::string& host, std::string* bare) {
  std::string h = host;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  }
  unsigned char buf[sizeof(in6_addr)];
  if (::inet_pton(AF_INET, h.c_str(), buf) == 1 || ::inet_pton(AF_INET6, h.c_str(), buf) == 1) {
    *bare = h;
    return true;
  }
  return false;
}

}  // namespace

SslStream::SslStream(std::unique_ptr<Stream> inner, std::string host,
                     std::shared_ptr<SessionCache> cache)
    : inner_(std::move(inner)), host_(std::move(host)), cache_(std::move(cache)) {}

SslStream::~SslStream() {
  close();
}

Result<std::unique_ptr<SslStream>> SslStream::connect(SSL_CTX* ctx, std::unique_ptr<Stream> inner,
                                                      const std::string& host, Deadline deadline,
                                                      const std::string& pin,
                                                      std::shared_ptr<SessionCache> cache) {
  if (!inner) {
    return make_error(Errc::tls, "TLS handshake with %s: no connection", host.c_str());
  }
  if (host.empty()) {
    // Without a reference identity OpenSSL would accept any trusted certificate.
    return make_error(Errc::tls, "TLS handshake with %s: empty host name to verify",
                      inner->peer().c_str());
  }
  std::unique_ptr<SslStream> s(new SslStream(std::move(inner), host, std::move(cache)));
  if (auto r = s->handshake(ctx, deadline, pin); !r) {
    // Nothing was established: no close_notify, just drop the transport. Whatever session was
    // offered or reported here is not to be offered again.
    if (s->cache_ && s->offered_) {
      s->cache_->drop(host, s->offered_.get());
    }
    s->pending_session_.reset();
    s->closed_ = true;
    s->inner_->close();
    return std::move(r).error();
  }
  if (s->cache_ && s->pending_session_) {
    s->cache_->put(host, std::move(s->pending_session_));
  }
  return s;
}

void SslStream::enable_resumption(SSL_CTX* ctx) {
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, &SslStream::on_new_session);
}

int SslStream::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* self = static_cast<SslStream*>(SSL_get_app_data(ssl));
  if (self == nullptr || !self->cache_) {
    return 0;  // OpenSSL keeps its reference
  }
  ossl::Ptr<SSL_SESSION> owned(session);  // returning 1 hands us OpenSSL's reference
  if (self->established_) {
    self->cache_->put(self->host_, std::move(owned));
  } else {
    self->pending_session_ = std::move(owned);
  }
  return 1;
}

Status SslStream::handshake(SSL_CTX* ctx, Deadline deadline, const std::string& pin) {
  ERR_clear_error();
  method_.reset(BIO_meth_new(BIO_TYPE_SOURCE_SINK, "relaymail stream"));
  if (!method_ || BIO_meth_set_create(method_.get(), &SslStream::bio_create) != 1 ||
      BIO_meth_set_write(method_.get(), &SslStream::bio_write) != 1 ||
      BIO_meth_set_read(method_.get(), &SslStream::bio_read) != 1 ||
      BIO_meth_set_ctrl(method_.get(), &SslStream::bio_ctrl) != 1) {
    Error e = make_error(Errc::tls, "TLS setup for %s: BIO_meth_new failed", host_.c_str());
    ossl::append_errors(e.what);
    return e;
  }
  ssl_.reset(SSL_new(ctx));
  if (!ssl_) {
    Error e = make_error(Errc::tls, "TLS setup for %s: SSL_new failed", host_.c_str());
    ossl::append_errors(e.what);
    return e;
  }
  BIO* bio = BIO_new(method_.get());
  if (bio == nullptr) {
    Error e = make_error(Errc::tls, "TLS setup for %s: BIO_new failed", host_.c_str());
    ossl::append_errors(e.what);
    return e;
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_.get(), bio, bio);   // ssl_ owns the BIO (one reference for both directions)
  SSL_set_app_data(ssl_.get(), this);  // for on_new_session; ssl_ dies before *this
  if (cache_) {
    offered_ = cache_->take(host_);
    if (offered_ && SSL_set_session(ssl_.get(), offered_.get()) != 1) {
      ERR_clear_error();  // not fatal: a full handshake follows
      cache_->drop(host_, offered_.get());
      offered_.reset();
    }
  }

  // The reference identity is the configured name (RFC 7817), checked by OpenSSL: DNS SANs only
  // (never the CN), no partial wildcards; an IP literal is checked against IP SANs and gets no SNI.
  SSL_set_hostflags(ssl_.get(),
                    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
  std::string ip;
  bool ok = true;
  if (ip_literal(host_, &ip)) {
    ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), ip.c_str()) == 1;
  } else {
    ok = SSL_set_tlsext_host_name(ssl_.get(), host_.c_str()) == 1 &&
         SSL_set1_host(ssl_.get(), host_.c_str()) == 1;
  }
  if (!ok) {
    Error e =
        make_error(Errc::tls, "TLS setup for %s: cannot set the name to verify", host_.c_str());
    ossl::append_errors(e.what);
    return e;
  }

  pin_mode_ = !pin.empty();
  deadline_ = deadline;
  ERR_clear_error();
  errno = 0;
  int r = SSL_connect(ssl_.get());
  if (r != 1) {
    (void)flush();  // the alert that explains the failure to the server, best effort
    return failure(r, "TLS handshake");
  }
  if (auto f = flush(); !f) {
    return failure(-1, "TLS handshake");
  }
  if (!pin.empty()) {
    // The pin is the trust anchor: the handshake proved possession of this certificate's key.
    const std::string got = ossl::cert_sha256(SSL_get0_peer_certificate(ssl_.get()));
    if (got != pin) {
      return make_error(Errc::tls_verify,
                        "verify certificate of %s: SHA-256 fingerprint %s does not match the pin",
                        host_.c_str(), got.empty() ? "(none)" : got.c_str());
    }
    established_ = true;
    return {};
  }
  long v = SSL_get_verify_result(ssl_.get());
  if (v != X509_V_OK) {
    return make_error(Errc::tls_verify, "verify certificate of %s: %s", host_.c_str(),
                      X509_verify_cert_error_string(v));
  }
  if (SSL_get0_peer_certificate(ssl_.get()) == nullptr) {
    return make_error(Errc::tls_verify, "verify certificate of %s: no certificate presented",
                      host_.c_str());
  }
  established_ = true;
  return {};
}

Error SslStream::failure(int ret, const char* op) {
  const int saved_errno = errno;
  const int code = ssl_ ? SSL_get_error(ssl_.get(), ret) : SSL_ERROR_SSL;
  const std::string where = std::string(op) + " with " + host_ + " (" + inner_->peer() + ")";
  Error e;
  if (io_error_) {
    // The transport failed underneath OpenSSL: keep its class (timeout, io) and its words.
    e = *io_error_;
    e.what = where + ": " + e.what;
  } else if (long v = ssl_ && !established_ && !pin_mode_ ? SSL_get_verify_result(ssl_.get())
                                                          : X509_V_OK;
             v != X509_V_OK) {
    e = make_error(Errc::tls_verify, "%s: certificate verification failed: %s", where.c_str(),
                   X509_verify_cert_error_string(v));
  } else {
    switch (code) {
      case SSL_ERROR_ZERO_RETURN:
        e = make_error(Errc::tls, "%s: connection closed by peer", where.c_str());
        break;
      case SSL_ERROR_SYSCALL:
        if (saved_errno != 0) {
          e = sys_error(Errc::tls, saved_errno, "%s", where.c_str());
        } else {
          e = make_error(Errc::tls, "%s: unexpected end of stream", where.c_str());
        }
        break;
      case SSL_ERROR_SSL:
        e = make_error(Errc::tls, "%s: protocol error", where.c_str());
        break;
      default:
        e = make_error(Errc::tls, "%s: SSL_get_error %d", where.c_str(), code);
        break;
    }
  }
  ossl::append_errors(e.what);
  return e;
}

Status SslStream::flush() {
  if (out_.empty()) {
    return {};
  }
  if (io_error_) {
    return *io_error_;
  }
  Status r = inner_->write_all(out_, deadline_);
  out_.clear();
  if (!r) {
    io_error_ = r.error();
  }
  return r;
}

Result<size_t> SslStream::read_some(std::span<char> buf, Deadline deadline) {
  if (closed_) {
    return make_error(Errc::io, "read from %s: stream closed", host_.c_str());
  }
  if (buf.empty()) {
    return make_error(Errc::io, "read from %s: empty buffer", host_.c_str());
  }
  deadline_ = deadline;
  const int want = static_cast<int>(std::min<size_t>(buf.size(), INT_MAX));
  ERR_clear_error();
  errno = 0;
  int n = SSL_read(ssl_.get(), buf.data(), want);
  if (n > 0) {
    // Reading can make OpenSSL answer (TLS 1.3 KeyUpdate); send that now.
    if (auto f = flush(); !f) {
      return failure(-1, "TLS read");
    }
    return static_cast<size_t>(n);
  }
  if (!io_error_ && SSL_get_error(ssl_.get(), n) == SSL_ERROR_ZERO_RETURN) {
    return size_t{0};
  }
  return failure(n, "TLS read");
}

Status SslStream::write_all(std::span<const char> data, Deadline deadline) {
  if (closed_) {
    return make_error(Errc::io, "write to %s: stream closed", host_.c_str());
  }
  deadline_ = deadline;
  size_t off = 0;
  while (off < data.size()) {
    const int chunk = static_cast<int>(std::min<size_t>(data.size() - off, INT_MAX / 2));
    ERR_clear_error();
    errno = 0;
    int n = SSL_write(ssl_.get(), data.data() + off, chunk);
    if (n <= 0) {
      return failure(n, "TLS write");
    }
    off += static_cast<size_t>(n);
  }
  if (auto f = flush(); !f) {
    return failure(-1, "TLS write");
  }
  return {};
}

void SslStream::close() {
  if (closed_) {
    return;
  }
  closed_ = true;
  if (established_ && !io_error_) {
    deadline_ = deadline_after(kCloseTimeout);
    ERR_clear_error();
    (void)SSL_shutdown(ssl_.get());  // sends close_notify; we do not wait for the peer's
    (void)flush();
    ERR_clear_error();
  }
  inner_->close();
}

std::string SslStream::peer() const {
  return inner_->peer();
}

TlsInfo SslStream::info() const {
  TlsInfo i;
  if (!ssl_) {
    return i;
  }
  i.version = SSL_get_version(ssl_.get());
  if (const char* c = SSL_get_cipher_name(ssl_.get()); c != nullptr) {
    i.cipher = c;
  }
  i.resumed = SSL_session_reused(ssl_.get()) == 1;
  if (X509* cert = SSL_get0_peer_certificate(ssl_.get()); cert != nullptr) {
    i.peer_subject = ossl::name_to_string(X509_get_subject_name(cert));
    i.peer_issuer = ossl::name_to_string(X509_get_issuer_name(cert));
    i.peer_cert_sha256 = ossl::cert_sha256(cert);
    (void)ossl::asn1_time_utc(X509_get0_notAfter(cert), &i.peer_not_after, &i.peer_not_after_epoch);
  }
  return i;
}

int SslStream::bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

int SslStream::bio_write(BIO* b, const char* data, int len) {
  auto* self = static_cast<SslStream*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  if (self->io_error_ || len < 0) {
    return -1;
  }
  self->out_.append(data, static_cast<size_t>(len));
  if (self->out_.size() >= kFlushAt && !self->flush()) {
    return -1;
  }
  return len;
}

int SslStream::bio_read(BIO* b, char* buf, int len) {
  auto* self = static_cast<SslStream*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  if (self->io_error_ || len <= 0) {
    return -1;
  }
  if (self->eof_) {
    return 0;
  }
  // Whatever we owe the peer must be on the wire before we wait for its answer.
  if (!self->flush()) {
    return -1;
  }
  auto r = self->inner_->read_some(std::span<char>(buf, static_cast<size_t>(len)), self->deadline_);
  if (!r) {
    self->io_error_ = std::move(r).error();
    return -1;
  }
  if (*r == 0) {
    self->eof_ = true;
    return 0;
  }
  return static_cast<int>(*r);
}

long SslStream::bio_ctrl(BIO* b, int cmd, long /*num*/, void* /*ptr*/) {
  auto* self = static_cast<SslStream*>(BIO_get_data(b));
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return self->flush() ? 1 : 0;
    case BIO_CTRL_EOF:
      return self->eof_ ? 1 : 0;
    case BIO_CTRL_WPENDING:
      return static_cast<long>(self->out_.size());
    default:
      return 0;
  }
}

}  // namespace rm
