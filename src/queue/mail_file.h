// queue/mail_file.h — the one-file entry, queue/<id>.mail (DESIGN.md §6): the envelope as it was
// accepted, then the message, written once by a commit and never rewritten.
// Contract: the file begins with one line, "relaymail-mail 1 <env-len> <body-offset>\n", then
// <env-len> bytes of the .env format (queue/env_format.h) with the entry as accepted; the
// message's bytes start at <body-offset> and run to the end of the file. Between the two, the
// bytes are not read (a hole). A draft writes the message at kMailBodyOffset before the envelope
// is known and the head goes in front of it at commit; an envelope too big for that gap moves
// the body to mail_body_offset(). parse_mail_line() trusts nothing: a .mail is hostile input
// like a .env (Errc::spool_corrupt). read_mail_head() reads the head of an open .mail with
// pread (the fd's offset is not used or moved).
// Threads: pure functions, and I/O on the caller's fd only. Not here: where the file lives
// and how it is committed (queue/fs_queue_store.h), the delivery state (a separate .env).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rm {

inline constexpr std::string_view kMailMagic = "relaymail-mail";
inline constexpr int kMailVersion = 1;
inline constexpr uint64_t kMailBodyOffset = 4096;
inline constexpr size_t kMaxMailLine = 64;  // the first line, its LF included

struct MailHead {
  size_t line_len = 0;  // the first line's bytes, LF included: the envelope starts there
  uint64_t env_len = 0;
  uint64_t body_offset = 0;
};

// The first line and the envelope text: what goes at offset 0.
std::string mail_head(std::string_view env_text, uint64_t body_offset);
// kMailBodyOffset when the head of an envelope of env_len bytes fits before it, else the first
// multiple of kMailBodyOffset it fits before.
uint64_t mail_body_offset(size_t env_len);
// The first line of `bytes` (the file's first bytes, at least the line): its numbers, checked
// against each other, kMaxEnvBytes and the file's size.
Result<MailHead> parse_mail_line(std::string_view bytes, uint64_t file_size);
// The envelope text of the .mail open at fd (file_size from its fstat), into env_text.
Result<MailHead> read_mail_head(int fd, uint64_t file_size, const std::string& name,
                                std::string& env_text);

}  // namespace rm
