#include "log/logger.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "sys/fd_io.h"
#include "sys/fs.h"
#include "sys/trusted_dir.h"

namespace rm {

namespace {

int syslog_priority(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return LOG_DEBUG;
    case LogLevel::info:
      return LOG_INFO;
    case LogLevel::warn:
      return LOG_WARNING;
    case LogLevel::error:
      return LOG_ERR;
  }
  return LOG_ERR;
}

// Postfix style: info lines carry no tag.
const char* file_tag(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "debug: ";
    case LogLevel::info:
      return "";
    case LogLevel::warn:
      return "warning: ";
    case LogLevel::error:
      return "error: ";
  }
  return "";
}

std::string one_line(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (char ch : in.substr(0, Logger::kMaxMessage)) {
    auto u = static_cast<unsigned char>(ch);
    out += (u < 0x20 || u == 0x7f) ? (ch == '\t' ? ' ' : '?') : ch;
  }
  if (in.size() > Logger::kMaxMessage) {
    out += "...";
  }
  return out;
}

std::string utc_stamp(int64_t secs) {
  auto t = static_cast<time_t>(secs);
  struct tm tm {};
  char buf[32];
  if (::gmtime_r(&t, &tm) == nullptr ||
      std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    return "-";
  }
  return buf;
}

}  // namespace

const char* log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
  }
  return "?";
}

Logger::Logger(std::string program_name, LogLevel min_level)
    : program_(std::move(program_name)), min_level_(min_level) {}

Logger::Logger(Logger&& o) noexcept
    : program_(std::move(o.program_)),
      min_level_(o.level()),
      stderr_(o.stderr_enabled()),
      emit_mu_(std::move(o.emit_mu_)),
      syslog_ident_(std::move(o.syslog_ident_)),
      file_(std::move(o.file_)),
      sink_(o.sink_),
      callback_(std::move(o.callback_)),
      clock_(o.clock_) {}

Logger& Logger::operator=(Logger&& o) noexcept {
  if (this != &o) {
    close_syslog();
    program_ = std::move(o.program_);
    set_level(o.level());
    enable_stderr(o.stderr_enabled());
    emit_mu_ = std::move(o.emit_mu_);
    syslog_ident_ = std::move(o.syslog_ident_);
    file_ = std::move(o.file_);
    sink_ = o.sink_;
    callback_ = std::move(o.callback_);
    clock_ = o.clock_;
  }
  return *this;
}

Logger::~Logger() {
  close_syslog();
}

void Logger::enable_syslog() {
  if (syslog_ident_) {
    return;
  }
  syslog_ident_ = std::make_unique<std::string>(program_);
  ::openlog(syslog_ident_->c_str(), LOG_PID, LOG_MAIL);
}

void Logger::disable_syslog() {
  close_syslog();
}

void Logger::close_syslog() {
  if (syslog_ident_) {
    ::closelog();
    syslog_ident_.reset();
  }
}

Status Logger::open_file(const std::string& path) {
  // A directory another user may write is one where the file could be swapped under us.
  const uid_t me = ::geteuid();
  if (auto dir = check_dir_path(dir_name(path), me, DirRole::ancestor); !dir) {
    return make_error(dir.error().code, "open log file %s: %s", path.c_str(),
                      dir.error().what.c_str());
  }
  UniqueFd fd(::open(path.c_str(),
                     O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                     0600));
  if (!fd.valid()) {
    return sys_error(Errc::io, errno, "open log file %s", path.c_str());
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return sys_error(Errc::io, EINVAL, "open log file %s: not a regular file", path.c_str());
  }
  if (st.st_uid != me || st.st_nlink != 1 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return make_error(Errc::untrusted,
                      "open log file %s: owned by uid %ju with mode %04o and %ju links; expected "
                      "uid %ju, no group or other write, one link",
                      path.c_str(), static_cast<uintmax_t>(st.st_uid),
                      static_cast<unsigned>(st.st_mode & 07777),
                      static_cast<uintmax_t>(st.st_nlink), static_cast<uintmax_t>(me));
  }
  file_ = std::move(fd);
  return {};
}

void Logger::debug(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(LogLevel::debug, fmt, ap);
  va_end(ap);
}

void Logger::info(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(LogLevel::info, fmt, ap);
  va_end(ap);
}

void Logger::warn(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(LogLevel::warn, fmt, ap);
  va_end(ap);
}

void Logger::error(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(LogLevel::error, fmt, ap);
  va_end(ap);
}

void Logger::log(LogLevel level, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(level, fmt, ap);
  va_end(ap);
}

void Logger::vlog(LogLevel level, const char* fmt, va_list ap) {
  if (!enabled(level)) {
    return;
  }
  int saved_errno = errno;
  std::string message = vformat(fmt, ap);  // reads errno for %m
  emit(level, one_line(message));
  errno = saved_errno;
}

void Logger::write(LogLevel level, std::string_view message) {
  if (!enabled(level)) {
    return;
  }
  int saved_errno = errno;
  emit(level, one_line(message));
  errno = saved_errno;
}

std::string Logger::file_line(LogLevel level, const std::string& message) const {
  int64_t now = clock_ ? clock_->wall() : static_cast<int64_t>(::time(nullptr));
  return utc_stamp(now) + " " + program_ + "[" + std::to_string(::getpid()) +
         "]: " + file_tag(level) + message + "\n";
}

void Logger::emit(LogLevel level, const std::string& message) {
  if (!emit_mu_) {
    return;  // moved from
  }
  std::lock_guard lock(*emit_mu_);
  const bool to_stderr = stderr_enabled();
  if (to_stderr || sink_) {
    std::string line = program_ + ": " + message + "\n";
    if (to_stderr) {
      (void)write_all(STDERR_FILENO, line);  // nowhere left to report a failing stderr
    }
    if (sink_) {
      (void)sink_->write(line);
    }
  }
  if (syslog_ident_) {
    ::syslog(syslog_priority(level), "%s", message.c_str());
  }
  if (file_.valid()) {
    (void)write_all(file_.get(), file_line(level, message));
  }
  if (callback_) {
    callback_(level, message);
  }
}

}  // namespace rm
