// context/setup.h — the two steps every relaymail command shares before it does anything: find and
// load the configuration (-C FILE, else RELAYMAIL_CONFIG, else the per-user file, else
// /etc/relaymail.conf) and point the Logger where the configuration says. Used by relaymail
// and by relaymaild's one-shot commands, so both read a configuration the same way.
// Errors: load_config_for() returns the loader's Errc::config / Errc::io; configure_logger()
// warns through the Logger when the log file cannot be opened and goes on. Not thread-safe.
#pragma once

#include <string>

#include "config/config.h"
#include "context/context.h"
#include "core/result.h"
#include "log/logger.h"

namespace rm {

Result<Config> load_config_for(const std::string& explicit_path, const Context& ctx);
void configure_logger(Logger& log, const Config& cfg);

}  // namespace rm
