// mail/message_builder.h — submission-time message processing (DESIGN.md §5, SENDMAIL.md §4):
// reads the caller's bytes, writes the message exactly as it will be sent. Streaming: the header
// block is held in memory (bounded by kMaxHeaderBytes), the body passes line by line in pieces,
// so no more than one piece of a line is ever held, however long the line.
// Rules: any mix of LF/CRLF → CRLF (a CR right before LF is part of the line end, never CRCRLF);
// any other CR → space; NUL removed (counted); a first line "From " / ">From " (mbox) dropped;
// without ignore_dots a line "." or ".\r" ends the input (the rest is drained, no
// dot-unstuffing); Bcc, Resent-Bcc, Return-Path, Content-Length removed (with continuation
// lines); bare names in From/Sender/Reply-To/To/Cc (and their Resent- forms) qualified with
// `domain` unless rewrite_headers is false; Date, Message-ID, From added after the existing
// fields when missing; a Received: line naming the uid prepended; lines over 998 octets folded
// (mail/message_writer.h says how); headers-only input gets its blank line; input whose first
// line is not a header field is all body, and a later line that is neither a field nor a
// continuation ends the header block (a blank line is inserted before it, as Postfix does).
// The source is always read to its end, whatever happens (callers die of SIGPIPE otherwise),
// except when reading it fails.
// Errors: Errc::io from the source or sink; Errc::parse for an over-long header block, an
// unparsable recipient header with extract_recipients, or more than kMaxHeaderRcpts header
// recipients. Never logs. Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_io.h"
#include "core/result.h"

namespace rm {

constexpr size_t kMaxHeaderBytes = 1 << 20;
// A cap on -t recipients (RELIABILITY.md §6 item 27): a message naming more is refused.
constexpr size_t kMaxHeaderRcpts = 1000;

struct SubmitOptions {
  bool extract_recipients = false;  // -t: collect To/Cc/Bcc (or only Resent-* when present)
  bool ignore_dots = false;         // -i / -oi
  bool rewrite_headers = true;      // false with -G
  std::string envelope_sender;      // qualified; "" = null sender
  std::string full_name;            // -F, else GECOS; used only when From: is generated
  std::string domain;               // qualifies bare names in From/Sender/Reply-To/To/Cc
  std::string hostname;             // Message-ID right-hand side, Received: by
  uint32_t uid = 0;                 // named in the Received: line
  int64_t now = 0;                  // wall seconds for Date: and Received:
  std::string unique;               // left-hand side of a generated Message-ID (the queue id)
  uint64_t max_size = 0;            // 0 = no limit; beyond it the rest is drained, too_big set
  bool add_to_header = false;       // add "To: undisclosed-recipients:;" when there is no To/Cc
  // from_rewrite = "always": the From: address forced to this one ("Full Name <force_from>");
  // the original From: moves to Reply-To: unless the message has one. "" = keep From: as is.
  std::string force_from;
  // Zone of Date:/Received:, seconds east of UTC; unset = the local zone (TZ). Tests set it.
  std::optional<int32_t> utc_offset;
};

struct SubmitResult {
  std::vector<std::string> header_rcpts;  // with -t: addr-specs from the headers, as written
  uint64_t size = 0;                      // bytes written to the sink
  bool eightbit = false;                  // any byte >= 0x80
  uint64_t nul_removed = 0;
  bool too_big = false;
  bool had_from = false;
};

Result<SubmitResult> build_message(ByteSource& in, ByteSink& out, const SubmitOptions& opts);

}  // namespace rm
