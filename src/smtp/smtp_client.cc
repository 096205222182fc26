#include "smtp/smtp_client.h"

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "smtp/chunk_reader.h"
#include "smtp/client_session.h"
#include "smtp/data_writer.h"
#include "smtp/reply_parser.h"

namespace rm {
namespace {

constexpr size_t kReadBuffer = size_t{16} * 1024;

// Moves the password: the session holds the only copy.
SessionParams session_params(SmtpOptions& o) {
  return SessionParams{
      .helo_name = o.helo_name,
      .tls = o.tls,
      .auth = o.auth,
      .user = o.user,
      .password = std::move(o.password),
      .timeouts = StageTimeouts::capped(std::chrono::duration_cast<Millis>(o.timeout)),
      .chunking = o.chunking,
  };
}

}  // namespace

struct SmtpClient::Impl {
  Impl(std::unique_ptr<Stream> s, SmtpOptions o, TlsClient* t)
      : stream(std::move(s)),
        options(std::move(o)),
        tls(t),
        session(session_params(options)),
        peer(stream ? stream->peer() : "(no stream)") {
    if (auto* ts = dynamic_cast<TlsStream*>(stream.get())) {
      tls_stream = ts;  // tls=tls: the connector handed us a TLS stream
    }
  }

  Action drive(Action a);
  Action do_send(const Action& a);
  Action do_read(Millis timeout);
  Action do_start_tls(Millis timeout);
  Action do_body(Millis block_timeout);
  Action do_read_chunk();
  Action do_send_chunk(const Action& a);
  std::optional<Error> cannot_send() const;
  Result<SmtpReply> read_reply(Deadline deadline);
  void trace_sent(const Action& a) const;
  void trace_reply(const SmtpReply& r) const;
  void close();

  std::unique_ptr<Stream> stream;
  TlsStream* tls_stream = nullptr;
  SmtpOptions options;
  TlsClient* tls;
  ClientSession session;
  ReplyParser parser;
  std::string peer;
  ByteSource* body = nullptr;         // during send()
  std::optional<ChunkReader> chunks;  // during send() with BDAT
  std::string_view chunk;             // the chunk read for the next send_chunk
  std::string frame;                  // "BDAT n" and its chunk, for one write
  DataWriter::Buffers data_buffers;   // reused by every DATA body on this connection
  bool opened = false;
  std::array<char, kReadBuffer> buf{};
};

// Runs the session's actions until it stops (ready, closed or fail).
Action SmtpClient::Impl::drive(Action a) {
  for (;;) {
    switch (a.kind) {
      case Action::Kind::send:
        a = do_send(a);
        break;
      case Action::Kind::read:
        a = do_read(a.timeout);
        break;
      case Action::Kind::start_tls:
        a = do_start_tls(a.timeout);
        break;
      case Action::Kind::send_body:
        a = do_body(a.timeout);
        break;
      case Action::Kind::read_chunk:
        a = do_read_chunk();
        break;
      case Action::Kind::send_chunk:
        a = do_send_chunk(a);
        break;
      case Action::Kind::ready:
      case Action::Kind::closed:
      case Action::Kind::fail:
        return a;
    }
  }
}

std::optional<Error> SmtpClient::Impl::cannot_send() const {
  if (!parser.idle()) {  // the server spoke out of turn, or sent more replies than asked for
    return make_error(Errc::protocol, "unsolicited data from %s before our command", peer.c_str());
  }
  if (!stream) {
    return make_error(Errc::io, "write to %s: connection closed", peer.c_str());
  }
  return std::nullopt;
}

Action SmtpClient::Impl::do_send(const Action& a) {
  if (auto e = cannot_send()) {
    return session.on_failure(std::move(*e));
  }
  trace_sent(a);
  std::string_view wire = a.wire();
  if (auto st = stream->write_all(std::span<const char>(wire.data(), wire.size()),
                                  deadline_after(a.timeout));
      !st) {
    return session.on_failure(st.error());
  }
  return do_read(a.timeout);
}

Action SmtpClient::Impl::do_read(Millis timeout) {
  auto r = read_reply(deadline_after(timeout));
  if (!r) {
    return session.on_failure(std::move(r).error());
  }
  trace_reply(*r);
  return session.on_reply(*r);
}

Result<SmtpReply> SmtpClient::Impl::read_reply(Deadline deadline) {
  for (;;) {
    if (auto r = parser.next()) {
      return std::move(*r);
    }
    if (!stream) {
      return make_error(Errc::io, "read from %s: connection closed", peer.c_str());
    }
    auto n = stream->read_some(buf, deadline);
    if (!n) {
      return std::move(n).error();
    }
    if (*n == 0) {
      return make_error(Errc::io, "read from %s: connection closed by the server", peer.c_str());
    }
    if (auto st = parser.feed(std::string_view(buf.data(), *n)); !st) {
      return st.error();
    }
  }
}

// RELIABILITY.md §3.1: whatever arrived with or after the 220 was sent in clear by someone
// who may not be the server; acting on it after the handshake would trust it. Abort instead.
Action SmtpClient::Impl::do_start_tls(Millis timeout) {
  if (!parser.idle()) {
    return session.on_failure(make_error(
        Errc::tls, "STARTTLS: %s sent data after its 220 reply (response injection); aborting",
        peer.c_str()));
  }
  if (tls == nullptr || !stream) {
    return session.on_failure(make_error(Errc::tls, "STARTTLS: no TLS client configured"));
  }
  auto secured = tls->handshake(std::move(stream), options.host, deadline_after(timeout));
  if (!secured) {
    return session.on_failure(std::move(secured).error());
  }
  tls_stream = secured->get();
  stream = std::move(*secured);
  parser = ReplyParser();
  return session.on_tls_ready();
}

Action SmtpClient::Impl::do_body(Millis block_timeout) {
  // With DATA pipelined the body is the first thing sent after the group's replies: a reply
  // beyond the ones asked for is caught here, as it is before any command.
  if (auto e = cannot_send()) {
    return session.on_failure(std::move(*e));
  }
  if (!stream || body == nullptr) {
    return session.on_failure(make_error(Errc::io, "DATA: no connection or no message content"));
  }
  DataWriter writer(*stream, block_timeout, data_buffers);
  auto n = writer.write(*body);
  if (!n) {
    return session.on_failure(std::move(n).error());
  }
  if (options.trace) {
    options.trace(true, format("[message body: %llu octets on the wire, ending with .]",
                               static_cast<unsigned long long>(*n)));
  }
  return session.on_body_sent();
}

Action SmtpClient::Impl::do_read_chunk() {
  if (!chunks) {
    if (body == nullptr) {
      return session.on_failure(make_error(Errc::io, "BDAT: no message content"));
    }
    chunks.emplace(*body);
  }
  auto c = chunks->next();
  if (!c) {
    return session.on_failure(std::move(c).error());
  }
  chunk = c->bytes;
  return session.on_chunk(chunk.size(), c->last);
}

// The command and its octets in one write (DESIGN.md §8): a chunk never trickles out.
Action SmtpClient::Impl::do_send_chunk(const Action& a) {
  if (auto e = cannot_send()) {
    return session.on_failure(std::move(*e));
  }
  trace_sent(a);
  frame.assign(a.text);
  frame.append(chunk);
  chunk = {};
  if (auto st = stream->write_all(std::span<const char>(frame.data(), frame.size()),
                                  deadline_after(a.write_timeout));
      !st) {
    return session.on_failure(st.error());
  }
  return do_read(a.timeout);
}

void SmtpClient::Impl::trace_sent(const Action& a) const {
  if (!options.trace) {
    return;
  }
  std::string_view text = a.text;  // the redacted form when the line carries a secret
  while (!text.empty()) {
    size_t end = text.find("\r\n");
    std::string_view line = text.substr(0, end);
    options.trace(true, line);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 2);
  }
}

