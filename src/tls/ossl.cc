#include "tls/ossl.h"

#include <cstdio>
#include <ctime>

namespace rm::ossl {

void append_errors(std::string& what) {
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    what += "; ";
    what += buf;
  }
}

std::string cert_sha256(const X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (cert == nullptr || X509_digest(cert, EVP_sha256(), md, &len) != 1) {
    ERR_clear_error();
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string name_to_string(const X509_NAME* name) {
  if (name == nullptr) {
    return {};
  }
  Ptr<BIO> mem(BIO_new(BIO_s_mem()));
  if (!mem || X509_NAME_print_ex(mem.get(), name, 0, XN_FLAG_RFC2253) < 0) {
    ERR_clear_error();
    return {};
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(mem.get(), &data);
  if (len <= 0 || data == nullptr) {
    return {};
  }
  return std::string(data, static_cast<size_t>(len));
}

bool asn1_time_utc(const ASN1_TIME* t, std::string* iso8601, int64_t* epoch) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    ERR_clear_error();
    return false;
  }
  char buf[32];
  if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    return false;
  }
  *iso8601 = buf;
  *epoch = static_cast<int64_t>(::timegm(&tm));
  return true;
}

}  // namespace rm::ossl
