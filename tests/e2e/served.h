// tests/e2e/served.h — `relaymaild serve` as a child of a test: started with a config, its
// output in a log file, stopped by signal, its exit status read with a deadline; and the small
// waits the daemon tests share (poll with a deadline, never a fixed sleep).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>

#include "e2e/harness.h"

namespace rm::e2e {

std::string relaymaild_bin();

// Polls `done` until it is true or `limit` has passed; its last answer.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit);

// Whether something accepts connections on the Unix socket at `path`.
bool answers(const std::string& path);

// relaymaild serve as a child of the test, its output in a log file; killed (SIGKILL) when
// still running at destruction.
class Served {
 public:
  Served(const std::string& config, const std::string& log);
  ~Served();
  Served(const Served&) = delete;
  Served& operator=(const Served&) = delete;
  pid_t pid() const { return pid_; }
  // The exit status, or -1 when it did not exit within `limit`.
  int wait(std::chrono::milliseconds limit);
  bool running();
  std::string log() const { return read_file(log_); }

 private:
  pid_t pid_ = -1;
  std::string log_;
};

}  // namespace rm::e2e
