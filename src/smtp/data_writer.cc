#include "smtp/data_writer.h"

#include <algorithm>
#include <vector>

namespace rm {

void DotStuffer::feed(std::string_view in, std::string& out) {
  size_t i = 0;
  while (i < in.size()) {
    if (!pending_cr_ && !at_line_start_) {
      // Inside a line nothing changes up to the next CR or LF: copy that run in one go.
      size_t end = std::min(in.find_first_of("\r\n", i), in.size());
      out.append(in.substr(i, end - i));
      i = end;
      if (i == in.size()) {
        break;
      }
    }
    char c = in[i++];
    if (pending_cr_) {
      pending_cr_ = false;
      if (c == '\n') {
        out += "\r\n";
        at_line_start_ = true;
        continue;
      }
      out += ' ';  // a stray CR
      at_line_start_ = false;
    }
    if (c == '\r') {
      pending_cr_ = true;
    } else if (c == '\n') {  // a bare LF ends the line all the same
      out += "\r\n";
      at_line_start_ = true;
    } else {
      if (stuff_dots_ && at_line_start_ && c == '.') {
        out += '.';
      }
      out += c;
      at_line_start_ = false;
    }
  }
}

void DotStuffer::end_line(std::string& out) {
  if (pending_cr_) {
    out += ' ';
    pending_cr_ = false;
    at_line_start_ = false;
  }
  if (!at_line_start_) {
    out += "\r\n";
  }
  at_line_start_ = true;
}

void DotStuffer::finish(std::string& out) {
  end_line(out);
  out += ".\r\n";
}

DataWriter::DataWriter(Stream& out, Millis block_timeout, size_t buffer_size)
    : out_(out),
      block_timeout_(block_timeout),
      buffer_size_(std::max<size_t>(buffer_size, 16)),
      buffers_(&own_) {}

DataWriter::DataWriter(Stream& out, Millis block_timeout, Buffers& reuse, size_t buffer_size)
    : out_(out),
      block_timeout_(block_timeout),
      buffer_size_(std::max<size_t>(buffer_size, 16)),
      buffers_(&reuse) {}

Status DataWriter::flush(std::string& buf) {
  if (buf.empty()) {
    return {};
  }
  if (auto st = out_.write_all(buf, deadline_after(block_timeout_)); !st) {
    return st;
  }
  written_ += buf.size();
  buf.clear();
  return {};
}

Result<uint64_t> DataWriter::write(ByteSource& body) {
  DotStuffer stuffer;
  // Input chunks of half the buffer: stuffing at most doubles them, so `out` stays within
  // buffer_size_ plus one chunk and is written whenever it reaches buffer_size_.
  std::vector<char>& in = buffers_->in;
  in.resize(buffer_size_ / 2);  // a no-op when reused at the same size
  std::string& out = buffers_->out;
  out.clear();
  out.reserve(buffer_size_ + in.size() * 2 + 8);
  for (;;) {
    auto n = body.read(in);
    if (!n) {
      return std::move(n).error();
    }
    if (*n == 0) {
      break;
    }
    stuffer.feed(std::string_view(in.data(), *n), out);
    if (out.size() >= buffer_size_) {
      if (auto st = flush(out); !st) {
        return st.error();
      }
    }
  }
  stuffer.finish(out);
  if (auto st = flush(out); !st) {
    return st.error();
  }
  return written_;
}

}  // namespace rm
