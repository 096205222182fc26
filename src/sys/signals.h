// sys/signals.h — process signal dispositions. ignore_sigpipe() makes a write to a closed pipe
// or socket an EPIPE error instead of killing us (call it first thing in main).
// restore_default_signals() undoes what a caller may have left us — SIGCHLD or SIGTERM ignored,
// signals blocked — in a detached child before it runs for long. Both act on the whole process;
// call them from the main thread before any other thread exists.
// Not here: signal handlers for the daemon (daemon/).
#pragma once

#include "core/result.h"

namespace rm {

// sigaction(SIGPIPE, SIG_IGN) cannot fail for a valid signal, hence no Status.
void ignore_sigpipe();

// Every catchable signal back to SIG_DFL and an empty signal mask. Errc::io when the mask cannot
// be set. Leaves SIGPIPE at SIG_DFL too: call ignore_sigpipe() again if wanted.
Status restore_default_signals();

}  // namespace rm
