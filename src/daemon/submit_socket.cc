#include "daemon/submit_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rm {
namespace {

constexpr int kBacklog = 128;

Result<sockaddr_un> address_of(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.empty() || path[0] != '/' || path.size() >= sizeof sa.sun_path) {
    return sys_error(Errc::io, ENAMETOOLONG, "socket %s: not an absolute path of at most %zu bytes",
                     path.c_str(), sizeof sa.sun_path - 1);
  }
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  return sa;
}

// Whether some process accepts connections on the socket file at `sa`.
bool answered(const sockaddr_un& sa) {
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return probe.valid() &&
         ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0;
}

// Clears `path` for bind(): only a socket file nobody answers on is removed.
Status clear_stale(const std::string& path, const sockaddr_un& sa) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? Status{} : sys_error(Errc::io, errno, "socket %s", path.c_str());
  }
  if (!S_ISSOCK(st.st_mode)) {
    return sys_error(Errc::io, EEXIST, "socket %s: something else is there; not removed",
                     path.c_str());
  }
  if (answered(sa)) {
    return sys_error(Errc::io, EADDRINUSE, "socket %s: another daemon answers there", path.c_str());
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return sys_error(Errc::io, errno, "remove stale socket %s", path.c_str());
  }
  return {};
}

}  // namespace

Result<UniqueFd> listen_at(const std::string& path) {
  auto sa = address_of(path);
  if (!sa) {
    return std::move(sa).error();
  }
  if (auto r = clear_stale(path, *sa); !r) {
    return std::move(r).error();
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return sys_error(Errc::io, errno, "socket %s", path.c_str());
  }
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*sa), sizeof *sa) != 0) {
    return sys_error(Errc::io, errno, "bind %s", path.c_str());
  }
  // Every local user may submit; who they are comes from SO_PEERCRED, not from this mode.
  if (::chmod(path.c_str(), 0666) != 0) {
    return sys_error(Errc::io, errno, "chmod %s", path.c_str());
  }
  if (::listen(fd.get(), kBacklog) != 0) {
    return sys_error(Errc::io, errno, "listen %s", path.c_str());
  }
  return fd;
}

}  // namespace rm
