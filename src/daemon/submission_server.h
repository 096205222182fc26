// daemon/submission_server.h — the daemon's side of the submission socket: one SMTP dialogue per
// connection (submit/smtp_stdio.h), each on its own thread, every message committed under the
// uid the kernel reports for the connection (SO_PEERCRED: the entry's uid, the Received: line,
// the From: the daemon adds) and handed to the Scheduler at once.
// Contract: 250 only after the commit (fsync included); uid 65534 (unmapped in a user
// namespace) is refused; a client silent for kIdleTimeout is dropped.
// Errors: logged once here, one line per refused connection or message.
// Threads: run() is the accepting thread; dialogues run on threads of their own; stop() and
// wait_idle() may be called from any thread.
// Limits: per uid (daemon/uid_policy.h; the daemon's own uid is as root), refused with 421 4.7.0
// (connections), 553 5.7.1 (sender), 450 4.7.1 (hourly messages), 552 5.3.4 (size), 550 5.7.1.
// Not here: delivery (daemon/delivery_worker.h), what the limits are (daemon/uid_policy.h).
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>

#include "context/context.h"
#include "daemon/config_holder.h"
#include "daemon/queue_flusher.h"
#include "daemon/scheduler.h"
#include "daemon/submission_ledger.h"
#include "log/logger.h"
#include "queue/queue_store.h"
#include "sys/peer_cred.h"
#include "sys/unique_fd.h"

namespace rm {

struct SubmissionDeps {
  ConfigHolder& config;
  const Context& ctx;  // the daemon's own: host names, /etc/mailname
  QueueStore& store;
  const Clock& clock;
  Scheduler& scheduler;
  QueueFlusher& flusher;  // XFLUSH
  Logger& log;
};

class SubmissionServer {
 public:
  SubmissionServer(SubmissionDeps deps, UniqueFd listen_fd);
  ~SubmissionServer();
  // Accepts connections until stop().
  void run();
  // Stops accepting; dialogues in progress go on.
  void stop();
  // Waits until no dialogue is in progress or `grace` has passed; true when none is.
  bool wait_idle(Millis grace);

 private:
  void serve(UniqueFd conn);
  void dialogue(int fd, const PeerCred& cred);

  SubmissionDeps d_;
  UniqueFd listen_;
  UniqueFd wake_read_;
  UniqueFd wake_write_;
  std::mutex mu_;
  std::condition_variable idle_;
  size_t active_ = 0;
  SubmissionLedger ledger_;  // per-uid connections and messages of the hour
};

}  // namespace rm
