#include "cli/deliver_now.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sys/signals.h"
#include "sys/sysexits.h"

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

// Never returns: the child's side of a fork that runs the delivery program.
[[noreturn]] void exec_child(const std::string& program, const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const std::string& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  ::execv(program.c_str(), argv.data());
  ::_exit(kExUnavailable);
}

// Detaches the grandchild from the caller: new session, stdio on /dev/null, so a caller that
// reads our stdout/stderr to EOF (popen) is released at once.
void detach_stdio() {
  int fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd >= 0) {
    ::dup2(fd, 0);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    if (fd > 2) {
      ::close(fd);
    }
  }
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

std::string find_program(Logger& log, const char* level) {
  std::string self = self_executable();
  std::string program = delivery_program(self);
  if (program.empty()) {
    log.log(std::strcmp(level, "warn") == 0 ? LogLevel::warn : LogLevel::error,
            "cannot find the delivery program relaymaild beside %s or in its ../sbin",
            self.empty() ? "relaymail" : self.c_str());
  }
  return program;
}

// Double fork: the caller waits only for the short-lived middle child, and the delivering
// grandchild is re-parented to init, never a zombie of the caller.
void spawn_background(const DeliverNowRequest& req, const DeliveryRun& run) {
  std::string program = find_program(req.log, "warn");
  if (program.empty()) {
    req.log.warn("%s: queued; it is delivered by the next flush", req.id.c_str());
    return;
  }
  std::vector<std::string> args = delivery_argv(run);
  pid_t pid = ::fork();
  if (pid < 0) {
    req.log.warn("%s: queued; cannot fork a delivery process: %m", req.id.c_str());
    return;
  }
  if (pid == 0) {
    ::setsid();
    if (::fork() != 0) {
      ::_exit(0);
    }
    detach_stdio();
    (void)restore_default_signals();  // the caller's blocked or ignored signals are not ours
    exec_child(program, args);
  }
  (void)wait_for(pid);
}

}  // namespace

std::vector<std::string> delivery_argv(const DeliveryRun& run) {
  std::vector<std::string> argv{"relaymaild", run.command};
  if (!run.config_path.empty()) {
    argv.insert(argv.end(), {"-C", run.config_path});
  }
  if (!run.name.empty()) {
    argv.insert(argv.end(), {"--name", run.name});
  }
  if (run.print) {
    argv.emplace_back("--print");
  }
  if (run.due_only) {
    argv.emplace_back("--due");
  }
  if (run.quiet_success) {
    argv.emplace_back("--quiet-success");
  }
  if (!run.log_to_stderr) {
    argv.emplace_back("--no-stderr");
  }
  if (!run.ids.empty()) {
    argv.emplace_back("--");  // an id never starts with '-', but a typo might
    argv.insert(argv.end(), run.ids.begin(), run.ids.end());
  }
  return argv;
}

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

int exec_delivery(const DeliveryRun& run, Logger& log) {
  std::string program = find_program(log, "error");
  if (program.empty()) {
    return kExUnavailable;
  }
  std::vector<std::string> args = delivery_argv(run);
  std::vector<char*> argv;
  for (const std::string& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  ::execv(program.c_str(), argv.data());
  log.error("cannot run %s: %s", program.c_str(), std::strerror(errno));
  return kExUnavailable;
}

int run_delivery(const DeliveryRun& run, Logger& log) {
  std::string program = find_program(log, "error");
  if (program.empty()) {
    return kExUnavailable;
  }
  std::vector<std::string> args = delivery_argv(run);
  pid_t pid = ::fork();
  if (pid < 0) {
    log.error("cannot fork the delivery program: %s", std::strerror(errno));
    return kExOsErr;
  }
  if (pid == 0) {
    exec_child(program, args);
  }
  return wait_for(pid);
}

int after_commit(const DeliverNowRequest& req) {
  DeliveryRun run;
  run.config_path = req.config.path;
  run.name = req.log.program();
  run.log_to_stderr = req.log.stderr_enabled();
  switch (effective_mode(req.config, req.override_mode)) {
    case DeliveryMode::queue:
    case DeliveryMode::daemon:
      return kExOk;
    case DeliveryMode::foreground:
      run.quiet_success = !req.verbose;
      run.ids.push_back(req.id);
      (void)run_delivery(run, req.log);
      return kExOk;
    case DeliveryMode::background:
      run.due_only = true;
      spawn_background(req, run);
      return kExOk;
  }
  return kExOk;
}

}  // namespace rm::cli
