// daemon/submit_socket.h — the daemon's end of the submission socket (DESIGN.md §2): a Unix
// stream socket at a path, connectable by every local user (mode 0666), and who is calling on
// each connection as the kernel says (SO_PEERCRED), never as the client says.
// Contract: listen_at() replaces a stale socket file left by a killed daemon (a socket nobody
// answers on) and never removes anything else at that path: another daemon answering, or a
// file that is not a socket, is an error naming the path.
// Errors: Errc::io with the errno (EADDRINUSE: another daemon answers). Never logs.
// Threads: no shared state. Not here: the SMTP dialogue (submit/smtp_stdio.h), policy.
#pragma once

#include <sys/types.h>

#include <string>

#include "core/result.h"
#include "sys/unique_fd.h"

namespace rm {

// A listening socket at `path` (absolute, at most 107 bytes), mode 0666.
Result<UniqueFd> listen_at(const std::string& path);

struct PeerCred {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

// The credentials of the process at the other end, as they were at connect(2).
Result<PeerCred> peer_cred(int fd);

}  // namespace rm
