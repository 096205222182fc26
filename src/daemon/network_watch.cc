#include "daemon/network_watch.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "sys/fd_io.h"

namespace rm {
namespace {

// Whether a batch of netlink messages announces a new address or route.
bool announces_gain(const char* data, size_t len) {
  for (auto* h = reinterpret_cast<const nlmsghdr*>(data); NLMSG_OK(h, len);
       h = NLMSG_NEXT(h, len)) {
    if (h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_NEWROUTE) {
      return true;
    }
  }
  return false;
}

}  // namespace

NetworkWatch::NetworkWatch(UniqueFd sock, UniqueFd wake_read, UniqueFd wake_write)
    : sock_(std::move(sock)),
      wake_read_(std::move(wake_read)),
      wake_write_(std::move(wake_write)) {}

Result<NetworkWatch> NetworkWatch::open() {
  UniqueFd sock(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE));
  if (!sock.valid()) {
    return sys_error(Errc::io, errno, "netlink socket");
  }
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
  if (::bind(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return sys_error(Errc::io, errno, "netlink bind");
  }
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
    return sys_error(Errc::io, errno, "pipe");
  }
  return NetworkWatch(std::move(sock), UniqueFd(p[0]), UniqueFd(p[1]));
}

bool NetworkWatch::wait() {
  for (;;) {
    pollfd fds[2] = {{sock_.get(), POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    if (fds[1].revents != 0) {
      return false;
    }
    bool gained = false;
    bool failed = false;
    alignas(nlmsghdr) std::array<char, 16384> buf{};
    for (;;) {  // the whole batch: one wake-up for many changes
      const ssize_t n = ::recv(sock_.get(), buf.data(), buf.size(), 0);
      if (n < 0) {
        failed = errno != EAGAIN && errno != EINTR;  // ENOBUFS: announcements were lost
        break;
      }
      gained = gained || announces_gain(buf.data(), static_cast<size_t>(n));
    }
    if (gained || failed) {
      return true;
    }
  }
}

void NetworkWatch::stop() {
  (void)write_all(wake_write_.get(), "x");
}

}  // namespace rm
