#include "relay/queue_runner.h"

#include <algorithm>
#include <condition_variable>
#include <iterator>
#include <optional>
#include <system_error>
#include <thread>

#include "mail/dsn.h"
#include "relay/classify.h"
#include "relay/outgoing.h"
#include "relay/retry_policy.h"
#include "sys/fd_io.h"

namespace rm {

// One connection of an account, used by one worker at a time and kept for the later passes.
struct QueueRunner::Session {
  std::unique_ptr<SmtpClient> client;
  std::optional<Error> failed;  // could not be (re)opened in this run: not tried again
  uint32_t transactions = 0;    // on the current connection
};

// An account in one run. `mu` guards everything but the sessions, each of which belongs to the
// worker of its slot.
struct QueueRunner::AccountRun {
  enum class Link { untried, opening, up, down };

  std::mutex mu;
  std::condition_variable cv;  // link left `opening`, or an entry was handed back
  Link link = Link::untried;   // up: some connection opened in this run ("reached")
  std::optional<Error> down;   // why the first connection failed: every entry defers with it
  bool failure_noted = false;  // in RunSummary::account_failures already
  std::vector<std::unique_ptr<Session>> sessions;  // slot k: worker k of every pass
  // The pass in progress: entries[next..] are still to take, `returned` were handed back by
  // workers that left, `returning` are on their way back, `active` workers still take entries.
  std::vector<const QueueEntry*> entries;
  size_t next = 0;
  std::vector<const QueueEntry*> returned;
  size_t returning = 0;
  size_t active = 0;
};

// An attempt whose outcome is decided but not yet recorded. Until finish() has put its state on
// disk (and queued its bounce), nothing else happens for the entry: its lock is held and its
// outcome not reported. A delivered entry's worker goes on with its next entry meanwhile.
struct QueueRunner::Finish {
  QueueEntry entry;
  std::vector<bool> failed_before;  // per recipient, failed before this attempt
  EntryOutcome out;
  bool attempted = true;  // false: expired without a delivery attempt
  std::unique_ptr<EntryLock> lock;
};

// Delivered entries waiting to be removed by the committer thread, which takes all that wait
// and removes them with one fsync (QueueStore::remove_each). At most `capacity` wait, so the
// entries sent but not yet recorded stay few: a crash can make those go out twice (delivery is
// at-least-once).
struct QueueRunner::Committer {
  std::mutex mu;
  std::condition_variable ready;  // the committer: an entry came, or the pass is over
  std::condition_variable room;   // workers: the waiting entries were taken
  std::vector<Finish> jobs;
  size_t capacity = 1;
  bool closing = false;
};

namespace {

// Delivered entries that may wait for the committer, per worker. Two let the batches grow while
// an fsync is slow (measured: about +25 % over one on the 2-core test VM's ext4), and bound what
// a crash could send twice to 2 per connection waiting plus as many in the batch being removed.
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

}  // namespace

const char* entry_result_name(EntryResult r) {
  switch (r) {
    case EntryResult::delivered:
      return "sent";
    case EntryResult::deferred:
      return "deferred";
    case EntryResult::failed:
      return "failed";
    case EntryResult::partial:
      return "partial";
    case EntryResult::busy:
      return "busy";
  }
  return "?";
}

QueueRunner::QueueRunner(const Config& config, std::string hostname, QueueStore& store,
                         Connector& connector, const Clock& clock,
                         std::function<void(const EntryOutcome&)> on_outcome, RandomSource* random)
    : config_(config),
      hostname_(std::move(hostname)),
      store_(store),
      connector_(connector),
      clock_(clock),
      on_outcome_(std::move(on_outcome)),
      random_(random != nullptr ? *random : own_random_) {}

const Account* QueueRunner::account_for(const QueueEntry& entry) const {
  return pick_account(config_, entry.sender, entry.account);
}

RunSummary QueueRunner::run(const RunOptions& options) {
  RunSummary summary;
  // DESIGN.md §6: what a crashed writer left in tmp/ is garbage. A writer still at work holds its
  // file's lock (queue_store.h), so the bound only has to cover the instant between a file's
  // creation and its lock.
  constexpr int64_t kTmpGarbageAge = 60;
  if (auto cleaned = store_.clean_tmp(kTmpGarbageAge); !cleaned) {
    summary.errors.push_back(std::move(cleaned).error());
  }
  auto listed = store_.list();
  if (!listed) {
    summary.errors.push_back(std::move(listed).error());
    return summary;
  }
  summary.quarantined = listed->quarantined;
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
    bool is_due = options.force || retry_due(config_.retry, e, now) ||
                  entry_expired(config_.retry, e, now);  // bounce it without waiting
    (is_due ? due : waiting).push_back(&e);
  }
  pass(due, accounts, summary);
  // The network is back: entries deferred only because their smarthost could not be reached go
  // now, on the connections this run opened, rather than at the end of their backoff.
  std::vector<const QueueEntry*> back;
  for (const QueueEntry* e : waiting) {
    const Account* acc = account_for(*e);
    auto a = accounts.find(acc == nullptr ? std::string() : acc->name);
    if (a != accounts.end() && a->second.link == AccountRun::Link::up && awaits_network(*e)) {
      back.push_back(e);
    }
  }
  pass(back, accounts, summary);
  // A permanent failure produces its DSN in the same run (DESIGN.md §9). Bounces never bounce,
  // so one pass over those queued above is enough.
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
  pass(bounce_pass, accounts, summary);
  for (auto& [name, ar] : accounts) {
    for (auto& s : ar.sessions) {
      if (s->client) {
        s->client->quit();
      }
    }
  }
  return summary;
}

