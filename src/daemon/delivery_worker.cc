#include "daemon/delivery_worker.h"

#include <algorithm>
#include <chrono>

#include "relay/delivery_attempt.h"
#include "relay/retry_policy.h"

namespace rm {
namespace {

// A session the pool could not give (every one of the account's connections is busy): the
// entry is left as it was and tried again this much later.
constexpr Millis kBusyRetry{1000};

}  // namespace

void DeliveryWorker::run() {
  while (auto id = d_.scheduler.next()) {
    if (attempt(*id) == Attempted::busy) {
      d_.scheduler.add(*id, d_.clock.mono() + kBusyRetry);
    }
  }
}

DeliveryWorker::Attempted DeliveryWorker::attempt(const std::string& id) {
  std::shared_ptr<const Config> cfg = d_.config.get();  // this attempt's snapshot
  AttemptEnv env{cfg, d_.hostname, d_.store, d_.clock};
  auto begun = DeliveryAttempt::begin(env, id);
  if (!begun) {
    d_.log.error("%s", begun.error().what.c_str());
    return Attempted::skipped;
  }
  if (!begun->has_value()) {
    return Attempted::skipped;  // held by a flush, or finished since it was scheduled
  }
  DeliveryAttempt& a = **begun;
  const Account* acc = nullptr;
  bool reached = false;
  if (!a.expire_unattempted()) {
    acc = pick_account(*cfg, a.entry().sender, a.entry().account);
    if (acc == nullptr) {
      a.fail(make_error(Errc::config, "no account configured"));
    } else {
      auto lease = d_.pool.acquire(*acc);
      if (lease && !*lease) {
        return Attempted::busy;  // untouched: the attempt's lock goes with it
      }
      if (!lease) {
        a.fail(lease.error(), acc->host + ":" + std::to_string(acc->port));
      } else {
        reached = true;
        d_.pool.after_send(*lease, a.send(lease->client(), *acc));
        d_.pool.release(std::move(*lease));
      }
    }
  }
  const DeliveryAttempt::Recorded rec = a.conclude(random_);
  note_network(acc, reached, a, rec);
  for (const Error& e : a.errors()) {
    d_.log.error("%s", e.what.c_str());
  }
  if (rec == DeliveryAttempt::Recorded::done) {
    if (auto r = d_.store.remove(id); !r) {
      d_.log.error("%s", r.error().what.c_str());
    }
  }
  const EntryOutcome& out = a.outcome();
  const std::string line = outcome_line(out);
  d_.log.log(out.result == EntryResult::delivered ? LogLevel::info : LogLevel::warn, "%s",
             line.c_str());
  a.release();
  if (d_.on_outcome) {
    d_.on_outcome(out);
  }
  if (rec == DeliveryAttempt::Recorded::deferred) {
    schedule_again(out);
  }
  for (const std::string* dsn : {&out.bounce, &out.warning}) {
    if (!dsn->empty()) {
      d_.scheduler.add(*dsn, d_.clock.mono());
    }
  }
  return Attempted::yes;
}

void DeliveryWorker::note_network(const Account* acc, bool reached, const DeliveryAttempt& a,
                                  DeliveryAttempt::Recorded rec) {
  if (d_.waiters == nullptr) {
    return;
  }
  // The others first: this entry is never sent again at once by its own attempt (a smarthost
  // that takes the connection and then drops it must not make a tight loop, case 48).
  if (reached) {
    const MonoTime now = d_.clock.mono();
    for (const std::string& id : d_.waiters->take(acc->name)) {
      d_.scheduler.add(id, now);
    }
  }
  if (acc != nullptr && rec == DeliveryAttempt::Recorded::deferred && awaits_network(a.entry())) {
    d_.waiters->add(acc->name, a.entry().id);
  } else {
    d_.waiters->forget(a.entry().id);
  }
}

void DeliveryWorker::schedule_again(const EntryOutcome& out) {
  const int64_t wait = std::max<int64_t>(0, out.next_try - d_.clock.wall());
  d_.scheduler.add(out.id, d_.clock.mono() + std::chrono::seconds(wait));
}

}  // namespace rm
