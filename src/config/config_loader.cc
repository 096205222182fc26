// config/config_loader.cc — libconfig++ text → validated Config. Every problem (unknown key,
// wrong type, bad value) is collected with its file:line and reported in one Error, sorted by
// line. libconfig++ exceptions are caught here and never leave the module.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <libconfig.h++>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "config/config.h"
#include "config/config_schema.h"

namespace rm {
namespace {

using config_schema::Kind;
using config_schema::Scope;
using libconfig::Setting;

constexpr size_t kMaxConfigBytes = 1 << 20;

// "accounts[0].host". Built here rather than by Setting::getPath(), which formats through a
// std::stringstream: that alone made every relaymail start-up build the C++ locales (about ten
// page faults, ~0.1 ms on the test VM).
std::string setting_path(const Setting& s) {
  if (s.isRoot()) {
    return {};
  }
  std::string parent = setting_path(s.getParent());
  if (const char* name = s.getName(); name != nullptr) {
    return parent.empty() ? std::string(name) : parent + "." + name;
  }
  return parent + "[" + std::to_string(s.getIndex()) + "]";
}

bool is_integer(const Setting& s) {
  return s.getType() == Setting::TypeInt || s.getType() == Setting::TypeInt64;
}

// libconfig++ converts only to the exact integer type unless auto-conversion is on.
long long as_integer(const Setting& s) {
  return s.getType() == Setting::TypeInt ? static_cast<long long>(static_cast<int>(s))
                                         : static_cast<long long>(s);
}

// "a.example, b.example" (commas and/or white space) → {"a.example", "b.example"}.
std::vector<std::string> split_hosts(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text + ",") {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!cur.empty()) {
        out.push_back(std::move(cur));
        cur.clear();
      }
    } else {
      cur += c;
    }
  }
  return out;
}

bool is_explicit_mechanism(AuthMethod m) {
  return m != AuthMethod::automatic && m != AuthMethod::none;
}

bool is_sha256_pin(const std::string& text) {
  size_t hex = 0;
  for (char c : text) {
    if (c == ':') {
      continue;
    }
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
    ++hex;
  }
  return hex == 64;
}

class Loader {
 public:
  explicit Loader(std::string name) : name_(std::move(name)) {}

  Result<Config> load(const Setting& root);

 private:
  struct Problem {
    unsigned line;
    std::string text;
  };

  [[gnu::format(printf, 3, 4)]] void problem(const Setting& at, const char* fmt, ...);

  void check_keys(const Setting& group, Scope scope);
  const Setting* child(const Setting* group, const char* key);
  const Setting* typed_child(const Setting* group, const char* key, Setting::Type type,
                             const char* expected);

  std::string get_string(const Setting* g, Scope sc, const char* key);
  std::string get_path(const Setting* g, Scope sc, const char* key);
  bool get_bool(const Setting* g, Scope sc, const char* key);
  std::chrono::seconds get_duration(const Setting* g, Scope sc, const char* key);
  uint64_t get_size(const Setting* g, Scope sc, const char* key);
  std::optional<uint64_t> size_value(const Setting& s);
  std::optional<uint32_t> count_value(const Setting& s);
  std::vector<std::string> get_strings(const Setting* g, const char* key);
  template <class E>
  E get_choice(const Setting* g, Scope sc, const char* key,
               std::span<const config_schema::Choice<E>> table);
  const Setting* get_group(const Setting* g, const char* key);

  void load_top(const Setting& root, Config& cfg);
  void load_retry_log(const Setting& root, Config& cfg);
  void load_daemon(const Setting& root, Config& cfg);
  void load_limits(const Setting* daemon, DaemonConfig& d);
  LimitRule load_limit(const Setting& s);
  std::optional<std::vector<std::string>> load_senders(const Setting& row);
  void load_accounts(const Setting& root, Config& cfg);
  Account load_account(const Setting& s);
  void load_port(const Setting& s, Account& a);
  PasswordSource load_source(const Setting* parent, const char* group);
  std::optional<OAuth2Config> load_oauth2(const Setting& account, const Account& a);
  void load_endpoints(const Setting& oauth2, OAuth2Config& o);
  void check_https_url(const Setting& oauth2, const char* key);

