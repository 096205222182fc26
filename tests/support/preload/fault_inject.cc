// tests/support/preload/fault_inject.cc — an LD_PRELOAD library for end-to-end fault tests
// (RELIABILITY.md §6 cases 3, 5 and 6): it counts the process's durability calls — write to a
// regular file, fsync/fdatasync, rename/renameat/renameat2, unlink/unlinkat — and makes the
// n-th call of one kind fail with EIO or ENOSPC, or kills the process with SIGKILL just before
// or just after that call, so the real binary meets the fault on its real path.
//
//   RELAYMAIL_FAULT=<kind>:<n>:<action>[,<kind>:<n>:<action>...]
//     kind   write | fsync | rename | unlink
//     n      1-based count of that kind's calls; "+" after it (e.g. 1+) also fails every later one
//     action EIO | ENOSPC | kill (before the call) | killafter (after it succeeds)
//   RELAYMAIL_FAULT_MARK=<path>  created when a fault fires, so a test sweeping n knows when it
//                                has gone past the last call.
//
// Writes to pipes, terminals and sockets are not counted: they are not the spool. A shim is
// process-global by nature, so the rules and counters live in one static table, filled once by a
// constructor before main() (the submission path is single-threaded). Not for production builds:
// only tests/e2e loads it.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

enum Kind { kWrite, kFsync, kRename, kUnlink, kKinds };
enum class Action { none, fail, kill_before, kill_after };

struct Rule {
  long n = 0;
  bool and_later = false;
  Action action = Action::none;
  int err = 0;
};

struct State {
  std::array<Rule, kKinds> rules{};
  std::array<long, kKinds> calls{};
  const char* mark = nullptr;
};

State& state() {
  static State s;
  return s;
}

int kind_of(const char* name, size_t len) {
  static constexpr std::array<const char*, kKinds> kNames = {"write", "fsync", "rename", "unlink"};
  for (int k = 0; k < kKinds; ++k) {
    if (std::strlen(kNames[k]) == len && std::strncmp(name, kNames[k], len) == 0) {
      return k;
    }
  }
  return -1;
}

// One "<kind>:<n>[+]:<action>" item; anything malformed aborts loudly (a test typo).
void parse_rule(const char* item, size_t len) {
  const char* colon1 = static_cast<const char*>(std::memchr(item, ':', len));
  int kind = colon1 == nullptr ? -1 : kind_of(item, static_cast<size_t>(colon1 - item));
  char* end = nullptr;
  long n = kind < 0 ? 0 : std::strtol(colon1 + 1, &end, 10);
  if (kind < 0 || n <= 0) {
    std::fprintf(stderr, "fault_inject: bad RELAYMAIL_FAULT item '%.*s'\n", static_cast<int>(len),
                 item);
    std::abort();
  }
  Rule r;
  r.n = n;
  r.and_later = (*end == '+');
  const char* action = end + (r.and_later ? 1 : 0) + 1;
  size_t alen = len - static_cast<size_t>(action - item);
  auto is = [&](const char* word) {
    return std::strlen(word) == alen && std::strncmp(action, word, alen) == 0;
  };
  if (is("EIO") || is("ENOSPC")) {
    r.action = Action::fail;
    r.err = is("EIO") ? EIO : ENOSPC;
  } else if (is("kill") || is("killafter")) {
    r.action = is("kill") ? Action::kill_before : Action::kill_after;
  } else {
    std::fprintf(stderr, "fault_inject: bad action in '%.*s'\n", static_cast<int>(len), item);
    std::abort();
  }
  state().rules[static_cast<size_t>(kind)] = r;
}

__attribute__((constructor)) void load_rules() {
  state().mark = std::getenv("RELAYMAIL_FAULT_MARK");
  const char* spec = std::getenv("RELAYMAIL_FAULT");
  while (spec != nullptr && *spec != '\0') {
    const char* comma = std::strchr(spec, ',');
    size_t len = comma == nullptr ? std::strlen(spec) : static_cast<size_t>(comma - spec);
    parse_rule(spec, len);
    spec = comma == nullptr ? nullptr : comma + 1;
  }
}

void touch_mark() {
  if (state().mark != nullptr) {
    int fd = ::open(state().mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::close(fd);
    }
  }
}

// What to do for this call of `kind`: counts it and fires the rule when its number comes up.
Action decide(Kind kind, int* err) {
  long n = ++state().calls[kind];
  const Rule& r = state().rules[kind];
  if (r.action == Action::none || n < r.n || (n > r.n && !r.and_later)) {
    return Action::none;
  }
  touch_mark();
  if (r.action == Action::kill_before) {
    ::kill(::getpid(), SIGKILL);
  }
  *err = r.err;
  return r.action;
}

template <typename Fn>
Fn next(const char* name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, name));
}

// Runs the real call unless the rule fails it; kills after it when the rule says so.
template <typename Call>
auto faulted(Kind kind, Call real) -> decltype(real()) {
  int err = 0;
  Action a = decide(kind, &err);
  if (a == Action::fail) {
    errno = err;
    return -1;
  }
  auto rc = real();
  if (a == Action::kill_after) {
    ::kill(::getpid(), SIGKILL);
  }
  return rc;
}

bool regular_file(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

extern "C" {

ssize_t write(int fd, const void* buf, size_t n) {
  static auto real = next<ssize_t (*)(int, const void*, size_t)>("write");
  if (!regular_file(fd)) {
    return real(fd, buf, n);
  }
  return faulted(kWrite, [&] { return real(fd, buf, n); });
}

int fsync(int fd) {
  static auto real = next<int (*)(int)>("fsync");
  return faulted(kFsync, [&] { return real(fd); });
}

int fdatasync(int fd) {
  static auto real = next<int (*)(int)>("fdatasync");
  return faulted(kFsync, [&] { return real(fd); });
}

int rename(const char* from, const char* to) {
  static auto real = next<int (*)(const char*, const char*)>("rename");
  return faulted(kRename, [&] { return real(from, to); });
}

int renameat(int fd1, const char* from, int fd2, const char* to) {
  static auto real = next<int (*)(int, const char*, int, const char*)>("renameat");
  return faulted(kRename, [&] { return real(fd1, from, fd2, to); });
}

int renameat2(int fd1, const char* from, int fd2, const char* to, unsigned flags) {
  static auto real = next<int (*)(int, const char*, int, const char*, unsigned)>("renameat2");
  return faulted(kRename, [&] { return real(fd1, from, fd2, to, flags); });
}

int unlink(const char* path) {
  static auto real = next<int (*)(const char*)>("unlink");
  return faulted(kUnlink, [&] { return real(path); });
}

int unlinkat(int fd, const char* path, int flags) {
  static auto real = next<int (*)(int, const char*, int)>("unlinkat");
  return faulted(kUnlink, [&] { return real(fd, path, flags); });
}

}  // extern "C"
