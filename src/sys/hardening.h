// sys/hardening.h — process settings for the code that holds a smarthost password (RELIABILITY
// §3, DESIGN.md §8: secrets never in core dumps). keep_secrets_out_of_dumps() sets RLIMIT_CORE to
// 0 and PR_SET_DUMPABLE to 0, which also keeps other processes of the same uid from ptrace-ing
// us or reading /proc/<pid>/{mem,environ}. Call it before the first secret is fetched.
// Errors: Errc::io with errno when either call fails (the caller logs and goes on: delivery
// matters more than the hardening). Process-wide; not thread-safe.
#pragma once

#include "core/result.h"

namespace rm {

Status keep_secrets_out_of_dumps();

}  // namespace rm
