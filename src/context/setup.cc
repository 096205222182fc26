#include "context/setup.h"

#include <cstdlib>

namespace rm {

Result<Config> load_config_for(const std::string& explicit_path, const Context& ctx) {
  std::string path = find_config_path(explicit_path, std::getenv("RELAYMAIL_CONFIG"), ctx.home);
  return load_config(path);
}

void configure_logger(Logger& log, const Config& cfg) {
  log.set_level(cfg.log.level);
  if (cfg.log.syslog) {
    log.enable_syslog();
  }
  if (!cfg.log.file.empty()) {
    if (auto r = log.open_file(cfg.log.file); !r) {
      log.warn("%s", r.error().what.c_str());
    }
  }
}

}  // namespace rm
