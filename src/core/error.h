// core/error.h — the one error type of relaymail. An Error says what failed (Errc), in words
// ("verb object: reason"), with the errno and the SMTP reply when there was one. Whether an
// error is permanent is NOT decided here: that is relay/classify.h, in one place.
// Pure data, no I/O. Thread-compatible.
#pragma once

#include <cstdarg>
#include <optional>
#include <string>
#include <vector>

namespace rm {

enum class Errc {
  io,
  config,
  parse,
  usage,
  resolve,
  connect,
  timeout,
  tls,
  tls_verify,
  auth,
  smtp_temp,
  smtp_perm,
  protocol,
  secret_unavailable,
  spool_corrupt,
  expired,        // a queued message outlived retry.lifetime (relay/classify.h: bounce, 4.4.7)
  untrusted,      // a path whose owner, mode or type another user could control (sys/trusted_dir.h)
  grant_refused,  // the OAuth2 token endpoint refused the refresh token: authorize again
};

const char* errc_name(Errc c);

// One SMTP reply: the code, the enhanced status ("5.1.1", or empty) and the text lines without
// the "250-" prefixes. Plain data so Error can carry it; parsing lives in smtp/reply_parser.h.
struct SmtpReply {
  int code = 0;
  std::string enhanced;
  std::vector<std::string> lines;

  // "550 5.1.1 no such user" — first line, sanitised to printable ASCII, at most 200 octets.
  std::string summary() const;
  bool operator==(const SmtpReply&) const = default;
};

struct Error {
  Errc code = Errc::io;
  std::string what;
  int sys_errno = 0;
  std::optional<SmtpReply> reply;
};

// printf-style constructors. sys_error appends ": strerror(err)".
[[gnu::format(printf, 2, 3)]] Error make_error(Errc code, const char* fmt, ...);
[[gnu::format(printf, 3, 4)]] Error sys_error(Errc code, int err, const char* fmt, ...);
std::string vformat(const char* fmt, va_list ap);
[[gnu::format(printf, 1, 2)]] std::string format(const char* fmt, ...);

}  // namespace rm
