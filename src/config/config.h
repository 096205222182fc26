// config/config.h — the typed configuration (DESIGN.md §7) and its loader, the only user of
// libconfig++. Every key has its default in one table (config/defaults.cc); unknown keys,
// type errors and bad values are all gathered and reported together, each as "file:line: ...",
// one per line of Error::what, in line order.
// Errors: Errc::config (unreadable file, syntax, validation). libconfig++ exceptions never leave
// this module. Never logs. Thread-compatible.
// Not here: resolving "" defaults that need the system (/etc/mailname, the FQDN, the spool of a
// mode: cli), reading passwords (secrets/), checking that files named here exist.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/policy.h"
#include "core/result.h"
#include "log/logger.h"  // log_level_name

namespace rm {

enum class DeliveryMode { daemon, background, foreground, queue };
enum class FromRewrite { never, always };
// -t with argv recipients (SENDMAIL.md §2 -t, behaviour 28): "union" adds them (Postfix, msmtp;
// never loses mail), "exclude" removes them from the header list (Sendmail 8, Exim).
enum class RecipientsWithT { add, exclude };
// A bare local recipient with no alias and no catch-all (behaviour 61): "qualify" it with the
// domain, or "reject" it (exit 67, EX_NOUSER).
enum class UnknownLocal { qualify, reject };

const char* delivery_mode_name(DeliveryMode m);
const char* from_rewrite_name(FromRewrite f);
const char* recipients_with_t_name(RecipientsWithT r);  // "union" | "exclude"
const char* unknown_local_name(UnknownLocal u);         // "qualify" | "reject"

// Where an account's password comes from; never the password itself.
struct PasswordSource {
  enum class Kind { none, keyring, file, command, env, credential };
  Kind kind = Kind::none;
  std::string value;  // file path, command line, variable name, or credential name
  bool operator==(const PasswordSource&) const = default;
};

enum class OAuth2Provider { google, microsoft, custom };
const char* oauth2_provider_name(OAuth2Provider p);  // "google" | "microsoft" | "custom"

// What a provider's name stands for: its endpoints (RFC 6749 §3, RFC 8628 §3.1) and the scope
// that grants SMTP. The token URL is what delivery uses; the others are for authorizing ("" when
// the provider offers no such flow for mail).
struct OAuth2Endpoints {
  const char* token_url;
  const char* device_authorization_url;
  const char* authorization_url;
  const char* scope;
};
// nullptr for custom, whose token_url is configured and which has no other endpoint known here.
const OAuth2Endpoints* oauth2_endpoints(OAuth2Provider p);

// accounts[].oauth2: where an account with auth = "xoauth2" or "oauthbearer" gets its access
// tokens (oauth2/), and where `relaymail oauth2 authorize` gets its refresh token. Secrets are
// sources, never values.
struct OAuth2Config {
  OAuth2Provider provider = OAuth2Provider::custom;
  std::string token_url{};  // custom: as configured; google and microsoft: their endpoint's
  std::string client_id{};
  PasswordSource client_secret{};  // Kind::none: a public client
  PasswordSource refresh_token{};
  std::string tls_ca_file{};  // the token endpoint's; "" = the system trust store
  // For `relaymail oauth2 authorize`. custom: as configured ("" = that flow is not offered, no
  // scope sent); google and microsoft: their endpoints' (oauth2_endpoints).
  std::string device_url{};     // RFC 8628 device authorization endpoint, https://
  std::string authorize_url{};  // RFC 6749 authorization endpoint (the browser's), https://
  std::string scope{};
  bool operator==(const OAuth2Config&) const = default;
};

inline constexpr uint32_t kMaxConnections = 16;  // Account::connections

struct Account {
  std::string name;  // defaults to the (first) host
  // `host = "a.example, b.example";` lists fallback smarthosts, tried in order when one fails
  // temporarily (connect, TLS, 4xx greeting): `host` is the first, `fallback_hosts` the rest.
  std::string host;
  std::vector<std::string> fallback_hosts;
  uint16_t port = 587;  // default 587 for starttls, 465 for tls ("smtps"), 25 for none
  TlsMode tls = TlsMode::starttls;
  std::string tls_ca_file;
  std::string tls_fingerprint;
  std::string tls_cert_file;  // client certificate (PEM), with tls_key_file; both or neither
  std::string tls_key_file;
  AuthMethod auth = AuthMethod::automatic;
  std::string user;
  PasswordSource password;
  // Set: xoauth2/oauthbearer take the access token refreshed from here, and `password` is
  // unused. Unset, those mechanisms take `password` as the token, as any other mechanism does.
  std::optional<OAuth2Config> oauth2;
  std::string from;
  std::vector<std::string> senders;
  std::chrono::seconds timeout{60};
  // Messages delivered over one connection before it is closed and a new one opened; 0 = no
  // limit. Smarthosts cap this (Gmail and Exim near 100 or more). Applies to each connection.
  uint32_t messages_per_connection = 100;
  // Connections to the smarthost one queue run uses at once, each delivering the next due entry
  // (relay/queue_runner.h); 1..kMaxConnections. 3: Microsoft 365 refuses a fourth per mailbox
  // (432 4.3.2); Gmail and most relays take more.
  uint32_t connections = 3;
  bool operator==(const Account&) const = default;