  std::string name_;
  std::vector<Problem> problems_;
};

void Loader::problem(const Setting& at, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::string msg = vformat(fmt, ap);
  va_end(ap);
  const char* file = at.getSourceFile();
  unsigned line = at.getSourceLine();
  problems_.push_back(
      {line, format("%s:%u: %s", file != nullptr ? file : name_.c_str(), line, msg.c_str())});
}

void Loader::check_keys(const Setting& group, Scope scope) {
  for (int i = 0; i < group.getLength(); ++i) {
    const Setting& s = group[i];
    if (s.getName() == nullptr || config_schema::find_key(scope, s.getName()) == nullptr) {
      problem(s, "unknown setting '%s'", setting_path(s).c_str());
    }
  }
}

const Setting* Loader::child(const Setting* group, const char* key) {
  if (group == nullptr || !group->exists(key)) {
    return nullptr;
  }
  return &(*group)[key];
}

const Setting* Loader::typed_child(const Setting* group, const char* key, Setting::Type type,
                                   const char* expected) {
  const Setting* s = child(group, key);
  if (s != nullptr && s->getType() != type) {
    problem(*s, "%s: expected %s", setting_path(*s).c_str(), expected);
    return nullptr;
  }
  return s;
}

std::string Loader::get_string(const Setting* g, Scope sc, const char* key) {
  const auto& spec = config_schema::key(sc, key);
  const Setting* s = typed_child(g, key, Setting::TypeString, "a string");
  return s != nullptr ? std::string(s->c_str()) : std::string(spec.def);
}

std::string Loader::get_path(const Setting* g, Scope sc, const char* key) {
  std::string v = get_string(g, sc, key);
  if (!v.empty() && v.front() != '/') {
    problem(*child(g, key), "%s: must be an absolute path, not \"%s\"",
            setting_path(*child(g, key)).c_str(), v.c_str());
  }
  return v;
}

bool Loader::get_bool(const Setting* g, Scope sc, const char* key) {
  const auto& spec = config_schema::key(sc, key);
  const Setting* s = typed_child(g, key, Setting::TypeBoolean, "true or false");
  return s != nullptr ? static_cast<bool>(*s) : std::string_view(spec.def) == "true";
}

std::chrono::seconds Loader::get_duration(const Setting* g, Scope sc, const char* key) {
  const auto& spec = config_schema::key(sc, key);
  auto fallback = parse_duration(spec.def).value();
  const Setting* s = child(g, key);
  if (s == nullptr) {
    return fallback;
  }
  if (is_integer(*s)) {
    long long n = as_integer(*s);
    if (n < 0) {
      problem(*s, "%s: must not be negative", setting_path(*s).c_str());
      return fallback;
    }
    return std::chrono::seconds(n);
  }
  if (s->getType() != Setting::TypeString) {
    problem(*s, "%s: expected a duration such as \"30s\", \"5m\", \"1h\" or \"2d\"",
            setting_path(*s).c_str());
    return fallback;
  }
  auto d = parse_duration(s->c_str());
  if (!d) {
    problem(*s, "%s: %s", setting_path(*s).c_str(), d.error().what.c_str());
    return fallback;
  }
  return *d;
}

uint64_t Loader::get_size(const Setting* g, Scope sc, const char* key) {
  const auto& spec = config_schema::key(sc, key);
  uint64_t fallback = parse_size(spec.def).value();
  const Setting* s = child(g, key);
  if (s == nullptr) {
    return fallback;
  }
  return size_value(*s).value_or(fallback);
}

