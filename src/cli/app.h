// cli/app.h — the relaymail binary's entry: picks the personality from argv[0] (sendmail,
// send-mail, mailq, newaliases, hoststat, purgestat, or relaymail with its subcommands), loads
// the config, and maps every outcome to a sysexits code. Errors are reported here, once, as one
// stderr line prefixed with the program name (and to syslog/log file per config).
#pragma once

namespace rm::cli {

int run(int argc, char** argv);

}  // namespace rm::cli
