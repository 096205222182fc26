// Tests for queue/fs_queue_store.h under the daemon's load: many threads committing and removing
// through one store share fsyncs of queue/ (group commit, queue/dir_sync_batcher.h), every
// acknowledged entry is listed afterwards, and a failing directory fsync fails the commits that
// waited on it and no others.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <iterator>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "queue/fs_queue_store.h"
#include "support/temp_dir.h"
#include "support/test_clock.h"
#include "sys/dir_list.h"
#include "unit/queue/spool_fixture.h"

namespace rm {
namespace {


constexpr Millis kWait{10000};
const std::string kBody = "Subject: hi\r\n\r\nhello\r\n";

// A SysOps for many threads at once (unit/sys/fault_ops.h is not thread-safe). It counts
// directory fsyncs and fails the n-th; file fsyncs are skipped (counting, not durability). Its
// directory fsync stands in for a slow disk, deterministically: it waits until every thread of
// the test that has not finished waits on the store's queue/ batcher (in this fsync's round or
// queued behind it), so every fsync meets as many callers as there are threads.
class SlowDirOps final : public SysOps {
 public:
  explicit SlowDirOps(int threads) : threads_(threads) {}

  int fail_dir_fsync_at = 0;  // 1-based; 0 = never

  void watch(const FsQueueStore& store) { store_ = &store; }
  // The calling thread has no more to do.
  void finished() const { ++finished_; }
  int dir_fsyncs() const { return dir_fsyncs_; }
  int gate_timeouts() const { return gate_timeouts_; }

  int fsync(int fd) const override {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) {
      return 0;
    }
    const Deadline d = deadline_after(kWait);
    while (store_ != nullptr &&
           static_cast<int>(store_->queue_sync_waiting()) + finished_ < threads_) {
      if (std::chrono::steady_clock::now() > d) {
        ++gate_timeouts_;
        break;
      }
      std::this_thread::yield();
    }
    if (++dir_fsyncs_ == fail_dir_fsync_at) {
      errno = EIO;
      return -1;
    }
    return 0;
  }

 private:
  const int threads_;
  const FsQueueStore* store_ = nullptr;
  mutable std::atomic<int> finished_{0};
  mutable std::atomic<int> dir_fsyncs_{0};
  mutable std::atomic<int> gate_timeouts_{0};
};

// What one thread did.
struct Outcome {
  std::vector<std::string> acked;    // committed: the submitter heard 250
  std::vector<std::string> removed;  // acked, then removed
  std::vector<Error> failed;         // commits that failed
};

class GroupCommitTest : public test::SpoolTest {
 protected:
  // `per_thread` commits on each of `threads` threads at once; with remove_every > 0, every
  // remove_every-th acknowledged entry is removed again by the thread that made it.
  std::vector<Outcome> run(FsQueueStore& store, SlowDirOps& ops, int threads, int per_thread,
                           int remove_every) {
    std::vector<Outcome> out(static_cast<size_t>(threads));
    std::vector<std::thread> workers;
    for (Outcome& o : out) {
      workers.emplace_back([&, per_thread, remove_every] {
        for (int i = 1; i <= per_thread; ++i) {
          if (commit_one(store, o) && remove_every > 0 && i % remove_every == 0) {
            if (Status r = store.remove(o.acked.back()); r) {
              o.removed.push_back(o.acked.back());
            } else {
              ADD_FAILURE() << r.error().what;
            }
          }
        }
        ops.finished();
      });
    }
    for (std::thread& w : workers) {
      w.join();
    }
    return out;
  }

  // begin, write, commit; true when acknowledged.
  bool commit_one(FsQueueStore& store, Outcome& o) const {
    auto draft = store.begin();
    if (!draft) {
      ADD_FAILURE() << draft.error().what;
      return false;
    }
    EXPECT_TRUE((*draft)->sink().write(kBody));
    const std::string id = (*draft)->id();
    Status r = store.commit(**draft, entry_for(id));
    if (!r) {
      o.failed.push_back(std::move(r).error());
      return false;
    }
    o.acked.push_back(id);
    return true;
  }