void SmtpClient::Impl::trace_reply(const SmtpReply& r) const {
  if (!options.trace) {
    return;
  }
  for (size_t i = 0; i < r.lines.size(); ++i) {
    char sep = i + 1 < r.lines.size() ? '-' : ' ';
    options.trace(false, std::to_string(r.code) + sep + r.lines[i]);
  }
}

void SmtpClient::Impl::close() {
  if (stream) {
    stream->close();
  }
}

SmtpClient::SmtpClient(std::unique_ptr<Stream> stream, SmtpOptions options, TlsClient* tls)
    : impl_(std::make_unique<Impl>(std::move(stream), std::move(options), tls)) {}

SmtpClient::~SmtpClient() {
  if (impl_) {
    impl_->close();
  }
}

Status SmtpClient::open() {
  if (impl_->opened) {
    return make_error(Errc::protocol, "SMTP session to %s already opened", impl_->peer.c_str());
  }
  impl_->opened = true;
  if (!impl_->stream) {
    return make_error(Errc::io, "SMTP session: no stream");
  }
  if (impl_->options.tls == TlsMode::starttls && impl_->tls == nullptr) {
    return make_error(Errc::tls, "SMTP session to %s: STARTTLS required but no TLS client given",
                      impl_->peer.c_str());
  }
  Action a = impl_->drive(impl_->session.start());
  if (a.kind == Action::Kind::ready) {
    return {};
  }
  return a.error ? std::move(*a.error) : make_error(Errc::protocol, "SMTP open: session stopped");
}

TransactionResult SmtpClient::send(const OutgoingMessage& message) {
  if (message.content == nullptr) {
    TransactionResult r;
    r.rcpt_errors.assign(message.rcpts.size(), std::nullopt);
    r.error = make_error(Errc::io, "SMTP send: no message content");
    return r;
  }
  impl_->body = message.content;
  (void)impl_->drive(impl_->session.begin_transaction(message));
  impl_->body = nullptr;
  impl_->chunks.reset();
  impl_->chunk = {};
  impl_->frame = std::string();
  return impl_->session.take_result();
}

Status SmtpClient::reset() {
  Action a = impl_->drive(impl_->session.begin_reset());
  if (a.kind == Action::Kind::ready) {
    return {};
  }
  return a.error ? std::move(*a.error) : make_error(Errc::protocol, "RSET: session stopped");
}

bool SmtpClient::needs_reset() const {
  return impl_->session.needs_reset();
}

void SmtpClient::quit() {
  if (impl_->opened && impl_->stream) {
    (void)impl_->drive(impl_->session.begin_quit());
  }
  impl_->close();
}

std::optional<TlsInfo> SmtpClient::tls_info() const {
  if (impl_->tls_stream == nullptr || !impl_->stream) {
    return std::nullopt;
  }
  return impl_->tls_stream->info();
}

const std::vector<std::string>& SmtpClient::capabilities() const {
  return impl_->session.capabilities().keywords;
}

const std::vector<std::string>& SmtpClient::auth_offered() const {
  return impl_->session.capabilities().auth;
}

std::string SmtpClient::auth_mechanism() const {
  return impl_->session.auth_mechanism();
}

std::string SmtpClient::peer() const {
  return impl_->peer;
}

}  // namespace rm
