// config/config_schema.h — internal to config/: the table of every setting (scope, name, kind,
// default, one-line description) and the name ↔ enum tables. The loader, the printer and the
// tests all read this one table, so a key exists, and has its default, in exactly one place.
// Pure data. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/config.h"

namespace rm::config_schema {

// password: the keys of every secret source group (accounts[].password, and client_secret and
// refresh_token in accounts[].oauth2).
enum class Scope { top, retry, log, daemon, limit, account, password, oauth2 };
enum class Kind { string, boolean, integer, duration, size, choice, strings, group, list };

struct KeySpec {
  Scope scope;
  const char* name;
  Kind kind;
  // The default as text ("" for none); choices and durations as written. A daemon.limits[] key
  // has none: a row sets only what it names.
  const char* def;
  const char* doc;
};

std::span<const KeySpec> keys();
// nullptr when `name` is not a setting of `scope`.
const KeySpec* find_key(Scope scope, std::string_view name);
// The spec of a key the code knows exists (a missing one is a bug and aborts).
const KeySpec& key(Scope scope, std::string_view name);
// "", "retry.", "log.", "daemon.", "daemon.limits[].", "accounts[].", "accounts[].password.",
// "accounts[].oauth2."
const char* scope_prefix(Scope scope);

template <class E>
struct Choice {
  const char* name;
  E value;
};

std::span<const Choice<DeliveryMode>> delivery_modes();
std::span<const Choice<FromRewrite>> from_rewrites();
std::span<const Choice<RecipientsWithT>> recipients_with_t_modes();
std::span<const Choice<UnknownLocal>> unknown_local_modes();
std::span<const Choice<LogLevel>> log_levels();
std::span<const Choice<TlsMode>> tls_modes();  // includes the "smtps" synonym
std::span<const Choice<AuthMethod>> auth_methods();
std::span<const Choice<OAuth2Provider>> oauth2_providers();

template <class E>
std::optional<E> find_choice(std::span<const Choice<E>> table, std::string_view name) {
  for (const auto& c : table) {
    if (name == c.name) {
      return c.value;
    }
  }
  return std::nullopt;
}

// "daemon | background | foreground | queue", for error messages.
template <class E>
std::string choice_list(std::span<const Choice<E>> table) {
  std::string out;
  for (const auto& c : table) {
    out += out.empty() ? "" : " | ";
    out += c.name;
  }
  return out;
}

uint16_t default_port(TlsMode tls);

}  // namespace rm::config_schema
