#include "net/resolver.h"

#include <netdb.h>
#include <netinet/in.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

namespace rm {
namespace {

struct AddrinfoFree {
  void operator()(addrinfo* p) const { ::freeaddrinfo(p); }
};
using AddrinfoPtr = std::unique_ptr<addrinfo, AddrinfoFree>;

// What the caller and the lookup thread share. Held by a shared_ptr on each side: when the
// caller gives up at its deadline the thread's reference keeps this alive until the answer has
// been stored and dropped.
struct Pending {
  std::mutex mu;
  std::condition_variable answered;
  std::optional<Result<std::vector<SockAddress>>> answer;  // set once, under mu
};

// "30 s", "0.2 s": the time the lookup was given, to a tenth of a second.
std::string budget_text(Deadline::duration budget) {
  auto tenths = std::chrono::round<std::chrono::duration<int64_t, std::deci>>(budget).count();
  if (tenths < 0) {
    tenths = 0;
  }
  if (tenths % 10 == 0) {
    return format("%lld s", static_cast<long long>(tenths / 10));
  }
  return format("%lld.%lld s", static_cast<long long>(tenths / 10),
                static_cast<long long>(tenths % 10));
}

}  // namespace

Result<std::vector<SockAddress>> getaddrinfo_lookup(const std::string& host, uint16_t port) {
  // "[::1]" as written in URLs and configs: getaddrinfo wants the bare literal.
  std::string name = host;
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  hints.ai_flags = AI_NUMERICSERV;
  const std::string service = std::to_string(port);
  addrinfo* raw = nullptr;
  int rc = ::getaddrinfo(name.c_str(), service.c_str(), &hints, &raw);
  AddrinfoPtr list(raw);
  if (rc != 0) {
    if (rc == EAI_SYSTEM) {
      return sys_error(Errc::resolve, errno, "resolve %s", host.c_str());
    }
    return make_error(Errc::resolve, "resolve %s: %s", host.c_str(), ::gai_strerror(rc));
  }
  std::vector<SockAddress> out;
  for (const addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_addr == nullptr || ai->ai_addrlen > sizeof(sockaddr_storage)) {
      continue;
    }
    SockAddress a;
    a.family = ai->ai_family;
    a.socktype = ai->ai_socktype;
    a.protocol = ai->ai_protocol;
    std::memcpy(&a.addr, ai->ai_addr, ai->ai_addrlen);
    a.len = ai->ai_addrlen;
    out.push_back(a);
  }
  return out;
}

Result<std::vector<SockAddress>> resolve(const std::string& host, uint16_t port, Deadline deadline,
                                         const LookupFn& lookup) {
  const Deadline::duration budget = deadline - std::chrono::steady_clock::now();
  auto pending = std::make_shared<Pending>();
  try {
    // Everything the thread touches is its own copy or `pending`, never the caller's frame.
    std::thread([pending, lookup, host, port] {
      auto answer = lookup(host, port);
      std::lock_guard lock(pending->mu);
      pending->answer.emplace(std::move(answer));
      pending->answered.notify_all();
    }).detach();
  } catch (const std::system_error& e) {  // std::thread's only way to say "no thread"
    return sys_error(Errc::resolve, e.code().value(), "resolve %s: start a lookup thread",
                     host.c_str());
  }
  std::unique_lock lock(pending->mu);
  if (!pending->answered.wait_until(lock, deadline, [&] { return pending->answer.has_value(); })) {
    Error e = make_error(Errc::timeout, "resolve %s: no answer within %s", host.c_str(),
                         budget_text(budget).c_str());
    e.sys_errno = ETIMEDOUT;
    return e;
  }
  Result<std::vector<SockAddress>> answer = std::move(*pending->answer);
  if (answer && answer->empty()) {
    return make_error(Errc::resolve, "resolve %s: no address", host.c_str());
  }
  return answer;
}

}  // namespace rm
