// config/defaults.cc — THE table: every setting of DESIGN.md §7 with its default, next to its
// name. Config's member initializers (config.h) must agree; config_test checks that they do.
#include <cstdlib>

#include "config/config_schema.h"

namespace rm::config_schema {
namespace {

constexpr KeySpec kKeys[] = {
    {Scope::top, "domain", Kind::string, "",
     "qualifies bare names; empty: /etc/mailname, then the FQDN"},
    {Scope::top, "hostname", Kind::string, "", "EHLO and Message-ID; empty: the FQDN"},
    {Scope::top, "delivery", Kind::choice, "background",
     "daemon | background | foreground | queue"},
    {Scope::top, "spool", Kind::string, "", "empty: the mode's default spool"},
    {Scope::top, "admin", Kind::string, "",
     "where root, postmaster, local names and local bounces go"},
    {Scope::top, "aliases", Kind::string, "", "aliases file (name: addr, addr); empty: none"},
    {Scope::top, "from_rewrite", Kind::choice, "never", "never | always (From: := account's from)"},
    {Scope::top, "recipients_with_t", Kind::choice, "union",
     "union | exclude: with -t, argv recipients are added to or removed from the header ones"},
    {Scope::top, "unknown_local", Kind::choice, "qualify",
     "qualify | reject (exit 67): a bare name with no alias and no catch-all"},
    {Scope::top, "add_to_header", Kind::boolean, "false",
     "add \"To: undisclosed-recipients:;\" to a message with no To: or Cc:"},
    {Scope::top, "max_message_size", Kind::size, "0",
     "bytes, with an optional k, M or G suffix; larger messages exit 69; 0: unlimited"},
    {Scope::top, "retry", Kind::group, "", "retry schedule"},
    {Scope::top, "log", Kind::group, "", "logging"},
    {Scope::top, "daemon", Kind::group, "", "delivery = \"daemon\": relaymaild serve"},
    {Scope::top, "accounts", Kind::list, "", "smarthost accounts; the first is the default"},
    {Scope::retry, "first", Kind::duration, "1m", "delay before the first retry"},
    {Scope::retry, "max", Kind::duration, "1h", "longest delay between retries"},
    {Scope::retry, "lifetime", Kind::duration, "5d", "bounce after this long in the queue"},
    {Scope::retry, "warn", Kind::duration, "4h",
     "warn the sender once after this long in the queue (DSN \"delayed\"); 0: never"},
    {Scope::log, "syslog", Kind::boolean, "true", "also log to syslog"},
    {Scope::log, "file", Kind::string, "", "also log to this file; empty: none"},
    {Scope::log, "level", Kind::choice, "info", "debug | info | warn | error"},
    {Scope::daemon, "socket", Kind::string, "/run/relaymail/submit.sock",
     "the submission socket (mode 0666, in a directory of the daemon's)"},
    {Scope::daemon, "user", Kind::string, "relaymail",
     "the user relaymaild serve runs as when started as root"},
    {Scope::daemon, "admin_group", Kind::string, "",
     "members see every entry and may run the queue; empty: root only"},
    {Scope::daemon, "stop_timeout", Kind::duration, "10s",
     "how long SIGTERM waits for transactions in flight"},
    {Scope::daemon, "limits", Kind::list, "",
     "per-user and per-group submission limits, rows { for = ...; ... }; none: unlimited"},
    {Scope::limit, "for", Kind::string, "",
     "user:NAME | uid:N | group:NAME | gid:N | * (the default row); required, once each"},
    {Scope::limit, "max_message_size", Kind::size, "",
     "bytes, with an optional k, M or G suffix; 0: unlimited"},
    {Scope::limit, "messages_per_hour", Kind::integer, "",
     "messages accepted in any hour; 0: unlimited"},
    {Scope::limit, "recipients_per_message", Kind::integer, "", "0: unlimited"},
    {Scope::limit, "connections", Kind::integer, "", "open at once; 0: unlimited"},
    {Scope::limit, "senders", Kind::strings, "",
     "envelope senders allowed besides one's own and <>: * and ? patterns, \"<>\""},
    {Scope::account, "name", Kind::string, "", "empty: the host"},
    {Scope::account, "host", Kind::string, "",
     "smarthost name or IP literal (required); \"a, b\": b is a fallback for a"},
    {Scope::account, "port", Kind::integer, "",
     "empty: 587 for starttls, 465 for tls, 25 for none"},
    {Scope::account, "tls", Kind::choice, "starttls",
     "starttls | tls (smtps) | none (loopback only)"},
    {Scope::account, "tls_ca_file", Kind::string, "", "empty: the system trust store"},
    {Scope::account, "tls_fingerprint", Kind::string, "", "SHA-256 pin of the server certificate"},
    {Scope::account, "tls_cert_file", Kind::string, "", "client certificate (PEM); empty: none"},
    {Scope::account, "tls_key_file", Kind::string, "", "the client certificate's key (PEM)"},
    {Scope::account, "auth", Kind::choice, "auto",
     "auto | plain | login | cram-md5 | scram-sha-256 | xoauth2 | oauthbearer | none"},
    {Scope::account, "user", Kind::string, "", "login name"},
    {Scope::account, "password", Kind::group, "",
     "{ keyring | file | command | env | credential }"},
    {Scope::account, "oauth2", Kind::group, "",
     "access tokens for auth = xoauth2 | oauthbearer: { provider; client_id; refresh_token; }"},
    {Scope::account, "from", Kind::string, "", "the address this account sends as"},
    {Scope::account, "senders", Kind::strings, "", "envelope senders that pick this account"},
    {Scope::account, "timeout", Kind::duration, "60s", "per-stage network timeout"},
    {Scope::account, "messages_per_connection", Kind::integer, "100",
     "messages per connection before a new one; 0: no limit"},
    {Scope::account, "connections", Kind::integer, "3",
     "connections a queue run opens at once, 1 to 16 (Microsoft 365 allows 3 per mailbox)"},
    {Scope::password, "keyring", Kind::boolean, "false", "the desktop keyring (libsecret)"},
    {Scope::password, "file", Kind::string, "", "first line of this file (mode 0600)"},
    {Scope::password, "command", Kind::string, "", "first line of this command's output"},
    {Scope::password, "env", Kind::string, "", "this environment variable"},
    {Scope::password, "credential", Kind::string, "",
     "a systemd credential: first line of $CREDENTIALS_DIRECTORY/NAME"},
    {Scope::oauth2, "provider", Kind::choice, "custom",
     "google | microsoft (their endpoints are known) | custom (give token_url)"},
    {Scope::oauth2, "token_url", Kind::string, "", "the token endpoint, https://; custom only"},
    {Scope::oauth2, "client_id", Kind::string, "", "the OAuth2 client id (required)"},
    {Scope::oauth2, "client_secret", Kind::group, "",
     "{ keyring | file | command | env | credential }; absent: a public client"},
    {Scope::oauth2, "refresh_token", Kind::group, "",
     "{ keyring | file | command | env | credential } (required); a rotated token is written "
     "back to a file or the keyring"},
    {Scope::oauth2, "tls_ca_file", Kind::string, "",
     "the token endpoint's CA; empty: the system trust store"},
    {Scope::oauth2, "device_url", Kind::string, "",
     "the device authorization endpoint, https://, for `oauth2 authorize`; custom only"},
    {Scope::oauth2, "authorize_url", Kind::string, "",
     "the authorization endpoint, https://, for `oauth2 authorize` in a browser; custom only"},
    {Scope::oauth2, "scope", Kind::string, "",
     "the scope `oauth2 authorize` asks for, space-separated; custom only"},
};

constexpr Choice<DeliveryMode> kDelivery[] = {{"daemon", DeliveryMode::daemon},
                                              {"background", DeliveryMode::background},
                                              {"foreground", DeliveryMode::foreground},
                                              {"queue", DeliveryMode::queue}};
constexpr Choice<FromRewrite> kFromRewrite[] = {{"never", FromRewrite::never},
                                                {"always", FromRewrite::always}};
constexpr Choice<RecipientsWithT> kRecipientsWithT[] = {{"union", RecipientsWithT::add},
                                                        {"exclude", RecipientsWithT::exclude}};
constexpr Choice<UnknownLocal> kUnknownLocal[] = {{"qualify", UnknownLocal::qualify},
                                                  {"reject", UnknownLocal::reject}};
constexpr Choice<LogLevel> kLogLevel[] = {{"debug", LogLevel::debug},
                                          {"info", LogLevel::info},
                                          {"warn", LogLevel::warn},
                                          {"error", LogLevel::error}};
constexpr Choice<TlsMode> kTls[] = {{"starttls", TlsMode::starttls},
                                    {"tls", TlsMode::tls},
                                    {"smtps", TlsMode::tls},
                                    {"none", TlsMode::none}};
constexpr Choice<AuthMethod> kAuth[] = {{"auto", AuthMethod::automatic},
                                        {"plain", AuthMethod::plain},
                                        {"login", AuthMethod::login},
                                        {"cram-md5", AuthMethod::cram_md5},
                                        {"scram-sha-256", AuthMethod::scram_sha_256},
                                        {"xoauth2", AuthMethod::xoauth2},
                                        {"oauthbearer", AuthMethod::oauthbearer},
                                        {"none", AuthMethod::none}};
constexpr Choice<OAuth2Provider> kOAuth2Provider[] = {{"google", OAuth2Provider::google},
                                                      {"microsoft", OAuth2Provider::microsoft},
                                                      {"custom", OAuth2Provider::custom}};

// The providers' published endpoints: Google's OAuth 2.0 for installed applications (its device
// flow does not grant the mail scope: none here) and Microsoft identity platform v2.0 ("common":
// any work, school or personal account).
constexpr OAuth2Endpoints kGoogle = {
    .token_url = "https://oauth2.googleapis.com/token",
    .device_authorization_url = "",
    .authorization_url = "https://accounts.google.com/o/oauth2/v2/auth",
    .scope = "https://mail.google.com/"};
constexpr OAuth2Endpoints kMicrosoft = {
    .token_url = "https://login.microsoftonline.com/common/oauth2/v2.0/token",
    .device_authorization_url = "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode",
    .authorization_url = "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
    .scope = "https://outlook.office.com/SMTP.Send offline_access"};

}  // namespace

std::span<const KeySpec> keys() {
  return kKeys;
}

const KeySpec* find_key(Scope scope, std::string_view name) {
  for (const auto& k : kKeys) {
    if (k.scope == scope && name == k.name) {
      return &k;
    }
  }
  return nullptr;
}

const KeySpec& key(Scope scope, std::string_view name) {
  const KeySpec* k = find_key(scope, name);
  if (k == nullptr) {
    std::abort();  // a key the code uses is missing from the table: a bug
  }
  return *k;
}

const char* scope_prefix(Scope scope) {
  switch (scope) {
    case Scope::top:
      return "";
    case Scope::retry:
      return "retry.";
    case Scope::log:
      return "log.";
    case Scope::daemon:
      return "daemon.";
    case Scope::limit:
      return "daemon.limits[].";
    case Scope::account:
      return "accounts[].";
    case Scope::password:
      return "accounts[].password.";
    case Scope::oauth2:
      return "accounts[].oauth2.";
  }
  return "";
}

std::span<const Choice<DeliveryMode>> delivery_modes() {
  return kDelivery;
}
std::span<const Choice<FromRewrite>> from_rewrites() {
  return kFromRewrite;
}
std::span<const Choice<RecipientsWithT>> recipients_with_t_modes() {
  return kRecipientsWithT;
}
std::span<const Choice<UnknownLocal>> unknown_local_modes() {
  return kUnknownLocal;
}
std::span<const Choice<LogLevel>> log_levels() {
  return kLogLevel;
}
std::span<const Choice<TlsMode>> tls_modes() {
  return kTls;
}
std::span<const Choice<AuthMethod>> auth_methods() {
  return kAuth;
}
std::span<const Choice<OAuth2Provider>> oauth2_providers() {
  return kOAuth2Provider;
}

uint16_t default_port(TlsMode tls) {
  switch (tls) {
    case TlsMode::starttls:
      return 587;
    case TlsMode::tls:
      return 465;
    case TlsMode::none:
      return 25;
  }
  return 587;
}

}  // namespace rm::config_schema

namespace rm {

const OAuth2Endpoints* oauth2_endpoints(OAuth2Provider p) {
  switch (p) {
    case OAuth2Provider::google:
      return &config_schema::kGoogle;
    case OAuth2Provider::microsoft:
      return &config_schema::kMicrosoft;
    case OAuth2Provider::custom:
      return nullptr;
  }
  return nullptr;
}

}  // namespace rm
