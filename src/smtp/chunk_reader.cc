#include "smtp/chunk_reader.h"

#include <algorithm>
#include <span>

namespace rm {

ChunkReader::ChunkReader(ByteSource& body, size_t chunk_size)
    : body_(body), chunk_size_(std::max<size_t>(chunk_size, 1)), in_(chunk_size_) {
  out_.reserve(2 * chunk_size_ + 2);
}

Result<ChunkReader::Chunk> ChunkReader::next() {
  if (done_) {
    return make_error(Errc::protocol, "BDAT: the message was already read to its end");
  }
  out_.clear();
  while (out_.size() < chunk_size_) {
    // Never more input than the chunk still lacks, so a chunk overshoots only by what the
    // transform adds.
    size_t want = chunk_size_ - out_.size();
    auto n = body_.read(std::span<char>(in_.data(), std::min(want, in_.size())));
    if (!n) {
      return std::move(n).error();
    }
    if (*n == 0) {
      transform_.end_line(out_);
      done_ = true;
      break;
    }
    transform_.feed(std::string_view(in_.data(), *n), out_);
  }
  return Chunk{.bytes = out_, .last = done_};
}

}  // namespace rm
