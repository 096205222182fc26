#!/bin/sh
# Installs the built binaries and the sendmail-compatible links (SENDMAIL.md behaviour 72), the
# systemd units of daemon mode, its user (sysusers.d) and spool (tmpfiles.d).
#   packaging/install.sh [BUILD_DIR]      honours DESTDIR and PREFIX (default /usr)
# Installing into the running system (no DESTDIR, as root) also creates the user and the spool
# and starts relaymail.socket when systemd runs. No binary is installed setuid or setgid, ever.
set -eu
build=${1:-build}
prefix=${PREFIX:-/usr}
dest=${DESTDIR:-}
install -d "$dest$prefix/bin" "$dest$prefix/sbin" "$dest$prefix/lib" "$dest/etc"
install -m 0755 "$build/bin/relaymail" "$dest$prefix/bin/relaymail"
install -m 0755 "$build/bin/relaymaild" "$dest$prefix/sbin/relaymaild"
ln -sf "$prefix/bin/relaymail" "$dest$prefix/sbin/sendmail"
ln -sf "$prefix/bin/relaymail" "$dest$prefix/lib/sendmail"
ln -sf "$prefix/bin/relaymail" "$dest$prefix/bin/mailq"
ln -sf "$prefix/bin/relaymail" "$dest$prefix/bin/newaliases"
src=$(dirname "$0")/..
[ -e "$dest/etc/relaymail.conf" ] || install -m 0644 "$src/etc/relaymail.conf" "$dest/etc/relaymail.conf"
units=$dest$prefix/lib/systemd
install -d "$units/system" "$units/user" "$dest$prefix/lib/sysusers.d" "$dest$prefix/lib/tmpfiles.d"
install -m 0644 "$src/etc/systemd/relaymail.socket" "$src/etc/systemd/relaymail.service" "$units/system/"
install -m 0644 "$src/etc/systemd/user/"* "$units/user/"
install -m 0644 "$src/packaging/relaymail.sysusers" "$dest$prefix/lib/sysusers.d/relaymail.conf"
install -m 0644 "$src/packaging/relaymail.tmpfiles" "$dest$prefix/lib/tmpfiles.d/relaymail.conf"
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