void QueueRunner::pass(const std::vector<const QueueEntry*>& entries,
                       std::map<std::string, AccountRun>& accounts, RunSummary& summary) {
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
    run_account(acc, accounts[acc == nullptr ? std::string() : acc->name], std::move(group),
                summary);
  }
}

void QueueRunner::run_account(const Account* acc, AccountRun& ar,
                              std::vector<const QueueEntry*> entries, RunSummary& summary) {
  size_t want = acc == nullptr ? 1 : std::clamp<size_t>(acc->connections, 1, kMaxConnections);
  size_t workers = std::min(want, entries.size());
  if (workers == 0) {
    return;
  }
  while (ar.sessions.size() < workers) {
    ar.sessions.push_back(std::make_unique<Session>());
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
    Session& s = *ar.sessions[k];
    RunSummary& part = parts[k];
    if (!spawn(worker_threads, [this, acc, &ar, &s, use, &part] { work(acc, ar, s, use, part); })) {
      std::lock_guard lock(ar.mu);
      --ar.active;
      break;
    }
  }
  work(acc, ar, *ar.sessions[0], use, parts[0]);
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

namespace {

// Every recipient sent: recording the attempt is removing the entry, nothing more.
bool all_sent(const QueueEntry& e) {
  return std::all_of(e.rcpts.begin(), e.rcpts.end(),
                     [](const RcptEntry& r) { return r.state == RcptState::sent; });
}

}  // namespace

void QueueRunner::work(const Account* acc, AccountRun& ar, Session& s, Committer* com,
                       RunSummary& summary) {
  while (const QueueEntry* e = take(ar)) {
    std::vector<Finish> job(1);
    switch (deliver(*e, acc, ar, s, job[0], summary)) {
      case Attempt::skipped:
        break;
      case Attempt::handed_back:
        give_back(ar, e);  // its lock is released by now
        return;
      case Attempt::decided:
        if (com == nullptr || !job[0].attempted || !all_sent(job[0].entry)) {
          finish(job, summary);  // failures and deferrals: recorded before the session goes on
          break;
        }
        {
          std::unique_lock lock(com->mu);
          com->room.wait(lock, [&] { return com->jobs.size() < com->capacity; });
          com->jobs.push_back(std::move(job[0]));
        }
        com->ready.notify_one();
        break;
    }
  }
}

void QueueRunner::commit_removals(Committer& com, RunSummary& summary) {
  for (;;) {
    std::vector<Finish> batch;
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

void QueueRunner::finish(std::vector<Finish>& jobs, RunSummary& summary) {
  std::vector<std::string> removals;
  for (Finish& job : jobs) {
    bool remove = false;
    conclude(job.entry, job.failed_before, job.out, summary, job.attempted, remove);
    if (remove) {
      removals.push_back(job.entry.id);
    }
  }
  if (!removals.empty()) {
    for (Status& st : store_.remove_each(removals)) {
      if (!st) {
        summary.errors.push_back(std::move(st).error());
      }
    }
  }
  for (Finish& job : jobs) {
    report(job.out);
    job.lock.reset();  // only now may another runner take the entry
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

QueueRunner::Opened QueueRunner::open_session(const Account& acc, AccountRun& ar, Session& s,
                                              RunSummary& summary) {
  using Link = AccountRun::Link;
  bool first = false;
  {
    std::unique_lock lock(ar.mu);
    ar.cv.wait(lock, [&] { return ar.link != Link::opening; });
    if (ar.link == Link::down) {
      s.failed = ar.down;
      return Opened::failed;
    }
    if (s.failed) {
      // This worker cannot connect: it leaves the entry to the others while there are any; the
      // last one defers what is left, as a single session would.
      if (ar.active > 1) {
        --ar.active;
        ++ar.returning;
        return Opened::leave;
      }
      return Opened::failed;
    }
    if (ar.link == Link::untried) {
      ar.link = Link::opening;  // the account's first connection in this run: the others wait
      first = true;
    }
  }
  auto c = connector_.connect(acc);
  std::lock_guard lock(ar.mu);
  if (first) {
    ar.link = c ? Link::up : Link::down;
    if (!c) {
      ar.down = c.error();
    }
    ar.cv.notify_all();
  }
  if (c) {
    s.client = std::move(*c);
    return Opened::ready;
  }
  s.failed = std::move(c).error();
  if (!first && ar.active > 1) {
    --ar.active;
    ++ar.returning;
    return Opened::leave;
  }
  if (!ar.failure_noted) {
    ar.failure_noted = true;
    summary.account_failures.emplace_back(acc.name, *s.failed);
  }
  return Opened::failed;
}

QueueRunner::Attempt QueueRunner::deliver(const QueueEntry& listed, const Account* acc,
                                          AccountRun& ar, Session& s, Finish& job,
                                          RunSummary& summary) {
  auto lock = store_.try_lock(listed.id);
  if (!lock || !lock->has_value()) {
    if (!lock) {
      summary.errors.push_back(std::move(lock).error());
    }
    ++summary.busy;
    return Attempt::skipped;
  }
  auto loaded = store_.load(listed.id);  // fresh state, now that we hold the lock
  if (!loaded) {
    summary.errors.push_back(std::move(loaded).error());
    ++summary.busy;
    return Attempt::skipped;
  }
  job.entry = std::move(*loaded);
  QueueEntry& entry = job.entry;
  EntryOutcome& out = job.out;
  out.id = entry.id;
  out.sender = entry.sender;
  for (const RcptEntry& r : entry.rcpts) {
    job.failed_before.push_back(r.state == RcptState::failed);
  }
  if (expire(entry, entry.attempts, out)) {  // an expired entry costs no connection
    job.attempted = false;
  } else if (acc == nullptr) {
    fail_all(entry, make_error(Errc::config, "no account configured"), out);
  } else {
    Opened o = s.client ? Opened::ready : open_session(*acc, ar, s, summary);
    if (o == Opened::leave) {
      return Attempt::handed_back;  // `lock` goes now; the entry is untouched
    }
    if (o == Opened::failed) {
      out.relay = acc->host + ":" + std::to_string(acc->port);
      fail_all(entry, *s.failed, out);  // an outage past the lifetime bounces (conclude)
    } else {
      transact(entry, *acc, s, out);
    }
  }
  job.lock = std::move(**lock);
  return Attempt::decided;
}

void QueueRunner::transact(QueueEntry& entry, const Account& acc, Session& s, EntryOutcome& out) {
  out.relay = s.client->peer();
  if (auto info = s.client->tls_info()) {
    out.tls = info->version;
  }
  auto content = store_.open_content(entry.id);
  if (!content) {
    fail_all(entry, std::move(content).error(), out);
    return;
  }
  FdSource source(content->get());
  std::vector<size_t> idx;
  for (size_t k = 0; k < entry.rcpts.size(); ++k) {
    if (entry.rcpts[k].state == RcptState::pending || entry.rcpts[k].state == RcptState::deferred) {
      idx.push_back(k);
    }
  }
  OutgoingMessage msg = make_outgoing(entry, acc, config_, idx, &source);
  TransactionResult tr = s.client->send(msg);
  apply(entry, tr, idx, out);
  bool session_ok =
      !tr.error || tr.error->code == Errc::smtp_temp || tr.error->code == Errc::smtp_perm;
  ++s.transactions;
  bool spent = acc.messages_per_connection != 0 && s.transactions >= acc.messages_per_connection;
  if (spent && session_ok) {
    s.client->quit();  // the smarthost's per-connection limit: start afresh for the next entry
  }
  // A completed transaction leaves nothing to RSET (RFC 5321 §4.1.1.4): one round trip less.
  if (spent || !session_ok || (s.client->needs_reset() && !s.client->reset())) {
    s.client.reset();
    s.transactions = 0;
  }
}

void QueueRunner::apply(QueueEntry& entry, const TransactionResult& tr,
                        const std::vector<size_t>& idx, EntryOutcome& out) {
  for (size_t j = 0; j < idx.size(); ++j) {
    RcptEntry& r = entry.rcpts[idx[j]];
    const Error* err = nullptr;
    if (j < tr.rcpt_errors.size() && tr.rcpt_errors[j]) {
      err = &*tr.rcpt_errors[j];
    } else if (tr.error) {
      err = &*tr.error;
    }
    if (err == nullptr && tr.delivered()) {
      r.state = RcptState::sent;
      r.last_reply = tr.final_reply->summary();
      continue;
    }
    Error fallback = make_error(Errc::protocol, "transaction ended without a final reply");
    const Error& e = err != nullptr ? *err : fallback;
    r.state = classify(e) == Disposition::bounce ? RcptState::failed : RcptState::deferred;
    r.last_reply = e.reply ? e.reply->summary() : e.what;
    out.dsn = dsn_status(e);
    out.reason = e.what;
  }
}

void QueueRunner::fail_all(QueueEntry& entry, const Error& err, EntryOutcome& out) {
  RcptState st = classify(err) == Disposition::bounce ? RcptState::failed : RcptState::deferred;
  for (RcptEntry& r : entry.rcpts) {
    if (r.state == RcptState::pending || r.state == RcptState::deferred) {
      r.state = st;
      r.last_reply = err.reply ? err.reply->summary() : err.what;
    }
  }
  out.dsn = dsn_status(err);
  out.reason = err.what;
}

bool QueueRunner::expire(QueueEntry& entry, uint32_t attempts, EntryOutcome& out) {
  if (!entry.has_pending() || !entry_expired(config_.retry, entry, read_clock(clock_))) {
    return false;
  }
  for (RcptEntry& r : entry.rcpts) {
    if (r.state == RcptState::pending || r.state == RcptState::deferred) {
      Error err = expired_error(attempts, r.last_reply.empty() ? entry.last_error : r.last_reply);
      r.state = classify(err) == Disposition::bounce ? RcptState::failed : RcptState::deferred;
      r.last_reply = err.what;
      out.dsn = dsn_status(err);
      out.reason = err.what;
    }
  }
  return true;
}

void QueueRunner::conclude(QueueEntry& entry, const std::vector<bool>& failed_before,
                           EntryOutcome& out, RunSummary& summary, bool attempted,
                           bool& remove_later) {
  if (attempted) {
    expire(entry, entry.attempts + 1, out);  // counting the attempt that just ended
  }
  if (!bounce(entry, failed_before, out, summary)) {
    // No failure is recorded without its bounce: those recipients stay deferred, are tried again
    // on the backoff schedule and fail (and bounce) again once the spool takes the DSN.
    for (size_t k = 0; k < entry.rcpts.size(); ++k) {
      if (entry.rcpts[k].state == RcptState::failed && !failed_before[k]) {
        entry.rcpts[k].state = RcptState::deferred;
      }
    }
  }
  record(entry, out, summary, attempted, remove_later);
}

namespace {

// "550 5.1.1 no such user" → "5.1.1"; "554 rejected" → "5.0.0"; anything else → `fallback`.
std::string status_of(const std::string& reply, const std::string& fallback) {
  auto digit = [&](size_t i) { return i < reply.size() && reply[i] >= '0' && reply[i] <= '9'; };
  if (!(digit(0) && digit(1) && digit(2)) || (reply[0] != '4' && reply[0] != '5')) {
    return fallback;
  }
  size_t sp = reply.find(' ');
  if (sp != std::string::npos && sp + 1 < reply.size() && reply[sp + 1] == reply[0]) {
    std::string code = reply.substr(sp + 1, reply.find(' ', sp + 1) - sp - 1);
    if (code.size() >= 5 && code[1] == '.') {
      return code;
    }
  }
  return std::string(1, reply[0]) + ".0.0";
}

}  // namespace

bool QueueRunner::bounce(const QueueEntry& entry, const std::vector<bool>& failed_before,
                         EntryOutcome& out, RunSummary& summary) {
  DsnInput in;
  for (size_t k = 0; k < entry.rcpts.size(); ++k) {
    const RcptEntry& r = entry.rcpts[k];
    if (r.state == RcptState::failed && !failed_before[k]) {
      std::string host = out.relay.substr(0, out.relay.rfind(':'));
      in.failed.push_back(
          DsnRecipient{r.addr, status_of(r.last_reply, out.dsn), r.last_reply, host, 0});
    }
  }
  if (in.failed.empty()) {
    return true;
  }
  if (must_not_bounce(entry.sender, entry.dsn_notify)) {
    out.no_bounce = entry.sender.empty() ? "null sender" : "NOTIFY";
    return true;
  }
  std::string to = has_real_domain(entry.sender) ? entry.sender : config_.admin;
  if (to.empty()) {
    out.no_bounce = "sender has no real domain and no admin is set";
    return true;
  }
  auto draft = store_.begin();
  auto original = store_.open_content(entry.id);
  if (!draft || !original) {
    summary.errors.push_back(!draft ? std::move(draft).error() : std::move(original).error());
    return false;
  }
  FdSource source(original->get());
  in.reporting_mta = hostname_;
  in.original_envid = entry.dsn_envid;
  in.queue_id = entry.id;
  in.arrival = entry.created;
  in.now = clock_.wall();
  in.to = to;
  in.original_sender = entry.sender;
  in.headers_only = (entry.dsn_ret == "HDRS");
  in.eightbit = entry.eightbit;
  in.unique = (*draft)->id();
  QueueEntry b;
  b.id = (*draft)->id();
  b.uid = entry.uid;
  b.rcpts.push_back(RcptEntry{to, RcptState::pending, ""});
  stamp_created(b, in.now, clock_.boot());
  b.eightbit = entry.eightbit;
  Status st = write_dsn(in, source, (*draft)->sink());
  if (st) {
    st = store_.commit(**draft, b);
  }
  if (!st) {
    summary.errors.push_back(std::move(st).error());
    return false;
  }
  out.bounce = b.id;
  std::lock_guard lock(mu_);
  new_bounces_.push_back(b.id);
  return true;
}

void QueueRunner::record(QueueEntry& entry, EntryOutcome& out, RunSummary& summary, bool attempted,
                         bool& remove_later) {
  const ClockReading now = read_clock(clock_);
  if (attempted) {
    entry.attempts += 1;
  }
  bool pending = false;
  bool failed = false;
  bool sent = false;
  for (const RcptEntry& r : entry.rcpts) {
    pending |= (r.state == RcptState::pending || r.state == RcptState::deferred);
    failed |= (r.state == RcptState::failed);
    sent |= (r.state == RcptState::sent);
  }
  Status st;
  if (pending) {
    double u = 0;
    {
      std::lock_guard lock(mu_);
      u = random_.uniform();
    }
    schedule_retry(entry, config_.retry, now, u);
    entry.last_error = out.reason;
    st = store_.update(entry);
    out.result = (sent || failed) ? EntryResult::partial : EntryResult::deferred;
    ++summary.deferred;
  } else if (failed) {
    entry.last_error = out.reason;
    rebase_boot(entry, config_.retry, now);
    st = store_.update(entry);
    if (st) {
      st = store_.move_to_failed(entry.id);
    }
    out.result = sent ? EntryResult::partial : EntryResult::failed;
    ++summary.failed;
  } else {
    remove_later = true;  // the caller removes it, with others, before anything else
    out.result = EntryResult::delivered;
    ++summary.delivered;
  }
  if (!st) {
    summary.errors.push_back(std::move(st).error());
  }
  out.rcpts = entry.rcpts;
  out.attempts = entry.attempts;
  out.next_try = entry.next_try;
  out.delay = static_cast<double>(entry_age(entry, now));
}

}  // namespace rm
