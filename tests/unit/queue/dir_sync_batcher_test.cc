// Tests for queue/dir_sync_batcher.h with a scripted fsync function: it counts its calls, can
// hold each one until the test lets it go, and fails the calls the test names. Threads are
// coordinated through the script's condition variable and the batcher's waiting(), each wait
// bounded by a deadline; nothing sleeps.
#include "queue/dir_sync_batcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/clock.h"

namespace rm {
namespace {

constexpr Millis kWait{10000};  // a bound on every wait; a correct batcher never comes near it

// The batcher's fsync function. Call n (1-based) returns the errno the test gave it with
// finish(n, err) (0: success). Holding, each call waits for its finish() (or open()).
class ScriptedSync {
 public:
  explicit ScriptedSync(bool hold) : hold_(hold) {}

  Status run() {
    std::unique_lock lock(mu_);
    const int n = ++started_;
    max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
    cv_.notify_all();
    cv_.wait(lock, [&] { return !hold_ || open_ || results_.count(n) > 0; });
    const int err = results_.count(n) > 0 ? results_[n] : 0;
    --in_flight_;
    cv_.notify_all();
    if (err != 0) {
      return sys_error(Errc::io, err, "fsync directory (call %d)", n);
    }
    return {};
  }

  void finish(int n, int err = 0) {
    std::lock_guard lock(mu_);
    results_[n] = err;
    cv_.notify_all();
  }
  // Every held call and every later one goes through (successfully unless finish() said not).
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool await_started(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_until(lock, deadline_after(kWait), [&] { return started_ >= n; });
  }
  int started() const {
    std::lock_guard lock(mu_);
    return started_;
  }
  int max_in_flight() const {
    std::lock_guard lock(mu_);
    return max_in_flight_;
  }

 private:
  const bool hold_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<int, int> results_;
  bool open_ = false;
  int started_ = 0;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
};

// Threads in sync(), each keeping its Status. Whatever a test asserted, they are let go and
// joined when this dies, so a failing test fails instead of hanging.
class Callers {
 public:
  Callers(DirSyncBatcher& batcher, ScriptedSync& script) : batcher_(batcher), script_(script) {}
  Callers(const Callers&) = delete;
  Callers& operator=(const Callers&) = delete;
  ~Callers() {
    script_.open();
    for (Call& c : calls_) {
      if (c.thread.joinable()) {
        c.thread.join();
      }
    }
  }

  // A thread calling sync(since), or sync() when no ticket is given; returns its index.
  size_t start(std::optional<DirSyncBatcher::Ticket> since = std::nullopt) {
    Call& c = calls_.emplace_back();
    c.thread = std::thread([this, &c, since] {
      c.result = since ? batcher_.sync(*since) : batcher_.sync();
      c.done = true;
    });
    return calls_.size() - 1;
  }
  // Joins call i and gives its Status.
  const Status& result(size_t i) {
    Call& c = calls_[i];
    if (c.thread.joinable()) {
      c.thread.join();
    }
    return c.result;
  }
  bool done(size_t i) const { return calls_[i].done; }