// A size (bytes, or a string parse_size() reads); nullopt after reporting a bad one.
std::optional<uint64_t> Loader::size_value(const Setting& s) {
  if (is_integer(s)) {
    long long n = as_integer(s);
    if (n < 0) {
      problem(s, "%s: must not be negative", setting_path(s).c_str());
      return std::nullopt;
    }
    return static_cast<uint64_t>(n);
  }
  if (s.getType() != Setting::TypeString) {
    problem(s, "%s: expected a size such as \"25M\", \"512k\" or a number of bytes",
            setting_path(s).c_str());
    return std::nullopt;
  }
  auto n = parse_size(s.c_str());
  if (!n) {
    problem(s, "%s: %s", setting_path(s).c_str(), n.error().what.c_str());
    return std::nullopt;
  }
  return *n;
}

// A count of daemon.limits, 0 (no limit) to kMaxLimitCount; nullopt after reporting a bad one.
std::optional<uint32_t> Loader::count_value(const Setting& s) {
  if (!is_integer(s) || as_integer(s) < 0 || as_integer(s) > kMaxLimitCount) {
    problem(s, "%s: expected an integer from 0 (no limit) to %u", setting_path(s).c_str(),
            kMaxLimitCount);
    return std::nullopt;
  }
  return static_cast<uint32_t>(as_integer(s));
}

std::vector<std::string> Loader::get_strings(const Setting* g, const char* key) {
  std::vector<std::string> out;
  const Setting* s = child(g, key);
  if (s == nullptr) {
    return out;
  }
  if (s->getType() != Setting::TypeArray && s->getType() != Setting::TypeList) {
    problem(*s, "%s: expected a list of strings like [ \"a@x.org\" ]", setting_path(*s).c_str());
    return out;
  }
  for (int i = 0; i < s->getLength(); ++i) {
    const Setting& e = (*s)[i];
    if (e.getType() != Setting::TypeString || *e.c_str() == '\0') {
      problem(e, "%s: expected a non-empty string", setting_path(e).c_str());
      continue;
    }
    out.emplace_back(e.c_str());
  }
  return out;
}

template <class E>
E Loader::get_choice(const Setting* g, Scope sc, const char* key,
                     std::span<const config_schema::Choice<E>> table) {
  const auto& spec = config_schema::key(sc, key);
  E fallback = *config_schema::find_choice(table, spec.def);
  const Setting* s = typed_child(g, key, Setting::TypeString, "a string");
  if (s == nullptr) {
    return fallback;
  }
  if (auto v = config_schema::find_choice(table, s->c_str())) {
    return *v;
  }
  problem(*s, "%s: unknown value \"%s\" (%s)", setting_path(*s).c_str(), s->c_str(),
          config_schema::choice_list(table).c_str());
  return fallback;
}

const Setting* Loader::get_group(const Setting* g, const char* key) {
  return typed_child(g, key, Setting::TypeGroup, "a group { ... }");
}

Result<Config> Loader::load(const Setting& root) {
  Config cfg;
  cfg.path = name_;
  check_keys(root, Scope::top);
  load_top(root, cfg);
  load_retry_log(root, cfg);
  load_daemon(root, cfg);
  load_accounts(root, cfg);
  if (problems_.empty()) {
    return cfg;
  }
  std::stable_sort(problems_.begin(), problems_.end(),
                   [](const Problem& a, const Problem& b) { return a.line < b.line; });
  std::string what;
  for (const auto& p : problems_) {
    what += what.empty() ? "" : "\n";
    what += p.text;
  }
  return Error{Errc::config, what, 0, std::nullopt};
}

