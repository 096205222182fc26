#include "support/fake_token_endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "support/ossl_ptr.h"
#include "support/server_conn.h"
#include "sys/unique_fd.h"

namespace rm::test {
namespace {

constexpr size_t kMaxHead = size_t{16} * 1024;
constexpr size_t kMaxBody = 1 << 20;
constexpr Millis kIdle{30000};

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

std::string lower(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

const char* reason_of(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Whatever";
  }
}

// The head's request line and the headers we care about (names lower-cased).
struct Head {
  std::string method, target;
  std::map<std::string, std::string> headers;
};

Head parse_head(const std::string& head) {
  Head h;
  size_t eol = head.find("\r\n");
  std::string first = head.substr(0, eol);
  size_t sp1 = first.find(' ');
  size_t sp2 = first.find(' ', sp1 + 1);
  h.method = first.substr(0, sp1);
  h.target = sp1 == std::string::npos ? "" : first.substr(sp1 + 1, sp2 - sp1 - 1);
  for (size_t at = eol + 2; at < head.size();) {
    size_t end = head.find("\r\n", at);
    end = end == std::string::npos ? head.size() : end;
    std::string line = head.substr(at, end - at);
    if (size_t colon = line.find(':'); colon != std::string::npos) {
      size_t v = line.find_first_not_of(' ', colon + 1);
      h.headers[lower(line.substr(0, colon))] = v == std::string::npos ? "" : line.substr(v);
    }
    at = end + 2;
  }
  return h;
}

std::map<std::string, std::string> parse_form(const std::string& body) {
  std::map<std::string, std::string> form;
  for (size_t at = 0; at <= body.size();) {
    size_t amp = body.find('&', at);
    amp = amp == std::string::npos ? body.size() : amp;
    std::string pair = body.substr(at, amp - at);
    size_t eq = pair.find('=');
    auto k = form_decode(pair.substr(0, eq));
    auto v = form_decode(eq == std::string::npos ? "" : pair.substr(eq + 1));
    if (!pair.empty() && k && v) {
      form[*k] = *v;
    }
    at = amp + 1;
  }
  return form;
}

}  // namespace

std::optional<std::string> form_decode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
        return std::nullopt;
      }
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string s256_challenge(const std::string& verifier) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(verifier.data(), verifier.size(), digest, &size, EVP_sha256(), nullptr);
  unsigned char b64[4 * EVP_MAX_MD_SIZE / 3 + 4];
  int n = EVP_EncodeBlock(b64, digest, static_cast<int>(size));
  std::string out(reinterpret_cast<const char*>(b64), static_cast<size_t>(n));
  std::replace(out.begin(), out.end(), '+', '-');
  std::replace(out.begin(), out.end(), '/', '_');
  return out.substr(0, out.find('='));
}

struct FakeTokenEndpoint::Impl {
  std::string cert_file, key_file;
  ossl::Ptr<SSL_CTX> ctx;
  UniqueFd listen_fd;
  UniqueFd stop_fd;
  uint16_t port = 0;
  bool started = false;
  bool stopped = false;
  std::thread acceptor;
  std::vector<std::thread> workers;  // accept thread only, then stop() after joining it

  mutable std::mutex mu;
  std::vector<TokenReply> replies;
  size_t next_reply = 0;
  std::optional<std::string> accepted;
  std::optional<TokenReply> device_reply;
  struct Issued {
    std::string challenge, redirect_uri;
  };
  std::map<std::string, Issued> codes;  // by code; erased when traded in
  std::vector<TokenRequestSeen> seen;

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
      UniqueFd fd(::accept4(listen_fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (fd.valid()) {
        workers.emplace_back([this, f = fd.release()] { serve(UniqueFd(f)); });
      }
    }
  }

  // An authorization_code grant's code, redirect_uri and PKCE verifier, against what
  // expect_code() registered. Under the lock.
  bool code_accepted(const std::map<std::string, std::string>& form) {
    auto field = [&form](const char* name) {
      auto it = form.find(name);
      return it == form.end() ? std::string() : it->second;
    };
    auto it = codes.find(field("code"));
    if (it == codes.end()) {
      return false;
    }
    Issued issued = it->second;
    codes.erase(it);  // used once, whatever the outcome (RFC 6749 §4.1.2)
    return issued.redirect_uri == field("redirect_uri") &&
           issued.challenge == s256_challenge(field("code_verifier"));
  }

