// tests/bench/bench_proc.cc — see bench_proc.h.
#include "bench/bench_proc.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>

extern char** environ;

namespace rm::bench {
namespace {

int decode_status(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : kNotRun;
}

// Milliseconds left until deadline_ms, as poll() wants them: 0 when past, capped at cap_ms.
int remaining_ms(double deadline_ms, int cap_ms) {
  double left = std::ceil(deadline_ms - now_ms());
  if (left <= 0) {
    return 0;
  }
  return left > cap_ms ? cap_ms : static_cast<int>(left);
}

int kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return kTimedOut;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

}  // namespace

double now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

Env env_with(const std::vector<std::string>& entries) {
  Env env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view cur(*e);
    bool replaced = std::any_of(entries.begin(), entries.end(), [&](const std::string& n) {
      size_t eq = n.find('=');
      return cur.size() > eq && cur.compare(0, eq + 1, n, 0, eq + 1) == 0;
    });
    if (!replaced) {
      env.emplace_back(cur);
    }
  }
  env.insert(env.end(), entries.begin(), entries.end());
  return env;
}

Spawned spawn(const Cmd& cmd, const Io& io) {
  Spawned out;
  std::vector<std::string> argv_text = {cmd.path};
  argv_text.insert(argv_text.end(), cmd.args.begin(), cmd.args.end());
  std::vector<char*> argv = c_strings(argv_text);
  std::vector<std::string> env_text;
  std::vector<char*> envp;
  if (cmd.env != nullptr) {
    env_text = *cmd.env;
    envp = c_strings(env_text);
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (io.stdin_fd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, io.stdin_fd, 0);
  } else {
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  }
  if (io.stdout_fd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, io.stdout_fd, 1);
  } else {
    posix_spawn_file_actions_addopen(&fa, 1, io.stdout_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0600);
  }
  posix_spawn_file_actions_addopen(&fa, 2, io.stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0600);
  // The benchmark ignores SIGPIPE; its children must not inherit that.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, cmd.path.c_str(), &fa, &attr, argv.data(),
                       cmd.env != nullptr ? envp.data() : environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    out.error = "spawn " + cmd.path + ": " + std::strerror(rc);
    return out;
  }
  out.pid = pid;
  // glibc 2.36's <sys/pidfd.h> lacks extern "C" for C++; the system call is the same thing.
  // The child is unreaped, so its pid cannot have been reused.
  out.pidfd = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  return out;
}

int wait_exit(Spawned& child, double deadline_ms) {
  if (child.pid <= 0) {
    return kNotRun;
  }
  const pid_t pid = child.pid;
  child.pid = -1;
  int status = 0;
  if (!child.pidfd.valid()) {  // no pidfd (old kernel): wait without a deadline
    while (::waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) {
        return kNotRun;
      }
    }
    return decode_status(status);
  }
  for (;;) {  // bounded by deadline_ms
    pollfd p{child.pidfd.get(), POLLIN, 0};
    int n = ::poll(&p, 1, remaining_ms(deadline_ms, 1000));
    if (n > 0) {
      break;
    }
    if (n == 0 && now_ms() >= deadline_ms) {
      child.pidfd.reset();
      return kill_and_reap(pid);
    }
  }
  child.pidfd.reset();
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return kNotRun;
    }
  }
  return decode_status(status);
}

int run(const Cmd& cmd, const Io& io, double timeout_ms, std::string* error) {
  Spawned child = spawn(cmd, io);
  if (child.pid < 0) {
    *error = child.error;
    return kNotRun;
  }
  return wait_exit(child, now_ms() + timeout_ms);
}

bool make_pipe(UniqueFd* read_end, UniqueFd* write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return false;
  }
  read_end->reset(fds[0]);
  write_end->reset(fds[1]);
  return true;
}

bool write_all(int fd, const char* data, size_t size) {
  size_t off = 0;
  while (off < size) {
    ssize_t n = ::write(fd, data + off, size - off);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

ExitCollector::ExitCollector(size_t capacity)
    : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)), stop_fd_(::eventfd(0, EFD_CLOEXEC)) {
  children_.reserve(capacity);
  exits_.reserve(capacity);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = UINT64_MAX;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_fd_, &ev);
  thread_ = std::thread([this] { collect(); });
}

ExitCollector::~ExitCollector() {
  if (thread_.joinable()) {
    (void)finish(now_ms());
  }
  ::close(epoll_fd_);
  ::close(stop_fd_);
}

void ExitCollector::add(Spawned child) {
  std::lock_guard lock(mu_);
  const size_t index = children_.size();
  const bool watchable = child.pid > 0 && child.pidfd.valid();
  children_.push_back(std::move(child));
  exits_.push_back(Exit{});
  if (!watchable) {
    ++done_;  // never started (or no pidfd): reported as kNotRun / reaped in finish()
    cv_.notify_all();
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = index;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, children_[index].pidfd.get(), &ev);
}

void ExitCollector::collect() {
  epoll_event events[64];
  for (;;) {  // ends when finish() writes stop_fd_
    int n = ::epoll_wait(epoll_fd_, events, 64, -1);
    const double t = now_ms();
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return;
    }
    std::lock_guard lock(mu_);
    for (int i = 0; i < n; ++i) {
      const uint64_t index = events[i].data.u64;
      if (index == UINT64_MAX) {
        return;
      }
      Spawned& c = children_[index];
      int status = 0;
      if (c.pid > 0 && ::waitpid(c.pid, &status, WNOHANG) == c.pid) {
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.pidfd.get(), nullptr);
        c.pidfd.reset();
        c.pid = -1;
        exits_[index] = Exit{decode_status(status), t};
        ++done_;
      }
    }
    cv_.notify_all();
  }
}

