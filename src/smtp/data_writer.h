// smtp/data_writer.h — the DATA body on the wire (RFC 5321 §4.5.2). DotStuffer is the pure
// transform: every line end becomes CRLF (a bare LF gets its CR; a stray CR that does not start
// a CRLF becomes a space — the SMTP-smuggling defence of RELIABILITY.md §3.6, so no bare CR or
// LF ever reaches the server), a '.' at the start of a line is doubled, and finish() makes sure
// the body ends with CRLF before the terminating ".\r\n". NUL and 8-bit octets pass unchanged:
// content policy belongs to submission. Without dot-stuffing (and with end_line() instead of
// finish()) it is the BDAT transform of smtp/chunk_reader.h.
// DataWriter streams a ByteSource through a DotStuffer to a Stream in large writes (16 KiB by
// default, one full TLS record; never line by line, DESIGN.md §8) and never holds the whole
// message. Its buffers may be the caller's (DataWriter::Buffers, kept per connection), so a run
// of small messages does not allocate and fault in fresh ones for each.
// Errors: the ByteSource's or the Stream's error, unchanged; the connection is then in the middle
// of DATA and must be closed (nothing else may be sent on it). Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_io.h"
#include "core/clock.h"
#include "core/result.h"
#include "net/stream.h"

namespace rm {

class DotStuffer {
 public:
  // stuff_dots = false: line ends only, for BDAT (RFC 3030 has no dot-stuffing and no end
  // marker); the smuggling defence still applies.
  explicit DotStuffer(bool stuff_dots = true) : stuff_dots_(stuff_dots) {}
  // Appends the transformed `in` to `out`; at most 2 output octets per input octet.
  void feed(std::string_view in, std::string& out);
  // Appends the pending CR (as a space), then a CRLF when the last line is open.
  void end_line(std::string& out);
  // end_line(), then ".\r\n".
  void finish(std::string& out);

 private:
  bool stuff_dots_;
  bool at_line_start_ = true;
  bool pending_cr_ = false;
};

class DataWriter {
 public:
  // Was 64 KiB: 160 KB of buffers here plus up to 100 KB of ciphertext waiting in SslStream
  // (heaptrack), for writes that TLS cuts into 16 KiB records anyway. One record per write
  // keeps both small: -0.2 MB peak RSS for `relaymail flush` of a 50 MB message (measured,
  // 8.24 -> 8.13 MB), the same delivery time.
  static constexpr size_t kDefaultBuffer = size_t{16} * 1024;

  // Working memory, reusable from one message to the next.
  struct Buffers {
    std::vector<char> in;
    std::string out;
  };

  // Each write gets its own deadline, `block_timeout` from when it starts (RFC 5321 §4.5.3.2.5,
  // "data block": 3 minutes).
  DataWriter(Stream& out, Millis block_timeout, size_t buffer_size = kDefaultBuffer);
  // The same, working in `reuse`, which must outlive the DataWriter.
  DataWriter(Stream& out, Millis block_timeout, Buffers& reuse,
             size_t buffer_size = kDefaultBuffer);
  // Streams `body` to the end and writes the terminating ".\r\n". Returns the octets written.
  Result<uint64_t> write(ByteSource& body);

 private:
  Status flush(std::string& buf);

  Stream& out_;
  Millis block_timeout_;
  size_t buffer_size_;
  Buffers own_;
  Buffers* buffers_;
  uint64_t written_ = 0;
};

}  // namespace rm
