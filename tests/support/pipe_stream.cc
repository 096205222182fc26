#include "support/pipe_stream.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>

namespace rm::test {

CannedStream::CannedStream(std::string peer) : peer_(std::move(peer)) {}

CannedStream& CannedStream::then_read(std::string chunk) {
  script_.push_back(Step{std::move(chunk), std::nullopt});
  return *this;
}

CannedStream& CannedStream::then_fail(Error e) {
  script_.push_back(Step{{}, std::move(e)});
  return *this;
}

CannedStream& CannedStream::stall_at_end() {
  stall_at_end_ = true;
  return *this;
}

CannedStream& CannedStream::fail_writes_after(size_t after_bytes, Error e) {
  write_fault_.emplace(after_bytes, std::move(e));
  return *this;
}

Result<size_t> CannedStream::read_some(std::span<char> buf, Deadline /*deadline*/) {
  if (closed_) {
    return make_error(Errc::io, "read from %s: stream closed", peer_.c_str());
  }
  // Empty chunks are skipped: a read never returns 0 except at the end.
  while (!script_.empty() && !script_.front().error && script_.front().bytes.empty()) {
    script_.pop_front();
  }
  if (script_.empty()) {
    if (stall_at_end_) {
      return make_error(Errc::timeout, "read from %s: timed out", peer_.c_str());
    }
    return size_t{0};
  }
  Step& s = script_.front();
  if (s.error) {
    Error e = std::move(*s.error);
    script_.pop_front();
    return e;
  }
  size_t n = std::min(buf.size(), s.bytes.size());
  std::memcpy(buf.data(), s.bytes.data(), n);
  s.bytes.erase(0, n);
  if (s.bytes.empty()) {
    script_.pop_front();
  }
  return n;
}

Status CannedStream::write_all(std::span<const char> data, Deadline /*deadline*/) {
  if (closed_) {
    return make_error(Errc::io, "write to %s: stream closed", peer_.c_str());
  }
  ++write_calls_;
  if (write_fault_ && written_.size() + data.size() > write_fault_->first) {
    written_.append(data.data(),
                    write_fault_->first - std::min(written_.size(), write_fault_->first));
    return write_fault_->second;
  }
  written_.append(data.data(), data.size());
  return {};
}

struct PipeStream::Shared {
  std::mutex mu;
  std::condition_variable cv;
  std::string buf[2];   // buf[i]: bytes waiting to be read by side i
  bool closed[2] = {};  // side i has closed
  size_t capacity = 0;
};

std::pair<std::unique_ptr<PipeStream>, std::unique_ptr<PipeStream>> make_pipe_pair(
    size_t capacity) {
  auto shared = std::make_shared<PipeStream::Shared>();
  shared->capacity = std::max<size_t>(capacity, 1);
  return {std::make_unique<PipeStream>(shared, 0), std::make_unique<PipeStream>(shared, 1)};
}

PipeStream::PipeStream(std::shared_ptr<Shared> shared, int side)
    : shared_(std::move(shared)), side_(side) {}

PipeStream::~PipeStream() {
  close();
}

Result<size_t> PipeStream::read_some(std::span<char> buf, Deadline deadline) {
  std::unique_lock lock(shared_->mu);
  if (shared_->closed[side_]) {
    return make_error(Errc::io, "read from %s: stream closed", peer().c_str());
  }
  std::string& in = shared_->buf[side_];
  bool ready = shared_->cv.wait_until(lock, deadline, [&] {
    return !in.empty() || shared_->closed[1 - side_] || shared_->closed[side_];
  });
  if (!ready) {
    return make_error(Errc::timeout, "read from %s: timed out", peer().c_str());
  }
  if (in.empty()) {
    if (shared_->closed[side_]) {
      return make_error(Errc::io, "read from %s: stream closed", peer().c_str());
    }
    return size_t{0};
  }
  size_t n = std::min(buf.size(), in.size());
  std::memcpy(buf.data(), in.data(), n);
  in.erase(0, n);
  shared_->cv.notify_all();
  return n;
}

Status PipeStream::write_all(std::span<const char> data, Deadline deadline) {
  std::unique_lock lock(shared_->mu);
  std::string& out = shared_->buf[1 - side_];
  size_t off = 0;
  while (off < data.size()) {
    if (shared_->closed[side_] || shared_->closed[1 - side_]) {
      return make_error(Errc::io, "write to %s: stream closed", peer().c_str());
    }
    bool room = shared_->cv.wait_until(lock, deadline, [&] {
      return out.size() < shared_->capacity || shared_->closed[side_] || shared_->closed[1 - side_];
    });
    if (!room) {
      return make_error(Errc::timeout, "write to %s: timed out", peer().c_str());
    }
    if (shared_->closed[side_] || shared_->closed[1 - side_]) {
      continue;  // reported at the top of the loop
    }
    size_t n = std::min(data.size() - off, shared_->capacity - out.size());
    out.append(data.data() + off, n);
    off += n;
    shared_->cv.notify_all();
  }
  return {};
}

void PipeStream::close() {
  std::lock_guard lock(shared_->mu);
  shared_->closed[side_] = true;
  shared_->cv.notify_all();
}

std::string PipeStream::peer() const {
  return side_ == 0 ? "pipe:0" : "pipe:1";
}

}  // namespace rm::test
