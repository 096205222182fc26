#include "relay/connection_pool.h"

#include <algorithm>

namespace rm {

ConnectionPool::Lease::Lease(Lease&& o) noexcept
    : pool_(o.pool_),
      account_(std::move(o.account_)),
      per_connection_(o.per_connection_),
      transactions_(o.transactions_),
      client_(std::move(o.client_)) {}

ConnectionPool::Lease& ConnectionPool::Lease::operator=(Lease&& o) noexcept {
  if (this != &o) {
    Lease gone(std::move(*this));
    pool_ = o.pool_;
    account_ = std::move(o.account_);
    per_connection_ = o.per_connection_;
    transactions_ = o.transactions_;
    client_ = std::move(o.client_);
  }
  return *this;
}

ConnectionPool::Lease::~Lease() {
  if (client_) {
    client_->quit();
    client_.reset();
    pool_->closed(account_);
  }
}

ConnectionPool::ConnectionPool(Connector& connector, const Clock& clock, Options options)
    : connector_(connector), clock_(clock), options_(options) {}

ConnectionPool::~ConnectionPool() {
  std::map<std::string, AccountState> accounts;
  {
    std::lock_guard lock(mu_);
    accounts.swap(accounts_);
  }
  for (auto& [name, st] : accounts) {
    for (Idle& i : st.idle) {
      i.lease.client_->quit();
      i.lease.client_.reset();  // no count to keep: the pool is going
    }
  }
}

ConnectionPool::AccountState& ConnectionPool::state(const std::string& account) {
  return accounts_[account];
}

void ConnectionPool::closed(const std::string& account) {
  std::lock_guard lock(mu_);
  AccountState& st = state(account);
  if (st.open > 0) {
    --st.open;
  }
}

Result<ConnectionPool::Lease> ConnectionPool::acquire(const Account& account) {
  bool first = false;
  {
    std::unique_lock lock(mu_);
    AccountState& st = state(account.name);
    cv_.wait(lock, [&] { return !st.opening; });
    if (st.down && (!st.down_until || clock_.mono() < *st.down_until)) {
      return *st.down;
    }
    st.down.reset();
    if (!st.idle.empty()) {
      Lease l = std::move(st.idle.back().lease);
      st.idle.pop_back();
      return l;
    }
    size_t cap = std::clamp<size_t>(account.connections, 1, kMaxConnections);
    if (st.open >= cap) {
      return Lease();
    }
    ++st.open;
    first = !st.reached;
    st.opening = first;  // the account's first connection: the others wait for its result
  }
  auto c = connector_.connect(account);
  std::lock_guard lock(mu_);
  AccountState& st = state(account.name);
  if (first) {
    st.opening = false;
    cv_.notify_all();
  }
  if (!c) {
    --st.open;
    if (first || st.open == 0) {  // nothing of the account is open: it is down, not one session
      st.down = c.error();
      st.down_until.reset();
      if (options_.down_for) {
        st.down_until = clock_.mono() + *options_.down_for;
      }
    }
    return std::move(c).error();
  }
  st.reached = true;
  Lease l;
  l.pool_ = this;
  l.account_ = account.name;
  l.per_connection_ = account.messages_per_connection;
  l.client_ = std::move(*c);
  return l;
}

void ConnectionPool::after_send(Lease& lease, DeliveryAttempt::SessionAfter after) {
  using After = DeliveryAttempt::SessionAfter;
  if (!lease || after == After::untouched) {
    return;
  }
  ++lease.transactions_;
  const bool spent = lease.per_connection_ != 0 && lease.transactions_ >= lease.per_connection_;
  const bool usable = after == After::reusable;
  if (spent && usable) {
    lease.client_->quit();  // the smarthost's per-connection limit: start afresh for the next
  }
  // A completed transaction leaves nothing to RSET (RFC 5321 §4.1.1.4): one round trip less.
  if (spent || !usable || (lease.client_->needs_reset() && !lease.client_->reset())) {
    lease.client_.reset();
    closed(lease.account_);
  }
}

void ConnectionPool::release(Lease lease) {
  if (!lease) {
    return;
  }
  std::lock_guard lock(mu_);
  AccountState& st = state(lease.account_);
  st.idle.push_back(Idle{std::move(lease), clock_.mono()});
}

void ConnectionPool::close_idle(Millis idle_for) {
  std::vector<Lease> old;
  {
    std::lock_guard lock(mu_);
    const MonoTime now = clock_.mono();
    for (auto& [name, st] : accounts_) {
      auto keep = std::stable_partition(st.idle.begin(), st.idle.end(),
                                        [&](const Idle& i) { return now - i.since < idle_for; });
      for (auto it = keep; it != st.idle.end(); ++it) {
        old.push_back(std::move(it->lease));
      }
      st.idle.erase(keep, st.idle.end());
    }
  }
  old.clear();  // QUIT outside the lock; each Lease gives its count back
}

void ConnectionPool::clear_down() {
  std::lock_guard lock(mu_);
  for (auto& [name, st] : accounts_) {
    st.down.reset();
    st.down_until.reset();
  }
}

bool ConnectionPool::reached(const std::string& account) const {
  std::lock_guard lock(mu_);
  auto it = accounts_.find(account);
  return it != accounts_.end() && it->second.reached;
}

}  // namespace rm
