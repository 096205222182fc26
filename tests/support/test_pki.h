// support/test_pki.h — the certificates every TLS test uses, generated at run time with the
// OpenSSL API (EC P-256, SHA-256), so no key is ever committed and nothing expires in CI.
//
//   ca.pem / ca.key                    "relaymail test CA" (CA:TRUE), 10 years
//   good.crt / good.key                from the CA; CN=localhost; SAN DNS:localhost,
//                                      DNS:relay.test, IP:127.0.0.1, IP:::1
//   wrong_host.crt / .key              from the CA; SAN DNS:wrong.example only
//   expired.crt / .key                 like good, valid from 30 days ago to 1 day ago
//   not_yet_valid.crt / .key           like good, valid from 1 day ahead
//   self_signed.crt / .key             good names, but self-signed (not from the CA)
//   cn_only.crt / .key                 from the CA; CN=localhost and no SAN at all
//   partial_wildcard.crt / .key        from the CA; SAN DNS:re*.example.com only
//   unknown_ca.crt / .key              good names, but from other_ca.pem, a CA clients do not trust
//   nul_cn.crt / .key                  from the CA; CN="relay.test\0.evil.test" (embedded NUL),
//                                      no SAN
//   nul_san.crt / .key                 from the CA; CN=nul-san.test, SAN with one dNSName
//                                      "relay.test\0.evil.test" (built with the raw ASN.1 API)
//   client.crt / .key                  from the CA; CN=relaymail test client, EKU clientAuth only
//   other_ca.pem / other_ca.key        "relaymail other CA": issues unknown_ca only
//
// All leaves share one key (each CA has its own). Keys are written mode 0600, certificates 0644,
// each atomically (temp file, rename), so a concurrent reader never sees half a file. Generating
// all of it takes a few milliseconds. Errors: Errc::io for file problems, Errc::tls for OpenSSL
// failures (queue drained). Thread-safe (no shared state).
#pragma once

#include <string>

#include "core/result.h"

namespace rm::test {

struct LeafFiles {
  std::string cert{};  // PEM certificate
  std::string key{};   // PEM private key
};

struct TestPki {
  std::string dir;
  std::string ca_file;  // ca.pem: the trust anchor for clients
  std::string ca_key;
  std::string other_ca_file;  // other_ca.pem: a second CA, trusted by nobody by default
  std::string other_ca_key;
  LeafFiles good, wrong_host, expired, not_yet_valid, self_signed, cn_only, partial_wildcard;
  LeafFiles unknown_ca, nul_cn, nul_san, client;

  // The leaf named "good", "wrong_host", ... as above; nullptr for an unknown name.
  const LeafFiles* leaf(const std::string& name) const;
};

// The file names under `dir`, without touching the disk.
TestPki test_pki_paths(const std::string& dir);

// Generates everything above into `dir`, which must exist, replacing older files.
Result<TestPki> generate_test_pki(const std::string& dir);

}  // namespace rm::test
