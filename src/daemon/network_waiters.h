// daemon/network_waiters.h — the entries deferred only because their smarthost could not be
// reached (relay/retry_policy.h awaits_network), by account, so that they go at once when the
// network is back rather than at the end of their backoff: when an attempt reaches the account
// again, and (one probe per account) when the host gains an address or a route.
// Contract: an id is held at most once, under the account of its last deferral; take() and
// forget() remove it. Errors: none. Threads: every call may come from any thread.
// Not here: scheduling (daemon/scheduler.h), noticing the network (daemon/network_watch.h).
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace rm {

class NetworkWaiters {
 public:
  void add(const std::string& account, const std::string& id);
  void forget(const std::string& id);
  // Every id waiting for `account`, removed.
  std::vector<std::string> take(const std::string& account);
  // One id of each account with waiters, removed: the probes of a network change.
  std::vector<std::string> take_probes();
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::set<std::string>> by_account_;
  std::map<std::string, std::string> account_of_;
};

}  // namespace rm