void Loader::load_top(const Setting& root, Config& cfg) {
  cfg.domain = get_string(&root, Scope::top, "domain");
  cfg.hostname = get_string(&root, Scope::top, "hostname");
  for (const char* key : {"domain", "hostname"}) {
    const std::string& v = std::string_view(key) == "domain" ? cfg.domain : cfg.hostname;
    if (v.find_first_of("@ \t\r\n/") != std::string::npos) {
      problem(*child(&root, key), "%s: not a domain name: \"%s\"", key, v.c_str());
    }
  }
  cfg.delivery = get_choice(&root, Scope::top, "delivery", config_schema::delivery_modes());
  cfg.spool = get_path(&root, Scope::top, "spool");
  cfg.admin = get_string(&root, Scope::top, "admin");
  cfg.aliases = get_path(&root, Scope::top, "aliases");
  cfg.from_rewrite = get_choice(&root, Scope::top, "from_rewrite", config_schema::from_rewrites());
  cfg.recipients_with_t =
      get_choice(&root, Scope::top, "recipients_with_t", config_schema::recipients_with_t_modes());
  cfg.unknown_local =
      get_choice(&root, Scope::top, "unknown_local", config_schema::unknown_local_modes());
  cfg.add_to_header = get_bool(&root, Scope::top, "add_to_header");
  cfg.max_message_size = get_size(&root, Scope::top, "max_message_size");
}

void Loader::load_retry_log(const Setting& root, Config& cfg) {
  const Setting* retry = get_group(&root, "retry");
  if (retry != nullptr) {
    check_keys(*retry, Scope::retry);
  }
  cfg.retry.first = get_duration(retry, Scope::retry, "first");
  cfg.retry.max = get_duration(retry, Scope::retry, "max");
  cfg.retry.lifetime = get_duration(retry, Scope::retry, "lifetime");
  cfg.retry.warn = get_duration(retry, Scope::retry, "warn");  // 0: no delay warnings
  if (retry != nullptr && cfg.retry.first.count() == 0) {
    problem(*retry, "retry.first: must be at least 1s");
  }
  if (retry != nullptr && cfg.retry.max < cfg.retry.first) {
    problem(*retry, "retry.max: must not be shorter than retry.first");
  }
  if (retry != nullptr && cfg.retry.lifetime.count() == 0) {
    problem(*retry, "retry.lifetime: must be at least 1s");
  }
  const Setting* log = get_group(&root, "log");
  if (log != nullptr) {
    check_keys(*log, Scope::log);
  }
  cfg.log.syslog = get_bool(log, Scope::log, "syslog");
  cfg.log.file = get_path(log, Scope::log, "file");
  cfg.log.level = get_choice(log, Scope::log, "level", config_schema::log_levels());
}

void Loader::load_daemon(const Setting& root, Config& cfg) {
  const Setting* daemon = get_group(&root, "daemon");
  if (daemon != nullptr) {
    check_keys(*daemon, Scope::daemon);
  }
  cfg.daemon.socket = get_path(daemon, Scope::daemon, "socket");
  cfg.daemon.user = get_string(daemon, Scope::daemon, "user");
  cfg.daemon.admin_group = get_string(daemon, Scope::daemon, "admin_group");
  cfg.daemon.stop_timeout = get_duration(daemon, Scope::daemon, "stop_timeout");
  load_limits(daemon, cfg.daemon);
}

void Loader::load_limits(const Setting* daemon, DaemonConfig& d) {
  const Setting* list = child(daemon, "limits");
  if (list == nullptr) {
    return;
  }
  bool empty_array = list->getType() == Setting::TypeArray && list->getLength() == 0;
  if (list->getType() != Setting::TypeList && !empty_array) {
    problem(*list, "daemon.limits: expected a list of groups: limits = ( { for = \"*\"; ... } );");
    return;
  }
  std::vector<std::pair<LimitTarget, int>> seen;
  for (int i = 0; i < list->getLength(); ++i) {
    const Setting& s = (*list)[i];
    if (!s.isGroup()) {
      problem(s, "%s: expected a group { for = \"...\"; ... }", setting_path(s).c_str());
      continue;
    }
    LimitRule rule = load_limit(s);
    if (auto target = parse_limit_target(rule.target)) {
      auto same = [&](const auto& p) { return p.first == *target; };
      if (auto it = std::find_if(seen.begin(), seen.end(), same); it != seen.end()) {
        problem(*child(&s, "for"), "%s.for: \"%s\" is already used by daemon.limits[%d]",
                setting_path(s).c_str(), rule.target.c_str(), it->second);
      } else {
        seen.emplace_back(*target, i);
      }
    }
    d.limits.push_back(std::move(rule));
  }
}

