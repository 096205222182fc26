#include "support/test_pki.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "support/ossl_ptr.h"
#include "sys/unique_fd.h"

namespace rm::test {
namespace {

constexpr long kDay = 24 * 60 * 60;

Error ossl_error(const std::string& what) {
  Error e = make_error(Errc::tls, "%s", what.c_str());
  e.what += ossl::errors_to_string();
  return e;
}

// Writes `data` to path via path.tmp + rename, with `mode`.
Status write_file_atomic(const std::string& path, const std::string& data, mode_t mode) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd.valid()) {
    return sys_error(Errc::io, errno, "open %s", tmp.c_str());
  }
  if (::fchmod(fd.get(), mode) != 0) {
    return sys_error(Errc::io, errno, "chmod %s", tmp.c_str());
  }
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return sys_error(Errc::io, errno, "write %s", tmp.c_str());
    }
    off += static_cast<size_t>(n);
  }
  if (::close(fd.release()) != 0) {
    return sys_error(Errc::io, errno, "close %s", tmp.c_str());
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return sys_error(Errc::io, errno, "rename %s to %s", tmp.c_str(), path.c_str());
  }
  return {};
}

std::string mem_contents(BIO* mem) {
  char* data = nullptr;
  long len = BIO_get_mem_data(mem, &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

Result<ossl::Ptr<EVP_PKEY>> make_key() {
  ossl::Ptr<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) {
    return ossl_error("generate EC P-256 key");
  }
  return key;
}

struct CertSpec {
  std::string_view cn;  // may hold a NUL byte
  const char* san;      // nullptr: no subjectAltName
  bool ca = false;
  long from = -kDay;  // seconds relative to now
  long to = 3650 * kDay;
  const char* eku = "serverAuth,clientAuth";  // leaves only
  // Non-empty: a subjectAltName with this one dNSName, bytes as given (an embedded NUL is what
  // X509V3_EXT_conf cannot express).
  std::string_view raw_dns_san{};
};

struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
struct GeneralNameFree {
  void operator()(GENERAL_NAME* p) const { GENERAL_NAME_free(p); }
};
struct Ia5StringFree {
  void operator()(ASN1_IA5STRING* p) const { ASN1_IA5STRING_free(p); }
};

Status add_ext(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  ossl::Ptr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return ossl_error(std::string("add certificate extension ") + OBJ_nid2sn(nid));
  }
  return {};
}

// subjectAltName = one dNSName holding `dns` byte for byte.
Status add_raw_dns_san(X509* cert, std::string_view dns) {
  std::unique_ptr<ASN1_IA5STRING, Ia5StringFree> ia5(ASN1_IA5STRING_new());
  if (!ia5 || ASN1_STRING_set(ia5.get(), dns.data(), static_cast<int>(dns.size())) != 1) {
    return ossl_error("build raw dNSName");
  }
  std::unique_ptr<GENERAL_NAME, GeneralNameFree> gen(GENERAL_NAME_new());
  if (!gen) {
    return ossl_error("GENERAL_NAME_new");
  }
  GENERAL_NAME_set0_value(gen.get(), GEN_DNS, ia5.release());  // gen owns the string now
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(GENERAL_NAMES_new());
  if (!names || sk_GENERAL_NAME_push(names.get(), gen.get()) <= 0) {
    return ossl_error("GENERAL_NAMES_new");
  }
  (void)gen.release();  // names owns the entry now
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return ossl_error("add raw subjectAltName");
  }
  return {};
}

