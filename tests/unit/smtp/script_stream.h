// tests/unit/smtp/script_stream.h — in-memory seams for the SMTP unit tests (STYLE.md §4: the
// Stream is the seam, no mocks). ScriptedStream plays a server from a script of expect/reply
// steps in the spirit of Postfix's mock_server: a step's reply becomes readable only once the
// client has written exactly the step's expected bytes; after the last step (or a `stall` step)
// reads fail at once with Errc::timeout, so no test ever sleeps. Everything the client writes is
// kept for byte-for-byte assertions, with every deadline it passed. FakeTlsClient "handshakes"
// by wrapping the inner stream in a pass-through TlsStream (same script, same transcript) and
// can be told to fail. Test-only; not thread-safe.
#pragma once

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "net/stream.h"
#include "tls/tls_client.h"

namespace rm::test {

struct Step {
  std::string expect{};  // what the client must send first ("" for the greeting)
  std::string reply{};   // what the server then sends
  bool eof = false;      // after the reply: the server closes the connection
  bool stall = false;    // after the reply: the server goes silent (reads time out)
};

struct Wait {
  size_t step = 0;  // the step being served when the read returned
  MonoTime at;
  Deadline deadline;
};

struct Script {
  std::vector<Step> steps{};
  size_t chunk = std::numeric_limits<size_t>::max();  // most bytes one read_some returns
  size_t fail_writes_after = std::numeric_limits<size_t>::max();  // "connection reset" beyond

  // What happened.
  std::string written{};
  std::vector<size_t> write_sizes{};
  std::vector<Wait> reads{};
  std::vector<Deadline> write_deadlines{};
  std::string mismatch{};  // the first divergence from the script, for failure messages
  bool closed = false;

  size_t step = 0;
  size_t matched = 0;  // bytes of `written` consumed by expects
  bool expect_done = false;
  size_t reply_pos = 0;

  // Bytes written after the last satisfied expect.
  std::string unmatched() const { return written.substr(matched); }
  size_t count(std::string_view needle) const {
    size_t n = 0;
    for (size_t p = written.find(needle); p != std::string::npos; p = written.find(needle, p + 1)) {
      ++n;
    }
    return n;
  }
};

class ScriptedStream final : public Stream {
 public:
  explicit ScriptedStream(std::shared_ptr<Script> s) : s_(std::move(s)) {}

  Result<size_t> read_some(std::span<char> buf, Deadline deadline) override {
    MonoTime at = std::chrono::steady_clock::now();
    auto r = read_step(buf);
    s_->reads.push_back(Wait{.step = s_->step, .at = at, .deadline = deadline});
    return r;
  }

  Status write_all(std::span<const char> data, Deadline deadline) override {
    s_->write_deadlines.push_back(deadline);
    if (s_->closed) {
      return make_error(Errc::io, "scripted write: stream closed");
    }
    s_->write_sizes.push_back(data.size());
    if (s_->written.size() + data.size() > s_->fail_writes_after) {
      s_->written.append(data.data(), s_->fail_writes_after - s_->written.size());
      return make_error(Errc::io, "scripted write: connection reset by peer");
    }
    s_->written.append(data.data(), data.size());
    return {};
  }

  void close() override { s_->closed = true; }
  std::string peer() const override { return "scripted:25"; }

 private:
  Result<size_t> read_step(std::span<char> buf) {
    if (s_->closed) {
      return make_error(Errc::io, "scripted read: stream closed");
    }
    for (;;) {
      if (s_->step >= s_->steps.size()) {
        return make_error(Errc::timeout, "scripted read: script exhausted (client waits)");
      }
      const Step& st = s_->steps[s_->step];
      if (!s_->expect_done) {
        if (auto e = check_expect(st); e) {
          return *e;
        }
      }
      if (s_->reply_pos < st.reply.size()) {
        size_t n = std::min({buf.size(), s_->chunk, st.reply.size() - s_->reply_pos});
        std::memcpy(buf.data(), st.reply.data() + s_->reply_pos, n);
        s_->reply_pos += n;
        return n;
      }
      if (st.eof) {
        return size_t{0};
      }
      if (st.stall) {
        return make_error(Errc::timeout, "scripted read: server stalls");
      }
      ++s_->step;
      s_->expect_done = false;
      s_->reply_pos = 0;
    }
  }

  // nullopt when the step's expect is satisfied; else the error the read returns.
  std::optional<Error> check_expect(const Step& st) {
    std::string_view got = std::string_view(s_->written).substr(s_->matched);
    size_t n = std::min(got.size(), st.expect.size());
    if (got.substr(0, n) != std::string_view(st.expect).substr(0, n)) {
      if (s_->mismatch.empty()) {
        s_->mismatch = "step " + std::to_string(s_->step) + ": expected \"" + st.expect +
                       "\", got \"" + std::string(got.substr(0, 200)) + "\"";
      }
      return make_error(Errc::io, "scripted read: client deviated from the script");
    }
    if (got.size() < st.expect.size()) {
      return make_error(Errc::timeout, "scripted read: client waits before sending everything");
    }
    s_->matched += st.expect.size();
    s_->expect_done = true;
    return std::nullopt;
  }

  std::shared_ptr<Script> s_;
};

class PassThroughTlsStream final : public TlsStream {
 public:
  explicit PassThroughTlsStream(std::unique_ptr<Stream> inner) : inner_(std::move(inner)) {}
  Result<size_t> read_some(std::span<char> buf, Deadline d) override {
    return inner_->read_some(buf, d);
  }
  Status write_all(std::span<const char> data, Deadline d) override {
    return inner_->write_all(data, d);
  }
  void close() override { inner_->close(); }
  std::string peer() const override { return inner_->peer(); }
  TlsInfo info() const override {
    return TlsInfo{
        .version = "TLSv1.3", .cipher = "TLS_AES_256_GCM_SHA384", .peer_subject = "CN=smtp.test"};
  }

 private:
  std::unique_ptr<Stream> inner_;
};

class FakeTlsClient final : public TlsClient {
 public:
  explicit FakeTlsClient(std::shared_ptr<Script> s) : s_(std::move(s)) {}
  Result<std::unique_ptr<TlsStream>> handshake(std::unique_ptr<Stream> inner,
                                               const std::string& host,
                                               Deadline deadline) override {
    ++calls;
    host_seen = host;
    deadline_seen = deadline;
    written_before = s_->written.size();
    if (fail) {
      return *fail;
    }
    return std::unique_ptr<TlsStream>(std::make_unique<PassThroughTlsStream>(std::move(inner)));
  }

  int calls = 0;
  std::string host_seen{};
  Deadline deadline_seen{};
  size_t written_before = 0;  // transcript bytes sent in clear
  std::optional<Error> fail{};

 private:
  std::shared_ptr<Script> s_;
};

}  // namespace rm::test
