// queue/mail_file.h — the one-file entry, queue/<id>.mail: the envelope as it was accepted,
// then the message, written once by a commit and never rewritten (the format, byte by byte:
// queue/FORMAT.md).
// Contract: mail_head() is the file's first line and envelope text for a body offset;
// mail_body_offset() the offset a head of that size fits before (kMailBodyOffset, where a draft
// writes the message, when it fits). parse_mail_line() trusts nothing: a .mail is hostile input
// like a .env (Errc::spool_corrupt). read_mail_head() reads the head of an open .mail with
// pread (the fd's offset is not used or moved).
// Threads: pure functions, and I/O on the caller's fd only. Not here: where the file lives and
// how it is committed (queue/fs_queue_store.h), the delivery state (a separate .env).
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
