#include "relay/delivery_attempt.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "mail/dsn.h"
#include "relay/classify.h"
#include "relay/outgoing.h"
#include "sys/fd_io.h"

namespace rm {

namespace {

bool to_do(const RcptEntry& r) {
  return r.state == RcptState::pending || r.state == RcptState::deferred;
}

constexpr char kNoDsnAddress[] = "sender has no real domain and no admin is set";

// The host of a relay "host:port", a DSN's Remote-MTA; "" for none.
std::string remote_host(const std::string& relay) {
  return relay.substr(0, relay.rfind(':'));
}

// The message open at `fd` must have the size its entry recorded at commit (entry.size): one that
// was truncated or grew since is not the message that was accepted. Under the entry's lock, such
// an entry is moved to failed/, as the store quarantines an untrusted one.
Status check_size(QueueStore& store, const QueueEntry& entry, int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return sys_error(Errc::io, errno, "stat message of %s", entry.id.c_str());
  }
  // The fd stands at the message's first byte (a one-file entry's head is before it).
  const off_t at = ::lseek(fd, 0, SEEK_CUR);
  if (at < 0) {
    return sys_error(Errc::io, errno, "seek message of %s", entry.id.c_str());
  }
  const auto found = static_cast<intmax_t>(st.st_size - at);
  if (found >= 0 && static_cast<uint64_t>(found) == entry.size) {
    return {};
  }
  Status moved = store.move_to_failed(entry.id);
  std::string where = moved ? "moved to failed/" : "left in queue/ (" + moved.error().what + ")";
  return make_error(Errc::spool_corrupt,
                    "%s: message file size mismatch: expected=%ju found=%jd; not sent, %s",
                    entry.id.c_str(), static_cast<uintmax_t>(entry.size), found, where.c_str());
}

}  // namespace

DeliveryAttempt::DeliveryAttempt(const AttemptEnv& env, std::unique_ptr<EntryLock> lock,
                                 QueueEntry entry, Result<UniqueFd> content)
    : env_(&env), lock_(std::move(lock)), entry_(std::move(entry)), content_(std::move(content)) {
  out_.id = entry_.id;
  out_.sender = entry_.sender;
  for (const RcptEntry& r : entry_.rcpts) {
    failed_before_.push_back(r.state == RcptState::failed);
  }
}

Result<std::optional<DeliveryAttempt>> DeliveryAttempt::begin(const AttemptEnv& env,
                                                              std::string_view id) {
  using Maybe = std::optional<DeliveryAttempt>;
  auto lock = env.store.try_lock(id);
  if (!lock) {
    return std::move(lock).error();
  }
  if (!lock->has_value()) {
    return Maybe();
  }
  auto loaded = env.store.load(id);  // fresh state, now that we hold the lock
  if (!loaded) {
    return std::move(loaded).error();
  }
  // Opened once: the fd whose size is checked is the one send() streams.
  auto content = env.store.open_content(id);
  if (content) {
    if (auto r = check_size(env.store, *loaded, content->get()); !r) {
      return std::move(r).error();
    }
  }
  return Maybe(DeliveryAttempt(env, std::move(**lock), std::move(*loaded), std::move(content)));
}

bool DeliveryAttempt::expire_unattempted() {
  if (!expire(entry_.attempts)) {
    return false;
  }
  attempted_ = false;
  return true;
}

bool DeliveryAttempt::expire(uint32_t attempts) {
  if (!entry_.has_pending() ||
      !entry_expired(env_->config->retry, entry_, read_clock(env_->clock))) {
    return false;
  }
  for (RcptEntry& r : entry_.rcpts) {
    if (to_do(r)) {
      Error err = expired_error(attempts, r.last_reply.empty() ? entry_.last_error : r.last_reply);
      r.state = rcpt_state_after(err);
      r.last_reply = err.what;
      out_.dsn = dsn_status(err);
      out_.reason = err.what;
    }
  }
  return true;
}

