// sys/peer_cred.h — who is at the other end of a connected Unix socket, as the kernel recorded
// it at connect(2) (SO_PEERCRED, SO_PEERGROUPS), never as that process says.
// Errors: Errc::io with the errno. Never logs. Threads: no shared state.
// Not here: what an identity may do (the daemon's policy, the client's daemon check).
#pragma once

#include <sys/types.h>

#include <vector>

#include "core/result.h"

namespace rm {

struct PeerCred {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

Result<PeerCred> peer_cred(int fd);

// The peer's supplementary groups at connect(2).
Result<std::vector<gid_t>> peer_groups(int fd);

}  // namespace rm
