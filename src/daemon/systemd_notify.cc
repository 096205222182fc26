#include "daemon/systemd_notify.h"

#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include <string>
#include <vector>

namespace rm::systemd {
namespace {

// The state's first assignment names it in an error ("READY=1"); the rest may be long.
Status send(const std::string& state) {
  const int r = ::sd_notify(0, state.c_str());
  if (r < 0) {
    const std::string name = state.substr(0, state.find('\n'));
    return sys_error(Errc::io, -r, "notify systemd %s", name.c_str());
  }
  return {};
}

std::string one_line(std::string_view text) {
  std::string s(text);
  for (char& c : s) {
    if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  return s;
}

unsigned long long monotonic_usec() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<unsigned long long>(ts.tv_sec) * 1000000ULL +
         static_cast<unsigned long long>(ts.tv_nsec) / 1000ULL;
}

}  // namespace

Result<std::optional<UniqueFd>> passed_socket() {
  const int n = ::sd_listen_fds(1);
  if (n < 0) {
    return sys_error(Errc::io, -n, "sockets passed by systemd (LISTEN_FDS)");
  }
  std::vector<UniqueFd> fds;  // each closed unless it is the one handed back
  fds.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    fds.emplace_back(SD_LISTEN_FDS_START + i);
  }
  if (n == 0) {
    return std::optional<UniqueFd>{};
  }
  if (n > 1) {
    return make_error(Errc::io, "systemd passed %d sockets; relaymaild takes exactly one", n);
  }
  const int r = ::sd_is_socket_unix(fds[0].get(), SOCK_STREAM, 1, nullptr, 0);
  if (r < 0) {
    return sys_error(Errc::io, -r, "socket passed by systemd (fd %d)", fds[0].get());
  }
  if (r == 0) {
    return make_error(Errc::io,
                      "socket passed by systemd (fd %d): not a listening Unix stream socket "
                      "(relaymail.socket needs ListenStream=/path)",
                      fds[0].get());
  }
  return std::optional<UniqueFd>(std::move(fds[0]));
}

Status ready(std::string_view status) {
  return send("READY=1\nSTATUS=" + one_line(status));
}

Status reloading() {
  return send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec()) +
              "\nSTATUS=reloading the configuration");
}

Status stopping() {
  return send("STOPPING=1\nSTATUS=stopping");
}

}  // namespace rm::systemd
