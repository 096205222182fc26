// context/context.h — facts about the calling process that submission and the queue tools need,
// gathered once from the kernel and the passwd database (sys/user_db.h; never from USER/LOGNAME:
// SENDMAIL.md behaviour 57): real uid, login name, GECOS full name, home, the per-user state
// directory, the host name, /etc/mailname. Works with no HOME, cwd "/", closed stdio (behaviour
// 69). Reading only; no logging. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
#include "core/result.h"

namespace rm {

struct Context {
  uint32_t uid = 0;
  std::string login;      // passwd name of the real uid, else "uid<N>"
  std::string gecos;      // first comma field of pw_gecos
  std::string home;       // $HOME, else pw_dir, else ""
  std::string state_dir;  // $XDG_STATE_HOME, else <home>/.local/state ("" without a home)
  std::string hostname;   // gethostname()
  std::string mailname;   // first line of /etc/mailname, or ""
};

Context gather_context();

// The effective names for a config: domain = config, else /etc/mailname, else the host name;
// hostname = config, else the host name.
std::string effective_domain(const Config& cfg, const Context& ctx);
std::string effective_hostname(const Config& cfg, const Context& ctx);
// The spool: config `spool`, else <state_dir>/relaymail for the per-user modes,
// /var/spool/relaymail for daemon mode.
// Without a home, /var/tmp/relaymail-<uid> (a shared directory; see spool_dir()).
std::string effective_spool(const Config& cfg, const Context& ctx);
// effective_spool() for use: the /var/tmp fallback is a predictable name in a directory anyone
// may write to, so it is taken only when it already exists (FsQueueStore then checks who owns
// it) and never created; otherwise Errc::untrusted, "no home directory for uid N: ...".
Result<std::string> spool_dir(const Config& cfg, const Context& ctx);

}  // namespace rm
