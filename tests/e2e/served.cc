#include "e2e/served.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

namespace rm::e2e {

std::string relaymaild_bin() {
  std::string self = RM_RELAYMAIL_BIN;
  return self.substr(0, self.rfind('/')) + "/relaymaild";
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) {
      return true;
    }
    std::this_thread::yield();
  }
  return done();
}

bool answers(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path.c_str());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return ok;
}

Served::Served(const std::string& config, const std::string& log) : log_(log) {
  pid_ = ::fork();
  if (pid_ == 0) {
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(out, 1);
    ::dup2(out, 2);
    std::string bin = relaymaild_bin();
    ::execl(bin.c_str(), "relaymaild", "serve", "-C", config.c_str(), nullptr);
    ::_exit(127);
  }
}

Served::~Served() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    (void)wait(std::chrono::seconds(5));
  }
}

int Served::wait(std::chrono::milliseconds limit) {
  int status = 0;
  bool gone = wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, limit);
  if (!gone) {
    return -1;
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool Served::running() {
  return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0;
}

}  // namespace rm::e2e