LimitRule Loader::load_limit(const Setting& s) {
  check_keys(s, Scope::limit);
  std::string at = setting_path(s);
  LimitRule r;
  r.target = get_string(&s, Scope::limit, "for");
  const Setting* f = child(&s, "for");
  if (f == nullptr) {
    problem(s,
            "%s: for is missing; give for = \"user:NAME\", \"uid:N\", \"group:NAME\", "
            "\"gid:N\" or \"*\"",
            at.c_str());
  } else if (f->getType() == Setting::TypeString && !parse_limit_target(r.target)) {
    problem(*f, "%s.for: expected user:NAME, uid:N, group:NAME, gid:N or *, not \"%s\"", at.c_str(),
            r.target.c_str());
  }
  if (const Setting* m = child(&s, "max_message_size"); m != nullptr) {
    r.max_message_size = size_value(*m);
  }
  const std::pair<const char*, std::optional<uint32_t>*> kCounts[] = {
      {"messages_per_hour", &r.messages_per_hour},
      {"recipients_per_message", &r.recipients_per_message},
      {"connections", &r.connections}};
  for (const auto& [key, field] : kCounts) {
    if (const Setting* c = child(&s, key); c != nullptr) {
      *field = count_value(*c);
    }
  }
  r.senders = load_senders(s);
  return r;
}

std::optional<std::vector<std::string>> Loader::load_senders(const Setting& row) {
  const Setting* s = child(&row, "senders");
  if (s == nullptr) {
    return std::nullopt;
  }
  std::vector<std::string> patterns = get_strings(&row, "senders");
  if (s->getType() != Setting::TypeArray && s->getType() != Setting::TypeList) {
    return std::nullopt;  // reported by get_strings
  }
  for (int i = 0; i < s->getLength(); ++i) {
    const Setting& e = (*s)[i];
    if (e.getType() == Setting::TypeString && *e.c_str() != '\0' && !is_sender_pattern(e.c_str())) {
      problem(e,
              "%s: \"%s\" is not a sender pattern (printable ASCII without spaces, * and ?; "
              "\"<>\" for the null sender)",
              setting_path(e).c_str(), e.c_str());
    }
  }
  return patterns;
}

void Loader::load_accounts(const Setting& root, Config& cfg) {
  const Setting* list = child(&root, "accounts");
  if (list == nullptr) {
    return;
  }
  bool empty_array = list->getType() == Setting::TypeArray && list->getLength() == 0;
  if (list->getType() != Setting::TypeList && !empty_array) {
    problem(*list, "accounts: expected a list of groups: accounts = ( { host = \"...\"; } );");
    return;
  }
  std::map<std::string, int> seen;
  for (int i = 0; i < list->getLength(); ++i) {
    const Setting& s = (*list)[i];
    if (!s.isGroup()) {
      problem(s, "%s: expected a group { host = \"...\"; ... }", setting_path(s).c_str());
      continue;
    }
    Account a = load_account(s);
    if (auto [it, fresh] = seen.emplace(a.name, i); !fresh) {
      problem(s, "%s: account name \"%s\" is already used by accounts[%d]", setting_path(s).c_str(),
              a.name.c_str(), it->second);
    }
    cfg.accounts.push_back(std::move(a));
  }
}

