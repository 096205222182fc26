// config/config_print.cc — Config → libconfig text (`relaymail --print-config`). The output is
// complete (every key, defaults included) and loads back to an equal Config. A password or an
// OAuth2 secret is shown only as its source: the config never holds one.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"

namespace rm {
namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += format("\\x%02X", u);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

void line(std::string& out, const char* indent, const char* key, const std::string& value) {
  out += indent;
  out += key;
  out += " = ";
  out += value;
  out += ";\n";
}

std::string password_group(const PasswordSource& p) {
  switch (p.kind) {
    case PasswordSource::Kind::none:
      return "";
    case PasswordSource::Kind::keyring:
      return "{ keyring = true; }";
    case PasswordSource::Kind::file:
      return "{ file = " + quote(p.value) + "; }";
    case PasswordSource::Kind::command:
      return "{ command = " + quote(p.value) + "; }";
    case PasswordSource::Kind::env:
      return "{ env = " + quote(p.value) + "; }";
    case PasswordSource::Kind::credential:
      return "{ credential = " + quote(p.value) + "; }";
  }
  return "";
}

// The endpoints and scope of google and microsoft are theirs, not the config's: printed for
// custom only.
void print_oauth2(std::string& out, const OAuth2Config& o) {
  const char* in = "      ";
  out += "    oauth2 = {\n";
  line(out, in, "provider", quote(oauth2_provider_name(o.provider)));
  if (o.provider == OAuth2Provider::custom) {
    line(out, in, "token_url", quote(o.token_url));
  }
  line(out, in, "client_id", quote(o.client_id));
  if (o.client_secret.kind != PasswordSource::Kind::none) {
    line(out, in, "client_secret", password_group(o.client_secret));
  }
  if (o.refresh_token.kind != PasswordSource::Kind::none) {
    line(out, in, "refresh_token", password_group(o.refresh_token));
  }
  line(out, in, "tls_ca_file", quote(o.tls_ca_file));
  if (o.provider == OAuth2Provider::custom) {
    const std::pair<const char*, const std::string&> kOptional[] = {
        {"device_url", o.device_url}, {"authorize_url", o.authorize_url}, {"scope", o.scope}};
    for (const auto& [key, value] : kOptional) {
      if (!value.empty()) {
        line(out, in, key, quote(value));
      }
    }
  }
  out += "    };\n";
}

// [ "a", "b" ], or [] when empty.
std::string string_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i == 0 ? " " : ", ") + quote(items[i]);
  }
  return out + (items.empty() ? "]" : " ]");
}

// One row on one line, with only the keys it sets: an absent key is inherited, not a default.
std::string limit_row(const LimitRule& r) {
  std::string out = "{ for = " + quote(r.target) + ";";
  if (r.max_message_size) {
    out += " max_message_size = " + quote(format_size(*r.max_message_size)) + ";";
  }
  const std::pair<const char*, const std::optional<uint32_t>&> kCounts[] = {
      {"messages_per_hour", r.messages_per_hour},
      {"recipients_per_message", r.recipients_per_message},
      {"connections", r.connections}};
  for (const auto& [key, value] : kCounts) {
    if (value) {
      out += std::string(" ") + key + " = " + std::to_string(*value) + ";";
    }
  }
  if (r.senders) {
    out += " senders = " + string_list(*r.senders) + ";";
  }
  return out + " }";
}

void print_daemon(std::string& out, const DaemonConfig& d) {
  const char* in = "  ";
  out += "daemon = {\n";
  line(out, in, "socket", quote(d.socket));
  line(out, in, "user", quote(d.user));
  line(out, in, "admin_group", quote(d.admin_group));
  line(out, in, "stop_timeout", quote(format_duration(d.stop_timeout)));
  out += "  limits = (\n";
  for (size_t i = 0; i < d.limits.size(); ++i) {
    out += "    " + limit_row(d.limits[i]) + (i + 1 == d.limits.size() ? "\n" : ",\n");
  }
  out += "  );\n};\n";
}

void print_account(std::string& out, const Account& a, bool last) {
  const char* in = "    ";
  out += "  {\n";
  line(out, in, "name", quote(a.name));
  std::string hosts;
  for (const std::string& h : a.hosts()) {
    hosts += (hosts.empty() ? "" : ", ") + h;
  }
  line(out, in, "host", quote(hosts));
  line(out, in, "port", std::to_string(a.port));
  line(out, in, "tls", quote(tls_mode_name(a.tls)));
  line(out, in, "tls_ca_file", quote(a.tls_ca_file));
  line(out, in, "tls_fingerprint", quote(a.tls_fingerprint));
  line(out, in, "tls_cert_file", quote(a.tls_cert_file));
  line(out, in, "tls_key_file", quote(a.tls_key_file));
  line(out, in, "auth", quote(auth_method_name(a.auth)));
  line(out, in, "user", quote(a.user));
  if (a.password.kind != PasswordSource::Kind::none) {
    line(out, in, "password", password_group(a.password));
  }
  if (a.oauth2) {
    print_oauth2(out, *a.oauth2);
  }
  line(out, in, "from", quote(a.from));
  line(out, in, "senders", string_list(a.senders));
  line(out, in, "timeout", quote(format_duration(a.timeout)));
  line(out, in, "messages_per_connection", std::to_string(a.messages_per_connection));
  line(out, in, "connections", std::to_string(a.connections));
  out += last ? "  }\n" : "  },\n";
}

}  // namespace

std::string print_config(const Config& cfg) {
  std::string out;
  if (!cfg.path.empty()) {
    out += "# effective configuration, loaded from " + cfg.path + "\n";
  }
  line(out, "", "domain", quote(cfg.domain));
  line(out, "", "hostname", quote(cfg.hostname));
  line(out, "", "delivery", quote(delivery_mode_name(cfg.delivery)));
  line(out, "", "spool", quote(cfg.spool));
  line(out, "", "admin", quote(cfg.admin));
  line(out, "", "aliases", quote(cfg.aliases));
  line(out, "", "from_rewrite", quote(from_rewrite_name(cfg.from_rewrite)));
  line(out, "", "recipients_with_t", quote(recipients_with_t_name(cfg.recipients_with_t)));
  line(out, "", "unknown_local", quote(unknown_local_name(cfg.unknown_local)));
  line(out, "", "add_to_header", cfg.add_to_header ? "true" : "false");
  line(out, "", "max_message_size", quote(format_size(cfg.max_message_size)));
  line(out, "", "retry",
       "{ first = " + quote(format_duration(cfg.retry.first)) +
           "; max = " + quote(format_duration(cfg.retry.max)) +
           "; lifetime = " + quote(format_duration(cfg.retry.lifetime)) +
           "; warn = " + quote(format_duration(cfg.retry.warn)) + "; }");
  line(out, "", "log",
       std::string("{ syslog = ") + (cfg.log.syslog ? "true" : "false") + "; file = " +
           quote(cfg.log.file) + "; level = " + quote(log_level_name(cfg.log.level)) + "; }");
  print_daemon(out, cfg.daemon);
  out += "accounts = (\n";
  for (size_t i = 0; i < cfg.accounts.size(); ++i) {
    print_account(out, cfg.accounts[i], i + 1 == cfg.accounts.size());
  }
  out += ");\n";
  return out;
}

}  // namespace rm
