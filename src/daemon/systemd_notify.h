// daemon/systemd_notify.h — the daemon's side of systemd, through libsystemd only (no protocol
// code of ours): the submission socket relaymail.socket passes (sd_listen_fds(3)), and the
// state changes a Type=notify or notify-reload service reports (sd_notify(3)).
// Contract: passed_socket() takes LISTEN_FDS once (the variables are then unset, so children
// never see them) and accepts exactly one fd, a listening AF_UNIX stream socket. The
// notifications are no-ops returning success when NOTIFY_SOCKET is unset (not under systemd);
// reloading() carries MONOTONIC_USEC (CLOCK_MONOTONIC), which notify-reload (systemd 253) needs.
// Errors: Errc::io, one line naming what was wrong; never logs (serve decides).
// Threads: call from one thread (the environment is read and, once, changed).
// Not here: the unit files (etc/systemd/), credentials ($CREDENTIALS_DIRECTORY, secrets/).
#pragma once

#include <optional>
#include <string_view>

#include "core/result.h"
#include "sys/unique_fd.h"

namespace rm::systemd {

// The listening socket systemd passed, or nullopt when the daemon was not socket-activated.
Result<std::optional<UniqueFd>> passed_socket();

// READY=1 with STATUS=`status` (newlines become spaces): at start and after each reload,
// accepted or refused.
Status ready(std::string_view status);
// RELOADING=1 and MONOTONIC_USEC: a reload has begun; ready() ends it.
Status reloading();
// STOPPING=1: a stop signal arrived; the daemon is finishing what is in flight.
Status stopping();

}  // namespace rm::systemd
