// config/config_values.cc — the value-level pieces of config.h: enum names, durations, the
// loopback test, the account for a sender, the config file lookup, and the `for` and sender
// patterns of daemon.limits.
#include <arpa/inet.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <cstdint>
#include <limits>
#include <utility>

#include "config/config.h"
#include "config/config_schema.h"

namespace rm {
namespace {

template <class E>
const char* name_of(std::span<const config_schema::Choice<E>> table, E value) {
  for (const auto& c : table) {
    if (c.value == value) {
      return c.name;
    }
  }
  return "?";
}

// Printable ASCII other than the space.
bool is_visible(char c) {
  auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f;
}

// A user or group name as a limit may name it: printable ASCII, no space, no ':'.
bool is_plain_name(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (char c : name) {
    if (!is_visible(c) || c == ':') {
      return false;
    }
  }
  return true;
}

// Digits only, at most 4294967294.
std::optional<uint32_t> parse_id(std::string_view digits) {
  if (digits.empty() || digits.size() > 10) {
    return std::nullopt;
  }
  uint64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (n >= std::numeric_limits<uint32_t>::max()) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(n);
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

const char* delivery_mode_name(DeliveryMode m) {
  return name_of(config_schema::delivery_modes(), m);
}
const char* from_rewrite_name(FromRewrite f) {
  return name_of(config_schema::from_rewrites(), f);
}
const char* recipients_with_t_name(RecipientsWithT r) {
  return name_of(config_schema::recipients_with_t_modes(), r);
}
const char* unknown_local_name(UnknownLocal u) {
  return name_of(config_schema::unknown_local_modes(), u);
}
const char* oauth2_provider_name(OAuth2Provider p) {
  return name_of(config_schema::oauth2_providers(), p);
}

Result<std::chrono::seconds> parse_duration(const std::string& text) {
  auto bad = [&] {
    return make_error(Errc::config,
                      "bad duration \"%s\": expected a number with an optional unit s, m, h or d",
                      text.c_str());
  };
  size_t digits = 0;
  int64_t n = 0;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    int d = text[digits] - '0';
    if (n > (kMax - d) / 10) {
      return bad();
    }
    n = n * 10 + d;
    ++digits;
  }
  if (digits == 0 || text.size() > digits + 1) {
    return bad();
  }
  int64_t mult = 1;
  if (text.size() == digits + 1) {
    switch (text.back()) {
      case 's':
        mult = 1;
        break;
      case 'm':
        mult = 60;
        break;
      case 'h':
        mult = 3600;
        break;
      case 'd':
        mult = 86400;
        break;
      default:
        return bad();
    }
  }
  if (n > kMax / mult) {
    return bad();
  }
  return std::chrono::seconds(n * mult);
}

std::string format_duration(std::chrono::seconds d) {
  int64_t s = d.count();
  if (s != 0 && s % 86400 == 0) {
    return std::to_string(s / 86400) + "d";
  }
  if (s != 0 && s % 3600 == 0) {
    return std::to_string(s / 3600) + "h";
  }
  if (s != 0 && s % 60 == 0) {
    return std::to_string(s / 60) + "m";
  }
  return std::to_string(s) + "s";
}

Result<uint64_t> parse_size(const std::string& text) {
  auto bad = [&] {
    return make_error(Errc::config,
                      "bad size \"%s\": expected a number of bytes with an optional suffix k, M "
                      "or G, such as \"25M\"",
                      text.c_str());
  };
  size_t digits = 0;
  uint64_t n = 0;
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    auto d = static_cast<uint64_t>(text[digits] - '0');
    if (n > (kMax - d) / 10) {
      return bad();
    }
    n = n * 10 + d;
    ++digits;
  }
  if (digits == 0 || text.size() > digits + 1) {
    return bad();
  }
  uint64_t mult = 1;
  if (text.size() == digits + 1) {
    switch (text.back()) {
      case 'k':
      case 'K':
        mult = uint64_t{1} << 10;
        break;
      case 'm':
      case 'M':
        mult = uint64_t{1} << 20;
        break;
      case 'g':
      case 'G':
        mult = uint64_t{1} << 30;
        break;
      default:
        return bad();
    }
  }
  if (n > kMax / mult) {
    return bad();
  }
  return n * mult;
}

std::string format_size(uint64_t bytes) {
  const std::pair<uint64_t, const char*> kUnits[] = {
      {uint64_t{1} << 30, "G"}, {uint64_t{1} << 20, "M"}, {uint64_t{1} << 10, "k"}};
  for (const auto& [unit, suffix] : kUnits) {
    if (bytes != 0 && bytes % unit == 0) {
      return std::to_string(bytes / unit) + suffix;
    }
  }
  return std::to_string(bytes);
}

std::vector<std::string> Account::hosts() const {
  std::vector<std::string> out{host};
  out.insert(out.end(), fallback_hosts.begin(), fallback_hosts.end());
  return out;
}

const Account* pick_account(const Config& cfg, const std::string& sender,
                            const std::string& preferred) {
  if (cfg.accounts.empty()) {
    return nullptr;
  }
  for (const Account& a : cfg.accounts) {
    if (!preferred.empty() && a.name == preferred) {
      return &a;
    }
  }
  for (const Account& a : cfg.accounts) {
    for (const std::string& pattern : a.senders) {
      if (::fnmatch(pattern.c_str(), sender.c_str(), FNM_CASEFOLD) == 0) {
        return &a;
      }
    }
  }
  return &cfg.accounts.front();
}

std::optional<LimitTarget> parse_limit_target(std::string_view text) {
  if (text == "*") {
    return LimitTarget{};
  }
  using K = LimitTarget::Kind;
  const std::pair<std::string_view, K> kPrefixes[] = {
      {"user:", K::user}, {"uid:", K::uid}, {"group:", K::group}, {"gid:", K::gid}};
  for (const auto& [prefix, kind] : kPrefixes) {
    if (!text.starts_with(prefix)) {
      continue;
    }
    std::string_view rest = text.substr(prefix.size());
    if (kind == K::user || kind == K::group) {
      return is_plain_name(rest) ? std::optional(LimitTarget{kind, std::string(rest), 0})
                                 : std::nullopt;
    }
    auto id = parse_id(rest);
    return id ? std::optional(LimitTarget{kind, "", *id}) : std::nullopt;
  }
  return std::nullopt;
}

bool is_sender_pattern(std::string_view pattern) {
  if (pattern == "<>") {
    return true;
  }
  if (pattern.empty()) {
    return false;
  }
  for (char c : pattern) {
    if (!is_visible(c) || c == '<' || c == '>') {
      return false;
    }
  }
  return true;
}

bool is_loopback_host(const std::string& host) {
  std::string h = host;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  }
  std::string lower;
  for (char c : h) {
    lower += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  if (lower == "localhost" || lower == "localhost.") {
    return true;
  }
  in_addr v4{};
  if (::inet_pton(AF_INET, h.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) {
      return true;
    }
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

std::string find_config_path(const std::string& explicit_path, const char* env_value,
                             const std::string& home) {
  if (!explicit_path.empty()) {
    return explicit_path;
  }
  if (env_value != nullptr && *env_value != '\0') {
    return env_value;
  }
  if (!home.empty()) {
    std::string user = home + (home.back() == '/' ? "" : "/") + ".config/relaymail/relaymail.conf";
    if (file_exists(user)) {
      return user;
    }
  }
  return "/etc/relaymail.conf";
}

}  // namespace rm
