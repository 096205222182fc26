#include "mail/message_writer.h"

#include <algorithm>

namespace rm {
namespace {

constexpr size_t kFlushAt = size_t{64} * 1024;

bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}

// Where to fold `line` so that its first part fits in `room` octets: the index of a blank that
// follows some non-blank text (so no output line is blank-only), or 0 when there is none.
size_t fold_point(std::string_view line, size_t room) {
  size_t first_text = 0;
  while (first_text < line.size() && is_wsp(line[first_text])) {
    ++first_text;
  }
  for (size_t p = std::min(room, line.size() - 1); p > first_text; --p) {
    if (is_wsp(line[p])) {
      return p;
    }
  }
  return 0;
}

}  // namespace

MessageWriter::MessageWriter(ByteSink& out, uint64_t max_size) : out_(out), max_size_(max_size) {
  buf_.reserve(kFlushAt + kMaxLineOctets + 2);
}

void MessageWriter::put(std::string_view bytes) {
  if (too_big_ || failed()) {
    return;
  }
  if (max_size_ != 0 && size_ + bytes.size() > max_size_) {
    too_big_ = true;
    return;
  }
  if (!eightbit_) {
    eightbit_ = std::any_of(bytes.begin(), bytes.end(),
                            [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  }
  size_ += bytes.size();
  buf_.append(bytes);
  if (buf_.size() >= kFlushAt) {
    flush();
  }
}

void MessageWriter::flush() {
  if (!buf_.empty() && !failed()) {
    status_ = out_.write(buf_);
  }
  buf_.clear();
}

void MessageWriter::header_line(std::string_view line) {
  size_t lead = 0;  // 1 when this output line starts with an inserted SP
  while (lead + line.size() > kMaxLineOctets) {
    size_t room = kMaxLineOctets - lead;
    if (size_t cut = fold_point(line, room); cut != 0) {
      put(line.substr(0, cut));
      put("\r\n");
      line.remove_prefix(cut);
      lead = 0;
    } else {
      put(line.substr(0, room));
      put("\r\n ");
      line.remove_prefix(room);
      lead = 1;
    }
  }
  put(line);
  put("\r\n");
}

void MessageWriter::body_text(std::string_view text) {
  while (!text.empty()) {
    if (col_ == kMaxLineOctets) {
      put("\r\n ");
      col_ = 1;
    }
    size_t n = std::min(text.size(), kMaxLineOctets - col_);
    put(text.substr(0, n));
    col_ += n;
    text.remove_prefix(n);
  }
}

void MessageWriter::end_body_line() {
  put("\r\n");
  col_ = 0;
}

Status MessageWriter::finish() {
  flush();
  return status_;
}

}  // namespace rm
