#include "sys/peer_cred.h"

#include <sys/socket.h>

#include <cerrno>

namespace rm {

Result<PeerCred> peer_cred(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) {
    return sys_error(Errc::io, errno, "SO_PEERCRED");
  }
  return PeerCred{cred.pid, cred.uid, cred.gid};
}

Result<std::vector<gid_t>> peer_groups(int fd) {
  std::vector<gid_t> groups(64);
  for (int tries = 0; tries < 4; ++tries) {
    auto len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) == 0) {
      groups.resize(len / sizeof(gid_t));
      return groups;
    }
    if (errno != ERANGE) {
      return sys_error(Errc::io, errno, "SO_PEERGROUPS");
    }
    groups.resize(len / sizeof(gid_t) + 1);  // the kernel said how many there are
  }
  return sys_error(Errc::io, ERANGE, "SO_PEERGROUPS");
}

}  // namespace rm
