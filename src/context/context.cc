#include "context/context.h"

#include <unistd.h>

#include <cstdlib>

#include "core/strings.h"
#include "sys/fs.h"
#include "sys/user_db.h"

namespace rm {

Context gather_context() {
  Context c;
  c.uid = static_cast<uint32_t>(::getuid());
  if (auto pw = lookup_uid(c.uid)) {
    c.login = pw->name;
    c.gecos = pw->gecos.substr(0, pw->gecos.find(','));
    c.home = pw->home;
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
  // First line only, as Debian's MTAs read it. Not an ifstream: iostreams would make every
  // start-up build the C++ locales (about ten page faults).
  constexpr size_t kMaxMailname = 4096;
  if (auto mn = read_file("/etc/mailname", kMaxMailname)) {
    std::string_view line = std::string_view(*mn).substr(0, mn->find('\n'));
    c.mailname = std::string(trim_right(line, " \r"));
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

Result<std::string> spool_dir(const Config& cfg, const Context& ctx) {
  std::string dir = effective_spool(cfg, ctx);
  const bool shared_fallback =
      cfg.spool.empty() && cfg.delivery != DeliveryMode::daemon && ctx.state_dir.empty();
  if (shared_fallback && !file_exists(dir)) {
    return make_error(Errc::untrusted,
                      "no home directory for uid %u: set `spool` in the config, or use daemon "
                      "mode (%s is not created in a shared directory)",
                      ctx.uid, dir.c_str());
  }
  return dir;
}

}  // namespace rm