DeliveryAttempt::SessionAfter DeliveryAttempt::send(SmtpClient& client, const Account& account) {
  out_.relay = client.peer();
  if (auto info = client.tls_info()) {
    out_.tls = info->version;
  }
  if (!content_) {
    fail(content_.error(), out_.relay);
    return SessionAfter::untouched;
  }
  FdSource source(content_->get());
  std::vector<size_t> idx;
  for (size_t k = 0; k < entry_.rcpts.size(); ++k) {
    if (to_do(entry_.rcpts[k])) {
      idx.push_back(k);
    }
  }
  OutgoingMessage msg = make_outgoing(entry_, account, *env_->config, idx, &source);
  TransactionResult tr = client.send(msg);
  apply(tr, idx);
  bool answered =
      !tr.error || tr.error->code == Errc::smtp_temp || tr.error->code == Errc::smtp_perm;
  return answered ? SessionAfter::reusable : SessionAfter::broken;
}

void DeliveryAttempt::apply(const TransactionResult& tr, const std::vector<size_t>& idx) {
  for (size_t j = 0; j < idx.size(); ++j) {
    RcptEntry& r = entry_.rcpts[idx[j]];
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
    r.state = rcpt_state_after(e);
    r.last_reply = e.reply ? e.reply->summary() : e.what;
    out_.dsn = dsn_status(e);
    out_.reason = e.what;
  }
}

void DeliveryAttempt::fail(const Error& err, const std::string& relay) {
  if (!relay.empty()) {
    out_.relay = relay;
  }
  RcptState st = rcpt_state_after(err);
  for (RcptEntry& r : entry_.rcpts) {
    if (to_do(r)) {
      r.state = st;
      r.last_reply = err.reply ? err.reply->summary() : err.what;
    }
  }
  out_.dsn = dsn_status(err);
  out_.reason = err.what;
}

DeliveryAttempt::Recorded DeliveryAttempt::conclude(RandomSource& random) {
  if (attempted_) {
    expire(entry_.attempts + 1);  // counting the attempt that just ended
  }
  if (!bounce()) {
    // No failure is recorded without its bounce: those recipients stay deferred, are tried again
    // on the backoff schedule and fail (and bounce) again once the spool takes the DSN.
    for (size_t k = 0; k < entry_.rcpts.size(); ++k) {
      if (entry_.rcpts[k].state == RcptState::failed && !failed_before_[k]) {
        entry_.rcpts[k].state = RcptState::deferred;
      }
    }
  }
  warn();
  return record(random);
}

bool DeliveryAttempt::bounce() {
  DsnInput in;
  const std::string host = remote_host(out_.relay);
  for (size_t k = 0; k < entry_.rcpts.size(); ++k) {
    const RcptEntry& r = entry_.rcpts[k];
    if (r.state == RcptState::failed && !failed_before_[k]) {
      in.failed.push_back(
          DsnRecipient{r.addr, reply_status(r.last_reply, out_.dsn), r.last_reply, host, 0});
    }
  }
  if (in.failed.empty()) {
    return true;
  }
  if (must_not_bounce(entry_.sender, entry_.dsn_notify)) {
    out_.no_bounce = entry_.sender.empty() ? "null sender" : "NOTIFY";
    return true;
  }
  const std::string to = dsn_to();
  if (to.empty()) {
    out_.no_bounce = kNoDsnAddress;
    return true;
  }
  in.headers_only = (entry_.dsn_ret == "HDRS");
  auto id = queue_dsn(std::move(in), to);
  if (!id) {
    errors_.push_back(std::move(id).error());
    return false;
  }
  out_.bounce = *id;
  return true;
}