Account Loader::load_account(const Setting& s) {
  check_keys(s, Scope::account);
  std::string at = setting_path(s);
  Account a;
  std::vector<std::string> hosts = split_hosts(get_string(&s, Scope::account, "host"));
  if (hosts.empty()) {
    problem(s, "%s: host is missing or empty", at.c_str());
  } else {
    a.host = hosts.front();
    a.fallback_hosts.assign(hosts.begin() + 1, hosts.end());
  }
  a.name = get_string(&s, Scope::account, "name");
  if (a.name.empty()) {
    a.name = a.host;
  }
  a.tls = get_choice(&s, Scope::account, "tls", config_schema::tls_modes());
  load_port(s, a);
  for (const std::string& h : hosts) {
    if (a.tls == TlsMode::none && !is_loopback_host(h)) {
      problem(*child(&s, "tls"),
              "%s.tls: \"none\" is allowed only for a loopback host (127.0.0.0/8, ::1, "
              "localhost), not \"%s\"",
              at.c_str(), h.c_str());
    }
  }
  a.tls_ca_file = get_path(&s, Scope::account, "tls_ca_file");
  a.tls_cert_file = get_path(&s, Scope::account, "tls_cert_file");
  a.tls_key_file = get_path(&s, Scope::account, "tls_key_file");
  if (a.tls_cert_file.empty() != a.tls_key_file.empty()) {
    problem(s, "%s: tls_cert_file and tls_key_file go together; give both or neither", at.c_str());
  }
  a.tls_fingerprint = get_string(&s, Scope::account, "tls_fingerprint");
  if (!a.tls_fingerprint.empty() && !is_sha256_pin(a.tls_fingerprint)) {
    problem(*child(&s, "tls_fingerprint"), "%s.tls_fingerprint: expected 64 hex digits (SHA-256)",
            at.c_str());
  }
  a.auth = get_choice(&s, Scope::account, "auth", config_schema::auth_methods());
  a.user = get_string(&s, Scope::account, "user");
  if (is_explicit_mechanism(a.auth) && a.user.empty()) {
    problem(*child(&s, "auth"), "%s.auth: \"%s\" needs a user", at.c_str(),
            auth_method_name(a.auth));
  }
  if (is_explicit_mechanism(a.auth) && a.tls == TlsMode::none) {
    problem(*child(&s, "auth"),
            "%s.auth: no authentication over a plaintext connection (tls = \"none\")", at.c_str());
  }
  a.password = load_source(&s, "password");
  a.oauth2 = load_oauth2(s, a);
  a.from = get_string(&s, Scope::account, "from");
  a.senders = get_strings(&s, "senders");
  a.timeout = get_duration(&s, Scope::account, "timeout");
  if (a.timeout.count() == 0 && child(&s, "timeout") != nullptr) {
    problem(*child(&s, "timeout"), "%s.timeout: must be at least 1s", at.c_str());
  }
  if (const Setting* m = child(&s, "messages_per_connection"); m != nullptr) {
    if (!is_integer(*m) || as_integer(*m) < 0 || as_integer(*m) > 1000000) {
      problem(*m, "%s: expected an integer from 0 (no limit) to 1000000", setting_path(*m).c_str());
    } else {
      a.messages_per_connection = static_cast<uint32_t>(as_integer(*m));
    }
  }
  if (const Setting* c = child(&s, "connections"); c != nullptr) {
    if (!is_integer(*c) || as_integer(*c) < 1 || as_integer(*c) > kMaxConnections) {
      problem(*c, "%s: expected an integer from 1 to %u", setting_path(*c).c_str(),
              kMaxConnections);
    } else {
      a.connections = static_cast<uint32_t>(as_integer(*c));
    }
  }
  return a;
}

void Loader::load_port(const Setting& s, Account& a) {
  a.port = config_schema::default_port(a.tls);
  const Setting* p = child(&s, "port");
  if (p == nullptr) {
    return;
  }
  if (!is_integer(*p)) {
    problem(*p, "%s: expected an integer", setting_path(*p).c_str());
    return;
  }
  long long n = as_integer(*p);
  if (n < 1 || n > 65535) {
    problem(*p, "%s: %lld is out of range (1-65535)", setting_path(*p).c_str(), n);
    return;
  }
  a.port = static_cast<uint16_t>(n);
}

