#include "support/server_conn.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>

namespace rm::test::detail {

ServerConn::ServerConn(UniqueFd fd, int stop_fd, Millis idle)
    : fd_(std::move(fd)), stop_fd_(stop_fd), idle_(idle) {}

ServerConn::Rc ServerConn::wait(short events) {
  const Deadline deadline = deadline_after(idle_);
  for (;;) {
    pollfd p[2] = {{fd_.get(), events, 0}, {stop_fd_, POLLIN, 0}};
    auto left = std::chrono::ceil<Millis>(deadline - std::chrono::steady_clock::now()).count();
    int n = ::poll(p, 2, left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, INT_MAX)));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      error_ = std::string("poll: ") + std::strerror(errno);
      return Rc::error;
    }
    if (p[1].revents != 0) {
      return Rc::stopped;
    }
    if (p[0].revents != 0) {
      return Rc::ok;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      error_ = "idle timeout";
      return Rc::timeout;
    }
  }
}

// After an SSL_* call returned ret <= 0: waits when OpenSSL wants I/O, else classifies.
ServerConn::Rc ServerConn::ssl_wait(int ret, const char* op) {
  const int saved = errno;
  switch (SSL_get_error(ssl_.get(), ret)) {
    case SSL_ERROR_WANT_READ:
      return wait(POLLIN);
    case SSL_ERROR_WANT_WRITE:
      return wait(POLLOUT);
    case SSL_ERROR_ZERO_RETURN:
      return Rc::eof;
    case SSL_ERROR_SYSCALL:
      error_ = std::string(op) + ": " + (saved != 0 ? std::strerror(saved) : "unexpected EOF") +
               ossl::errors_to_string();
      return Rc::error;
    default:
      error_ = std::string(op) + " failed" + ossl::errors_to_string();
      return Rc::error;
  }
}

ServerConn::Rc ServerConn::read(std::string& buf, size_t max) {
  char tmp[16384];
  const size_t want = std::min(max, sizeof tmp);
  for (;;) {
    if (!fd_.valid()) {
      return Rc::eof;
    }
    if (ssl_) {
      ERR_clear_error();
      errno = 0;
      int n = SSL_read(ssl_.get(), tmp, static_cast<int>(want));
      if (n > 0) {
        buf.append(tmp, static_cast<size_t>(n));
        return Rc::ok;
      }
      if (Rc rc = ssl_wait(n, "SSL_read"); rc != Rc::ok) {
        return rc;
      }
      continue;
    }
    ssize_t n = ::recv(fd_.get(), tmp, want, MSG_DONTWAIT);
    if (n > 0) {
      buf.append(tmp, static_cast<size_t>(n));
      return Rc::ok;
    }
    if (n == 0) {
      return Rc::eof;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      error_ = std::string("recv: ") + std::strerror(errno);
      return Rc::error;
    }
    if (Rc rc = wait(POLLIN); rc != Rc::ok) {
      return rc;
    }
  }
}

ServerConn::Rc ServerConn::write(std::string_view data) {
  size_t off = 0;
  while (off < data.size()) {
    if (!fd_.valid()) {
      return Rc::error;
    }
    if (ssl_) {
      ERR_clear_error();
      errno = 0;
      // Retried with the same arguments after WANT_*, as SSL_write(3) requires.
      int n = SSL_write(ssl_.get(), data.data() + off,
                        static_cast<int>(std::min<size_t>(data.size() - off, INT_MAX)));
      if (n > 0) {
        off += static_cast<size_t>(n);
        continue;
      }
      if (Rc rc = ssl_wait(n, "SSL_write"); rc != Rc::ok) {
        return rc == Rc::eof ? Rc::error : rc;
      }
      continue;
    }
    ssize_t n =
        ::send(fd_.get(), data.data() + off, data.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      error_ = std::string("send: ") + std::strerror(errno);
      return Rc::error;
    }
    if (Rc rc = wait(POLLOUT); rc != Rc::ok) {
      return rc;
    }
  }
  return Rc::ok;
}

ServerConn::Rc ServerConn::accept_tls(SSL_CTX* ctx) {
  ERR_clear_error();
  ssl_.reset(SSL_new(ctx));
  if (!ssl_ || SSL_set_fd(ssl_.get(), fd_.get()) != 1) {
    error_ = "SSL_new" + ossl::errors_to_string();
    ssl_.reset();
    return Rc::error;
  }
  for (;;) {
    ERR_clear_error();
    errno = 0;
    int r = SSL_accept(ssl_.get());
    if (r == 1) {
      return Rc::ok;
    }
    Rc rc = ssl_wait(r, "SSL_accept");
    if (rc != Rc::ok) {
      ssl_.reset();
      return rc == Rc::eof ? Rc::error : rc;
    }
  }
}

ServerConn::Rc ServerConn::stall() {
  for (;;) {
    pollfd p[2] = {{fd_.get(), POLLRDHUP, 0}, {stop_fd_, POLLIN, 0}};
    int n = ::poll(p, 2, -1);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return Rc::error;
    }
    if (p[1].revents != 0) {
      return Rc::stopped;
    }
    if (p[0].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
      return Rc::eof;
    }
  }
}

void ServerConn::abort_handshake() {
  if (wait(POLLIN) == Rc::ok) {
    char tmp[16384];
    (void)::recv(fd_.get(), tmp, sizeof tmp, MSG_DONTWAIT);
  }
  drop();
}

void ServerConn::close() {
  if (ssl_) {
    ERR_clear_error();
    (void)SSL_shutdown(ssl_.get());
    ERR_clear_error();
  }
  drop();
}

void ServerConn::drop() {
  ssl_.reset();
  fd_.reset();
}

std::string ServerConn::tls_description() const {
  if (!ssl_) {
    return {};
  }
  std::string s = SSL_get_version(ssl_.get());
  if (const char* c = SSL_get_cipher_name(ssl_.get()); c != nullptr) {
    s += ' ';
    s += c;
  }
  return s;
}

bool ServerConn::tls_resumed() const {
  return ssl_ && SSL_session_reused(ssl_.get()) == 1;
}

std::string ServerConn::tls_client_subject() const {
  if (!ssl_) {
    return {};
  }
  X509* cert = SSL_get0_peer_certificate(ssl_.get());
  if (cert == nullptr || SSL_get_verify_result(ssl_.get()) != X509_V_OK) {
    return {};
  }
  ossl::Ptr<BIO> mem(BIO_new(BIO_s_mem()));
  if (!mem || X509_NAME_print_ex(mem.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) {
    ERR_clear_error();
    return {};
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(mem.get(), &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

}  // namespace rm::test::detail