// A v3 certificate for `key`, signed by issuer/issuer_key (itself when issuer is nullptr).
Result<ossl::Ptr<X509>> make_cert(const CertSpec& spec, EVP_PKEY* key, X509* issuer,
                                  EVP_PKEY* issuer_key) {
  ossl::Ptr<X509> cert(X509_new());
  if (!cert) {
    return ossl_error("X509_new");
  }
  uint64_t serial = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial) != 1) {
    return ossl_error("RAND_bytes");
  }
  serial &= 0x7fffffffffffffffULL;  // positive
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.from) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.to) == nullptr ||
      X509_set_pubkey(cert.get(), key) != 1 ||
      X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("relaymail test"), -1, -1,
                                 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(spec.cn.data()),
                                 static_cast<int>(spec.cn.size()), -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name) !=
          1) {
    return ossl_error("build certificate " + std::string(spec.cn));
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  struct Ext {
    int nid;
    const char* value;
  };
  const Ext exts[] = {
      {NID_basic_constraints, spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE"},
      {NID_key_usage, spec.ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature"},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"},
  };
  for (const Ext& e : exts) {
    if (auto r = add_ext(cert.get(), &ctx, e.nid, e.value); !r) {
      return std::move(r).error();
    }
  }
  if (!spec.ca) {
    if (auto r = add_ext(cert.get(), &ctx, NID_ext_key_usage, spec.eku); !r) {
      return std::move(r).error();
    }
  }
  if (spec.san != nullptr) {
    if (auto r = add_ext(cert.get(), &ctx, NID_subject_alt_name, spec.san); !r) {
      return std::move(r).error();
    }
  }
  if (!spec.raw_dns_san.empty()) {
    if (auto r = add_raw_dns_san(cert.get(), spec.raw_dns_san); !r) {
      return std::move(r).error();
    }
  }
  if (X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) <= 0) {
    return ossl_error("sign certificate " + std::string(spec.cn));
  }
  return cert;
}

Status write_pair(const std::string& cert_path, X509* cert, const std::string& key_path,
                  EVP_PKEY* key) {
  ossl::Ptr<BIO> cmem(BIO_new(BIO_s_mem()));
  ossl::Ptr<BIO> kmem(BIO_new(BIO_s_mem()));
  if (!cmem || !kmem || PEM_write_bio_X509(cmem.get(), cert) != 1 ||
      PEM_write_bio_PrivateKey(kmem.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return ossl_error("PEM-encode " + cert_path);
  }
  if (auto r = write_file_atomic(key_path, mem_contents(kmem.get()), 0600); !r) {
    return r;
  }
  return write_file_atomic(cert_path, mem_contents(cmem.get()), 0644);
}

constexpr const char* kGoodSan = "DNS:localhost,DNS:relay.test,IP:127.0.0.1,IP:::1";

// "relay.test", a NUL, ".evil.test": a name check that stops at the NUL would see relay.test.
constexpr std::string_view kNulName("relay.test\0.evil.test", 21);

enum class Issuer { test_ca, other_ca, self };

struct LeafSpec {
  LeafFiles TestPki::*files;
  CertSpec cert;
  Issuer issuer = Issuer::test_ca;
};

struct Ca {
  ossl::Ptr<EVP_PKEY> key;
  ossl::Ptr<X509> cert;
};

Result<Ca> make_ca(const char* cn, const std::string& cert_path, const std::string& key_path) {
  auto key = make_key();
  if (!key) {
    return std::move(key).error();
  }
  auto cert = make_cert({.cn = cn, .san = nullptr, .ca = true}, key->get(), nullptr, nullptr);
  if (!cert) {
    return std::move(cert).error();
  }
  if (auto r = write_pair(cert_path, cert->get(), key_path, key->get()); !r) {
    return std::move(r).error();
  }
  return Ca{std::move(*key), std::move(*cert)};
}

}  // namespace

const LeafFiles* TestPki::leaf(const std::string& name) const {
  const std::pair<const char*, const LeafFiles*> names[] = {
      {"good", &good},
      {"wrong_host", &wrong_host},
      {"expired", &expired},
      {"not_yet_valid", &not_yet_valid},
      {"self_signed", &self_signed},
      {"cn_only", &cn_only},
      {"partial_wildcard", &partial_wildcard},
      {"unknown_ca", &unknown_ca},
      {"nul_cn", &nul_cn},
      {"nul_san", &nul_san},
      {"client", &client},
  };
  for (const auto& [n, files] : names) {
    if (name == n) {
      return files;
    }
  }
  return nullptr;
}

