// core/byte_io.h — the two narrow byte interfaces that let message processing stream without
// knowing where bytes come from or go: ByteSource (stdin, a spool file, a string in tests) and
// ByteSink (a spool temp file, a socket writer, a string). sys/fd_io.h has the fd-backed ones;
// the string-backed ones here are for tests and small in-memory uses. Not thread-safe.
#pragma once

#include <algorithm>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rm {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads between 1 and buf.size() bytes; 0 means end of input.
  virtual Result<size_t> read(std::span<char> buf) = 0;
};

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status write(std::string_view bytes) = 0;
};

class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string data, size_t chunk = 4096)
      : data_(std::move(data)), chunk_(chunk) {}
  Result<size_t> read(std::span<char> buf) override {
    size_t n = std::min({buf.size(), data_.size() - pos_, chunk_});
    std::memcpy(buf.data(), data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t chunk_;
  size_t pos_ = 0;
};

class StringSink final : public ByteSink {
 public:
  Status write(std::string_view bytes) override {
    out.append(bytes);
    return {};
  }
  std::string out;
};

}  // namespace rm