// A secret's source: accounts[].password, or client_secret or refresh_token of oauth2.
PasswordSource Loader::load_source(const Setting* parent, const char* group) {
  PasswordSource out;
  const Setting* p = child(parent, group);
  if (p == nullptr) {
    return out;
  }
  if (!p->isGroup()) {
    problem(*p,
            "%s: expected a source like { file = \"/path\"; } (or keyring, command, env, "
            "credential); %s are never written in the config",
            setting_path(*p).c_str(),
            std::string_view(group) == "password" ? "passwords" : "secrets");
    return out;
  }
  check_keys(*p, Scope::password);
  std::vector<std::string> sources;
  if (get_bool(p, Scope::password, "keyring")) {
    sources.emplace_back("keyring");
    out.kind = PasswordSource::Kind::keyring;
  }
  const std::pair<const char*, PasswordSource::Kind> kStringSources[] = {
      {"file", PasswordSource::Kind::file},
      {"command", PasswordSource::Kind::command},
      {"env", PasswordSource::Kind::env},
      {"credential", PasswordSource::Kind::credential}};
  for (const auto& [key, kind] : kStringSources) {
    std::string v = std::string_view(key) == "file" ? get_path(p, Scope::password, key)
                                                    : get_string(p, Scope::password, key);
    if (child(p, key) == nullptr) {
      continue;
    }
    if (v.empty()) {
      problem(*child(p, key), "%s: must not be empty", setting_path(*child(p, key)).c_str());
    } else if (kind == PasswordSource::Kind::credential &&
               (v.find('/') != std::string::npos || v == "." || v == "..")) {
      problem(*child(p, key), "%s: \"%s\" must be a plain file name (no '/')",
              setting_path(*child(p, key)).c_str(), v.c_str());
    }
    sources.emplace_back(key);
    out.kind = kind;
    out.value = v;
  }
  if (sources.size() > 1) {
    std::string list;
    for (const auto& s : sources) {
      list += (list.empty() ? "" : ", ") + s;
    }
    problem(*p, "%s: more than one source (%s); give exactly one", setting_path(*p).c_str(),
            list.c_str());
  } else if (sources.empty()) {
    problem(*p, "%s: no source; give one of keyring = true, file, command, env or credential",
            setting_path(*p).c_str());
  }
  return out;
}

std::optional<OAuth2Config> Loader::load_oauth2(const Setting& account, const Account& a) {
  const Setting* g = child(&account, "oauth2");
  if (g == nullptr) {
    return std::nullopt;
  }
  std::string at = setting_path(*g);
  if (!g->isGroup()) {
    problem(*g, "%s: expected a group { provider = ...; client_id = ...; refresh_token = ...; }",
            at.c_str());
    return std::nullopt;
  }
  check_keys(*g, Scope::oauth2);
  if (a.auth != AuthMethod::xoauth2 && a.auth != AuthMethod::oauthbearer) {
    problem(*g, "%s: only for auth = \"xoauth2\" or \"oauthbearer\", not \"%s\"", at.c_str(),
            auth_method_name(a.auth));
  }
  if (const Setting* pw = child(&account, "password"); pw != nullptr) {
    problem(*pw,
            "%s: not used with oauth2 (the access token comes from oauth2.refresh_token); "
            "remove it",
            setting_path(*pw).c_str());
  }
  OAuth2Config o;
  o.provider = get_choice(g, Scope::oauth2, "provider", config_schema::oauth2_providers());
  load_endpoints(*g, o);
  o.client_id = get_string(g, Scope::oauth2, "client_id");
  if (o.client_id.empty()) {
    problem(*g, "%s: client_id is missing or empty", at.c_str());
  }
  o.client_secret = load_source(g, "client_secret");
  o.refresh_token = load_source(g, "refresh_token");
  if (child(g, "refresh_token") == nullptr) {
    problem(*g,
            "%s: refresh_token is missing; give its source, e.g. refresh_token = { file = "
            "\"/path\"; } or { keyring = true; }",
            at.c_str());
  }
  o.tls_ca_file = get_path(g, Scope::oauth2, "tls_ca_file");
  return o;
}