TestPki test_pki_paths(const std::string& dir) {
  TestPki p;
  p.dir = dir;
  p.ca_file = dir + "/ca.pem";
  p.ca_key = dir + "/ca.key";
  p.other_ca_file = dir + "/other_ca.pem";
  p.other_ca_key = dir + "/other_ca.key";
  auto leaf = [&](const char* n) {
    return LeafFiles{dir + "/" + n + ".crt", dir + "/" + n + ".key"};
  };
  p.good = leaf("good");
  p.wrong_host = leaf("wrong_host");
  p.expired = leaf("expired");
  p.not_yet_valid = leaf("not_yet_valid");
  p.self_signed = leaf("self_signed");
  p.cn_only = leaf("cn_only");
  p.partial_wildcard = leaf("partial_wildcard");
  p.unknown_ca = leaf("unknown_ca");
  p.nul_cn = leaf("nul_cn");
  p.nul_san = leaf("nul_san");
  p.client = leaf("client");
  return p;
}

Result<TestPki> generate_test_pki(const std::string& dir) {
  ERR_clear_error();
  TestPki pki = test_pki_paths(dir);
  auto ca = make_ca("relaymail test CA", pki.ca_file, pki.ca_key);
  if (!ca) {
    return std::move(ca).error();
  }
  auto other_ca = make_ca("relaymail other CA", pki.other_ca_file, pki.other_ca_key);
  if (!other_ca) {
    return std::move(other_ca).error();
  }
  const LeafSpec leaves[] = {
      {.files = &TestPki::good, .cert = {.cn = "localhost", .san = kGoodSan}},
      {.files = &TestPki::wrong_host, .cert = {.cn = "wrong.example", .san = "DNS:wrong.example"}},
      {.files = &TestPki::expired,
       .cert = {.cn = "localhost", .san = kGoodSan, .from = -30 * kDay, .to = -kDay}},
      {.files = &TestPki::not_yet_valid,
       .cert = {.cn = "localhost", .san = kGoodSan, .from = kDay, .to = 30 * kDay}},
      {.files = &TestPki::self_signed,
       .cert = {.cn = "localhost", .san = kGoodSan},
       .issuer = Issuer::self},
      {.files = &TestPki::cn_only, .cert = {.cn = "localhost", .san = nullptr}},
      {.files = &TestPki::partial_wildcard,
       .cert = {.cn = "re*.example.com", .san = "DNS:re*.example.com"}},
      {.files = &TestPki::unknown_ca,
       .cert = {.cn = "localhost", .san = kGoodSan},
       .issuer = Issuer::other_ca},
      {.files = &TestPki::nul_cn, .cert = {.cn = kNulName, .san = nullptr}},
      {.files = &TestPki::nul_san,
       .cert = {.cn = "nul-san.test", .san = nullptr, .raw_dns_san = kNulName}},
      {.files = &TestPki::client,
       .cert = {.cn = "relaymail test client", .san = nullptr, .eku = "clientAuth"}},
  };
  // One key for every leaf: the tests are about certificates, and key generation is most of
  // the cost under the sanitizers.
  auto key = make_key();
  if (!key) {
    return std::move(key).error();
  }
  for (const LeafSpec& l : leaves) {
    const Ca* issuer = l.issuer == Issuer::test_ca    ? &*ca
                       : l.issuer == Issuer::other_ca ? &*other_ca
                                                      : nullptr;
    auto cert = issuer == nullptr
                    ? make_cert(l.cert, key->get(), nullptr, nullptr)
                    : make_cert(l.cert, key->get(), issuer->cert.get(), issuer->key.get());
    if (!cert) {
      return std::move(cert).error();
    }
    const LeafFiles& f = pki.*(l.files);
    if (auto r = write_pair(f.cert, cert->get(), f.key, key->get()); !r) {
      return std::move(r).error();
    }
  }
  return pki;
}

}  // namespace rm::test
