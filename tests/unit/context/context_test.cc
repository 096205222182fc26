// Behaviour 62: the default domain comes from config, else /etc/mailname, else the host name;
// the host name from config, else the host name. Context is filled in by hand (no
// gather_context()), so the test does not depend on this machine's /etc/mailname.
#include "context/context.h"

#include <gtest/gtest.h>

#include <string>

namespace rm {
namespace {

struct NameCase {
  const char* name;
  std::string cfg_domain = {};
  std::string cfg_hostname = {};
  std::string mailname = {};  // Context::mailname (/etc/mailname)
  std::string host = {};      // Context::hostname (gethostname)
  std::string domain;         // expected effective_domain
  std::string hostname;       // expected effective_hostname
};

TEST(EffectiveNames, B62_DomainConfigThenMailnameThenHostname) {
  const NameCase kCases[] = {
      {.name = "config domain wins over mailname and host",
       .cfg_domain = "config.example",
       .mailname = "mailname.example",
       .host = "host.example",
       .domain = "config.example",
       .hostname = "host.example"},
      {.name = "config domain wins over host without mailname",
       .cfg_domain = "config.example",
       .host = "host.example",
       .domain = "config.example",
       .hostname = "host.example"},
      {.name = "no config domain: mailname",
       .mailname = "mailname.example",
       .host = "host.example",
       .domain = "mailname.example",
       .hostname = "host.example"},
      {.name = "no config domain, no mailname: host name",
       .host = "host.example",
       .domain = "host.example",
       .hostname = "host.example"},
      {.name = "config hostname wins over host",
       .cfg_hostname = "relay.config.example",
       .host = "host.example",
       .domain = "host.example",
       .hostname = "relay.config.example"},
      {.name = "config hostname does not become the domain",
       .cfg_hostname = "relay.config.example",
       .mailname = "mailname.example",
       .host = "host.example",
       .domain = "mailname.example",
       .hostname = "relay.config.example"},
      {.name = "both from config",
       .cfg_domain = "config.example",
       .cfg_hostname = "relay.config.example",
       .mailname = "mailname.example",
       .host = "host.example",
       .domain = "config.example",
       .hostname = "relay.config.example"},
      {.name = "mailname does not become the hostname",
       .mailname = "mailname.example",
       .host = "box",
       .domain = "mailname.example",
       .hostname = "box"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    Config cfg;
    cfg.domain = c.cfg_domain;
    cfg.hostname = c.cfg_hostname;
    Context ctx;
    ctx.mailname = c.mailname;
    ctx.hostname = c.host;
    EXPECT_EQ(effective_domain(cfg, ctx), c.domain);
    EXPECT_EQ(effective_hostname(cfg, ctx), c.hostname);
  }
}

}  // namespace
}  // namespace rm
