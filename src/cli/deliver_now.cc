#include "cli/deliver_now.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "sys/sysexits.h"

extern char** environ;

namespace rm::cli {
namespace {

DeliveryMode effective_mode(const Config& cfg, DeliveryOverride o) {
  switch (o) {
    case DeliveryOverride::foreground:
      return DeliveryMode::foreground;
    case DeliveryOverride::background:
      return DeliveryMode::background;
    case DeliveryOverride::queue:
      return DeliveryMode::queue;
    case DeliveryOverride::none:
      break;
  }
  return cfg.delivery;
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::string self_executable() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// execv/posix_spawn's argv: pointers into `args`, which must outlive the result.
std::vector<char*> c_argv(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const std::string& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  return argv;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return kExOsErr;
    }
  }
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  return kExSoftware;
}

std::string find_program(Logger& log, LogLevel level) {
  std::string self = self_executable();
  std::string program = delivery_program(self);
  if (program.empty()) {
    log.log(level, "cannot find the delivery program relaymaild beside %s or in its ../sbin",
            self.empty() ? "relaymail" : self.c_str());
  }
  return program;
}

// One posix_spawn (a vfork: no page tables copied, the cost of a fork halved again by not
// forking twice): the child starts in a new session with default signals, an empty mask and
// stdio on /dev/null, so a caller that reads our stdout/stderr to EOF (popen) is released at
// once and the caller's terminal signals never reach it. It is re-parented to init when we
// exit, which is at once after a `sendmail`; a long `sendmail -bs` reaps the ones that ended.
void spawn_background(const DeliverNowRequest& req, const DeliveryCommand& run) {
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {  // earlier messages' delivery processes
  }
  std::string program = find_program(req.log, LogLevel::warn);
  if (program.empty()) {
    req.log.warn("%s: queued; it is delivered by the next flush", req.id.c_str());
    return;
  }
  std::vector<std::string> args = encode(run);
  std::vector<char*> argv = c_argv(args);
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawnattr_init(&attr);
  for (int fd = 0; fd <= 2; ++fd) {
    ::posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0);
  }
  sigset_t all;
  sigset_t none;
  ::sigfillset(&all);
  ::sigemptyset(&none);
  ::posix_spawnattr_setsigdefault(&attr, &all);  // the caller's ignored signals are not ours
  ::posix_spawnattr_setsigmask(&attr, &none);
  ::posix_spawnattr_setflags(&attr,
                             POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int err = ::posix_spawn(&pid, program.c_str(), &actions, &attr, argv.data(), environ);
  ::posix_spawnattr_destroy(&attr);
  ::posix_spawn_file_actions_destroy(&actions);
  if (err != 0) {
    req.log.warn("%s: queued; cannot start a delivery process: %s", req.id.c_str(),
                 std::strerror(err));
  }
}

}  // namespace

std::string delivery_program(const std::string& self) {
  size_t slash = self.rfind('/');
  if (slash == std::string::npos) {
    return "";
  }
  std::string dir = self.substr(0, slash);
  for (const std::string& candidate : {dir + "/relaymaild", dir + "/../sbin/relaymaild"}) {
    if (is_executable_file(candidate)) {
      return candidate;
    }
  }
  return "";
}

int exec_delivery(const DeliveryCommand& run, Logger& log) {
  std::string program = find_program(log, LogLevel::error);
  if (program.empty()) {
    return kExUnavailable;
  }
  std::vector<std::string> args = encode(run);
  std::vector<char*> argv = c_argv(args);
  ::execv(program.c_str(), argv.data());
  log.error("cannot run %s: %s", program.c_str(), std::strerror(errno));
  return kExUnavailable;
}

int run_delivery(const DeliveryCommand& run, Logger& log) {
  std::string program = find_program(log, LogLevel::error);
  if (program.empty()) {
    return kExUnavailable;
  }
  std::vector<std::string> args = encode(run);
  std::vector<char*> argv = c_argv(args);
  pid_t pid = -1;
  if (int err = ::posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv.data(), environ);
      err != 0) {
    log.error("cannot run %s: %s", program.c_str(), std::strerror(err));
    return kExOsErr;
  }
  return wait_for(pid);
}

int after_commit(const DeliverNowRequest& req) {
  const DeliveryMode mode = effective_mode(req.config, req.override_mode);
  if (mode == DeliveryMode::queue || mode == DeliveryMode::daemon) {
    return kExOk;  // the common case costs nothing more
  }
  DeliveryCommand run;
  run.config_path = req.config.path;
  run.name = req.log.program();
  run.log_to_stderr = req.log.stderr_enabled();
  if (mode == DeliveryMode::foreground) {
    run.quiet_success = !req.verbose;
    run.ids.push_back(req.id);
    (void)run_delivery(run, req.log);
  } else {
    run.due_only = true;
    spawn_background(req, run);
  }
  return kExOk;
}

}  // namespace rm::cli
