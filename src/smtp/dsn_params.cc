#include "smtp/dsn_params.h"

#include <cctype>

namespace rm {
namespace {

constexpr size_t kMaxEnvid = 100;  // RFC 3461 §4.4

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// NEVER alone, or a non-empty comma list of SUCCESS, FAILURE, DELAY (RFC 3461 §4.1); `v` is
// upper case.
bool valid_notify(std::string_view v) {
  if (v == "NEVER") {
    return true;
  }
  for (;;) {
    size_t comma = v.find(',');
    std::string_view item = v.substr(0, comma);
    if (item != "SUCCESS" && item != "FAILURE" && item != "DELAY") {
      return false;
    }
    if (comma == std::string_view::npos) {
      return true;
    }
    v.remove_prefix(comma + 1);
  }
}

}  // namespace

Result<DsnParams> DsnParams::parse(std::string_view notify, std::string_view ret,
                                   std::string_view envid) {
  DsnParams p{.notify = upper(notify), .ret = upper(ret), .envid = xtext_encode(envid)};
  if (!p.notify.empty() && !valid_notify(p.notify)) {
    return make_error(Errc::parse,
                      "DSN NOTIFY \"%s\": not NEVER or a list of SUCCESS, FAILURE, DELAY",
                      xtext_encode(notify).c_str());
  }
  if (!p.ret.empty() && p.ret != "FULL" && p.ret != "HDRS") {
    return make_error(Errc::parse, "DSN RET \"%s\": not FULL or HDRS", xtext_encode(ret).c_str());
  }
  if (p.envid.size() > kMaxEnvid) {
    return make_error(Errc::parse, "DSN ENVID: %zu characters as xtext, at most %zu allowed",
                      p.envid.size(), kMaxEnvid);
  }
  return p;
}

std::string DsnParams::mail_params() const {
  std::string s;
  if (!ret.empty()) {
    s += " RET=" + ret;
  }
  if (!envid.empty()) {
    s += " ENVID=" + envid;
  }
  return s;
}

std::string DsnParams::rcpt_params(std::string_view addr) const {
  std::string s;
  if (!notify.empty()) {
    s += " NOTIFY=" + notify;
  }
  s += " ORCPT=rfc822;" + xtext_encode(addr);
  return s;
}

}  // namespace rm
