#!/usr/bin/env bash
# make demo — the main job end to end, on loopback, with nothing done by hand:
# a throwaway CA and the project's own test smarthost (STARTTLS + AUTH), a message piped into
# `sendmail -t -i`, the smarthost stopped so the message waits in the queue (mailq shows it),
# the smarthost started again, `relaymail flush`, and what the smarthost received. Then daemon
# mode: `relaymaild serve` on a socket of its own, `sendmail` handing it a message that reaches
# the smarthost at once, a message kept while the smarthost is down, `mailq` and `relaymail
# flush` answered by the daemon, and SIGTERM.
set -euo pipefail
build=${1:-build}
bin=$(cd "$build/bin" && pwd)
work=$(mktemp -d /tmp/relaymail-demo-XXXXXX)
smtpd_pid=""
daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  [ -n "$smtpd_pid" ] && kill "$smtpd_pid" 2>/dev/null && wait "$smtpd_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

mkdir -p "$work/bin" "$work/maildir" "$work/pki"
for n in sendmail mailq relaymail; do ln -s "$bin/relaymail" "$work/bin/$n"; done
umask 077
printf 'demo-password\n' > "$work/smtpd.pass"
printf 'demo-password\n' > "$work/account.pass"

start_smtpd() {  # $1: port (0 = any)
  rm -f "$work/port"
  "$bin/fake_smtpd" --tls starttls --pki "$work/pki" --user demo --pass-file "$work/smtpd.pass" \
    --maildir "$work/maildir" --port-file "$work/port" --port "$1" >/dev/null &
  smtpd_pid=$!
  for _ in $(seq 1 200); do [ -s "$work/port" ] && break; sleep 0.05; done
  [ -s "$work/port" ] || { echo "demo: fake_smtpd did not start" >&2; exit 1; }
}
stop_smtpd() { kill "$smtpd_pid"; wait "$smtpd_pid" 2>/dev/null || true; smtpd_pid=""; }

step "start the test smarthost (STARTTLS + AUTH PLAIN/LOGIN, certificate from a throwaway CA)"
start_smtpd 0
port=$(cat "$work/port")
echo "listening on 127.0.0.1:$port; CA at $work/pki/ca.pem"

cat > "$work/relaymail.conf" <<CONF
delivery = "queue";
spool    = "$work/spool";
domain   = "example.com";
hostname = "demo.example.com";
log      = { syslog = false; };
accounts = ( {
  name = "demo"; host = "localhost"; port = $port; tls = "starttls";
  tls_ca_file = "$work/pki/ca.pem";
  auth = "auto"; user = "demo"; password = { file = "$work/account.pass"; };
  timeout = "10s";
} );
CONF
export RELAYMAIL_CONFIG="$work/relaymail.conf"
echo "config:"; sed 's/^/  /' "$work/relaymail.conf"

step "stop the smarthost: the network is down"
stop_smtpd

step "a PHP-style caller pipes a message into sendmail -t -i (mixed LF/CRLF, a Bcc header)"
printf 'To: bob@example.org\r\nBcc: audit@example.org\r\nSubject: relaymail demo\r\n\r\nHello from relaymail.\nThis line ended in LF only.\n' \
  | "$work/bin/sendmail" -t -i
echo "sendmail exit status: $? (0 = safe on disk)"

step "a delivery attempt while the smarthost is down: deferred, nothing lost"
"$work/bin/relaymail" flush || true

step "mailq"
"$work/bin/mailq"

step "start the smarthost again and flush"
start_smtpd "$port"
"$work/bin/relaymail" flush

step "mailq"
"$work/bin/mailq"

step "what the smarthost received"
for f in "$work"/maildir/*.env; do echo "-- envelope ($f)"; cat "$f"; done
for f in "$work"/maildir/*.eml; do echo "-- message bytes (CRLF shown as \\r)"; sed 's/\r$/\\r/' "$f"; done

step "daemon mode: relaymaild serve holds the spool and the password; sendmail only talks to it"
mkdir -m 0755 "$work/run"
sed -e 's/^delivery = "queue";/delivery = "daemon";/' -e "s|^spool    = .*|spool    = \"$work/daemon-spool\";|" \
  "$work/relaymail.conf" > "$work/relaymaild.conf"
# Started as root it would become daemon.user ("relaymail" when installed); the demo stays itself.
printf 'daemon = { socket = "%s"; user = "%s"; };\n' "$work/run/submit.sock" "$(id -un)" \
  >> "$work/relaymaild.conf"
# What every user reads: the mode and the socket; no account, no password.
cat > "$work/client.conf" <<CONF
delivery = "daemon";
domain   = "example.com";
log      = { syslog = false; };
daemon   = { socket = "$work/run/submit.sock"; };
CONF
echo "client config:"; sed 's/^/  /' "$work/client.conf"
"$bin/relaymaild" serve -C "$work/relaymaild.conf" 2> "$work/relaymaild.log" &
daemon_pid=$!
for _ in $(seq 1 200); do grep -q 'serving on' "$work/relaymaild.log" && break; sleep 0.05; done
grep -q 'serving on' "$work/relaymaild.log" || { echo "demo: relaymaild serve did not start" >&2; cat "$work/relaymaild.log"; exit 1; }
export RELAYMAIL_CONFIG="$work/client.conf"
before=$(ls "$work"/maildir/*.eml | wc -l)

step "sendmail -t -i through the daemon: delivered at once, no queue run needed"
printf 'To: carol@example.org\nSubject: relaymail demo, daemon mode\n\nHanded to relaymaild over its socket.\n' \
  | "$work/bin/sendmail" -t -i
echo "sendmail exit status: $? (0 = committed by the daemon)"
for _ in $(seq 1 200); do [ "$(ls "$work"/maildir/*.eml | wc -l)" -gt "$before" ] && break; sleep 0.05; done
echo "the smarthost now holds $(ls "$work"/maildir/*.eml | wc -l) messages (was $before)"

step "the smarthost goes down; a message sent now waits in the daemon's queue"
stop_smtpd
printf 'To: dave@example.org\nSubject: written offline\n\nKept by the daemon.\n' | "$work/bin/sendmail" -t -i
for _ in $(seq 1 200); do grep -q 'status=deferred' "$work/relaymaild.log" && break; sleep 0.05; done
"$work/bin/mailq"

step "the smarthost is back; relaymail flush asks the daemon to run its queue now (XFLUSH)"
start_smtpd "$port"
"$work/bin/relaymail" flush

step "SIGTERM: the daemon stops accepting, finishes what is in flight, exits 0"
kill -TERM "$daemon_pid"
wait "$daemon_pid" && echo "relaymaild exit status: 0"
daemon_pid=""
echo "-- relaymaild's log"
sed 's/^/  /' "$work/relaymaild.log"