std::vector<ExitCollector::Exit> ExitCollector::finish(double deadline_ms) {
  {
    std::unique_lock lock(mu_);
    auto left = std::chrono::duration<double, std::milli>(std::max(0.0, deadline_ms - now_ms()));
    cv_.wait_for(lock, left, [this] { return done_ == children_.size(); });
  }
  const uint64_t one = 1;
  (void)::write(stop_fd_, &one, sizeof one);
  thread_.join();
  for (size_t i = 0; i < children_.size(); ++i) {
    Spawned& c = children_[i];
    if (c.pid > 0 && c.pidfd.valid()) {  // still running past the deadline
      exits_[i] = Exit{kill_and_reap(c.pid), now_ms()};
    } else if (c.pid > 0) {  // no pidfd: wait without a deadline
      exits_[i] = Exit{wait_exit(c, now_ms()), now_ms()};
    }
    c.pid = -1;
  }
  return exits_;
}

std::vector<int> run_window(size_t total, size_t width, const std::function<Spawned(size_t)>& start,
                            double deadline_ms) {
  std::vector<int> status(total, kNotRun);
  std::vector<std::pair<size_t, Spawned>> running;
  std::vector<pollfd> fds;
  size_t next = 0;
  for (;;) {  // bounded by total starts and deadline_ms
    while (next < total && running.size() < std::max<size_t>(width, 1) && now_ms() < deadline_ms) {
      Spawned child = start(next);
      if (child.pid > 0 && child.pidfd.valid()) {
        running.emplace_back(next, std::move(child));
      } else if (child.pid > 0) {  // no pidfd (old kernel): this one alone, to its end
        status[next] = wait_exit(child, deadline_ms);
      }
      ++next;
    }
    if (running.empty()) {
      return status;  // all done, or the deadline stopped the starts
    }
    fds.clear();
    for (const auto& r : running) {
      fds.push_back(pollfd{r.second.pidfd.get(), POLLIN, 0});
    }
    const int n = ::poll(fds.data(), fds.size(), remaining_ms(deadline_ms, 1000));
    const bool late = n == 0 && now_ms() >= deadline_ms;
    for (size_t i = running.size(); i-- > 0;) {
      if (late || (n > 0 && fds[i].revents != 0)) {
        // Exited (wait_exit returns at once), or past the deadline (it kills).
        status[running[i].first] = wait_exit(running[i].second, late ? now_ms() : deadline_ms);
        running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
  }
}

bool wait_until(const std::function<bool()>& done, const std::vector<std::string>& dirs,
                double deadline_ms) {
  UniqueFd in(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  for (const std::string& d : dirs) {
    if (in.valid()) {
      ::inotify_add_watch(in.get(), d.c_str(),
                          IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE);
    }
  }
  for (;;) {  // bounded by deadline_ms
    if (done()) {
      return true;
    }
    if (now_ms() >= deadline_ms) {
      return false;
    }
    // Events wake the check at once; the cap re-checks state that inotify does not report
    // (a directory created after the watch was set).
    pollfd p{in.get(), POLLIN, 0};
    if (::poll(&p, in.valid() ? 1 : 0, remaining_ms(deadline_ms, 20)) > 0) {
      char buf[4096];
      while (::read(in.get(), buf, sizeof buf) > 0) {
      }
    }
  }
}

bool become_subreaper() {
  return ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
}

bool reap_orphan(pid_t keep, double deadline_ms) {
  return wait_until(
      [keep] {
        siginfo_t si{};
        if (::waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == 0 ||
            si.si_pid == keep) {
          return false;
        }
        return ::waitpid(si.si_pid, nullptr, 0) == si.si_pid;
      },
      {}, deadline_ms);
}

bool write_file(const std::string& path, const std::string& text, int mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  return fd.valid() && ::fchmod(fd.get(), static_cast<mode_t>(mode)) == 0 &&
         write_all(fd.get(), text.data(), text.size());
}

std::string read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  std::string text;
  char buf[65536];
  for (ssize_t n; fd.valid() && (n = ::read(fd.get(), buf, sizeof buf)) > 0;) {
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

std::string read_file_from(const std::string& path, size_t offset, size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  std::string text;
  char buf[65536];
  for (ssize_t n; fd.valid() && text.size() < max_bytes &&
                  (n = ::pread(fd.get(), buf, std::min(sizeof buf, max_bytes - text.size()),
                               static_cast<off_t>(offset + text.size()))) > 0;) {
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

long count_files(const std::string& dir, const std::string& suffix) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return -1;
  }
  long n = 0;
  while (const dirent* e = ::readdir(d)) {
    std::string_view name(e->d_name);
    if ((e->d_type == DT_REG || e->d_type == DT_UNKNOWN) && name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      ++n;
    }
  }
  ::closedir(d);
  return n;
}

bool clear_dir(const std::string& dir) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::filesystem::remove_all(it->path(), ec);
    if (ec) {
      return false;
    }
  }
  return !ec;
}

std::string tail_of(const std::string& path, size_t max_bytes) {
  std::string text = read_file(path);
  if (text.size() > max_bytes) {
    text.erase(0, text.size() - max_bytes);
  }
  while (!text.empty() && text.back() == '\n') {
    text.pop_back();
  }
  return text;
}

}  // namespace rm::bench
