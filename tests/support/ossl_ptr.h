// support/ossl_ptr.h — owners for OpenSSL objects in tests/support (the test PKI and the fake
// server). A deliberate copy of src/tls/ossl.h's idea, so rm_testsupport never depends on
// rm_tls: the fake server is an independent TLS implementation the client is tested against.
// errors_to_string() drains this thread's whole OpenSSL error queue.
// Thread-safety: the error queue is per thread.
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace rm::test::ossl {

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
struct Free<X509> {
  void operator()(X509* p) const { X509_free(p); }
};
template <>
struct Free<X509_EXTENSION> {
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
template <>
struct Free<EVP_PKEY> {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

template <class T>
using Ptr = std::unique_ptr<T, Free<T>>;

// "; reason; reason" for every entry of this thread's error queue, which it empties.
inline std::string errors_to_string() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += "; ";
    out += buf;
  }
  return out;
}

}  // namespace rm::test::ossl
