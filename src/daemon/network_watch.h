// daemon/network_watch.h — tells the daemon when the host may have regained its network: a new
// address or route, as the kernel announces it on a NETLINK_ROUTE socket (RTM_NEWADDR,
// RTM_NEWROUTE, IPv4 and IPv6). A laptop coming back online, a VPN or Wi-Fi joining.
// Contract: wait() returns true once per batch of such announcements read (several changes at
// once are one wake-up), false once stop() was called. Spurious wake-ups are harmless to the
// caller by design (it only probes).
// Errors: open(): Errc::io with the errno (e.g. no AF_NETLINK under a sandbox). wait(): a failed
// read is a wake-up (the caller probes; nothing is lost). Never logs.
// Threads: wait() on one thread; stop() from any.
// Not here: what to do about it (daemon/network_waiters.h, daemon/serve.cc).
#pragma once

#include "core/result.h"
#include "sys/unique_fd.h"

namespace rm {

class NetworkWatch {
 public:
  static Result<NetworkWatch> open();
  bool wait();
  void stop();

 private:
  NetworkWatch(UniqueFd sock, UniqueFd wake_read, UniqueFd wake_write);
  UniqueFd sock_;
  UniqueFd wake_read_;
  UniqueFd wake_write_;
};

}  // namespace rm
