// How a one-shot run uses its threads (relay/queue_runner.h has the contract):
// Threads. run() makes three passes (the due entries; those that waited only for the network,
// when this run reached their smarthost; the DSNs it queued), and in each pass takes the
// accounts one after another. An account's entries of a pass are shared by min(connections,
// entries) workers: the calling thread and up to connections - 1 std::threads. Each worker owns
// one session (kept for the later passes) and takes the next entry from a shared index, so the
// order of outcomes is not the spool's. The first connection of an account in a run is opened
// alone: the other workers wait for it, and if it fails every entry of that account defers with
// its error, without another attempt (one connection attempt per run for an unreachable
// smarthost). A worker whose own connection cannot be (re)opened later hands its entry back,
// untouched, and stops, unless it is the last one, which then defers the rest as a single
// session would. A connection lost mid-transaction defers that transaction's entry only.
// Recording an attempt (bounce, .env update, move to failed/, each with its fsync, then the
// outcome report) is done by the worker before its session goes on, except for a delivered
// entry: that goes to the pass's committer thread, which removes all the delivered entries
// waiting (at most 2 per worker) with one fsync (QueueStore::remove_each) while the sessions
// go on. Until its state is on disk an entry stays locked and unreported: nothing else happens
// for it. A pass ends when its workers and its committer are joined. With one entry per worker
// there is no committer, and connections = 1 with a single entry runs on the calling thread.
// What the threads share, and how:
//  - `on_outcome` is called from the worker and committer threads, never two calls at a time (a
//    mutex): it may use state of its own without locking, but not state another thread uses;
//  - RunSummary: one per thread, merged after the join; the bounce list and the RandomSource
//    are behind the runner's mutex;
//  - the QueueStore gets calls for different entries at once (try_lock, load, open_content,
//    update, remove_each, move_to_failed, begin and commit): FsQueueStore allows that
//    (queue/fs_queue_store.h); one entry is only ever touched by the thread holding its lock;
#include "relay/queue_runner.h"

#include <algorithm>
#include <condition_variable>
#include <iterator>
#include <optional>
#include <system_error>
#include <thread>

#include "relay/retry_policy.h"

namespace rm {

// A worker's place in an account's run, kept for the later passes: its session and, once one
// could not be (re)opened in this run, the reason (it is not tried again).
struct QueueRunner::Slot {
  ConnectionPool::Lease lease;
  std::optional<Error> failed;
};

// An account in one run. `mu` guards everything but the slots, each of which belongs to the
// worker of its index.
struct QueueRunner::AccountRun {
  std::mutex mu;
  std::condition_variable cv;                // an entry was handed back, or a worker left
  bool failure_noted = false;                // in RunSummary::account_failures already
  std::vector<std::unique_ptr<Slot>> slots;  // slot k: worker k of every pass
  // The pass in progress: entries[next..] are still to take, `returned` were handed back by
  // workers that left, `returning` are on their way back, `active` workers still take entries.
  std::vector<const QueueEntry*> entries;
  size_t next = 0;
  std::vector<const QueueEntry*> returned;
  size_t returning = 0;
  size_t active = 0;
};

// Delivered entries waiting to be removed by the committer thread, which takes all that wait
// and removes them with one fsync (QueueStore::remove_each). At most `capacity` wait, so the
// entries sent but not yet recorded stay few: a crash can make those go out twice (delivery is
// at-least-once).
struct QueueRunner::Committer {
  std::mutex mu;
  std::condition_variable ready;  // the committer: an entry came, or the pass is over
  std::condition_variable room;   // workers: the waiting entries were taken
  std::vector<DeliveryAttempt> jobs;
  size_t capacity = 1;
  bool closing = false;
};

// The runner's RandomSource, shared by the attempts of all its threads.
class QueueRunner::LockedRandom final : public RandomSource {
 public:
  LockedRandom(std::mutex& mu, RandomSource& inner) : mu_(mu), inner_(inner) {}
  double uniform() override {
    std::lock_guard lock(mu_);
    return inner_.uniform();
  }

