// tests/bench/bench_rss_exec.cc — runs one program and reports its peak resident set size, for
// bench_relay's memory figures. Linux carries ru_maxrss across execve (the exec records the old
// address space's high-water mark), so a child spawned from the big benchmark process with
// vfork/posix_spawn reports the benchmark's RSS, and one forked from it the copied pages. This
// helper is tiny (libc only, linked statically where possible, never sanitized): it fork()s,
// the child execs the target at once, and wait4() gives the target's own peak. /bin/true
// measured this way reports about 1 MB.
//
//   bench_rss_exec OUT PATH [ARG...]    argv[0] of the target is PATH; stdin, stdout, stderr
//                                        and the environment are inherited
//
// Writes "maxrss_kb N\n" to the file OUT (created or truncated) and exits with the target's
// exit status (128 + signal number when it was killed). Errors of its own (usage, fork, exec,
// writing OUT) go to stderr as one line and exit 125 (exec failure: 127 from the child).
// Not here: timing (bench_relay times the runs it needs itself) or memory of grandchildren that
// the target does not wait for.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

constexpr int kOwnError = 125;

int fail(const char* what, int err) {
  (void)fprintf(stderr, "bench_rss_exec: %s: %s\n", what, strerror(err));
  return kOwnError;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    (void)fprintf(stderr, "usage: bench_rss_exec OUT PATH [ARG...]\n");
    return kOwnError;
  }
  pid_t pid = fork();
  if (pid < 0) {
    return fail("fork", errno);
  }
  if (pid == 0) {
    execv(argv[2], argv + 2);
    (void)fprintf(stderr, "bench_rss_exec: exec %s: %s\n", argv[2], strerror(errno));
    _exit(127);
  }
  int status = 0;
  struct rusage ru {};
  for (;;) {  // bounded: EINTR is the only retry, and each one means a signal arrived
    pid_t got = wait4(pid, &status, 0, &ru);
    if (got == pid) {
      break;
    }
    if (got < 0 && errno != EINTR) {
      return fail("wait4", errno);
    }
  }
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(argv[1], errno);
  }
  char line[64];
  int n = snprintf(line, sizeof line, "maxrss_kb %ld\n", ru.ru_maxrss);
  if (n <= 0 || write(fd, line, static_cast<size_t>(n)) != n || close(fd) != 0) {
    return fail(argv[1], errno);
  }
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : kOwnError;
}
