// Tests for net/resolver.h and the lookup half of tcp_connect: a lookup that never answers ends
// at the deadline as Errc::timeout and is dropped safely when it answers later (run under the
// sanitizers to see the late write land in live memory); answers and errors pass through; the
// real getaddrinfo on loopback names.
#include "net/resolver.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "net/tcp_stream.h"

namespace rm {
namespace {

using std::chrono::steady_clock;

// Shut until release(); a lookup waiting on it stands for a resolver that never answers.
class Gate {
 public:
  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }
  void release() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Says when the last copy of the lookup that holds it is gone: the lookup thread has ended and
// let go of everything it held.
struct Witness {
  std::promise<void> gone;
  ~Witness() { gone.set_value(); }
};

SockAddress loopback4(uint16_t port) {
  SockAddress a;
  a.family = AF_INET;
  a.socktype = SOCK_STREAM;
  a.protocol = IPPROTO_TCP;
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::memcpy(&a.addr, &in, sizeof in);
  a.len = sizeof in;
  return a;
}

bool is_loopback(const SockAddress& a) {
  if (a.family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&a.addr);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (a.family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a.addr);
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) != 0;
  }
  return false;
}

TEST(Resolve, AHangingLookupEndsAtTheDeadlineAndIsDroppedWhenItAnswers) {
  auto gate = std::make_shared<Gate>();
  auto witness = std::make_shared<Witness>();
  std::future<void> lookup_gone = witness->gone.get_future();
  LookupFn hanging = [gate, witness](const std::string&, uint16_t port) {
    gate->wait();
    return Result<std::vector<SockAddress>>(std::vector<SockAddress>{loopback4(port)});
  };
  witness.reset();  // from here on only the copies of `hanging` hold it

  auto t0 = steady_clock::now();
  auto s = tcp_connect("smtp.example.com", 25, deadline_after(Millis(200)), hanging);
  auto took = steady_clock::now() - t0;
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::timeout);
  EXPECT_EQ(s.error().sys_errno, ETIMEDOUT);
  EXPECT_EQ(s.error().what, "resolve smtp.example.com: no answer within 0.2 s");
  EXPECT_GE(took, Millis(190));
  EXPECT_LT(took, Millis(3000));

  // The caller is gone; now the lookup answers into the state it shares with nobody.
  hanging = nullptr;
  gate->release();
  ASSERT_EQ(lookup_gone.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "the lookup thread never let go of its lookup";
}

TEST(Resolve, AnswersAndErrorsPassThrough) {
  struct Case {
    const char* name;
    LookupFn lookup;
    bool ok;
    Errc code;
    std::string what;
  };
  const Case cases[] = {
      {.name = "addresses",
       .lookup =
           [](const std::string&, uint16_t port) {
             return Result<std::vector<SockAddress>>(
                 std::vector<SockAddress>{loopback4(port), loopback4(port)});
           },
       .ok = true,
       .code = Errc::io,
       .what = ""},
      {.name = "the lookup's error",
       .lookup =
           [](const std::string& host, uint16_t) {
             return Result<std::vector<SockAddress>>(
                 make_error(Errc::resolve, "resolve %s: Name or service not known", host.c_str()));
           },
       .ok = false,
       .code = Errc::resolve,
       .what = "resolve mx.example.org: Name or service not known"},
      {.name = "no address",
       .lookup =
           [](const std::string&, uint16_t) {
             return Result<std::vector<SockAddress>>(std::vector<SockAddress>{});
           },
       .ok = false,
       .code = Errc::resolve,
       .what = "resolve mx.example.org: no address"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = resolve("mx.example.org", 587, deadline_after(Millis(5000)), c.lookup);
    ASSERT_EQ(r.has_value(), c.ok);
    if (c.ok) {
      ASSERT_EQ(r->size(), 2u);
      EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in*>(&(*r)[0].addr)->sin_port), 587);
    } else {
      EXPECT_EQ(r.error().code, c.code);
      EXPECT_EQ(r.error().what, c.what);
    }
  }
}

TEST(Resolve, GetaddrinfoFindsLoopbackNames) {
  struct Case {
    const char* host;
  };
  const Case cases[] = {{"localhost"}, {"127.0.0.1"}, {"[::1]"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.host);
    auto r = resolve(c.host, 25, deadline_after(Millis(5000)));
    ASSERT_TRUE(r) << r.error().what;
    ASSERT_FALSE(r->empty());
    for (const SockAddress& a : *r) {
      EXPECT_TRUE(is_loopback(a));
      EXPECT_EQ(a.socktype, SOCK_STREAM);
    }
  }
}

}  // namespace
}  // namespace rm
