// mail/message_writer.h — the output side of submission: buffers writes to a ByteSink, enforces
// a size limit (past it nothing more is written and too_big() is set; the caller keeps reading
// its input to the end), notes 8-bit bytes, and keeps every output line within 998 octets
// (RFC 5322 §2.1.1) as SENDMAIL.md behaviour 42 asks:
//   - header lines fold before the last SP/HT that fits (a plain RFC 5322 fold, no content
//     change); a header line with no such blank is cut at 998 octets with CRLF SP inserted;
//   - body lines are cut at 998 octets with CRLF SP inserted (Postfix's smtp_line_length_limit
//     behaviour: the text gains one space per cut, nothing is lost or rejected).
// The caller supplies line text without line ends and with CR already replaced.
// Errors: the sink's, sticky — after the first failure nothing more is written. Never logs.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/byte_io.h"
#include "core/result.h"

namespace rm {

constexpr size_t kMaxLineOctets = 998;

class MessageWriter {
 public:
  // max_size 0 = no limit.
  MessageWriter(ByteSink& out, uint64_t max_size);

  // One complete header line (a field's first line or one continuation line).
  void header_line(std::string_view line);
  // Part of a body line; several calls may make up one line.
  void body_text(std::string_view text);
  // Ends the current body line.
  void end_body_line();
  // Writes what is buffered. Call once at the end; returns the first sink error, if any.
  Status finish();

  uint64_t size() const { return size_; }
  bool too_big() const { return too_big_; }
  bool eightbit() const { return eightbit_; }
  bool failed() const { return !status_.has_value(); }

 private:
  void put(std::string_view bytes);
  void flush();

  ByteSink& out_;
  uint64_t max_size_;
  std::string buf_;
  uint64_t size_ = 0;
  size_t col_ = 0;  // octets already written on the current body line
  bool too_big_ = false;
  bool eightbit_ = false;
  Status status_;
};

}  // namespace rm
