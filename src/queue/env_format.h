// queue/env_format.h — the .env file: one spool entry's envelope and delivery state as text
// (DESIGN.md §6). serialise_env() writes it; parse_env() reads it back and trusts nothing: every
// .env may be truncated, bit-flipped, from a future version or written by someone hostile.
// Errors: parse_env() returns Errc::spool_corrupt for anything but a well-formed file;
// serialise_env() returns Errc::parse for an entry that cannot be stored exactly (bad id, an
// address with a space or control character, ...). Free text (last-error, replies) is not an
// error: it is sanitised. Pure functions, no I/O; thread-safe. Not here: where files live
// (queue/fs_queue_store.h).
//
// Format, version 2. LF-terminated lines; no CR, NUL or other control byte anywhere:
//
//   relaymail-env 2                       magic and version: always the first line
//   id: 0006010A1B2C3DA1B2C3              core/ids.h form, must match the file name
//   uid: 1000                             submitter uid
//   created: 1700000000                   wall seconds
//   sender: <alice@example.org>           "<>" is the null sender
//   account: gmail                        "" = pick at delivery
//   attempts: 2
//   next-try: 1700003600                  wall seconds; 0 = now
//   last-error: connect: Connection refused
//   size: 1234                            bytes of the .msg
//   eightbit: 0                           0 | 1
//   dsn-notify: FAILURE,DELAY             RFC 3461 parameters as given; empty = not given
//   dsn-ret: HDRS
//   dsn-envid: abc123
//   body-type: 8BITMIME                   "" | 7BIT | 8BITMIME
//   boot-id: 0f2c...(36 characters)       the boot the next two count in; "" = unknown
//   created-boot: -3600                   CLOCK_BOOTTIME seconds of that boot; may be negative
//   next-try-boot: 5400                   CLOCK_BOOTTIME seconds of that boot; 0 = now
//   warned: 1700014400                    wall seconds the delay warning was queued; optional
//   rcpt: pending <bob@example.org>       one line per recipient, in order:
//   rcpt: deferred <carol@example.net> 451 4.7.1 try later    state, <address>, last reply
//   end: 8c3a5e0f1b2d4c6e                 FNV-1a 64 of every byte before this line, 16 hex
//
// The boot times are what retry timing trusts while the machine has not rebooted, whatever
// the wall clock does (relay/retry_policy.h). created-boot is negative for an entry accepted in
// an earlier boot: the runner rebases both times to its own boot when it rewrites the entry.
// boot-id is empty or a kernel boot id (core/clock.h is_valid_boot_id). Version 1 is version 2
// without the three boot keys; it is still read (boot-id "": the wall times alone count) and
// never written, and in it the boot keys are unknown keys.
//
// A line is "key: value", or "key:" when the value is empty; the value runs to the end of the
// line, spaces included. Every key of the file's version but rcpt and warned appears exactly
// once, in any order (serialise_env writes the order above); rcpt appears zero or more times;
// warned (version 2) at most once: written only when not 0, absent meaning 0 (never warned).
// Unknown keys are corrupt, so are versions other than 1 and 2: a newer format must be read by
// a newer relaymail, not guessed at.
// Numbers are plain decimal (no sign, no leading zeros) within their field's range; only
// created-boot may also be '-' and a non-zero number (down to INT64_MIN).
// Addresses are 1 to kMaxEnvAddrLen bytes, each printable ASCII other than space, '<' and '>',
// or a byte >= 0x80 (SMTPUTF8); the sender may be empty. All other values are printable ASCII
// (0x20..0x7e). Why a reply can never forge a field: serialise_env() maps CR, LF and TAB in
// last-error and replies to spaces and every other byte outside 0x20..0x7e to '?', and cuts them
// at kMaxReplyText bytes, so they stay inside their own line; parse_env() rejects any control
// byte, so a file that tried anyway is corrupt, not reinterpreted. A reply text that reads
// "rcpt: ..." is just text in the middle of a line. The end line makes truncation and bit flips
// detectable (FNV-1a: any change of one byte always changes the sum).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "queue/queue_entry.h"

namespace rm {

inline constexpr std::string_view kEnvMagic = "relaymail-env";
inline constexpr int kEnvVersion = 2;        // what serialise_env() writes
inline constexpr int kEnvOldestVersion = 1;  // the oldest parse_env() reads
inline constexpr size_t kMaxEnvBytes = size_t{16} * 1024 * 1024;
inline constexpr size_t kMaxReplyText = 512;
inline constexpr size_t kMaxEnvAddrLen = 512;

Result<std::string> serialise_env(const QueueEntry& entry);
Result<QueueEntry> parse_env(std::string_view text);

// Printable ASCII only: CR, LF and TAB become spaces, other bytes outside 0x20..0x7e become '?';
// at most max_len bytes. What serialise_env() does to last_error and last_reply.
std::string sanitise_text(std::string_view text, size_t max_len = kMaxReplyText);

// The checksum of the end line.
uint64_t fnv1a64(std::string_view data);

}  // namespace rm
