// Tests for oauth2/loopback_redirect.h on real loopback sockets: the browser's redirect with
// the right state gives the code and a 200 page; a wrong state, the server's error or no code
// end the wait with their errors; garbage, other methods, other paths, an oversized head and
// idle connections are answered (or dropped) while the wait goes on; the deadline ends it.
#include "oauth2/loopback_redirect.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <future>
#include <optional>
#include <string>
#include <vector>

namespace rm {
namespace {

using std::chrono::milliseconds;

constexpr char kState[] = "st-7Qx";

UniqueFd connect_to(uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in in4{};
  in4.sin_family = AF_INET;
  in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  in4.sin_port = htons(port);
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&in4), sizeof in4), 0);
  return fd;
}

// Everything the server sends until it closes, or until 5 s have passed.
std::string read_answer(int fd) {
  std::string out;
  Deadline until = deadline_after(milliseconds(5000));
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, millis_left(until)) <= 0) {
      return out + "<no end>";
    }
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      return out;
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

int status_of(const std::string& answer) {
  return answer.starts_with("HTTP/1.1 ") ? std::stoi(answer.substr(9, 3)) : -1;
}

std::string get(const std::string& target) {
  return "GET " + target +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: test\r\nAccept: text/html\r\n\r\n";
}

struct Req {
  std::string bytes;
  int want_status = 200;  // 0: an idle connection, sent nothing, never answered
};

struct ListenCase {
  const char* name;
  std::vector<Req> reqs;
  std::optional<std::string> code = std::nullopt;  // else the error
  std::optional<Errc> error = std::nullopt;
  std::string error_has = {};
  milliseconds limit{10000};
};

TEST(LoopbackRedirect, Table) {
  const std::string good = get(std::string("/?state=") + kState + "&code=4%2F0AX-code&scope=x");
  const std::string oversized =
      "GET /?state=x HTTP/1.1\r\nX: " + std::string(kMaxRequestHead + 1 - 26, 'a');
  const ListenCase kCases[] = {
      {.name = "the redirect", .reqs = {{good}}, .code = "4/0AX-code"},
      {.name = "HTTP/1.0 too",
       .reqs = {{std::string("GET /?code=c&state=") + kState + " HTTP/1.0\r\n\r\n"}},
       .code = "c"},
      {.name = "a wrong state ends it",
       .reqs = {{get("/?state=other&code=c"), 400}},
       .error = Errc::protocol,
       .error_has = "another state"},
      {.name = "no state ends it", .reqs = {{get("/?code=c"), 400}}, .error = Errc::protocol},
      {.name = "the user said no",
       .reqs = {{get(std::string("/?error=access_denied&state=") + kState)}},
       .error = Errc::auth,
       .error_has = "the authorization was refused (access_denied)"},
      {.name = "no code",
       .reqs = {{get(std::string("/?state=") + kState), 400}},
       .error = Errc::protocol,
       .error_has = "no authorization code"},
      {.name = "garbage, then the redirect",
       .reqs = {{"\x16\x03\x01 hello\r\n\r\n", 400}, {good}},
       .code = "4/0AX-code"},
      {.name = "another method, a bad escape, then the redirect",
       .reqs = {{"POST / HTTP/1.1\r\n\r\n", 400}, {get("/?state=%zz"), 400}, {good}},
       .code = "4/0AX-code"},
      {.name = "the favicon, then the redirect",
       .reqs = {{get("/favicon.ico"), 404}, {good}},
       .code = "4/0AX-code"},
      {.name = "an oversized head, then the redirect",
       .reqs = {{oversized, 431}, {good}},
       .code = "4/0AX-code"},
      {.name = "idle connections (more than are kept), then the redirect",
       .reqs = {{"", 0}, {"", 0}, {"", 0}, {"", 0}, {"", 0}, {good}},
       .code = "4/0AX-code"},
      {.name = "nothing comes", .reqs = {}, .error = Errc::timeout, .limit = milliseconds(200)},
      {.name = "half a request comes",
       .reqs = {{"GET /?state=", 0}},
       .error = Errc::timeout,
       .error_has = "no redirect from the browser reached http://127.0.0.1:",
       .limit = milliseconds(300)},
  };
  for (const ListenCase& c : kCases) {
    SCOPED_TRACE(c.name);
    auto listener = LoopbackRedirect::open();
    ASSERT_TRUE(listener) << listener.error().what;
    EXPECT_EQ(listener->redirect_uri(), "http://127.0.0.1:" + std::to_string(listener->port()));
    Deadline deadline = deadline_after(c.limit);
    auto waited = std::async(std::launch::async,
                             [&listener, deadline] { return listener->wait(kState, deadline); });
    std::vector<UniqueFd> idle;
    for (const Req& r : c.reqs) {
      UniqueFd fd = connect_to(listener->port());
      if (r.want_status == 0) {
        if (!r.bytes.empty()) {
          ASSERT_EQ(::send(fd.get(), r.bytes.data(), r.bytes.size(), 0),
                    static_cast<ssize_t>(r.bytes.size()));
        }
        idle.push_back(std::move(fd));
        continue;
      }
      ASSERT_EQ(::send(fd.get(), r.bytes.data(), r.bytes.size(), MSG_NOSIGNAL),
                static_cast<ssize_t>(r.bytes.size()));
      std::string answer = read_answer(fd.get());
      EXPECT_EQ(status_of(answer), r.want_status) << answer;
      EXPECT_NE(answer.find("Content-Type: text/html"), std::string::npos) << answer;
      EXPECT_EQ(answer.find("4/0AX"), std::string::npos) << "nothing of the request echoed";
    }
    Result<SecretString> got = waited.get();
    if (c.code) {
      ASSERT_TRUE(got) << got.error().what;
      EXPECT_EQ(got->view(), *c.code);
      continue;
    }
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, *c.error) << got.error().what;
    EXPECT_NE(got.error().what.find(c.error_has), std::string::npos) << got.error().what;
  }
}

}  // namespace
}  // namespace rm
