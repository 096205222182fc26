// smtp/chunk_reader.h — the message body cut into BDAT chunks (RFC 3030) for SmtpClient. The
// octets are read from a ByteSource and get the line-end transform of DATA without the dots
// (DotStuffer(false), smtp/data_writer.h: bare LF → CRLF, stray CR → space, an open last line
// closed with CRLF), so the smarthost receives the same message whether it came by DATA or
// BDAT, and no bare CR or LF reaches it either way (RELIABILITY.md §3.6).
// A chunk holds at least chunk_size octets unless it is the last one, and at most
// 2 × chunk_size + 2 (the transform may double octets). The end of the source is seen only by
// reading it: a source that ends exactly on a chunk boundary gives an empty last chunk
// ("BDAT 0 LAST", legal by RFC 3030 §3). Memory stays at about three times chunk_size,
// whatever the message size. Not a wire writer: the driver frames and sends each chunk.
// Errors: the ByteSource's, unchanged; Errc::protocol when asked for more after the last chunk.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_io.h"
#include "core/result.h"
#include "smtp/data_writer.h"

namespace rm {

class ChunkReader {
 public:
  static constexpr size_t kDefaultChunk = size_t{64} * 1024;

  struct Chunk {
    std::string_view bytes;  // valid until the next call of next()
    bool last = false;
  };

  explicit ChunkReader(ByteSource& body, size_t chunk_size = kDefaultChunk);
  Result<Chunk> next();
  bool done() const { return done_; }

 private:
  ByteSource& body_;
  size_t chunk_size_;
  DotStuffer transform_{false};
  std::vector<char> in_;
  std::string out_;
  bool done_ = false;
};

}  // namespace rm
