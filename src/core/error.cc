#include "core/error.h"

#include <cstdio>
#include <cstring>

namespace rm {

const char* errc_name(Errc c) {
  switch (c) {
    case Errc::io:
      return "io";
    case Errc::config:
      return "config";
    case Errc::parse:
      return "parse";
    case Errc::usage:
      return "usage";
    case Errc::resolve:
      return "resolve";
    case Errc::connect:
      return "connect";
    case Errc::timeout:
      return "timeout";
    case Errc::tls:
      return "tls";
    case Errc::tls_verify:
      return "tls_verify";
    case Errc::auth:
      return "auth";
    case Errc::smtp_temp:
      return "smtp_temp";
    case Errc::smtp_perm:
      return "smtp_perm";
    case Errc::protocol:
      return "protocol";
    case Errc::secret_unavailable:
      return "secret_unavailable";
    case Errc::spool_corrupt:
      return "spool_corrupt";
    case Errc::untrusted:
      return "untrusted";
    case Errc::expired:
      return "expired";
    case Errc::grant_refused:
      return "grant_refused";
  }
  return "unknown";
}

std::string SmtpReply::summary() const {
  std::string out = std::to_string(code);
  if (!lines.empty()) {
    out += ' ';
    for (char ch : lines.front()) {
      if (out.size() >= 200) {
        break;
      }
      auto u = static_cast<unsigned char>(ch);
      out += (u >= 0x20 && u < 0x7f) ? ch : '?';
    }
  }
  return out;
}

std::string vformat(const char* fmt, va_list ap) {
  va_list copy;
  va_copy(copy, ap);
  char small[256];
  int n = std::vsnprintf(small, sizeof small, fmt, copy);
  va_end(copy);
  if (n < 0) {
    return fmt;
  }
  if (static_cast<size_t>(n) < sizeof small) {
    return std::string(small, static_cast<size_t>(n));
  }
  std::string out(static_cast<size_t>(n) + 1, '\0');
  (void)std::vsnprintf(out.data(), out.size(), fmt, ap);
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string format(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::string s = vformat(fmt, ap);
  va_end(ap);
  return s;
}

Error make_error(Errc code, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  Error e{code, vformat(fmt, ap), 0, std::nullopt};
  va_end(ap);
  return e;
}

Error sys_error(Errc code, int err, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  Error e{code, vformat(fmt, ap), err, std::nullopt};
  va_end(ap);
  e.what += ": ";
  e.what += std::strerror(err);
  return e;
}

}  // namespace rm
