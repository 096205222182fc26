// net/stream.h — the byte-stream seam every protocol layer talks through. Implementations:
// TcpStream (net/tcp_stream.h), TlsStream (tls/tls_stream.h, wraps another Stream) and
// PipeStream (tests). Every call takes a deadline on the monotonic clock; running past it is
// Errc::timeout. Errors are returned, never logged. Not thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "core/clock.h"
#include "core/result.h"

namespace rm {

class Stream {
 public:
  virtual ~Stream() = default;
  // Reads between 1 and buf.size() bytes; 0 means the peer closed the stream (EOF).
  virtual Result<size_t> read_some(std::span<char> buf, Deadline deadline) = 0;
  // Writes everything or fails; a peer that stops reading runs into the deadline.
  virtual Status write_all(std::span<const char> data, Deadline deadline) = 0;
  // Idempotent. After close() every call fails with Errc::io.
  virtual void close() = 0;
  // "192.0.2.7:587", or a description for non-network streams. For logs.
  virtual std::string peer() const = 0;
};

}  // namespace rm
