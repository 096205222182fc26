// log/logger.h — one-line log messages to the sinks a program turns on: stderr ("sendmail:
// message"), syslog (LOG_MAIL, with the pid), an append-only file ("2024-05-01T12:00:00Z
// relaymail[123]: warning: message"), and for tests a ByteSink or a callback. All start off.
// Contract: printf-style, compiler-checked; %m works (errno preserved). Every control character
// becomes '?', so one call is one line; values with spaces go through kv_quote() (log/kv.h),
// secrets through log/redact.h. Below the minimum level a call costs one comparison.
// Errors: logging never fails its caller; a sink that cannot be written is skipped. Only
// open_file() reports one: Errc::untrusted for a file not ours alone (owner, one link, no group
// or other write) or in a directory another uid could change.
// Threads: logging calls may come from any thread at once; each message reaches every sink
// whole, one message at a time. set_level() and enable_stderr() may change meanwhile; the other
// set-up calls are made before the Logger is shared. syslog is process-wide: one Logger per
// process enables it. Not here: what is worth logging (the layer that decides what happens next).
#pragma once

#include <atomic>
#include <cstdarg>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/byte_io.h"
#include "core/clock.h"
#include "core/policy.h"
#include "core/result.h"
#include "log/kv.h"
#include "sys/unique_fd.h"

namespace rm {

const char* log_level_name(LogLevel level);  // "debug" | "info" | "warn" | "error"

class Logger {
 public:
  using Callback = std::function<void(LogLevel level, std::string_view message)>;

  // Longer formatted messages are cut and end in "...".
  static constexpr size_t kMaxMessage = 8000;

  Logger(std::string program_name, LogLevel min_level);
  Logger(Logger&& o) noexcept;
  Logger& operator=(Logger&& o) noexcept;
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;
  ~Logger();

  const std::string& program() const { return program_; }
  LogLevel level() const { return min_level_.load(std::memory_order_relaxed); }
  void set_level(LogLevel level) { min_level_.store(level, std::memory_order_relaxed); }
  bool enabled(LogLevel level) const { return level >= this->level(); }

  void enable_stderr(bool on) { stderr_.store(on, std::memory_order_relaxed); }
  bool stderr_enabled() const { return stderr_.load(std::memory_order_relaxed); }
  void enable_syslog();
  void disable_syslog();
  // Opens (creating 0600) for appending; O_NOFOLLOW, must be a regular file. Replaces any
  // earlier file. Errc::io on failure; the other sinks are unaffected.
  Status open_file(const std::string& path);
  void close_file() { file_.reset(); }
  // nullptr detaches. The sink must outlive its use here.
  void set_sink(ByteSink* sink) { sink_ = sink; }
  void set_callback(Callback cb) { callback_ = std::move(cb); }
  // Time source for file timestamps; nullptr (the default) reads the system clock.
  void set_clock(const Clock* clock) { clock_ = clock; }

  [[gnu::format(printf, 2, 3)]] void debug(const char* fmt, ...);
  [[gnu::format(printf, 2, 3)]] void info(const char* fmt, ...);
  [[gnu::format(printf, 2, 3)]] void warn(const char* fmt, ...);
  [[gnu::format(printf, 2, 3)]] void error(const char* fmt, ...);
  [[gnu::format(printf, 3, 4)]] void log(LogLevel level, const char* fmt, ...);
  void vlog(LogLevel level, const char* fmt, va_list ap);
  // An already formatted message (still sanitised to one line).
  void write(LogLevel level, std::string_view message);

 private:
  void emit(LogLevel level, const std::string& message);
  std::string file_line(LogLevel level, const std::string& message) const;
  void close_syslog();

  std::string program_;
  std::atomic<LogLevel> min_level_;
  std::atomic<bool> stderr_ = false;
  // One message at a time through the sinks; on the heap so that a Logger can move.
  std::unique_ptr<std::mutex> emit_mu_ = std::make_unique<std::mutex>();
  // openlog() keeps the pointer it is given: the ident lives on the heap so a move keeps it valid.
  std::unique_ptr<std::string> syslog_ident_;
  UniqueFd file_;
  ByteSink* sink_ = nullptr;
  Callback callback_;
  const Clock* clock_ = nullptr;
};

}  // namespace rm
