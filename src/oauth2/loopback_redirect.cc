#include "oauth2/loopback_redirect.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string_view>
#include <vector>

#include "oauth2/url_query.h"

namespace rm {
namespace {

constexpr Millis kAnswerTime{2000};  // to write a page to a browser that reads it

struct Conn {
  UniqueFd fd;
  std::string head;
};

// What a complete request gets: a page, and whether it ends the wait (with this result).
struct Verdict {
  int status = 400;
  const char* text = "relaymail could not read this request.";
  std::optional<Result<SecretString>> end = std::nullopt;
};

const char* reason_of(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 404:
      return "Not Found";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Bad Request";
  }
}

// "GET <target> HTTP/1.1\r\n..." → target; nullopt for anything else.
std::optional<std::string_view> get_target(std::string_view head) {
  std::string_view line = head.substr(0, head.find("\r\n"));
  if (!line.starts_with("GET /")) {
    return std::nullopt;
  }
  line.remove_prefix(4);
  size_t sp = line.find(' ');
  std::string_view version = sp == std::string_view::npos ? "" : line.substr(sp + 1);
  std::string_view target = line.substr(0, sp);
  const bool printable = std::all_of(target.begin(), target.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
  });
  if (!printable || (version != "HTTP/1.1" && version != "HTTP/1.0")) {
    return std::nullopt;
  }
  return target;
}

Verdict judge(std::string_view head, const std::string& state) {
  Verdict v;
  std::optional<std::string_view> target = get_target(head);
  if (!target) {
    return v;
  }
  size_t q = target->find('?');
  if (target->substr(0, q) != "/") {
    return Verdict{.status = 404, .text = "Not here."};
  }
  auto params = parse_query(q == std::string_view::npos ? "" : target->substr(q + 1));
  if (!params) {
    return v;
  }
  auto it = params->find("state");
  if (it == params->end() || it->second != state) {
    v.text = "This answer is not for the authorization relaymail is waiting for.";
    v.end = make_error(Errc::protocol,
                       "the browser's redirect carries another state: not the authorization "
                       "started here; run the command again");
    return v;
  }
  if (auto error = params->find("error"); error != params->end()) {
    std::string code = error->second.substr(0, 100);
    std::replace_if(
        code.begin(), code.end(),
        [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }, '?');
    v.status = 200;
    v.text = "The authorization was refused. You can close this page.";
    v.end = make_error(Errc::auth, "the authorization was refused (%s)", code.c_str());
    return v;
  }
  auto code = params->find("code");
  if (code == params->end() || code->second.empty()) {
    v.end = make_error(Errc::protocol, "the browser's redirect carries no authorization code");
    return v;
  }
  v.status = 200;
  v.text = "relaymail is authorized. You can close this page.";
  v.end = SecretString(std::move(code->second));
  return v;
}

// Best effort: the browser may have gone; what it was sent changes nothing here.
void answer(int fd, int status, const char* text, Deadline deadline) {
  std::string body = std::string("<!DOCTYPE html>\n<title>relaymail</title>\n<p>") + text + "\n";
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason_of(status) +
                    "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: " +
                    std::to_string(body.size()) +
                    "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n" + body;
  Deadline until = std::min(deadline, deadline_after(kAnswerTime));
  for (size_t done = 0; done < out.size();) {
    ssize_t n = ::send(fd, out.data() + done, out.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    pollfd p{fd, POLLOUT, 0};
    if ((n < 0 && errno != EAGAIN && errno != EINTR) || ::poll(&p, 1, millis_left(until)) <= 0) {
      return;
    }
  }
  (void)::shutdown(fd, SHUT_WR);
}

// Reads what `c` has; a verdict once its head is complete (or too large), else nullopt. A
// connection the peer closed gets a verdict with status 0: dropped without a page.
std::optional<Verdict> read_some(Conn& c, const std::string& state) {
  char buf[4096];
  ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
    return std::nullopt;
  }
  if (n <= 0) {
    return Verdict{.status = 0};
  }
  c.head.append(buf, static_cast<size_t>(n));
  size_t end = c.head.find("\r\n\r\n");
  if (end == std::string::npos && c.head.size() > kMaxRequestHead) {
    return Verdict{.status = 431, .text = "The request is too large."};
  }
  if (end == std::string::npos) {
    return std::nullopt;
  }
  return end + 4 > kMaxRequestHead ? Verdict{.status = 431, .text = "The request is too large."}
                                   : judge(std::string_view(c.head).substr(0, end), state);
}

}  // namespace

Result<LoopbackRedirect> LoopbackRedirect::open() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_in in4{};
  in4.sin_family = AF_INET;
  in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof in4;
  if (!fd.valid() || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&in4), sizeof in4) != 0 ||
      ::listen(fd.get(), 8) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&in4), &len) != 0) {
    return sys_error(Errc::io, errno, "listen on 127.0.0.1 for the browser's redirect");
  }
  return LoopbackRedirect(std::move(fd), ntohs(in4.sin_port));
}

std::string LoopbackRedirect::redirect_uri() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

Result<SecretString> LoopbackRedirect::wait(const std::string& state, Deadline deadline) {
  std::vector<Conn> conns;
  for (int left = millis_left(deadline); left > 0; left = millis_left(deadline)) {
    std::vector<pollfd> fds{{fd_.get(), POLLIN, 0}};
    for (const Conn& c : conns) {
      fds.push_back({c.fd.get(), POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), left) < 0 && errno != EINTR) {
      return sys_error(Errc::io, errno, "wait for the browser on %s", redirect_uri().c_str());
    }
    for (size_t i = conns.size(); i-- > 0;) {
      std::optional<Verdict> v =
          fds[i + 1].revents != 0 ? read_some(conns[i], state) : std::nullopt;
      if (!v) {
        continue;
      }
      if (v->status != 0) {
        answer(conns[i].fd.get(), v->status, v->text, deadline);
      }
      if (v->end) {
        return std::move(*v->end);
      }
      conns.erase(conns.begin() + static_cast<ptrdiff_t>(i));
    }
    if ((fds[0].revents & POLLIN) != 0) {
      UniqueFd c(::accept4(fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (c.valid() && conns.size() == kMaxConnections) {
        conns.erase(conns.begin());
      }
      if (c.valid()) {
        conns.push_back(Conn{std::move(c), {}});
      }
    }
  }
  return make_error(Errc::timeout, "no redirect from the browser reached %s in time",
                    redirect_uri().c_str());
}

}  // namespace rm