  // The ids list() gives, sorted; every entry must list cleanly.
  std::vector<std::string> listed(FsQueueStore& store) const {
    auto l = store.list();
    EXPECT_TRUE(l);
    if (!l) {
      return {};
    }
    EXPECT_TRUE(l->quarantined.empty());
    EXPECT_TRUE(l->errors.empty());
    std::vector<std::string> ids;
    for (const QueueEntry& e : l->entries) {
      ids.push_back(e.id);
    }
    return ids;
  }
};

TEST_F(GroupCommitTest, ConcurrentCommitsAndRemovalsShareDirectoryFsyncs) {
  struct Case {
    const char* name;
    int threads;
    int per_thread;
    int remove_every;  // 0: commits only
  };
  const Case kCases[] = {
      {.name = "200 commits on 20 threads", .threads = 20, .per_thread = 10, .remove_every = 0},
      {.name = "200 commits and 100 removals on 20 threads",
       .threads = 20,
       .per_thread = 10,
       .remove_every = 2},
      {.name = "300 commits on 5 threads", .threads = 5, .per_thread = 60, .remove_every = 0},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    SlowDirOps ops(c.threads);
    FsQueueStore store(tmp_->file(std::string("spool-") + std::to_string(&c - kCases)), clock_,
                       ops);
    ASSERT_TRUE(store.prepare());
    ops.watch(store);
    std::vector<Outcome> out = run(store, ops, c.threads, c.per_thread, c.remove_every);
    std::vector<std::string> want;
    size_t commits = 0;
    size_t removals = 0;
    for (Outcome& o : out) {
      EXPECT_TRUE(o.failed.empty());
      std::sort(o.acked.begin(), o.acked.end());
      std::sort(o.removed.begin(), o.removed.end());
      std::set_difference(o.acked.begin(), o.acked.end(), o.removed.begin(), o.removed.end(),
                          std::back_inserter(want));
      commits += o.acked.size();
      removals += o.removed.size();
    }
    std::sort(want.begin(), want.end());
    EXPECT_EQ(commits, static_cast<size_t>(c.threads * c.per_thread));
    EXPECT_EQ(removals, c.remove_every > 0
                            ? static_cast<size_t>(c.threads * c.per_thread / c.remove_every)
                            : 0u);
    EXPECT_EQ(listed(store), want);
    EXPECT_EQ(ops.gate_timeouts(), 0);
    // Alone, every commit and every removal costs one fsync of queue/. Shared, each fsync's
    // round and the callers queued behind it hold every thread's pending commit or removal, so
    // every two fsyncs see each thread through one: at most two per operation of one thread.
    const int per_thread = c.per_thread + (c.remove_every > 0 ? c.per_thread / c.remove_every : 0);
    EXPECT_LE(ops.dir_fsyncs(), 2 * per_thread + 1) << "for " << commits + removals;
    RecordProperty("dir_fsyncs_" + std::to_string(&c - kCases), ops.dir_fsyncs());
  }
}

// RELIABILITY.md §1.4 under load: one directory fsync fails. The commits it was run for, and
// those queued behind it, fail with its errno and leave no file; every commit that succeeded,
// before it or after, is listed.
TEST_F(GroupCommitTest, AFailedDirectoryFsyncFailsTheCommitsWaitingOnIt) {
  constexpr int kThreads = 20;
  constexpr int kPerThread = 10;
  SlowDirOps ops(kThreads);
  ops.fail_dir_fsync_at = 3;
  FsQueueStore store(spool_, clock_, ops);
  ASSERT_TRUE(store.prepare());
  ops.watch(store);
  std::vector<Outcome> out = run(store, ops, kThreads, kPerThread, 0);
  std::vector<std::string> acked;
  int failed = 0;
  for (const Outcome& o : out) {
    acked.insert(acked.end(), o.acked.begin(), o.acked.end());
    for (const Error& e : o.failed) {
      EXPECT_EQ(e.sys_errno, EIO) << e.what;
      ++failed;
    }
  }
  std::sort(acked.begin(), acked.end());
  EXPECT_EQ(static_cast<int>(acked.size()) + failed, kThreads * kPerThread);
  // When it fails, every thread's commit is in its round or queued behind it: all fail.
  EXPECT_EQ(failed, kThreads);
  EXPECT_EQ(listed(store), acked) << "an acknowledged entry went missing, or a failed one stayed";
  auto files = list_dir(spool_ + "/queue");
  ASSERT_TRUE(files);
  EXPECT_EQ(files->size(), acked.size()) << "a failed commit left a file behind";  // one each
  EXPECT_EQ(ops.gate_timeouts(), 0);
  RecordProperty("failed_commits", failed);
  RecordProperty("dir_fsyncs", ops.dir_fsyncs());
}

}  // namespace
}  // namespace rm