// custom: token_url is required, an https URL, and device_url, authorize_url (https URLs) and
// scope may be given; google and microsoft bring their own, and giving one is an error.
void Loader::load_endpoints(const Setting& oauth2, OAuth2Config& o) {
  std::string at = setting_path(oauth2);
  const std::pair<const char*, std::string*> kKeys[] = {{"token_url", &o.token_url},
                                                        {"device_url", &o.device_url},
                                                        {"authorize_url", &o.authorize_url},
                                                        {"scope", &o.scope}};
  for (const auto& [key, value] : kKeys) {
    *value = get_string(&oauth2, Scope::oauth2, key);
  }
  if (const OAuth2Endpoints* known = oauth2_endpoints(o.provider); known != nullptr) {
    for (const auto& [key, value] : kKeys) {
      if (const Setting* s = child(&oauth2, key); s != nullptr) {
        problem(*s, "%s.%s: provider = \"%s\" has its own; %s is for \"custom\" only", at.c_str(),
                key, oauth2_provider_name(o.provider), key);
      }
    }
    o.token_url = known->token_url;
    o.device_url = known->device_authorization_url;
    o.authorize_url = known->authorization_url;
    o.scope = known->scope;
    return;
  }
  const Setting* u = child(&oauth2, "token_url");
  if (o.token_url.empty()) {
    problem(u != nullptr ? *u : oauth2,
            "%s: token_url is missing; provider = \"custom\" needs one (or give provider = "
            "\"google\" or \"microsoft\")",
            at.c_str());
  }
  for (const char* key : {"token_url", "device_url", "authorize_url"}) {
    check_https_url(oauth2, key);
  }
  const bool printable = std::all_of(o.scope.begin(), o.scope.end(), [](char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (!printable) {
    problem(*child(&oauth2, "scope"),
            "%s.scope: expected scope tokens separated by spaces (printable ASCII, no '\"' or "
            "'\\')",
            at.c_str());
  }
}

// An optional URL of the oauth2 group: when given and not empty, https:// without spaces.
void Loader::check_https_url(const Setting& oauth2, const char* key) {
  const Setting* u = child(&oauth2, key);
  if (u == nullptr || u->getType() != Setting::TypeString) {
    return;
  }
  const std::string url = u->c_str();
  const bool https =
      url.size() > 8 && std::equal(url.begin(), url.begin() + 8, "https://", [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == b;
      });
  const bool printable = std::all_of(url.begin(), url.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
  });
  if (!url.empty() && (!https || !printable)) {
    problem(*u, "%s.%s: expected an https:// URL without spaces, not \"%s\"",
            setting_path(oauth2).c_str(), key, url.c_str());
  }
}

Result<Config> parse_text(const std::string& text, const std::string& name,
                          const std::string& include_dir) {
  if (text.find('\0') != std::string::npos) {
    return make_error(Errc::config, "%s: contains a NUL byte", name.c_str());
  }
  libconfig::Config lc;
  try {
    if (!include_dir.empty()) {
      lc.setIncludeDir(include_dir.c_str());
    }
    lc.readString(text);
    Loader loader(name);
    return loader.load(lc.getRoot());
  } catch (const libconfig::ParseException& e) {
    const char* file = e.getFile() != nullptr ? e.getFile() : name.c_str();
    return make_error(Errc::config, "%s:%d: %s", file, e.getLine(), e.getError());
  } catch (const libconfig::ConfigException& e) {
    return make_error(Errc::config, "%s: %s", name.c_str(), e.what());
  }
}

}  // namespace

Result<Config> parse_config(const std::string& text, const std::string& name) {
  return parse_text(text, name, "");
}

Result<Config> load_config(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "re"), &std::fclose);
  if (!f) {
    return sys_error(Errc::config, errno, "read %s", path.c_str());
  }
  std::string text;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) {
    text.append(buf, n);
    if (text.size() > kMaxConfigBytes) {
      return make_error(Errc::config, "read %s: larger than %zu octets", path.c_str(),
                        kMaxConfigBytes);
    }
  }
  if (std::ferror(f.get())) {
    return sys_error(Errc::config, errno, "read %s", path.c_str());
  }
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  return parse_text(text, path, dir);
}

}  // namespace rm
