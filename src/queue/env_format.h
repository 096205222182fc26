// queue/env_format.h — the .env text: one spool entry's envelope and delivery state (the
// format, byte by byte: queue/FORMAT.md). serialise_env() writes it; parse_env() reads it back
// and trusts nothing: every .env may be truncated, bit-flipped, from a future version or
// written by someone hostile. The same text is the envelope at the head of a .mail
// (queue/mail_file.h).
// Errors: parse_env() returns Errc::spool_corrupt for anything but a well-formed file;
// serialise_env() returns Errc::parse for an entry that cannot be stored exactly (bad id, an
// address with a space or control character, ...). Free text (last-error, replies) is not an
// error: it is sanitised so it can never leave its line.
// Threads: pure functions, no I/O; thread-safe. Not here: where files live
// (queue/fs_queue_store.h).
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
