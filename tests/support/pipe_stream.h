// support/pipe_stream.h — in-memory Streams for testing protocol code without sockets.
//
// CannedStream: one end only (not to be confused with tests/unit/smtp's expect/reply
// ScriptedStream, which checks what the client sends). Reads return the scripted server chunks in
// order (one chunk, or as much of it as fits, per read_some: tests control segmentation), then EOF
// — or Errc::timeout after stall_at_end(), or a scripted Error. Writes are recorded, counted (so a
// test can check that a PIPELINING group left in one write) and can be made to fail.
//
// make_pipe_pair(): two connected PipeStreams; bytes written to one are read from the other.
// Blocking with deadlines (condition variable), bounded by `capacity` per direction. Each end
// may be used by its own thread; close() on one end is EOF for the other's reads and Errc::io
// for its writes.
//
// Errors: Errc::timeout past the deadline, Errc::io after close(). Never logs.
// Thread-safety: CannedStream is not thread-safe; a pipe pair is safe with one thread per end.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "net/stream.h"

namespace rm::test {

class CannedStream final : public Stream {
 public:
  explicit CannedStream(std::string peer = "scripted");

  // Script building; each returns *this for chaining.
  CannedStream& then_read(std::string chunk);
  CannedStream& then_fail(Error e);  // that read fails with e
  CannedStream& stall_at_end();      // reads past the script: Errc::timeout, not EOF
  // Writes fail with `e` once `after_bytes` bytes have been accepted in total.
  CannedStream& fail_writes_after(size_t after_bytes, Error e);

  Result<size_t> read_some(std::span<char> buf, Deadline deadline) override;
  Status write_all(std::span<const char> data, Deadline deadline) override;
  void close() override { closed_ = true; }
  std::string peer() const override { return peer_; }

  const std::string& written() const { return written_; }
  size_t write_calls() const { return write_calls_; }
  bool closed() const { return closed_; }
  bool script_done() const { return script_.empty(); }

 private:
  struct Step {
    std::string bytes;
    std::optional<Error> error;
  };
  std::string peer_;
  std::deque<Step> script_;
  bool stall_at_end_ = false;
  std::optional<std::pair<size_t, Error>> write_fault_;
  std::string written_;
  size_t write_calls_ = 0;
  bool closed_ = false;
};

class PipeStream;
std::pair<std::unique_ptr<PipeStream>, std::unique_ptr<PipeStream>> make_pipe_pair(
    size_t capacity = 1 << 20);

class PipeStream final : public Stream {
 public:
  struct Shared;
  PipeStream(std::shared_ptr<Shared> shared, int side);
  ~PipeStream() override;

  Result<size_t> read_some(std::span<char> buf, Deadline deadline) override;
  Status write_all(std::span<const char> data, Deadline deadline) override;
  void close() override;
  std::string peer() const override;

 private:
  std::shared_ptr<Shared> shared_;
  int side_;  // 0 or 1: reads buffer side_, writes buffer 1 - side_
};

}  // namespace rm::test