 private:
  std::mutex& mu_;
  RandomSource& inner_;
};

namespace {

// Delivered entries that may wait for the committer, per worker. Two let the batches grow while
// an fsync is slow, and bound what a crash could send twice to 2 per connection waiting plus as
// many in the batch being removed.
constexpr size_t kCommitQueuePerWorker = 2;

void merge(RunSummary& into, RunSummary&& part) {
  into.delivered += part.delivered;
  into.deferred += part.deferred;
  into.failed += part.failed;
  into.busy += part.busy;
  for (Error& e : part.errors) {
    into.errors.push_back(std::move(e));
  }
  for (auto& f : part.account_failures) {
    into.account_failures.push_back(std::move(f));
  }
}

// Every recipient sent: concluding the attempt is removing the entry, nothing more.
bool all_sent(const QueueEntry& e) {
  return std::all_of(e.rcpts.begin(), e.rcpts.end(),
                     [](const RcptEntry& r) { return r.state == RcptState::sent; });
}

}  // namespace

QueueRunner::QueueRunner(std::shared_ptr<const Config> config, std::string hostname,
                         QueueStore& store, Connector& connector, const Clock& clock,
                         std::function<void(const EntryOutcome&)> on_outcome, RandomSource* random)
    : config_(std::move(config)),
      hostname_(std::move(hostname)),
      store_(store),
      connector_(connector),
      clock_(clock),
      env_{config_, hostname_, store_, clock_},
      on_outcome_(std::move(on_outcome)),
      random_(random != nullptr ? *random : own_random_) {}

const Account* QueueRunner::account_for(const QueueEntry& entry) const {
  return pick_account(*config_, entry.sender, entry.account);
}

RunSummary QueueRunner::run(const RunOptions& options) {
  RunSummary summary;
  // DESIGN.md §6: what a crashed writer left in tmp/, and an orphan message in queue/, is
  // garbage. A writer still at work holds its file's lock (queue_store.h), so the bound only has
  // to cover the instant between a file's creation and its lock.
  constexpr int64_t kTmpGarbageAge = 60;
  if (auto cleaned = store_.clean_tmp(kTmpGarbageAge); !cleaned) {
    summary.errors.push_back(std::move(cleaned).error());
  } else {
    summary.orphans_removed = std::move(cleaned->orphans);
  }
  auto listed = store_.list();
  if (!listed) {
    summary.errors.push_back(std::move(listed).error());
    return summary;
  }
  summary.quarantined = listed->quarantined;
  ConnectionPool pool(connector_, clock_);     // outlives the slots' leases below
  std::map<std::string, AccountRun> accounts;  // by account name; "" = no account
  {
    std::lock_guard lock(mu_);
    new_bounces_.clear();
  }
  const ClockReading now = read_clock(clock_);
  auto selected = [&](const QueueEntry& e) {
    return e.has_pending() &&
           (options.only.empty() ||
            std::find(options.only.begin(), options.only.end(), e.id) != options.only.end());
  };
  std::vector<const QueueEntry*> due;
  std::vector<const QueueEntry*> waiting;  // not due now
  for (const QueueEntry& e : listed->entries) {
    if (!selected(e)) {
      continue;
    }
    bool is_due = options.force || retry_due(config_->retry, e, now) ||
                  entry_expired(config_->retry, e, now);  // bounce it without waiting
    (is_due ? due : waiting).push_back(&e);
  }
  pass(due, accounts, pool, summary);
  // The network is back: entries deferred only because their smarthost could not be reached go
  // now, on the connections this run opened, rather than at the end of their backoff.
  std::vector<const QueueEntry*> back;
  for (const QueueEntry* e : waiting) {
    const Account* acc = account_for(*e);
    if (acc != nullptr && pool.reached(acc->name) && awaits_network(*e)) {
      back.push_back(e);
    }
  }
  pass(back, accounts, pool, summary);
  // A permanent failure produces its DSN in the same run (DESIGN.md §9), and so does a delay
  // warning. DSNs never bounce nor warn, so one pass over those queued above is enough.
  std::vector<std::string> bounce_ids;
  {
    std::lock_guard lock(mu_);
    bounce_ids = new_bounces_;
  }
  std::vector<QueueEntry> bounces;
  for (const std::string& id : bounce_ids) {
    if (auto b = store_.load(id)) {
      bounces.push_back(std::move(*b));
    }
  }
  std::vector<const QueueEntry*> bounce_pass;
  for (const QueueEntry& b : bounces) {
    bounce_pass.push_back(&b);
  }
  pass(bounce_pass, accounts, pool, summary);
  for (auto& [name, ar] : accounts) {
    for (auto& slot : ar.slots) {
      pool.release(std::move(slot->lease));  // QUIT when the pool goes, at the end of the run
    }
  }
  return summary;
}

void QueueRunner::pass(const std::vector<const QueueEntry*>& entries,
                       std::map<std::string, AccountRun>& accounts, ConnectionPool& pool,
                       RunSummary& summary) {
  std::vector<std::pair<const Account*, std::vector<const QueueEntry*>>> groups;
  for (const QueueEntry* e : entries) {
    const Account* acc = account_for(*e);
    auto g =
        std::find_if(groups.begin(), groups.end(), [&](const auto& x) { return x.first == acc; });
    if (g == groups.end()) {
      groups.emplace_back(acc, std::vector<const QueueEntry*>{});
      g = std::prev(groups.end());
    }
    g->second.push_back(e);
  }
  for (auto& [acc, group] : groups) {
    run_account(acc, accounts[acc == nullptr ? std::string() : acc->name], pool, std::move(group),
                summary);
  }
}

void QueueRunner::run_account(const Account* acc, AccountRun& ar, ConnectionPool& pool,
                              std::vector<const QueueEntry*> entries, RunSummary& summary) {
  size_t want = acc == nullptr ? 1 : std::clamp<size_t>(acc->connections, 1, kMaxConnections);
  size_t workers = std::min(want, entries.size());
  if (workers == 0) {
    return;
  }
  while (ar.slots.size() < workers) {
    ar.slots.push_back(std::make_unique<Slot>());
  }
  // The committer only pays when a worker has more than one entry to deliver.
  bool commit_aside = entries.size() > workers && acc != nullptr;
  {
    std::lock_guard lock(ar.mu);
    ar.entries = std::move(entries);
    ar.next = 0;
    ar.returned.clear();
    ar.returning = 0;
    ar.active = 1;  // the calling thread
  }
  Committer com;
  com.capacity = kCommitQueuePerWorker * workers;
  std::vector<RunSummary> parts(workers + 1);  // the last one is the committer's
  std::vector<std::thread> committer;
  if (commit_aside) {
    RunSummary& part = parts[workers];
    spawn(committer, [this, &com, &part] { commit_removals(com, part); });
  }
  Committer* use = committer.empty() ? nullptr : &com;
  std::vector<std::thread> worker_threads;
  for (size_t k = 1; k < workers; ++k) {
    {
      std::lock_guard lock(ar.mu);
      ++ar.active;
    }
    Slot& slot = *ar.slots[k];
    RunSummary& part = parts[k];
    if (!spawn(worker_threads, [this, acc, &ar, &slot, &pool, use, &part] {
          work(acc, ar, slot, pool, use, part);
        })) {
      std::lock_guard lock(ar.mu);
      --ar.active;
      break;
    }
  }
  work(acc, ar, *ar.slots[0], pool, use, parts[0]);
  for (std::thread& t : worker_threads) {
    t.join();
  }
  {
    std::lock_guard lock(com.mu);
    com.closing = true;
  }
  com.ready.notify_all();
  for (std::thread& t : committer) {
    t.join();
  }
  for (RunSummary& part : parts) {
    merge(summary, std::move(part));
  }
}

bool QueueRunner::spawn(std::vector<std::thread>& threads, std::function<void()> fn) {
  try {
    threads.emplace_back(std::move(fn));
    return true;
  } catch (const std::system_error&) {  // no thread to be had: make do with fewer
    return false;
  }
}

void QueueRunner::work(const Account* acc, AccountRun& ar, Slot& slot, ConnectionPool& pool,
                       Committer* com, RunSummary& summary) {
  while (const QueueEntry* e = take(ar)) {
    std::optional<DeliveryAttempt> att;
    switch (attempt(*e, acc, ar, slot, pool, att, summary)) {
      case Taken::skipped:
        break;
      case Taken::handed_back:
        give_back(ar, e);  // its lock is released by now
        return;
      case Taken::decided: {
        std::vector<DeliveryAttempt> one;
        one.push_back(std::move(*att));
        if (com == nullptr || !all_sent(one[0].entry())) {
          finish(one, summary);  // failures and deferrals: recorded before the session goes on
          break;
        }
        {
          std::unique_lock lock(com->mu);
          com->room.wait(lock, [&] { return com->jobs.size() < com->capacity; });
          com->jobs.push_back(std::move(one[0]));
        }
        com->ready.notify_one();
        break;
      }
    }
  }
}

void QueueRunner::commit_removals(Committer& com, RunSummary& summary) {
  for (;;) {
    std::vector<DeliveryAttempt> batch;
    {
      std::unique_lock lock(com.mu);
      com.ready.wait(lock, [&] { return !com.jobs.empty() || com.closing; });
      if (com.jobs.empty()) {
        return;
      }
      batch.swap(com.jobs);  // all that wait: one fsync for the lot
    }
    com.room.notify_all();
    finish(batch, summary);
  }
}

void QueueRunner::finish(std::vector<DeliveryAttempt>& attempts, RunSummary& summary) {
  LockedRandom random(mu_, random_);
  std::vector<std::string> removals;
  for (DeliveryAttempt& a : attempts) {
    switch (a.conclude(random)) {
      case DeliveryAttempt::Recorded::deferred:
        ++summary.deferred;
        break;
      case DeliveryAttempt::Recorded::failed:
        ++summary.failed;
        break;
      case DeliveryAttempt::Recorded::done:
        ++summary.delivered;
        removals.push_back(a.entry().id);
        break;
    }
    for (Error& e : a.errors()) {
      summary.errors.push_back(std::move(e));
    }
    for (const std::string* dsn : {&a.outcome().bounce, &a.outcome().warning}) {
      if (!dsn->empty()) {
        std::lock_guard lock(mu_);
        new_bounces_.push_back(*dsn);
      }
    }
  }
  if (!removals.empty()) {
    for (Status& st : store_.remove_each(removals)) {
      if (!st) {
        summary.errors.push_back(std::move(st).error());
      }
    }
  }
  for (DeliveryAttempt& a : attempts) {
    report(a.outcome());
    a.release();  // only now may another runner take the entry
  }
}

const QueueEntry* QueueRunner::take(AccountRun& ar) {
  std::unique_lock lock(ar.mu);
  // An entry on its way back must find a taker: nobody leaves while one is.
  ar.cv.wait(lock, [&] {
    return !ar.returned.empty() || ar.next < ar.entries.size() || ar.returning == 0;
  });
  if (!ar.returned.empty()) {
    const QueueEntry* e = ar.returned.back();
    ar.returned.pop_back();
    return e;
  }
  if (ar.next < ar.entries.size()) {
    return ar.entries[ar.next++];
  }
  --ar.active;
  return nullptr;
}

void QueueRunner::give_back(AccountRun& ar, const QueueEntry* entry) {
  std::lock_guard lock(ar.mu);
  ar.returned.push_back(entry);
  --ar.returning;
  ar.cv.notify_all();
}

void QueueRunner::report(const EntryOutcome& out) {
  if (on_outcome_) {
    std::lock_guard lock(outcome_mu_);
    on_outcome_(out);
  }
}

QueueRunner::Opened QueueRunner::open_session(const Account& acc, AccountRun& ar, Slot& slot,
                                              ConnectionPool& pool, RunSummary& summary) {
  // This worker cannot connect: it leaves the entry to the others while there are any; the last
  // one defers what is left, as a single session would.
  auto leave_or_fail = [&] {
    std::lock_guard lock(ar.mu);
    if (ar.active > 1) {
      --ar.active;
      ++ar.returning;
      return Opened::leave;
    }
    if (!ar.failure_noted) {
      ar.failure_noted = true;
      summary.account_failures.emplace_back(acc.name, *slot.failed);
    }
    return Opened::failed;
  };
  if (slot.failed) {
    return leave_or_fail();
  }
  auto lease = pool.acquire(acc);
  if (lease && *lease) {
    slot.lease = std::move(*lease);
    return Opened::ready;
  }
  slot.failed = lease ? make_error(Errc::connect, "connect %s: all %u connections are busy",
                                   acc.name.c_str(), acc.connections)
                      : std::move(lease).error();
  if (!pool.reached(acc.name)) {
    // The smarthost was never reached in this run: every entry of the account defers with this
    // error, without another attempt.
    std::lock_guard lock(ar.mu);
    if (!ar.failure_noted) {
      ar.failure_noted = true;
      summary.account_failures.emplace_back(acc.name, *slot.failed);
    }
    return Opened::failed;
  }
  return leave_or_fail();
}

QueueRunner::Taken QueueRunner::attempt(const QueueEntry& listed, const Account* acc,
                                        AccountRun& ar, Slot& slot, ConnectionPool& pool,
                                        std::optional<DeliveryAttempt>& att, RunSummary& summary) {
  auto begun = DeliveryAttempt::begin(env_, listed.id);
  if (!begun || !begun->has_value()) {
    if (!begun) {
      summary.errors.push_back(std::move(begun).error());
    }
    ++summary.busy;
    return Taken::skipped;
  }
  att = std::move(**begun);
  if (att->expire_unattempted()) {  // an expired entry costs no connection
    return Taken::decided;
  }
  if (acc == nullptr) {
    att->fail(make_error(Errc::config, "no account configured"));
    return Taken::decided;
  }
  Opened o = slot.lease ? Opened::ready : open_session(*acc, ar, slot, pool, summary);
  if (o == Opened::leave) {
    att.reset();  // unlocked; the entry is untouched
    return Taken::handed_back;
  }
  if (o == Opened::failed) {
    // An outage past the lifetime bounces (DeliveryAttempt::conclude).
    att->fail(*slot.failed, acc->host + ":" + std::to_string(acc->port));
    return Taken::decided;
  }
  pool.after_send(slot.lease, att->send(slot.lease.client(), *acc));
  return Taken::decided;
}

}  // namespace rm
