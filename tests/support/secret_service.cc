#include "support/secret_service.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>

namespace rm::test {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kStartTimeout = std::chrono::seconds(20);

bool on_path(const char* tool) {
  for (const char* dir : {"/usr/bin/", "/bin/", "/usr/local/bin/"}) {
    if (::access((std::string(dir) + tool).c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

struct Child {
  pid_t pid = -1;
  int in = -1;   // write end of its stdin, or -1
  int out = -1;  // read end of its stdout+stderr, or -1
};

// fork/exec with an exact environment. stdout goes to a pipe, stderr too unless `err_path` is
// set (then it is appended there, and so is stdout when `out_to_file`).
Child start_child(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                  const std::string& err_path, bool out_to_file = false) {
  int in[2];
  int out[2] = {-1, -1};
  if (::pipe2(in, O_CLOEXEC) != 0 || (!out_to_file && ::pipe2(out, O_CLOEXEC) != 0)) {
    return {};
  }
  std::vector<char*> cargv;
  for (const auto& a : argv) {
    cargv.push_back(const_cast<char*>(a.c_str()));
  }
  cargv.push_back(nullptr);
  std::vector<char*> cenv;
  for (const auto& e : env) {
    cenv.push_back(const_cast<char*>(e.c_str()));
  }
  cenv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    int log = err_path.empty() ? -1 : ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(out_to_file ? log : out[1], 1);
    ::dup2(log >= 0 ? log : out[1], 2);
    ::setpgid(0, 0);  // terminal signals aimed at the test runner stay with it
    ::execve(cargv[0], cargv.data(), cenv.data());
    ::_exit(127);
  }
  ::close(in[0]);
  if (out[1] >= 0) {
    ::close(out[1]);
  }
  return {pid, in[1], out[0]};
}

// Reads `fd` to EOF, or until `until` (then false).
bool read_all(int fd, std::string& text, Clock::time_point until) {
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      return false;
    }
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return true;
    }
    text.append(buf, static_cast<size_t>(n));
  }
}

int wait_exit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void stop(pid_t& pid) {
  if (pid > 0) {
    ::kill(pid, SIGTERM);
    (void)wait_exit(pid);
    pid = -1;
  }
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

}  // namespace

ToolResult run_tool(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    const std::string& input) {
  ToolResult r;
  std::vector<std::string> args = argv;
  if (!args.empty() && args[0].find('/') == std::string::npos) {
    args[0] = "/usr/bin/" + args[0];
  }
  Child c = start_child(args, env, "");
  if (c.pid < 0) {
    r.out = "cannot start " + args[0];
    return r;
  }
  (void)!::write(c.in, input.data(), input.size());
  ::close(c.in);
  bool done = read_all(c.out, r.out, Clock::now() + kStartTimeout);
  ::close(c.out);
  if (!done) {
    ::kill(c.pid, SIGKILL);
    r.out += "\n(timed out)";
  }
  r.exit_code = wait_exit(c.pid);
  return r;
}

bool SecretServiceSession::available() {
  for (const char* tool : {"gnome-keyring-daemon", "dbus-daemon", "gdbus", "secret-tool"}) {
    if (!on_path(tool)) {
      return false;
    }
  }
  return true;
}

SecretServiceSession::~SecretServiceSession() {
  stop(keyring_pid_);
  stop(bus_pid_);
}

std::vector<std::string> SecretServiceSession::env() const {
  return {"DBUS_SESSION_BUS_ADDRESS=" + address_, "HOME=" + dir_, "PATH=/usr/bin:/bin"};
}

bool SecretServiceSession::start(bool with_keyring, std::string* why) {
  const std::string conf = dir_ + "/bus.conf";
  {
    std::ofstream f(conf);
    f << "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
         " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
         "<busconfig><type>session</type><listen>unix:dir="
      << dir_
      << "</listen><auth>EXTERNAL</auth>\n"
         "<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>"
         "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n";
  }
  const auto until = Clock::now() + kStartTimeout;
  Child bus = start_child(
      {"/usr/bin/dbus-daemon", "--config-file=" + conf, "--nofork", "--print-address=1"},
      {"PATH=/usr/bin:/bin", "HOME=" + dir_}, dir_ + "/dbus-daemon.log");
  if (bus.pid < 0) {
    *why = "cannot start dbus-daemon";
    return false;
  }
  bus_pid_ = bus.pid;
  ::close(bus.in);
  std::string line;
  while (line.find('\n') == std::string::npos) {
    char buf[512];
    pollfd p{bus.out, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      break;
    }
    ssize_t n = ::read(bus.out, buf, sizeof buf);
    if (n <= 0) {
      break;
    }
    line.append(buf, static_cast<size_t>(n));
  }
  ::close(bus.out);  // dbus-daemon writes nothing more there; its warnings go to the log
  if (line.find('\n') == std::string::npos) {
    *why = "dbus-daemon printed no address: " + line;
    return false;
  }
  address_ = line.substr(0, line.find('\n'));
  if (!with_keyring) {
    return true;
  }
  std::vector<std::string> env = {"PATH=/usr/bin:/bin", "HOME=" + dir_,
                                  "DBUS_SESSION_BUS_ADDRESS=" + address_};
  const std::string log = dir_ + "/gnome-keyring.log";
  Child keyring = start_child(
      {"/usr/bin/gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"}, env,
      log, true);
  if (keyring.pid < 0) {
    *why = "cannot start gnome-keyring-daemon";
    return false;
  }
  keyring_pid_ = keyring.pid;
  static constexpr char kKeyringPassword[] = "test-keyring-password";
  (void)!::write(keyring.in, kKeyringPassword, sizeof kKeyringPassword - 1);
  ::close(keyring.in);
  auto left = std::chrono::duration_cast<std::chrono::seconds>(until - Clock::now());
  ToolResult waited =
      run({"/usr/bin/gdbus", "wait", "--session", "--timeout",
           std::to_string(std::max<long long>(1, left.count())), "org.freedesktop.secrets"});
  if (waited.exit_code != 0) {
    int status = 0;
    std::string bus_state =
        ::waitpid(bus_pid_, &status, WNOHANG) == bus_pid_ ? "dbus-daemon exited; " : "";
    *why = "org.freedesktop.secrets never appeared: " + bus_state + waited.out + read_text(log) +
           read_text(dir_ + "/dbus-daemon.log");
    return false;
  }
  return true;
}

ToolResult SecretServiceSession::run(const std::vector<std::string>& argv,
                                     const std::string& input) const {
  return run_tool(argv, env(), input);
}

bool SecretServiceSession::lock_login(std::string* why) const {
  ToolResult r =
      run({"gdbus", "call", "--session", "--dest", "org.freedesktop.secrets", "--object-path",
           "/org/freedesktop/secrets", "--method", "org.freedesktop.Secret.Service.Lock",
           "['/org/freedesktop/secrets/collection/login']"});
  if (r.exit_code != 0) {
    *why = r.out;
    return false;
  }
  return true;
}

}  // namespace rm::test
