// daemon/housekeeper.h — the daemon's periodic chores: SMTP sessions idle for idle_session are
// QUIT (a smarthost drops an idle session after a while, and a message sent on a dropped one
// would wait a whole retry), and what crashed writers left in the spool (files in tmp/, orphan
// messages in queue/: QueueStore::clean_tmp) is removed, at start and then every tmp_every.
// Contract: run() does a round at once and then every tick until stop(); stop() wakes it.
// Errors: a failed cleaning is logged, one line, and tried again next time; so is each orphan
// message removed.
// Threads: run() on a thread of its own; stop() from any.
// Not here: delivery (daemon/delivery_worker.h), the pool's rules (relay/connection_pool.h).
#pragma once

#include <condition_variable>
#include <mutex>

#include "core/clock.h"
#include "log/logger.h"
#include "queue/queue_store.h"
#include "relay/connection_pool.h"

namespace rm {

class Housekeeper {
 public:
  struct Options {
    Millis tick{1000};
    Millis idle_session{5000};  // Postfix keeps a cached session 2 s; servers drop after minutes
    std::chrono::minutes tmp_every{10};
  };
  // What crashed writers left: older than this and unlocked (as the one-shot run cleans).
  // A minute also covers the instant between a tmp/ file's creation and its lock.
  static constexpr int64_t kTmpGarbageAge = 60;

  Housekeeper(ConnectionPool& pool, QueueStore& store, Logger& log, Options opts)
      : pool_(pool), store_(store), log_(log), opts_(opts) {}
  Housekeeper(ConnectionPool& pool, QueueStore& store, Logger& log)
      : Housekeeper(pool, store, log, Options{}) {}
  void run();
  void stop();

 private:
  void clean_tmp();

  ConnectionPool& pool_;
  QueueStore& store_;
  Logger& log_;
  Options opts_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

}  // namespace rm
