#include "cli/context.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace rm::cli {

Context gather_context() {
  Context c;
  c.uid = static_cast<uint32_t>(::getuid());
  if (const struct passwd* pw = ::getpwuid(::getuid())) {
    c.login = pw->pw_name != nullptr ? pw->pw_name : "";
    std::string g = pw->pw_gecos != nullptr ? pw->pw_gecos : "";
    c.gecos = g.substr(0, g.find(','));
    c.home = pw->pw_dir != nullptr ? pw->pw_dir : "";
  }
  if (c.login.empty()) {
    c.login = "uid" + std::to_string(c.uid);
  }
  if (const char* h = std::getenv("HOME"); h != nullptr && h[0] == '/') {
    c.home = h;
  }
  if (const char* x = std::getenv("XDG_STATE_HOME"); x != nullptr && x[0] == '/') {
    c.state_dir = x;
  } else if (!c.home.empty() && c.home != "/") {
    c.state_dir = c.home + "/.local/state";
  }
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) {
    c.hostname = host;
  }
  if (c.hostname.empty()) {
    c.hostname = "localhost";
  }
  std::ifstream mn("/etc/mailname");
  std::string line;
  if (mn && std::getline(mn, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
      line.pop_back();
    }
    c.mailname = line;
  }
  return c;
}

std::string effective_domain(const Config& cfg, const Context& ctx) {
  if (!cfg.domain.empty()) {
    return cfg.domain;
  }
  if (!ctx.mailname.empty()) {
    return ctx.mailname;
  }
  return ctx.hostname;
}

std::string effective_hostname(const Config& cfg, const Context& ctx) {
  return cfg.hostname.empty() ? ctx.hostname : cfg.hostname;
}

std::string effective_spool(const Config& cfg, const Context& ctx) {
  if (!cfg.spool.empty()) {
    return cfg.spool;
  }
  if (cfg.delivery == DeliveryMode::daemon) {
    return "/var/spool/relaymail";
  }
  if (!ctx.state_dir.empty()) {
    return ctx.state_dir + "/relaymail";
  }
  return "/var/tmp/relaymail-" + std::to_string(ctx.uid);
}

}  // namespace rm::cli