  // The reply for one request, under the lock: the route, the grant's checks, then the script.
  TokenReply reply_for(const TokenRequestSeen& req) {
    std::lock_guard lock(mu);
    seen.push_back(req);
    if (req.target == "/devicecode") {
      return device_reply.value_or(TokenReply{.status = 500, .body = "{}"});
    }
    auto grant_type = req.form.find("grant_type");
    const std::string grant = grant_type == req.form.end() ? "" : grant_type->second;
    if (grant == "authorization_code" && !code_accepted(req.form)) {
      return error(400, "invalid_grant", "The code, redirect_uri or code_verifier is wrong.");
    }
    auto rt = req.form.find("refresh_token");
    if (grant == "refresh_token" && accepted && (rt == req.form.end() || rt->second != *accepted)) {
      return error(400, "invalid_grant", "Token has been expired or revoked.");
    }
    TokenReply r = replies.empty() ? TokenReply{.status = 500, .body = "{}"}
                                   : replies[std::min(next_reply, replies.size() - 1)];
    ++next_reply;
    if (accepted && r.action == TokenReply::Action::answer && r.status == 200) {
      const std::string key = "\"refresh_token\": \"";
      if (size_t at = r.body.find(key); at != std::string::npos) {
        at += key.size();
        accepted = r.body.substr(at, r.body.find('"', at) - at);
      }
    }
    return r;
  }

  void serve(UniqueFd fd) {
    sigset_t set;  // OpenSSL writes with write(2): a client that hung up is EPIPE, not a signal
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    detail::ServerConn conn(std::move(fd), stop_fd.get(), kIdle);
    if (conn.accept_tls(ctx.get()) != detail::ServerConn::Rc::ok) {
      return;
    }
    std::string in;
    size_t head_end = std::string::npos;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
      if (in.size() > kMaxHead || conn.read(in, kMaxHead) != detail::ServerConn::Rc::ok) {
        return;
      }
    }
    Head head = parse_head(in.substr(0, head_end));
    in.erase(0, head_end + 4);
    if (lower(head.headers["expect"]) == "100-continue" &&
        conn.write("HTTP/1.1 100 Continue\r\n\r\n") != detail::ServerConn::Rc::ok) {
      return;
    }
    size_t length = std::strtoul(head.headers["content-length"].c_str(), nullptr, 10);
    while (in.size() < length && length <= kMaxBody) {
      if (conn.read(in, length - in.size()) != detail::ServerConn::Rc::ok) {
        return;
      }
    }
    TokenRequestSeen req{.method = head.method,
                         .target = head.target,
                         .content_type = head.headers["content-type"],
                         .body = in.substr(0, length),
                         .form = parse_form(in.substr(0, length))};
    TokenReply r = reply_for(req);
    if (r.action == TokenReply::Action::stall) {
      (void)conn.stall();
      return;
    }
    if (r.action == TokenReply::Action::disconnect) {
      conn.drop();
      return;
    }
    std::string out =
        "HTTP/1.1 " + std::to_string(r.status) + " " + reason_of(r.status) +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(r.body.size()) +
        "\r\nConnection: close\r\n\r\n" + r.body;
    if (conn.write(out) == detail::ServerConn::Rc::ok) {
      conn.close();
    }
  }
};

FakeTokenEndpoint::FakeTokenEndpoint(std::string cert_file, std::string key_file)
    : impl_(std::make_unique<Impl>()) {
  impl_->cert_file = std::move(cert_file);
  impl_->key_file = std::move(key_file);
}

FakeTokenEndpoint::~FakeTokenEndpoint() {
  stop();
}

