#include "relay/queue_runner.h"

#include <algorithm>
#include <map>
#include <optional>

#include "mail/dsn.h"
#include "relay/classify.h"
#include "relay/outgoing.h"
#include "relay/retry_policy.h"
#include "sys/fd_io.h"

namespace rm {

struct QueueRunner::Session {
  std::unique_ptr<SmtpClient> client;
  std::optional<Error> failed;  // the connect failure of this run: later entries defer with it
  bool reached = false;         // a connection to the smarthost opened in this run
  uint32_t transactions = 0;    // on the current connection
};

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
  std::map<std::string, Session> sessions;  // by account name
  auto attempt = [&](const QueueEntry& e) {
    const Account* acc = account_for(e);
    Session& s = sessions[acc == nullptr ? std::string() : acc->name];
    EntryOutcome out = deliver(e, s, summary);
    if (out.result != EntryResult::busy && on_outcome_) {
      on_outcome_(out);
    }
  };
  new_bounces_.clear();
  const ClockReading now = read_clock(clock_);
  auto selected = [&](const QueueEntry& e) {
    return e.has_pending() &&
           (options.only.empty() ||
            std::find(options.only.begin(), options.only.end(), e.id) != options.only.end());
  };
  std::vector<const QueueEntry*> waiting;  // not due now
  for (const QueueEntry& e : listed->entries) {
    if (!selected(e)) {
      continue;
    }
    bool due = options.force || retry_due(config_.retry, e, now) ||
               entry_expired(config_.retry, e, now);  // bounce it without waiting
    if (due) {
      attempt(e);
    } else {
      waiting.push_back(&e);
    }
  }
  // The network is back: entries deferred only because their smarthost could not be reached go
  // now, on the connection this run opened, rather than at the end of their backoff.
  for (const QueueEntry* e : waiting) {
    const Account* acc = account_for(*e);
    auto s = sessions.find(acc == nullptr ? std::string() : acc->name);
    if (s != sessions.end() && s->second.reached && awaits_network(*e)) {
      attempt(*e);
    }
  }
  // A permanent failure produces its DSN in the same run (DESIGN.md §9). Bounces never bounce,
  // so one pass over those queued above is enough.
  for (const std::string& id : std::vector<std::string>(new_bounces_)) {
    if (auto b = store_.load(id)) {
      attempt(*b);
    }
  }
  for (auto& [name, s] : sessions) {
    if (s.client) {
      s.client->quit();
    }
  }
  return summary;
}

EntryOutcome QueueRunner::deliver(const QueueEntry& listed, Session& s, RunSummary& summary) {
  EntryOutcome out;
  out.id = listed.id;
  out.result = EntryResult::busy;
  auto lock = store_.try_lock(listed.id);
  if (!lock || !lock->has_value()) {
    if (!lock) {
      summary.errors.push_back(std::move(lock).error());
    }
    ++summary.busy;
    return out;
  }
  auto loaded = store_.load(listed.id);  // fresh state, now that we hold the lock
  if (!loaded) {
    summary.errors.push_back(std::move(loaded).error());
    ++summary.busy;
    return out;
  }
  QueueEntry entry = std::move(*loaded);
  out.sender = entry.sender;
  std::vector<bool> failed_before;
  for (const RcptEntry& r : entry.rcpts) {
    failed_before.push_back(r.state == RcptState::failed);
  }
  if (expire(entry, entry.attempts, out)) {  // an expired entry costs no connection
    conclude(entry, failed_before, out, summary, /*attempted=*/false);
    return out;
  }
  const Account* acc = account_for(entry);
  if (acc == nullptr) {
    fail_all(entry, make_error(Errc::config, "no account configured"), out);
    conclude(entry, failed_before, out, summary);
    return out;
  }
  if (!s.client && !s.failed) {
    auto c = connector_.connect(*acc);
    if (c) {
      s.client = std::move(*c);
      s.reached = true;
    } else {
      s.failed = std::move(c).error();
      summary.account_failures.emplace_back(acc->name, *s.failed);
    }
  }
  if (s.failed) {
    out.relay = acc->host + ":" + std::to_string(acc->port);
    fail_all(entry, *s.failed, out);
    conclude(entry, failed_before, out, summary);  // an outage past the lifetime bounces
    return out;
  }
  out.relay = s.client->peer();
  if (auto info = s.client->tls_info()) {
    out.tls = info->version;
  }
  auto content = store_.open_content(entry.id);
  if (!content) {
    fail_all(entry, std::move(content).error(), out);
    conclude(entry, failed_before, out, summary);
    return out;
  }
  FdSource source(content->get());
  std::vector<size_t> idx;
  for (size_t k = 0; k < entry.rcpts.size(); ++k) {
    if (entry.rcpts[k].state == RcptState::pending || entry.rcpts[k].state == RcptState::deferred) {
      idx.push_back(k);
    }
  }
  OutgoingMessage msg = make_outgoing(entry, *acc, config_, idx, &source);
  TransactionResult tr = s.client->send(msg);
  apply(entry, tr, idx, out);
  // The bounce is queued before the entry records the failure, and the sent recipients are on
  // disk before the session goes on.
  conclude(entry, failed_before, out, summary);
  bool session_ok =
      !tr.error || tr.error->code == Errc::smtp_temp || tr.error->code == Errc::smtp_perm;
  ++s.transactions;
  bool spent = acc->messages_per_connection != 0 && s.transactions >= acc->messages_per_connection;
  if (spent && session_ok) {
    s.client->quit();  // the smarthost's per-connection limit: start afresh for the next entry
  }
  if (spent || !session_ok || !s.client->reset()) {
    s.client.reset();
    s.transactions = 0;
  }
  return out;
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
                           EntryOutcome& out, RunSummary& summary, bool attempted) {
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
  finish(entry, out, summary, attempted);
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
  new_bounces_.push_back(b.id);
  return true;
}

void QueueRunner::finish(QueueEntry& entry, EntryOutcome& out, RunSummary& summary,
                         bool attempted) {
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
    schedule_retry(entry, config_.retry, now, random_.uniform());
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
    st = store_.remove(entry.id);
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
