// sys/std_fds.h — ensure_std_fds(): cron, atd and daemons may start us with fd 0, 1 or 2
// closed; the next open() would then become "stderr" and an error line would land in a spool
// file. Opening /dev/null on each closed one makes that impossible. Call it first in main, before
// anything opens a file. Errors: Errc::io when /dev/null cannot be opened. Process-wide; call
// from the main thread before other threads exist.
#pragma once

#include "core/result.h"

namespace rm {

Status ensure_std_fds();

}  // namespace rm
