#include "support/line_client.h"

namespace rm::test {

Status LineClient::send(std::string_view bytes) {
  return s_->write_all(std::span<const char>(bytes.data(), bytes.size()), deadline_after(timeout_));
}

Result<std::string> LineClient::line() {
  const Deadline deadline = deadline_after(timeout_);
  for (;;) {
    size_t nl = buf_.find("\r\n");
    if (nl != std::string::npos) {
      std::string l = buf_.substr(0, nl);
      buf_.erase(0, nl + 2);
      return l;
    }
    if (buf_.size() > 4096) {
      return make_error(Errc::protocol, "reply line over 4096 bytes");
    }
    char tmp[4096];
    auto n = s_->read_some(tmp, deadline);
    if (!n) {
      return std::move(n).error();
    }
    if (*n == 0) {
      return make_error(Errc::io, "EOF from %s with %zu bytes unread", s_->peer().c_str(),
                        buf_.size());
    }
    buf_.append(tmp, *n);
  }
}

Result<std::string> LineClient::reply() {
  std::string out;
  for (;;) {
    auto l = line();
    if (!l) {
      return std::move(l).error();
    }
    if (!out.empty()) {
      out += '\n';
    }
    out += *l;
    if (l->size() < 4 || (*l)[3] != '-') {
      return out;
    }
  }
}

Status LineClient::expect_eof() {
  if (!buf_.empty()) {
    return make_error(Errc::protocol, "expected EOF, have buffered: %s", buf_.c_str());
  }
  char tmp[256];
  auto n = s_->read_some(tmp, deadline_after(timeout_));
  if (!n) {
    return std::move(n).error();
  }
  if (*n != 0) {
    return make_error(Errc::protocol, "expected EOF, got: %s", std::string(tmp, *n).c_str());
  }
  return {};
}

}  // namespace rm::test
