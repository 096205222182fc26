// tls/ossl.h — owners for OpenSSL objects and the error-queue drain, for src/tls only.
// ossl::Ptr<T> is the one deleter alias (STYLE.md §5.4): every OpenSSL object gets an owner on
// the line that creates it. append_errors() empties this thread's error queue into a message,
// every entry, not just the first (STYLE.md §5.5).
// Also the small X509 formatting helpers TlsInfo needs (fingerprint, RFC 2253 name, UTC time).
// Not here: anything protocol-level (tls_stream.h), policy (tls_client.h). The test PKI and fake
// server in tests/support have their own copy, so they never depend on this library.
// Thread-safety: the error queue is per thread; the owners are as thread-safe as the objects.
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <string>

namespace rm::ossl {

template <class T>
struct Free;
template <>
struct Free<SSL_CTX> {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
template <>
struct Free<SSL> {
  void operator()(SSL* p) const { SSL_free(p); }
};
template <>
struct Free<BIO> {
  void operator()(BIO* p) const { BIO_free_all(p); }
};
template <>
struct Free<BIO_METHOD> {
  void operator()(BIO_METHOD* p) const { BIO_meth_free(p); }
};
template <>
struct Free<X509> {
  void operator()(X509* p) const { X509_free(p); }
};
template <>
struct Free<EVP_PKEY> {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
template <>
struct Free<SSL_SESSION> {
  void operator()(SSL_SESSION* p) const { SSL_SESSION_free(p); }
};

template <class T>
using Ptr = std::unique_ptr<T, Free<T>>;

// Appends "; <reason>" for every entry in this thread's OpenSSL error queue and empties it.
void append_errors(std::string& what);

// Lowercase hex SHA-256 of the certificate's DER encoding; empty on failure.
std::string cert_sha256(const X509* cert);

// RFC 2253 form of an X509 name ("CN=localhost,O=relaymail test"); empty for nullptr.
std::string name_to_string(const X509_NAME* name);

// An ASN1_TIME as "YYYY-MM-DDTHH:MM:SSZ" (UTC) and as seconds since the epoch; false (outputs
// untouched) for nullptr or a malformed time.
bool asn1_time_utc(const ASN1_TIME* t, std::string* iso8601, int64_t* epoch);

}  // namespace rm::ossl
