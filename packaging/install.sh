#!/bin/sh
# packaging/install.sh [BUILD_DIR] — `make install`, and the install step of the Debian and RPM
# packages: the two programs, the sendmail-compatible links (SENDMAIL.md behaviour 72), the
# commented config, the systemd units of daemon mode, its user (sysusers.d) and spool
# (tmpfiles.d), the man pages, the README and the example configs.
# Honours, from the environment:
#   DESTDIR      a staging root (default: none, the running system)
#   PREFIX       default /usr
#   SYSCONFDIR   default /etc; relaymail.conf is installed only where none is yet
#   UNITDIR      system units; default: systemd's own (pkg-config), else PREFIX/lib/systemd/system
#   USERUNITDIR  user units; default PREFIX/lib/systemd/user
#   MANDIR       default PREFIX/share/man;  DOCDIR  default PREFIX/share/doc/relaymail
#   STRIP        the program that strips the binaries (default strip); empty: leave them as
#                built (package builds strip and keep the debug symbols themselves)
# Installing into the running system (no DESTDIR, as root) also creates the user and the spool
# and starts relaymail.socket when systemd runs. No file is installed setuid or setgid, ever.
set -eu
build=${1:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
dest=${DESTDIR:-}
prefix=${PREFIX:-/usr}
sysconfdir=${SYSCONFDIR:-/etc}
if [ -z "${UNITDIR:-}" ]; then
  UNITDIR=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || true)
  UNITDIR=${UNITDIR:-$prefix/lib/systemd/system}
fi
userunitdir=${USERUNITDIR:-$prefix/lib/systemd/user}
mandir=${MANDIR:-$prefix/share/man}
docdir=${DOCDIR:-$prefix/share/doc/relaymail}
strip=${STRIP-strip}

for bin in relaymail relaymaild; do
  if [ ! -x "$build/bin/$bin" ]; then
    echo "install.sh: $build/bin/$bin is missing: build first (make)" >&2
    exit 1
  fi
done

install -d "$dest$prefix/bin" "$dest$prefix/sbin" "$dest$prefix/lib" "$dest$sysconfdir"
install -m 0755 "$build/bin/relaymail" "$dest$prefix/bin/relaymail"
install -m 0755 "$build/bin/relaymaild" "$dest$prefix/sbin/relaymaild"
if [ -n "$strip" ]; then
  "$strip" --strip-unneeded "$dest$prefix/bin/relaymail" "$dest$prefix/sbin/relaymaild"
fi
ln -sf ../bin/relaymail "$dest$prefix/sbin/sendmail"
ln -sf ../bin/relaymail "$dest$prefix/lib/sendmail"
ln -sf relaymail "$dest$prefix/bin/mailq"
ln -sf relaymail "$dest$prefix/bin/newaliases"

if [ ! -e "$dest$sysconfdir/relaymail.conf" ]; then
  install -m 0644 "$src/etc/relaymail.conf" "$dest$sysconfdir/relaymail.conf"
fi

install -d "$dest$UNITDIR" "$dest$userunitdir" "$dest$prefix/lib/sysusers.d" \
  "$dest$prefix/lib/tmpfiles.d"
install -m 0644 "$src/etc/systemd/relaymail.socket" "$src/etc/systemd/relaymail.service" \
  "$dest$UNITDIR/"
install -m 0644 "$src/etc/systemd/user/"* "$dest$userunitdir/"
install -m 0644 "$src/packaging/relaymail.sysusers" "$dest$prefix/lib/sysusers.d/relaymail.conf"
install -m 0644 "$src/packaging/relaymail.tmpfiles" "$dest$prefix/lib/tmpfiles.d/relaymail.conf"

for page in "$src"/man/*.[1-8]; do
  [ -e "$page" ] || continue
  section=${page##*.}
  install -d "$dest$mandir/man$section"
  install -m 0644 "$page" "$dest$mandir/man$section/"
done
# mailq and newaliases are described in sendmail(8).
if [ -e "$dest$mandir/man8/sendmail.8" ]; then
  install -d "$dest$mandir/man1"
  ln -sf ../man8/sendmail.8 "$dest$mandir/man1/mailq.1"
  ln -sf sendmail.8 "$dest$mandir/man8/newaliases.8"
fi
install -d "$dest$docdir/examples"
install -m 0644 "$src/README.md" "$dest$docdir/"
install -m 0644 "$src"/etc/examples/*.conf "$dest$docdir/examples/"

if [ -z "$dest" ] && [ "$(id -u)" = 0 ]; then
  if command -v systemd-sysusers >/dev/null; then
    systemd-sysusers relaymail.conf
  elif ! getent passwd relaymail >/dev/null; then
    useradd --system --home-dir /var/spool/relaymail --shell /usr/sbin/nologin relaymail
  fi
  if command -v systemd-tmpfiles >/dev/null; then
    systemd-tmpfiles --create relaymail.conf
  else
    install -d -m 0700 -o relaymail -g relaymail /var/spool/relaymail
  fi
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload && systemctl enable --now relaymail.socket
  fi
fi
