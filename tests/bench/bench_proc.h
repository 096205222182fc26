// tests/bench/bench_proc.h — processes and files for bench_relay: spawn a program with
// posix_spawn (stdin from a given fd, stdout/stderr to files), wait for it with a deadline
// through a pidfd, collect the exits of many concurrent children with their exit times
// (ExitCollector), and the few file operations the figures need. Times are CLOCK_MONOTONIC
// milliseconds (now_ms). No sleeps anywhere: every wait is a poll() with a deadline.
//
// Errors: spawning returns a Spawned whose pid is -1 and whose error says what failed; waits
// that pass their deadline SIGKILL the child and report kTimedOut; file helpers return false or
// -1 with errno set. Nothing here prints or exits. Not thread-safe except ExitCollector, whose
// add() may run while its collecting thread waits. Not here: what is measured (bench_relay.cc),
// statistics and the table (bench_table.h).
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sys/unique_fd.h"

namespace rm::bench {

// Exit status as the shell shows it: the exit code, 128 + signal, or one of these.
constexpr int kTimedOut = -2;
constexpr int kNotRun = -1;

double now_ms();

// An environment: "NAME=value" strings. with() copies this process's environment, replacing
// or adding the given entries.
using Env = std::vector<std::string>;
Env env_with(const std::vector<std::string>& entries);

struct Cmd {
  std::string path;               // executed as is (no PATH search)
  std::vector<std::string> args;  // after argv[0], which is path
  const Env* env = nullptr;       // nullptr: this process's environment
};

struct Io {
  int stdin_fd = -1;                      // dup'ed to 0; -1: /dev/null
  int stdout_fd = -1;                     // dup'ed to 1; -1: stdout_path
  std::string stdout_path = "/dev/null";  // opened for append
  std::string stderr_path = "/dev/null";  // opened for append
};

struct Spawned {
  pid_t pid = -1;
  UniqueFd pidfd;     // valid when pid > 0 and the kernel has pidfd_open
  std::string error;  // when pid == -1
};

Spawned spawn(const Cmd& cmd, const Io& io);

// Waits for a spawned child until deadline_ms (a now_ms() value); past it, kills it and returns
// kTimedOut. Otherwise the exit status (see kTimedOut).
int wait_exit(Spawned& child, double deadline_ms);

// Runs cmd to completion: the exit status, or kNotRun (error set) when it could not be spawned.
int run(const Cmd& cmd, const Io& io, double timeout_ms, std::string* error);

// Pipe with both ends close-on-exec (spawn's dup2 clears it on the child's fd 0).
bool make_pipe(UniqueFd* read_end, UniqueFd* write_end);
bool write_all(int fd, const char* data, size_t size);

// Collects the exits of children added with add(), from a thread of its own so each exit time
// is taken when it happens, even while the caller is still spawning others.
class ExitCollector {
 public:
  struct Exit {
    int status = kNotRun;
    double exit_ms = 0;  // now_ms() when the exit was seen
  };

  explicit ExitCollector(size_t capacity);
  ~ExitCollector();
  ExitCollector(const ExitCollector&) = delete;
  ExitCollector& operator=(const ExitCollector&) = delete;

  // Hands the child over; its slot is its index in the order of add() calls.
  void add(Spawned child);
  // Waits until every added child exited or deadline_ms passed (the rest are killed and report
  // kTimedOut), then returns one Exit per add() call, in that order.
  std::vector<Exit> finish(double deadline_ms);

 private:
  void collect();

  int epoll_fd_ = -1;
  int stop_fd_ = -1;  // eventfd: wakes collect() for finish()
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Spawned> children_;
  std::vector<Exit> exits_;
  size_t done_ = 0;
  std::thread thread_;
};

// Starts `total` children, at most `width` running at once, each with start(i) (a Spawned whose
// pid is -1 when it could not start), and reaps each as it exits (a poll() over their pidfds),
// so a slot is refilled at once. Their exit statuses in the order of i: kNotRun for one that did
// not start (or was not started before deadline_ms), kTimedOut for one killed at deadline_ms.
std::vector<int> run_window(size_t total, size_t width, const std::function<Spawned(size_t)>& start,
                            double deadline_ms);

// Polls done() until it returns true (true) or deadline_ms passes (false). Changes in dirs
// (inotify) wake it at once; between them it re-checks at least every 20 ms. No sleeps.
bool wait_until(const std::function<bool()>& done, const std::vector<std::string>& dirs,
                double deadline_ms);

// With this process a child subreaper (PR_SET_CHILD_SUBREAPER), a grandchild whose parent
// exited becomes our child: waits until one such child other than `keep` has exited and reaps
// it. False at deadline_ms. What it reaps is never a child spawn() made (those are waited for by
// pid), except `keep`, which it leaves alone.
bool become_subreaper();
bool reap_orphan(pid_t keep, double deadline_ms);

// Files.
bool write_file(const std::string& path, const std::string& text, int mode = 0600);
std::string read_file(const std::string& path);  // "" when unreadable
// What a growing file (a log) holds from byte `offset` on, at most max_bytes; "" when unreadable.
std::string read_file_from(const std::string& path, size_t offset, size_t max_bytes);
// Regular files in dir whose names end in suffix (".eml"), or -1 when dir is unreadable.
long count_files(const std::string& dir, const std::string& suffix);
// Removes every entry in dir (not dir itself); false on the first failure.
bool clear_dir(const std::string& dir);
// The last max_bytes of a file, for failure reports.
std::string tail_of(const std::string& path, size_t max_bytes);

}  // namespace rm::bench
