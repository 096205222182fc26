// support/line_client.h — a minimal SMTP client for tests of servers and streams: send raw
// bytes, read one complete (possibly multi-line) reply. It never interprets anything, so tests
// can send whatever a misbehaving client would. The Stream can be swapped (STARTTLS: take()
// the plaintext stream, hand it to a TlsClient, put() the TLS stream back); buffered() shows
// bytes read but not yet consumed, which must be empty at that moment.
// Errors: the Stream's, plus Errc::protocol for a reply line over 4096 bytes. Not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "net/stream.h"

namespace rm::test {

class LineClient {
 public:
  explicit LineClient(std::unique_ptr<Stream> s, Millis timeout = Millis(5000))
      : s_(std::move(s)), timeout_(timeout) {}

  Status send(std::string_view bytes);
  // One reply: all its lines, each without CRLF, joined by "\n" ("250-a\n250 b"). EOF before a
  // complete reply is Errc::io with "EOF" in the text.
  Result<std::string> reply();
  // The next line without CRLF.
  Result<std::string> line();
  // Waits for EOF; an error if data arrives instead.
  Status expect_eof();

  const std::string& buffered() const { return buf_; }
  std::unique_ptr<Stream> take() { return std::move(s_); }
  void put(std::unique_ptr<Stream> s) { s_ = std::move(s); }
  Stream& stream() { return *s_; }
  void set_timeout(Millis t) { timeout_ = t; }

 private:
  std::unique_ptr<Stream> s_;
  Millis timeout_;
  std::string buf_;
};

}  // namespace rm::test
