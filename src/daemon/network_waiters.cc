#include "daemon/network_waiters.h"

namespace rm {

void NetworkWaiters::add(const std::string& account, const std::string& id) {
  std::lock_guard lock(mu_);
  auto [it, fresh] = account_of_.emplace(id, account);
  if (!fresh && it->second != account) {
    by_account_[it->second].erase(id);
    it->second = account;
  }
  by_account_[account].insert(id);
}

void NetworkWaiters::forget(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = account_of_.find(id);
  if (it == account_of_.end()) {
    return;
  }
  auto acc = by_account_.find(it->second);
  acc->second.erase(id);
  if (acc->second.empty()) {
    by_account_.erase(acc);
  }
  account_of_.erase(it);
}

std::vector<std::string> NetworkWaiters::take(const std::string& account) {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  auto acc = by_account_.find(account);
  if (acc == by_account_.end()) {
    return out;
  }
  for (const std::string& id : acc->second) {
    account_of_.erase(id);
    out.push_back(id);
  }
  by_account_.erase(acc);
  return out;
}

std::vector<std::string> NetworkWaiters::take_probes() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (auto acc = by_account_.begin(); acc != by_account_.end();) {
    const std::string id = *acc->second.begin();
    account_of_.erase(id);
    acc->second.erase(acc->second.begin());
    out.push_back(id);
    acc = acc->second.empty() ? by_account_.erase(acc) : std::next(acc);
  }
  return out;
}

size_t NetworkWaiters::size() const {
  std::lock_guard lock(mu_);
  return account_of_.size();
}

}  // namespace rm
