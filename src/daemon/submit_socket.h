// daemon/submit_socket.h — the daemon's end of the submission socket (DESIGN.md §2): a Unix
// stream socket at a path, connectable by every local user (mode 0666); who is calling on each
// connection is the kernel's word (sys/peer_cred.h), never the client's.
// Contract: listen_at() replaces a stale socket file left by a killed daemon (a socket nobody
// answers on) and never removes anything else at that path: another daemon answering, or a
// file that is not a socket, is an error naming the path.
// Errors: Errc::io with the errno (EADDRINUSE: another daemon answers). Never logs.
// Threads: no shared state. Not here: the SMTP dialogue (submit/smtp_stdio.h), policy.
#pragma once

#include <sys/types.h>

#include <string>

#include "core/result.h"
#include "sys/peer_cred.h"
#include "sys/unique_fd.h"

namespace rm {

// A listening socket at `path` (absolute, at most 107 bytes), mode 0666.
Result<UniqueFd> listen_at(const std::string& path);

}  // namespace rm