 private:
  struct Call {
    std::thread thread;
    Status result;
    std::atomic<bool> done{false};
  };
  DirSyncBatcher& batcher_;
  ScriptedSync& script_;
  std::deque<Call> calls_;  // stable addresses: each thread writes to its own Call
};

// Waits, yielding, until cond() holds; false at the deadline.
template <class Cond>
bool eventually(Cond cond) {
  const Deadline d = deadline_after(kWait);
  while (!cond()) {
    if (std::chrono::steady_clock::now() > d) {
      return false;
    }
    std::this_thread::yield();
  }
  return true;
}

int errno_of(const Status& s) {
  return s ? 0 : s.error().sys_errno;
}

// One caller at a time (a sendmail process): exactly one fsync per sync(), its own result, and
// a failure leaves nothing behind for the next call but a fresh fsync.
TEST(DirSyncBatcherTest, OneCallerAtATimeIsOneFsyncEach) {
  struct Case {
    const char* name;
    std::vector<int> errs;  // what each successive fsync returns (0: success)
  };
  const Case kCases[] = {
      {.name = "one call", .errs = {0}},
      {.name = "one failing call", .errs = {EIO}},
      {.name = "three calls", .errs = {0, 0, 0}},
      {.name = "a failure, then a fresh fsync succeeds", .errs = {EIO, 0}},
      {.name = "failures of each kind, then success", .errs = {ENOSPC, EIO, 0, EIO}},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    ScriptedSync script(/*hold=*/false);
    for (size_t i = 0; i < c.errs.size(); ++i) {
      script.finish(static_cast<int>(i) + 1, c.errs[i]);
    }
    DirSyncBatcher batcher([&] { return script.run(); });
    for (size_t i = 0; i < c.errs.size(); ++i) {
      EXPECT_EQ(errno_of(batcher.sync()), c.errs[i]) << "call " << i + 1;
      EXPECT_EQ(script.started(), static_cast<int>(i) + 1);
    }
    EXPECT_EQ(batcher.waiting(), 0u);
  }
}

// Callers arriving while an fsync runs all wait for the next one, which one of them runs for
// all: 20 callers, 2 fsyncs. None returns on the first fsync, which started before its call.
TEST(DirSyncBatcherTest, CallersQueuedBehindARunningFsyncShareTheNext) {
  constexpr size_t kQueued = 19;
  ScriptedSync script(/*hold=*/true);
  DirSyncBatcher batcher([&] { return script.run(); });
  Callers callers(batcher, script);
  const size_t leader = callers.start();
  ASSERT_TRUE(script.await_started(1));
  std::vector<size_t> queued;
  for (size_t i = 0; i < kQueued; ++i) {
    queued.push_back(callers.start());
  }
  ASSERT_TRUE(eventually([&] { return batcher.waiting() == kQueued + 1; }));
  script.finish(1);
  EXPECT_TRUE(callers.result(leader));
  ASSERT_TRUE(script.await_started(2)) << "the queued callers' fsync never ran";
  EXPECT_EQ(batcher.waiting(), kQueued);
  for (size_t i : queued) {
    EXPECT_FALSE(callers.done(i)) << "returned before the fsync that covers its call";
  }
  script.finish(2);
  for (size_t i : queued) {
    EXPECT_TRUE(callers.result(i));
  }
  EXPECT_EQ(script.started(), 2);
  EXPECT_EQ(script.max_in_flight(), 1);
  EXPECT_EQ(batcher.waiting(), 0u);
}

// A caller that arrives during an fsync gets the result of the next one, never the running
// one's: here the running one succeeds and the next fails.
TEST(DirSyncBatcherTest, NeverAnswersWithAnFsyncThatStartedBeforeTheCall) {
  ScriptedSync script(/*hold=*/true);
  DirSyncBatcher batcher([&] { return script.run(); });
  Callers callers(batcher, script);
  const size_t first = callers.start();
  ASSERT_TRUE(script.await_started(1));
  const size_t late = callers.start();
  ASSERT_TRUE(eventually([&] { return batcher.waiting() == 2; }));
  script.finish(1);
  EXPECT_TRUE(callers.result(first));
  ASSERT_TRUE(script.await_started(2));
  EXPECT_FALSE(callers.done(late));
  script.finish(2, EIO);
  EXPECT_EQ(errno_of(callers.result(late)), EIO);
}

// RELIABILITY.md §1.4 and §6 case 5 ("a second fsync never counts as success"). A failed fsync
// fails the callers it was run for and those that queued behind it while it ran (their changes
// met the failed writeback); a ticket taken before it fails without another fsync. The callers
// before and after it are unaffected: the previous round succeeded, the next runs a new fsync.
TEST(DirSyncBatcherTest, AFailedFsyncFailsItsRoundAndTheNextCanSucceed) {
  for (int err : {EIO, ENOSPC}) {
    SCOPED_TRACE(err);
    ScriptedSync script(/*hold=*/true);
    DirSyncBatcher batcher([&] { return script.run(); });
    Callers callers(batcher, script);
    const size_t before = callers.start();
    ASSERT_TRUE(script.await_started(1));
    std::vector<size_t> round = {callers.start(), callers.start(), callers.start()};
    ASSERT_TRUE(eventually([&] { return batcher.waiting() == 4; }));
    script.finish(1);
    EXPECT_TRUE(callers.result(before));
    ASSERT_TRUE(script.await_started(2));  // one of `round` runs it for all three
    const DirSyncBatcher::Ticket stale = batcher.ticket();
    const size_t behind = callers.start();
    ASSERT_TRUE(eventually([&] { return batcher.waiting() == 4; }));
    script.finish(2, err);
    for (size_t i : round) {
      EXPECT_EQ(errno_of(callers.result(i)), err);
    }
    EXPECT_EQ(errno_of(callers.result(behind)), err) << "queued behind the failed fsync";
    EXPECT_EQ(errno_of(batcher.sync(stale)), err) << "changes began before the failure";
    EXPECT_EQ(script.started(), 2) << "a failed round is never retried";
    const size_t after = callers.start();
    ASSERT_TRUE(script.await_started(3));
    script.finish(3);
    EXPECT_TRUE(callers.result(after));
    EXPECT_EQ(script.started(), 3);
  }
}

// One event on a logical clock that every call and fsync ticks: a history to check afterwards.
struct Span {
  uint64_t begin = 0;  // call made, or fsync started
  uint64_t end = 0;    // call returned, or fsync returned
  bool ok = false;
};

// Whether `call`'s result is one the contract allows, given every fsync in start order.
// Success: an fsync that started after the call succeeded before it returned. Failure: a
// failed fsync started before it returned, and the call came before the next fsync started
// (so it was made while that failure was running or not yet handed out, never after).
bool allowed(const Span& call, const std::vector<Span>& fsyncs) {
  auto first_after = std::partition_point(fsyncs.begin(), fsyncs.end(),
                                          [&](const Span& f) { return f.begin < call.begin; });
  if (call.ok) {
    return std::any_of(first_after, fsyncs.end(),
                       [&](const Span& f) { return f.ok && f.end < call.end; });
  }
  auto from = first_after == fsyncs.begin() ? first_after : first_after - 1;
  return std::any_of(from, fsyncs.end(),
                     [&](const Span& f) { return !f.ok && f.begin < call.end; });
}

// Many threads, many calls, no holding, every fifth fsync failing; afterwards the history is
// checked: fsyncs never overlapped, and every call's result is one allowed() accepts. Run with
// --gtest_repeat to shake out races.
TEST(DirSyncBatcherTest, ConcurrentCallersOnlyEverTrustAFreshFsync) {
  constexpr int kThreads = 8;
  constexpr int kCalls = 200;
  std::atomic<uint64_t> clock{1};
  std::mutex mu;
  std::vector<Span> fsyncs;  // in start order: the batcher runs one at a time
  DirSyncBatcher batcher([&]() -> Status {
    Span f{.begin = clock++};
    std::this_thread::yield();  // let callers pile up
    f.ok = (f.begin % 5) != 0;
    f.end = clock++;
    std::lock_guard lock(mu);
    fsyncs.push_back(f);
    if (!f.ok) {
      return sys_error(Errc::io, EIO, "fsync directory");
    }
    return {};
  });
  std::vector<std::vector<Span>> calls(kThreads);
  std::vector<std::thread> threads;
  for (std::vector<Span>& mine : calls) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) {
        Span c{.begin = clock++};
        c.ok = static_cast<bool>(batcher.sync());
        c.end = clock++;
        mine.push_back(c);
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  for (size_t k = 1; k < fsyncs.size(); ++k) {
    ASSERT_GT(fsyncs[k].begin, fsyncs[k - 1].end) << "fsyncs overlapped";
  }
  int successes = 0;
  for (const std::vector<Span>& mine : calls) {
    for (const Span& c : mine) {
      EXPECT_TRUE(allowed(c, fsyncs)) << (c.ok ? "success" : "failure") << " for the call at "
                                      << c.begin << ", returned at " << c.end;
      successes += c.ok ? 1 : 0;
    }
  }
  EXPECT_GT(successes, 0);
  EXPECT_LE(fsyncs.size(), static_cast<size_t>(kThreads * kCalls));
  EXPECT_EQ(batcher.waiting(), 0u);
}

}  // namespace
}  // namespace rm
