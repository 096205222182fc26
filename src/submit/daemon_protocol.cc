#include "submit/daemon_protocol.h"

#include <utility>

#include "mail/xtext.h"
#include "sys/sysexits.h"

namespace rm {
namespace {

char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = upper(c);
  }
  return out;
}

Result<std::string> xtext_value(std::string_view key, std::string_view value) {
  auto v = xtext_decode(value);
  if (!v) {
    return make_error(Errc::usage, "%.*s: not xtext", static_cast<int>(key.size()), key.data());
  }
  return std::move(*v);
}

SmtpReply reply(int code, const char* enhanced, std::string text) {
  return SmtpReply{code, enhanced, {std::move(text)}};
}

}  // namespace

std::string mail_params(const SubmitFlags& f) {
  std::string s;
  if (f.extract) {
    s += " XRM-T";
  }
  if (f.dot_ends) {
    s += " XRM-DOTS";
  }
  if (f.no_rewrite) {
    s += " XRM-G";
  }
  if (!f.full_name.empty()) {
    s += " XRM-NAME=" + xtext_encode(f.full_name);
  }
  if (!f.notify.empty()) {
    s += " XRM-NOTIFY=" + xtext_encode(f.notify);
  }
  if (!f.ret.empty()) {
    s += " RET=" + xtext_encode(f.ret);
  }
  if (!f.envid.empty()) {
    s += " ENVID=" + xtext_encode(f.envid);
  }
  return s;
}

Result<bool> parse_mail_param(std::string_view param, SubmitFlags& f) {
  const size_t eq = param.find('=');
  const std::string key = upper(param.substr(0, eq));
  const bool has_value = eq != std::string_view::npos;
  const std::string_view value = has_value ? param.substr(eq + 1) : std::string_view();
  bool* flag = key == "XRM-T"      ? &f.extract
               : key == "XRM-DOTS" ? &f.dot_ends
               : key == "XRM-G"    ? &f.no_rewrite
                                   : nullptr;
  if (flag != nullptr) {
    if (has_value) {
      return make_error(Errc::usage, "%s takes no value", key.c_str());
    }
    *flag = true;
    return true;
  }
  std::string* text = key == "XRM-NAME"     ? &f.full_name
                      : key == "XRM-NOTIFY" ? &f.notify
                      : key == "RET"        ? &f.ret
                      : key == "ENVID"      ? &f.envid
                                            : nullptr;
  if (text == nullptr) {
    return false;
  }
  auto v = xtext_value(key, value);
  if (!v) {
    return std::move(v).error();
  }
  if (v->empty()) {
    return make_error(Errc::usage, "%s needs a value", key.c_str());
  }
  *text = std::move(*v);
  return true;
}

SmtpReply reply_for_refusal(const Error& e, int exit_code) {
  if (e.reply && e.reply->code >= 400 && e.reply->code <= 599) {
    return *e.reply;
  }
  switch (exit_code) {
    case kExDataErr:
      return reply(554, "5.6.0", e.what);
    case kExNoUser:
      return reply(550, "5.1.1", e.what);
    case kExUsage:
      return reply(553, "5.1.3", e.what);
    case kExNoPerm:
      return reply(550, "5.7.1", e.what);
    case kExUnavailable:
      return reply(554, "5.3.4", e.what);
    case kExConfig:  // the daemon's files: their paths are not the caller's business
      return reply(451, "4.3.5", "Error: the mail system's configuration is broken");
    case kExCantCreat:
    case kExIoErr:
      return reply(451, "4.3.0", "Error: queue file write error");
    default:
      return reply(451, "4.3.0", "Error: local error in processing");
  }
}

// x.7.y (policy) → 77; 5.6.y (content) → 65; x.1.1 (no such mailbox) → 67; other x.1.y
// (address syntax) → 64; x.3.4 (too big) → 69; 4.3.5 (configuration) → 78; other 4.3.y (the
// daemon's disk) → 74; anything else → 69.
int exit_for_reply(int code, std::string_view enhanced) {
  const std::string_view detail = enhanced.size() >= 2 ? enhanced.substr(2) : std::string_view();
  if (detail.starts_with("7.")) {
    return kExNoPerm;
  }
  if (code >= 500 && detail.starts_with("6.")) {
    return kExDataErr;
  }
  if (detail == "1.1") {
    return kExNoUser;
  }
  if (detail.starts_with("1.")) {
    return kExUsage;
  }
  if (detail == "3.4") {
    return kExUnavailable;
  }
  if (code < 500 && detail == "3.5") {
    return kExConfig;
  }
  if (code < 500 && detail.starts_with("3.")) {
    return kExIoErr;
  }
  return kExUnavailable;
}

}  // namespace rm