  // host, then fallback_hosts.
  std::vector<std::string> hosts() const;
};

struct RetryConfig {
  std::chrono::seconds first{60};
  std::chrono::seconds max{3600};
  std::chrono::seconds lifetime{5 * 24 * 3600};
  // One delay warning to the sender once an entry has waited this long (relay/retry_policy.h
  // delay_warning()); 0 = never.
  std::chrono::seconds warn{4 * 3600};
  bool operator==(const RetryConfig&) const = default;
};

struct LogConfig {
  bool syslog = true;
  std::string file;
  LogLevel level = LogLevel::info;
  bool operator==(const LogConfig&) const = default;
};

// Whom a row of daemon.limits is `for`: "user:NAME", "uid:N", "group:NAME", "gid:N" or "*".
// Names stay names here; daemon/uid_policy.h resolves them when a caller connects.
struct LimitTarget {
  enum class Kind { user, uid, group, gid, any };
  Kind kind = Kind::any;
  std::string name;  // user and group
  uint32_t id = 0;   // uid and gid
  bool operator==(const LimitTarget&) const = default;
};

// One row of daemon.limits: a field left nullopt is not set by this row, and comes from a less
// specific one (daemon/uid_policy.h merges them). Sizes in bytes, counts; 0 = unlimited.
struct LimitRule {
  std::string target;  // `for`, as written (parse_limit_target)
  std::optional<uint64_t> max_message_size = std::nullopt;
  std::optional<uint32_t> messages_per_hour = std::nullopt;
  std::optional<uint32_t> recipients_per_message = std::nullopt;
  std::optional<uint32_t> connections = std::nullopt;  // open at once
  // Envelope senders allowed: '*' any run, '?' one character, case-insensitive; "<>" the null
  // sender (is_sender_pattern).
  std::optional<std::vector<std::string>> senders = std::nullopt;
  bool operator==(const LimitRule&) const = default;
};

inline constexpr uint32_t kMaxLimitCount = 1000000;  // LimitRule's counts

// delivery = "daemon" (DESIGN.md §2); valid, and ignored, in every other mode.
struct DaemonConfig {
  std::string socket = "/run/relaymail/submit.sock";
  std::string user = "relaymail";         // relaymaild started as root runs as this user
  std::string admin_group;                // its members see and run the whole queue; "" = root only
  std::chrono::seconds stop_timeout{10};  // SIGTERM waits this long for transactions
  std::vector<LimitRule> limits;          // per user and group, in config order; each `for` once
  bool operator==(const DaemonConfig&) const = default;
};

struct Config {
  std::string path;      // the file it was loaded from ("" for defaults only)
  std::string domain;    // "" = /etc/mailname, then the FQDN (resolved by the caller)
  std::string hostname;  // "" = the FQDN
  DeliveryMode delivery = DeliveryMode::background;
  std::string spool;  // "" = the mode's default (cli decides)
  std::string admin;
  std::string aliases;
  FromRewrite from_rewrite = FromRewrite::never;
  RecipientsWithT recipients_with_t = RecipientsWithT::add;
  UnknownLocal unknown_local = UnknownLocal::qualify;
  bool add_to_header = false;     // add "To: undisclosed-recipients:;" when no To:/Cc:
  uint64_t max_message_size = 0;  // bytes; 0 = unlimited (behaviour 46: above it, exit 69)
  RetryConfig retry;
  LogConfig log;
  DaemonConfig daemon;
  std::vector<Account> accounts;  // the first is the default
  bool operator==(const Config&) const = default;
};

// Reads and validates `path`. Durations are strings with a unit: "30s", "5m", "1h", "5d", or
// integers (seconds); sizes are strings such as "25M" (parse_size) or integers (bytes). Paths
// (spool, aliases, log.file, tls_ca_file, password.file and those of oauth2) must be absolute.
// `@include` is resolved relative to the file's directory.
Result<Config> load_config(const std::string& path);
// The same from text (tests); `name` is used in error messages in place of a path.
Result<Config> parse_config(const std::string& text, const std::string& name);

// The account for an envelope sender: the one named `preferred` when it exists, else the first
// whose `senders` pattern (fnmatch, case-insensitive) matches, else the first account; nullptr
// when there is none.
const Account* pick_account(const Config& cfg, const std::string& sender,
                            const std::string& preferred = "");

// Config lookup (DESIGN.md §2): explicit (-C) wins, then $RELAYMAIL_CONFIG, then
// ~/.config/relaymail/relaymail.conf if it exists, then /etc/relaymail.conf.
// `home` may be empty (no HOME): the per-user file is then skipped.
std::string find_config_path(const std::string& explicit_path, const char* env_value,
                             const std::string& home);

// Parses "30s" / "5m" / "1h" / "2d" / plain seconds. Errc::config on anything else (empty,
// signs, spaces, other units, overflow).
Result<std::chrono::seconds> parse_duration(const std::string& text);
// The inverse, in the largest unit that is exact: 60s → "1m", 90s → "90s", 5 days → "5d".
std::string format_duration(std::chrono::seconds d);

// Parses a size in bytes: "0", "1048576", or a number with a binary suffix k/K (KiB), m/M (MiB)
// or g/G (GiB): "25M" = 26214400. Errc::config on anything else (empty, signs, spaces, other
// suffixes, fractions, overflow of 64 bits).
Result<uint64_t> parse_size(const std::string& text);
// The inverse, in the largest suffix that is exact: 26214400 → "25M", 3072 → "3k",
// 1536 → "1536", 0 → "0".
std::string format_size(uint64_t bytes);

// "user:NAME" | "uid:N" | "group:NAME" | "gid:N" | "*". nullopt for anything else: an empty
// name or one with a character outside printable ASCII, a space or ':'; a number with a sign,
// other characters or above 4294967294 ((uid_t)-1 is no one).
std::optional<LimitTarget> parse_limit_target(std::string_view text);
// A pattern of daemon.limits[].senders: non-empty printable ASCII without spaces, and '<' or
// '>' only as the whole pattern "<>" (the null sender).
bool is_sender_pattern(std::string_view pattern);

// True for "localhost", 127.0.0.0/8 and ::1 (also IPv4-mapped): where tls = "none" is allowed.
bool is_loopback_host(const std::string& host);

// The effective config in libconfig syntax (`relaymail --print-config`); load_config() reads it
// back to an equal Config. Passwords appear only as their source ({ file = "..."; } etc.).
std::string print_config(const Config& cfg);

}  // namespace rm
