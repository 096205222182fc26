#include "mail/line_reader.h"

#include <span>

namespace rm {

LineReader::LineReader(ByteSource& in, size_t buffer_size)
    : in_(in), buf_(std::make_unique_for_overwrite<char[]>(buffer_size)), size_(buffer_size) {}

Status LineReader::refill() {
  pos_ = 0;
  len_ = 0;
  if (eof_) {
    return {};
  }
  auto n = in_.read(std::span<char>(buf_.get(), size_));
  if (!n) {
    return std::move(n).error();
  }
  len_ = *n;
  eof_ = (*n == 0);
  return {};
}

Result<bool> LineReader::next(std::string& piece, End& end, size_t max) {
  piece.clear();
  while (true) {
    if (pos_ == len_) {
      if (auto r = refill(); !r) {
        return std::move(r).error();
      }
      if (len_ == 0) {
        end = End::eof;
        return !piece.empty();
      }
    }
    size_t start = pos_;
    while (pos_ < len_ && buf_[pos_] != '\n' && buf_[pos_] != '\0') {
      if (piece.size() + (pos_ - start) >= max) {
        piece.append(buf_.get() + start, pos_ - start);
        end = End::more;
        return true;
      }
      ++pos_;
    }
    piece.append(buf_.get() + start, pos_ - start);
    if (pos_ == len_) {
      continue;
    }
    if (buf_[pos_++] == '\0') {
      ++nul_removed_;
      continue;
    }
    if (!piece.empty() && piece.back() == '\r') {
      piece.pop_back();
    }
    end = End::lf;
    return true;
  }
}

Status LineReader::drain() {
  pos_ = len_;
  while (!eof_) {
    if (auto r = refill(); !r) {
      return r;
    }
  }
  pos_ = len_ = 0;
  return {};
}

}  // namespace rm