Status FakeTokenEndpoint::start() {
  Impl& m = *impl_;
  m.ctx.reset(SSL_CTX_new(TLS_server_method()));
  if (!m.ctx || SSL_CTX_use_certificate_chain_file(m.ctx.get(), m.cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(m.ctx.get(), m.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return make_error(Errc::config, "fake token endpoint: certificate%s",
                      ossl::errors_to_string().c_str());
  }
  SSL_CTX_set_options(m.ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  m.listen_fd = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_in in4{};
  in4.sin_family = AF_INET;
  in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof in4;
  if (!m.listen_fd.valid() ||
      ::bind(m.listen_fd.get(), reinterpret_cast<sockaddr*>(&in4), sizeof in4) != 0 ||
      ::listen(m.listen_fd.get(), 16) != 0 ||
      ::getsockname(m.listen_fd.get(), reinterpret_cast<sockaddr*>(&in4), &len) != 0) {
    return sys_error(Errc::io, errno, "fake token endpoint: listen on 127.0.0.1");
  }
  m.port = ntohs(in4.sin_port);
  m.stop_fd = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!m.stop_fd.valid()) {
    return sys_error(Errc::io, errno, "fake token endpoint: eventfd");
  }
  m.started = true;
  m.acceptor = std::thread([&m] { m.accept_loop(); });
  return {};
}

void FakeTokenEndpoint::stop() {
  Impl& m = *impl_;
  if (!m.started || m.stopped) {
    return;
  }
  m.stopped = true;
  uint64_t one = 1;
  (void)!::write(m.stop_fd.get(), &one, sizeof one);  // stays readable: every poll sees it
  m.acceptor.join();
  m.listen_fd.reset();  // from now on a connect is refused
  for (std::thread& t : m.workers) {
    t.join();
  }
}

uint16_t FakeTokenEndpoint::port() const {
  return impl_->port;
}

std::string FakeTokenEndpoint::url() const {
  return "https://localhost:" + std::to_string(impl_->port) + "/token";
}

void FakeTokenEndpoint::script(std::vector<TokenReply> replies) {
  std::lock_guard lock(impl_->mu);
  impl_->replies = std::move(replies);
  impl_->next_reply = 0;
}

std::string FakeTokenEndpoint::device_url() const {
  return "https://localhost:" + std::to_string(impl_->port) + "/devicecode";
}

std::string FakeTokenEndpoint::authorize_url() const {
  return "https://localhost:" + std::to_string(impl_->port) + "/authorize";
}

void FakeTokenEndpoint::script_device(TokenReply reply) {
  std::lock_guard lock(impl_->mu);
  impl_->device_reply = std::move(reply);
}

void FakeTokenEndpoint::expect_code(std::string code, std::string code_challenge,
                                    std::string redirect_uri) {
  std::lock_guard lock(impl_->mu);
  impl_->codes[std::move(code)] = Impl::Issued{std::move(code_challenge), std::move(redirect_uri)};
}

void FakeTokenEndpoint::accept_only(std::string refresh_token) {
  std::lock_guard lock(impl_->mu);
  impl_->accepted = std::move(refresh_token);
}

std::optional<std::string> FakeTokenEndpoint::accepted_refresh_token() const {
  std::lock_guard lock(impl_->mu);
  return impl_->accepted;
}

std::vector<TokenRequestSeen> FakeTokenEndpoint::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->seen;
}

TokenReply FakeTokenEndpoint::grant(const std::string& access_token, long expires_in,
                                    const std::string& refresh_token) {
  std::string body = "{\"access_token\": " + json_string(access_token) +
                     ", \"token_type\": \"Bearer\", \"expires_in\": " + std::to_string(expires_in);
  if (!refresh_token.empty()) {
    body += ", \"refresh_token\": " + json_string(refresh_token);
  }
  return TokenReply{.status = 200, .body = body + "}"};
}

TokenReply FakeTokenEndpoint::device_answer(const std::string& device_code,
                                            const std::string& user_code,
                                            const std::string& verification_uri, long expires_in,
                                            long interval, const std::string& message) {
  std::string body = "{\"device_code\": " + json_string(device_code) +
                     ", \"user_code\": " + json_string(user_code) +
                     ", \"verification_uri\": " + json_string(verification_uri) +
                     ", \"expires_in\": " + std::to_string(expires_in) +
                     ", \"interval\": " + std::to_string(interval);
  if (!message.empty()) {
    body += ", \"message\": " + json_string(message);
  }
  return TokenReply{.status = 200, .body = body + "}"};
}

TokenReply FakeTokenEndpoint::error(int status, const std::string& code,
                                    const std::string& description) {
  return TokenReply{.status = status,
                    .body = "{\"error\": " + json_string(code) +
                            ", \"error_description\": " + json_string(description) + "}"};
}

}  // namespace rm::test