void DeliveryAttempt::warn() {
  const ClockReading now = read_clock(env_->clock);
  const DelayWarning w = delay_warning(env_->config->retry, entry_, now);
  if (!w.due) {
    return;
  }
  const int64_t warned = std::max<int64_t>(1, now.wall);  // 0 would mean "never warned"
  const std::string to = dsn_to();
  if (w.rcpts.empty() || to.empty()) {
    out_.no_warning = w.rcpts.empty() ? "NOTIFY" : kNoDsnAddress;
    entry_.warned = warned;
    return;
  }
  DsnInput in;
  in.action = DsnAction::delayed;
  in.headers_only = true;  // RET asks for the content of failed DSNs only (RFC 3461 §4.3)
  in.will_retry_until = w.retry_until;
  const std::string host = remote_host(out_.relay);
  for (size_t k : w.rcpts) {
    const RcptEntry& r = entry_.rcpts[k];
    in.failed.push_back(
        DsnRecipient{r.addr, reply_status(r.last_reply, out_.dsn), r.last_reply, host, 0});
  }
  auto id = queue_dsn(std::move(in), to);
  if (!id) {
    errors_.push_back(std::move(id).error());
    return;
  }
  out_.warning = *id;
  entry_.warned = warned;
}

std::string DeliveryAttempt::dsn_to() const {
  return has_real_domain(entry_.sender) ? entry_.sender : env_->config->admin;
}

Result<std::string> DeliveryAttempt::queue_dsn(DsnInput in, const std::string& to) {
  QueueStore& store = env_->store;
  auto draft = store.begin();
  auto original = store.open_content(entry_.id);
  if (!draft || !original) {
    return !draft ? std::move(draft).error() : std::move(original).error();
  }
  FdSource source(original->get());
  in.reporting_mta = env_->hostname;
  in.original_envid = entry_.dsn_envid;
  in.queue_id = entry_.id;
  in.arrival = entry_.created;
  in.now = env_->clock.wall();
  in.to = to;
  in.original_sender = entry_.sender;
  in.eightbit = entry_.eightbit;
  in.unique = (*draft)->id();
  QueueEntry b;
  b.id = (*draft)->id();
  b.uid = entry_.uid;
  b.rcpts.push_back(RcptEntry{to, RcptState::pending, ""});
  stamp_created(b, in.now, env_->clock.boot());
  b.eightbit = entry_.eightbit;
  Status st = write_dsn(in, source, (*draft)->sink());
  if (st) {
    st = store.commit(**draft, b);
  }
  if (!st) {
    return std::move(st).error();
  }
  return b.id;
}

DeliveryAttempt::Recorded DeliveryAttempt::record(RandomSource& random) {
  const ClockReading now = read_clock(env_->clock);
  const RetryConfig& retry = env_->config->retry;
  if (attempted_) {
    entry_.attempts += 1;
  }
  bool pending = false;
  bool failed = false;
  bool sent = false;
  for (const RcptEntry& r : entry_.rcpts) {
    pending |= to_do(r);
    failed |= (r.state == RcptState::failed);
    sent |= (r.state == RcptState::sent);
  }
  Status st;
  Recorded recorded = Recorded::done;
  if (pending) {
    schedule_retry(entry_, retry, now, random.uniform());
    entry_.last_error = out_.reason;
    st = env_->store.update(entry_);
    out_.result = (sent || failed) ? EntryResult::partial : EntryResult::deferred;
    recorded = Recorded::deferred;
  } else if (failed) {
    entry_.last_error = out_.reason;
    rebase_boot(entry_, retry, now);
    st = env_->store.update(entry_);
    if (st) {
      st = env_->store.move_to_failed(entry_.id);
    }
    out_.result = sent ? EntryResult::partial : EntryResult::failed;
    recorded = Recorded::failed;
  } else {
    out_.result = EntryResult::delivered;  // removed by the caller, with others
  }
  if (!st) {
    errors_.push_back(std::move(st).error());
  }
  out_.rcpts = entry_.rcpts;
  out_.attempts = entry_.attempts;
  out_.next_try = entry_.next_try;
  out_.delay = static_cast<double>(entry_age(entry_, now));
  return recorded;
}

}  // namespace rm
