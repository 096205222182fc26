#include "support/fake_smtp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "support/fake_smtp_session.h"
#include "support/ossl_ptr.h"
#include "sys/unique_fd.h"

namespace rm::test {
namespace {

constexpr size_t kMaxTranscript = 100000;

std::string lower(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

bool fault_matches(const Fault& f, int connection, const std::string& verb, int nth,
                   const std::string& arg) {
  return lower(f.verb) == lower(verb) && (f.nth == 0 || f.nth == nth) &&
         (f.connections == 0 || connection <= f.connections) &&
         (f.arg_contains.empty() || lower(arg).find(lower(f.arg_contains)) != std::string::npos);
}

Result<ossl::Ptr<SSL_CTX>> make_server_ctx(const FakeSmtpOptions& o) {
  ERR_clear_error();
  ossl::Ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) {
    return make_error(Errc::config, "fake server: SSL_CTX_new%s", ossl::errors_to_string().c_str());
  }
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), o.cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx.get(), o.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx.get()) != 1) {
    return make_error(Errc::config, "fake server: load %s / %s%s", o.cert_file.c_str(),
                      o.key_file.c_str(), ossl::errors_to_string().c_str());
  }
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Resumption, TLS 1.2 and 1.3: stateless tickets (on by default, keys random per SSL_CTX, so
  // another server never resumes our sessions) plus the internal session-ID cache. The session
  // ID context is what OpenSSL requires before it resumes a session that verified a client.
  static constexpr unsigned char kSidCtx[] = "relaymail fake smtpd";
  if (SSL_CTX_set_session_id_context(ctx.get(), kSidCtx, sizeof kSidCtx - 1) != 1) {
    return make_error(Errc::config, "fake server: session id context%s",
                      ossl::errors_to_string().c_str());
  }
  if (!o.client_ca_file.empty()) {
    // Ask for a certificate and verify it; without FAIL_IF_NO_PEER_CERT a client without one
    // is still served. ONCE: no post-handshake request in TLS 1.3.
    if (SSL_CTX_load_verify_locations(ctx.get(), o.client_ca_file.c_str(), nullptr) != 1) {
      return make_error(Errc::config, "fake server: load client CA %s%s", o.client_ca_file.c_str(),
                        ossl::errors_to_string().c_str());
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, nullptr);
  }
  if (o.max_tls_version != 0) {
    if (o.max_tls_version < TLS1_2_VERSION) {
      // An obsolete server on purpose: OpenSSL 3 refuses TLS < 1.2 at the default level.
      SSL_CTX_set_security_level(ctx.get(), 0);
      (void)SSL_CTX_set_cipher_list(ctx.get(), "DEFAULT:@SECLEVEL=0");
      (void)SSL_CTX_set_min_proto_version(ctx.get(), TLS1_VERSION);
    }
    if (SSL_CTX_set_max_proto_version(ctx.get(), o.max_tls_version) != 1) {
      return make_error(Errc::config, "fake server: bad max_tls_version %d%s", o.max_tls_version,
                        ossl::errors_to_string().c_str());
    }
  }
  return ctx;
}

}  // namespace

struct FakeSmtpServer::Impl final : detail::SessionHooks {
  explicit Impl(FakeSmtpOptions o) : opts(std::move(o)) {}

  // --- SessionHooks (session threads) ---
  void record(int connection, bool tls, TranscriptEntry::Dir dir, std::string text) override {
    std::lock_guard lock(mu);
    if (transcript.size() >= kMaxTranscript) {
      return;
    }
    transcript.push_back(TranscriptEntry{connection, tls, dir, std::move(text)});
  }

  std::optional<Fault> match_fault(int connection, const std::string& verb, int nth,
                                   const std::string& arg) override {
    std::lock_guard lock(mu);
    for (const Fault& f : faults) {
      if (fault_matches(f, connection, verb, nth, arg)) {
        return f;
      }
    }
    return std::nullopt;
  }

