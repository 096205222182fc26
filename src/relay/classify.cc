#include "relay/classify.h"

namespace rm {

Error expired_error(uint32_t attempts, const std::string& last_error) {
  return make_error(Errc::expired, "message expired after %u attempt%s; last error: %s", attempts,
                    attempts == 1 ? "" : "s",
                    last_error.empty() ? "none recorded" : last_error.c_str());
}

Disposition classify(const Error& e) {
  switch (e.code) {
    case Errc::smtp_perm:
    case Errc::expired:
      return Disposition::bounce;
    case Errc::timeout:
    case Errc::smtp_temp:
    case Errc::auth:           // a wrong password is the admin's to fix: never bounce mail for it
    case Errc::grant_refused:  // so is a revoked OAuth2 grant: `relaymail oauth2 authorize`
    case Errc::io:
    case Errc::resolve:
    case Errc::connect:
    case Errc::tls:
    case Errc::tls_verify:
    case Errc::protocol:
    case Errc::secret_unavailable:
    case Errc::config:
    case Errc::spool_corrupt:
    case Errc::untrusted:
    case Errc::parse:
    case Errc::usage:
      return Disposition::defer;
  }
  return Disposition::defer;
}

RcptState rcpt_state_after(const Error& e) {
  return classify(e) == Disposition::bounce ? RcptState::failed : RcptState::deferred;
}

std::string reply_status(const std::string& reply, const std::string& fallback) {
  auto digit = [&](size_t i) { return i < reply.size() && reply[i] >= '0' && reply[i] <= '9'; };
  if (!(digit(0) && digit(1) && digit(2)) || (reply[0] != '4' && reply[0] != '5')) {
    return fallback;
  }
  size_t sp = reply.find(' ');
  if (sp != std::string::npos && sp + 1 < reply.size() && reply[sp + 1] == reply[0]) {
    std::string code = reply.substr(sp + 1, reply.find(' ', sp + 1) - sp - 1);
    if (code.size() >= 5 && code[1] == '.') {
      return code;
    }
  }
  return std::string(1, reply[0]) + ".0.0";
}

std::string dsn_status(const Error& e) {
  if (e.reply && !e.reply->enhanced.empty()) {
    return e.reply->enhanced;
  }
  bool perm = classify(e) == Disposition::bounce;
  switch (e.code) {
    case Errc::resolve:
      return "4.4.3";
    case Errc::expired:
      return "4.4.7";
    case Errc::timeout:
    case Errc::connect:
      return "4.4.1";
    case Errc::tls:
    case Errc::tls_verify:
      return "4.7.0";
    case Errc::auth:
    case Errc::grant_refused:
      return "4.7.8";
    case Errc::protocol:
      return "4.5.0";
    default:
      break;
  }
  if (e.reply) {
    int c = e.reply->code;
    return std::to_string(c / 100) + ".0.0";
  }
  return perm ? "5.0.0" : "4.0.0";
}

}  // namespace rm
