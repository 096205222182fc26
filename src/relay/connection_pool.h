// relay/connection_pool.h — the open SMTP sessions of each account, for whoever delivers (a
// one-shot queue run, the daemon's scheduler). A session is leased to one attempt at a time,
// carries up to the account's messages_per_connection transactions, is closed when spent, broken
// or idle too long, and at most `connections` are open per account. The first connection of an
// account not known to be up is opened by one caller alone; others asking meanwhile wait for its
// result. A connect that fails while none of the account's sessions is open makes the account
// "down" until down_for has passed: asking before then gets that failure at once, no new attempt.
// Errors: the Connector's, unclassified. Never logs.
// Threads: every call may come from any thread; connects run outside the pool's lock. A Lease
// belongs to its holder; dropping a non-empty one closes its session.
// Not here: which entry goes on which session (relay/queue_runner.h), opening one (connector.h).
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "relay/connector.h"
#include "relay/delivery_attempt.h"

namespace rm {

class ConnectionPool {
 public:
  struct Options {
    // How long an account stays down; nullopt: for the pool's life (a one-shot run never
    // retries an account it could not reach).
    std::optional<Millis> down_for;
  };

  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& o) noexcept;
    Lease& operator=(Lease&& o) noexcept;
    ~Lease();
    explicit operator bool() const { return client_ != nullptr; }
    SmtpClient& client() { return *client_; }

   private:
    friend class ConnectionPool;
    ConnectionPool* pool_ = nullptr;
    std::string account_;
    uint32_t per_connection_ = 0;  // messages_per_connection; 0 = no limit
    uint32_t transactions_ = 0;
    std::unique_ptr<SmtpClient> client_;
  };

  ConnectionPool(Connector& connector, const Clock& clock, Options options);
  ConnectionPool(Connector& connector, const Clock& clock)
      : ConnectionPool(connector, clock, Options{}) {}
  ~ConnectionPool();  // QUITs the idle sessions; leases must be gone by then
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A session for `account`: an idle one, or a new one while fewer than its `connections` are
  // open; an empty Lease when that many are leased already.
  Result<Lease> acquire(const Account& account);
  // After a send() on `lease`: counts the transaction, and closes the session when it is spent,
  // broken, or a needed RSET fails (the lease is then empty: acquire another for the next one).
  void after_send(Lease& lease, DeliveryAttempt::SessionAfter after);
  // Back to the idle set for a later acquire().
  void release(Lease lease);
  // QUITs the sessions that have been idle for `idle_for` or longer.
  void close_idle(Millis idle_for);

  // Forgets which accounts are down: the next acquire() tries again (a flush ignores backoff).
  void clear_down();

  // Some session of `account` opened in this pool's life: its smarthost was reached.
  bool reached(const std::string& account) const;

 private:
  struct Idle {
    Lease lease;
    MonoTime since;
  };
  struct AccountState {
    size_t open = 0;       // sessions that exist, leased or idle
    bool opening = false;  // the first connection is being opened; others wait
    bool reached = false;
    std::optional<Error> down;           // the failure, while down
    std::optional<MonoTime> down_until;  // nullopt: for good
    std::vector<Idle> idle;
  };

  // A session of `lease` that is gone: the count goes down.
  void closed(const std::string& account);
  AccountState& state(const std::string& account);

  Connector& connector_;
  const Clock& clock_;
  Options options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;  // an account's first connection was opened, or failed
  std::map<std::string, AccountState> accounts_;
};

}  // namespace rm