  void deliver(ReceivedMessage msg) override {
    std::function<void(const ReceivedMessage&)> cb;
    {
      std::lock_guard lock(mu);
      cb = callback;
    }
    if (cb) {
      cb(msg);  // before it becomes visible, so a waiter sees the callback's effects too
    }
    std::lock_guard lock(mu);
    messages.push_back(std::move(msg));
    cv.notify_all();
  }

  // --- accept thread ---
  void accept_loop() {
    for (;;) {
      pollfd p[2] = {{listen_fd.get(), POLLIN, 0}, {stop_fd.get(), POLLIN, 0}};
      int n = ::poll(p, 2, -1);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0 || p[1].revents != 0) {
        return;
      }
      reap();
      UniqueFd fd(::accept4(listen_fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (!fd.valid()) {
        continue;  // EAGAIN, ECONNABORTED, EMFILE: try again on the next readiness
      }
      int conn = 0;
      bool refuse = false;
      {
        std::lock_guard lock(mu);
        conn = ++connections;
        refuse = active >= opts.max_connections;
        if (!refuse) {
          ++active;
        }
        cv.notify_all();
      }
      if (refuse) {
        record(conn, false, TranscriptEntry::Dir::event, "too many connections");
        static constexpr char kBusy[] = "421 4.7.0 Too many connections\r\n";
        (void)::send(fd.get(), kBusy, sizeof kBusy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        session_done();
        continue;
      }
      auto done = std::make_shared<std::atomic<bool>>(false);
      workers.push_back(Worker{std::thread([this, conn, done, f = fd.release()] {
                                 run_worker(UniqueFd(f), conn);
                                 done->store(true);
                               }),
                               done});
    }
  }

  void run_worker(UniqueFd fd, int conn) {
    // OpenSSL's socket BIO writes with write(2): a client that hung up must be EPIPE, not a
    // process-killing SIGPIPE. A blocked, thread-directed SIGPIPE dies with this thread.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    detail::SessionEnv env{&opts, ctx.get(), stop_fd.get(), conn, this};
    detail::run_smtp_session(std::move(fd), env);
    {
      std::lock_guard lock(mu);
      --active;
    }
    session_done();
  }

  void session_done() {
    std::lock_guard lock(mu);
    ++sessions_done;
    cv.notify_all();
  }

  void reap() {
    auto finished = [](Worker& w) {
      if (!w.done->load()) {
        return false;
      }
      w.thread.join();
      return true;
    };
    workers.erase(std::remove_if(workers.begin(), workers.end(), finished), workers.end());
  }

  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };

  const FakeSmtpOptions opts;
  ossl::Ptr<SSL_CTX> ctx;
  UniqueFd listen_fd;
  UniqueFd stop_fd;
  uint16_t port = 0;
  std::thread acceptor;
  std::vector<Worker> workers;  // accept thread only, then stop() after joining it
  bool started = false;
  bool stopped = false;

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::vector<Fault> faults;
  std::vector<TranscriptEntry> transcript;
  std::vector<ReceivedMessage> messages;
  std::function<void(const ReceivedMessage&)> callback;
  int connections = 0;
  int sessions_done = 0;
  int active = 0;
};

FakeSmtpServer::FakeSmtpServer(FakeSmtpOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->faults = impl_->opts.faults;
}

FakeSmtpServer::~FakeSmtpServer() {
  stop();
}

Status FakeSmtpServer::start() {
  Impl& m = *impl_;
  if (m.started) {
    return make_error(Errc::io, "fake server: already started");
  }
  if (m.opts.tls != FakeTls::plain) {
    auto ctx = make_server_ctx(m.opts);
    if (!ctx) {
      return std::move(ctx).error();
    }
    m.ctx = std::move(*ctx);
  }
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* in4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (::inet_pton(AF_INET, m.opts.listen_host.c_str(), &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(m.opts.port);
    len = sizeof *in4;
  } else if (::inet_pton(AF_INET6, m.opts.listen_host.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(m.opts.port);
    len = sizeof *in6;
  } else {
    return make_error(Errc::config, "fake server: listen_host %s is not an IP literal",
                      m.opts.listen_host.c_str());
  }
  m.listen_fd = UniqueFd(::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!m.listen_fd.valid()) {
    return sys_error(Errc::io, errno, "fake server: socket");
  }
  int one = 1;
  (void)::setsockopt(m.listen_fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(m.listen_fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    return sys_error(Errc::io, errno, "fake server: bind %s port %u", m.opts.listen_host.c_str(),
                     static_cast<unsigned>(m.opts.port));
  }
  if (::listen(m.listen_fd.get(), 64) != 0) {
    return sys_error(Errc::io, errno, "fake server: listen");
  }
  len = sizeof ss;
  if (::getsockname(m.listen_fd.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return sys_error(Errc::io, errno, "fake server: getsockname");
  }
  m.port = ntohs(ss.ss_family == AF_INET ? in4->sin_port : in6->sin6_port);
  m.stop_fd = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!m.stop_fd.valid()) {
    return sys_error(Errc::io, errno, "fake server: eventfd");
  }
  m.started = true;
  m.acceptor = std::thread([&m] { m.accept_loop(); });
  return {};
}

void FakeSmtpServer::stop() {
  Impl& m = *impl_;
  if (!m.started || m.stopped) {
    return;
  }
  m.stopped = true;
  uint64_t one = 1;
  // The eventfd stays readable: every poll in every session sees it from now on.
  (void)!::write(m.stop_fd.get(), &one, sizeof one);
  m.acceptor.join();
  for (Impl::Worker& w : m.workers) {
    w.thread.join();
  }
  m.workers.clear();
  m.listen_fd.reset();
}

uint16_t FakeSmtpServer::port() const {
  return impl_->port;
}
const std::string& FakeSmtpServer::host() const {
  return impl_->opts.listen_host;
}

void FakeSmtpServer::add_fault(Fault f) {
  std::lock_guard lock(impl_->mu);
  impl_->faults.push_back(std::move(f));
}

void FakeSmtpServer::clear_faults() {
  std::lock_guard lock(impl_->mu);
  impl_->faults.clear();
}

void FakeSmtpServer::on_message(std::function<void(const ReceivedMessage&)> cb) {
  std::lock_guard lock(impl_->mu);
  impl_->callback = std::move(cb);
}

int FakeSmtpServer::connection_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->connections;
}

std::vector<TranscriptEntry> FakeSmtpServer::transcript() const {
  std::lock_guard lock(impl_->mu);
  return impl_->transcript;
}

std::string FakeSmtpServer::transcript_text(int connection) const {
  std::string out;
  for (const TranscriptEntry& e : transcript()) {
    if (connection != 0 && e.connection != connection) {
      continue;
    }
    switch (e.dir) {
      case TranscriptEntry::Dir::client:
        out += e.tls ? "C~ " : "C: ";
        break;
      case TranscriptEntry::Dir::server:
        out += e.tls ? "S~ " : "S: ";
        break;
      case TranscriptEntry::Dir::event:
        out += "*: ";
        break;
    }
    out += e.text;
    out += '\n';
  }
  return out;
}

std::vector<ReceivedMessage> FakeSmtpServer::messages() const {
  std::lock_guard lock(impl_->mu);
  return impl_->messages;
}

bool FakeSmtpServer::wait_for_messages(size_t n, Millis timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->messages.size() >= n; });
}

bool FakeSmtpServer::wait_for_connections(int n, Millis timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->connections >= n; });
}

bool FakeSmtpServer::wait_for_sessions_done(int n, Millis timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->sessions_done >= n; });
}

}  // namespace rm::test
