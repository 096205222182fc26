#include "e2e/harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "queue/mail_file.h"

namespace rm::e2e {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<char*> cstrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

void write_text(const std::string& path, const std::string& text, mode_t mode = 0600) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return;
  }
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n <= 0) {
      break;
    }
    off += static_cast<size_t>(n);
  }
  ::fchmod(fd, mode);
  ::close(fd);
}

}  // namespace

TempDir::TempDir() {
  std::string tmpl = "/tmp/relaymail-e2e-XXXXXX";
  char* p = ::mkdtemp(tmpl.data());
  path_ = p != nullptr ? p : "/tmp";
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

RunResult run(const std::string& argv0_path, const std::vector<std::string>& args,
              const std::string& input, const std::vector<std::string>& env) {
  SpawnSpec spec;
  spec.path = argv0_path;
  spec.args = args;
  spec.input = input;
  spec.env = env;
  return spawn(spec);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> list_dir(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& ent : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = ent.path().filename().string();
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(ent.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

Smtpd::Smtpd(const std::string& dir, SmtpdOptions opts)
    : dir_(dir), opts_(std::move(opts)), pki_(dir + "/pki"), maildir_(dir + "/maildir") {
  ::mkdir(pki_.c_str(), 0700);
  ::mkdir(maildir_.c_str(), 0700);
}

Smtpd::~Smtpd() {
  stop();
}

bool Smtpd::start() {
  std::string pass_file = dir_ + "/smtpd.pass";
  write_text(pass_file, opts_.password + "\n");
  std::string port_file = dir_ + "/smtpd.port";
  ::unlink(port_file.c_str());
  std::vector<std::string> args{
      RM_FAKE_SMTPD_BIN, "--tls",     opts_.tls, "--pki",       pki_,
      "--cert",          opts_.cert,  "--user",  opts_.user,    "--pass-file",
      pass_file,         "--maildir", maildir_,  "--port-file", port_file};
  if (opts_.port) {
    args.push_back("--port");
    args.push_back(std::to_string(*opts_.port));
  }
  for (const auto& f : opts_.fail) {
    args.push_back("--fail");
    args.push_back(f);
  }
  args.insert(args.end(), opts_.flags.begin(), opts_.flags.end());
  auto a = cstrings(args);
  pid_ = ::fork();
  if (pid_ == 0) {
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::execv(args[0].c_str(), a.data());
    ::_exit(127);
  }
  auto deadline = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < deadline) {
    std::string text = read_file(port_file);
    if (!text.empty() && text.back() == '\n') {
      port_ = std::atoi(text.c_str());
      opts_.port = port_;
      return port_ > 0;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::yield();
  }
  return false;
}

void Smtpd::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
}

size_t Smtpd::received() const {
  return list_dir(maildir_, ".eml").size();
}

std::vector<std::string> Smtpd::messages() const {
  std::vector<std::string> out;
  for (const auto& p : list_dir(maildir_, ".eml")) {
    out.push_back(read_file(p));
  }
  return out;
}

std::vector<std::string> Smtpd::envelopes() const {
  std::vector<std::string> out;
  for (const auto& p : list_dir(maildir_, ".env")) {
    out.push_back(read_file(p));
  }
  return out;
}

bool Smtpd::wait_for(size_t n, std::chrono::milliseconds timeout) const {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (received() >= n) {
      return true;
    }
    struct pollfd none {};
    ::poll(&none, 0, 5);  // yield the core between polls of the directory
  }
  return received() >= n;
}

World::World() {
  for (const auto& [sub, target] : {std::pair{"/bin", RM_RELAYMAIL_BIN},
                                    std::pair{"/preloadable", RM_RELAYMAIL_PRELOADABLE_BIN}}) {
    std::string bindir = dir() + sub;
    ::mkdir(bindir.c_str(), 0700);
    for (const char* name : {"sendmail", "mailq", "newaliases", "relaymail", "send-mail"}) {
      std::string link = bindir + "/" + name;
      if (::symlink(target, link.c_str()) != 0) {
        std::abort();
      }
    }
  }
}

std::string World::bin(const std::string& name) const {
  return dir() + "/bin/" + name;
}

std::string World::preloadable_bin(const std::string& name) const {
  return dir() + "/preloadable/" + name;
}

void World::write_config(const Smtpd& smtpd, const std::string& delivery, const std::string& tls) {
  std::string pass = dir() + "/account.pass";
  write_text(pass, "s3cret-pass\n");
  std::ostringstream c;
  c << "delivery = \"" << delivery << "\";\n"
    << "spool = \"" << spool() << "\";\n"
    << "domain = \"example.com\";\n"
    << "hostname = \"client.test\";\n"
    << "log = { syslog = false; };\n"
    << "accounts = ( {\n"
    << "  name = \"test\";\n  host = \"localhost\";\n  port = " << smtpd.port() << ";\n"
    << "  tls = \"" << tls << "\";\n"
    << "  tls_ca_file = \"" << smtpd.pki_dir() << "/ca.pem\";\n"
    << "  auth = \"plain\";\n  user = \"demo\";\n"
    << "  password = { file = \"" << pass << "\"; };\n"
    << "  timeout = \"10s\";\n} );\n";
  write_text(config_path(), c.str());
}

std::vector<std::string> World::env() const {
  return {"RELAYMAIL_CONFIG=" + config_path()};
}

RunResult World::sendmail(const std::vector<std::string>& args, const std::string& input) const {
  return run(bin("sendmail"), args, input, env());
}

RunResult World::relaymail(const std::vector<std::string>& args) const {
  return run(bin("relaymail"), args, "", env());
}

RunResult World::mailq() const {
  return run(bin("mailq"), {}, "", env());
}

size_t World::queued() const {
  return list_dir(spool() + "/queue", ".mail").size();
}

std::string spooled_message(const std::string& mail_path) {
  const std::string bytes = read_file(mail_path);
  auto head = parse_mail_line(bytes, bytes.size());
  if (!head) {
    return "(not a spooled message: " + head.error().what + ")";
  }
  return bytes.substr(head->body_offset);
}

bool write_file(const std::string& path, const std::string& text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return false;
  }
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n <= 0) {
      ::close(fd);
      return false;
    }
    off += static_cast<size_t>(n);
  }
  bool ok = ::fchmod(fd, mode) == 0;
  return ::close(fd) == 0 && ok;
}

bool chown_tree(const std::string& dir, uid_t uid, gid_t gid) {
  if (::lchown(dir.c_str(), uid, gid) != 0) {
    return false;
  }
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (::lchown(it->path().c_str(), uid, gid) != 0) {
      return false;
    }
  }
  return !ec;
}

namespace {

// In the child: make `target` (1 or 2) what `mode` says. `pipe_w` is the write end for capture
// and broken_pipe, `devnull` an open /dev/null. Closing happens last (see spawn()).
void setup_output(int target, Stdio mode, int pipe_w, int devnull) {
  switch (mode) {
    case Stdio::capture:
    case Stdio::broken_pipe:
      ::dup2(pipe_w, target);
      break;
    case Stdio::dev_null:
      ::dup2(devnull, target);
      break;
    case Stdio::closed:
      break;
  }
}

// Reaps `pid`, polling until `deadline`; then kills it. Returns the wait status, or -1 on kill.
int reap(pid_t pid, Clock::time_point deadline, bool* timed_out) {
  int status = 0;
  while (true) {
    pid_t got = ::waitpid(pid, &status, WNOHANG);
    if (got == pid) {
      return status;
    }
    if (got < 0 && errno != EINTR) {
      return -1;
    }
    if (Clock::now() >= deadline) {
      *timed_out = true;
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return -1;
    }
    struct pollfd none {};
    ::poll(&none, 0, 2);
  }
}

}  // namespace

SpawnResult spawn(const SpawnSpec& spec) {
  SpawnResult r;
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  bool pipe_in = !spec.stdin_file.has_value();
  bool pipe_out = spec.out == Stdio::capture || spec.out == Stdio::broken_pipe;
  bool pipe_err = spec.err == Stdio::capture || spec.err == Stdio::broken_pipe;
  if ((pipe_in && ::pipe2(in, O_CLOEXEC) != 0) || (pipe_out && ::pipe2(out, O_CLOEXEC) != 0) ||
      (pipe_err && ::pipe2(err, O_CLOEXEC) != 0)) {
    return r;
  }
  int file_in = -1;
  if (spec.stdin_file) {
    file_in = ::open(spec.stdin_file->c_str(), O_RDONLY | O_CLOEXEC);
    if (file_in < 0) {
      return r;
    }
  }
  std::vector<std::string> argv{spec.argv0.value_or(spec.path)};
  argv.insert(argv.end(), spec.args.begin(), spec.args.end());
  std::vector<std::string> envv;
  if (spec.exact_env) {
    envv = *spec.exact_env;
  } else {
    envv = {"PATH=/usr/bin:/bin", "LANG=C"};
    if (const char* home = std::getenv("HOME")) {
      envv.push_back(std::string("HOME=") + home);
    }
    envv.insert(envv.end(), spec.env.begin(), spec.env.end());
  }
  auto a = cstrings(argv);
  auto e = cstrings(envv);
  ::signal(SIGPIPE, SIG_IGN);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGPIPE, SIG_DFL);
    int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    ::dup2(pipe_in ? in[0] : file_in, 0);
    setup_output(1, spec.out, out[1], devnull);
    setup_output(2, spec.err, err[1], devnull);
    if (spec.out == Stdio::closed) {
      ::close(1);
    }
    if (spec.err == Stdio::closed) {
      ::close(2);
    }
    if (spec.new_session) {
      ::setsid();
    }
    if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) {
      ::_exit(126);
    }
    if (spec.gid) {
      gid_t g = *spec.gid;
      if (::setgroups(1, &g) != 0 || ::setgid(g) != 0) {
        ::_exit(126);
      }
    }
    if (spec.uid && ::setuid(*spec.uid) != 0) {
      ::_exit(126);
    }
    ::execve(spec.path.c_str(), a.data(), e.data());
    ::_exit(127);
  }
  for (int fd : {in[0], out[1], err[1], file_in}) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  if (spec.out == Stdio::broken_pipe) {
    ::close(out[0]);
    out[0] = -1;
  }
  if (spec.err == Stdio::broken_pipe) {
    ::close(err[0]);
    err[0] = -1;
  }
  auto deadline = Clock::now() + spec.timeout;
  int in_fd = pipe_in ? in[1] : -1;
  int held_fd = -1;
  if (in_fd >= 0 && (spec.stdin_held_open || spec.input.empty())) {
    if (spec.stdin_held_open) {
      held_fd = in_fd;
    } else {
      ::close(in_fd);
    }
    in_fd = -1;
  }
  int out_fd = out[0], err_fd = err[0];
  size_t off = 0;
  while ((out_fd >= 0 || err_fd >= 0 || in_fd >= 0) && Clock::now() < deadline) {
    struct pollfd p[3] = {{in_fd, POLLOUT, 0}, {out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    int64_t wait_ms = std::max<int64_t>(1, left.count());
    if (out_fd < 0 && err_fd < 0) {
      wait_ms = std::min<int64_t>(wait_ms, 5);  // only stdin left: look at the child often
    }
    if (::poll(p, 3, static_cast<int>(wait_ms)) < 0 && errno != EINTR) {
      break;
    }
    if (in_fd >= 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n =
          ::write(in_fd, spec.input.data() + off, std::min<size_t>(65536, spec.input.size() - off));
      if (n > 0) {
        off += static_cast<size_t>(n);
      }
      if ((n < 0 && errno != EINTR && errno != EAGAIN) || off == spec.input.size()) {
        ::close(in_fd);
        in_fd = -1;
      }
    }
    int* fds[2] = {&out_fd, &err_fd};
    std::string* bufs[2] = {&r.out, &r.err};
    for (int k = 0; k < 2; ++k) {
      if (*fds[k] >= 0 && (p[k + 1].revents & (POLLIN | POLLHUP | POLLERR))) {
        char buf[65536];
        ssize_t n = ::read(*fds[k], buf, sizeof buf);
        if (n <= 0) {
          ::close(*fds[k]);
          *fds[k] = -1;
        } else {
          bufs[k]->append(buf, static_cast<size_t>(n));
        }
      }
    }
    if (out_fd < 0 && err_fd < 0 && in_fd >= 0) {
      // Nothing to read any more (outputs not captured, or closed): keep feeding stdin only
      // while the child lives.
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        ::close(in_fd);
        in_fd = -1;
        r.input_written = off;
        r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (held_fd >= 0) {
          ::close(held_fd);
        }
        return r;
      }
    }
  }
  r.input_written = off;
  int status = reap(pid, deadline, &r.timed_out);
  for (int fd : {in_fd, out_fd, err_fd, held_fd}) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  if (status >= 0) {
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  return r;
}

SpawnSpec World::sendmail_spec(const std::vector<std::string>& args,
                               const std::string& input) const {
  SpawnSpec s;
  s.path = bin("sendmail");
  s.args = args;
  s.input = input;
  s.env = env();
  return s;
}

Envelope parse_envelope(const std::string& env_text) {
  Envelope e;
  std::istringstream in(env_text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("from: ", 0) == 0) {
      e.from = line.substr(6);
    } else if (line == "from:") {
      e.from.clear();
    } else if (line.rfind("to: ", 0) == 0) {
      e.to.push_back(line.substr(4));
    }
  }
  return e;
}

namespace {

// Index just past the header block's last CRLF (the empty line starts there), or npos.
size_t header_end(const std::string& msg) {
  if (msg.rfind("\r\n", 0) == 0) {
    return 0;
  }
  size_t p = msg.find("\r\n\r\n");
  return p == std::string::npos ? p : p + 2;
}

}  // namespace

std::string headers_of(const std::string& msg) {
  size_t end = header_end(msg);
  return end == std::string::npos ? msg : msg.substr(0, end);
}

std::string body_of(const std::string& msg) {
  size_t end = header_end(msg);
  return end == std::string::npos ? std::string() : msg.substr(end + 2);
}

std::vector<std::string> header_values(const std::string& msg, const std::string& name) {
  std::vector<std::string> fields;
  std::string block = headers_of(msg);
  size_t pos = 0;
  while (pos < block.size()) {
    size_t eol = block.find("\r\n", pos);
    std::string line = block.substr(pos, eol == std::string::npos ? eol : eol - pos);
    pos = eol == std::string::npos ? block.size() : eol + 2;
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !fields.empty()) {
      fields.back() += line;
    } else {
      fields.push_back(line);
    }
  }
  auto lower = [](std::string v) {
    std::transform(v.begin(), v.end(), v.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return v;
  };
  std::vector<std::string> out;
  for (const auto& f : fields) {
    size_t colon = f.find(':');
    if (colon == std::string::npos || lower(f.substr(0, colon)) != lower(name)) {
      continue;
    }
    std::string v = f.substr(colon + 1);
    if (!v.empty() && v[0] == ' ') {
      v.erase(0, 1);
    }
    out.push_back(v);
  }
  return out;
}

size_t first_bare_eol(const std::string& msg) {
  for (size_t i = 0; i < msg.size(); ++i) {
    if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r')) {
      return i;
    }
    if (msg[i] == '\r' && (i + 1 == msg.size() || msg[i + 1] != '\n')) {
      return i;
    }
  }
  return std::string::npos;
}

std::string to_crlf(const std::string& text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;  // the LF that follows writes the CRLF
    }
    if (text[i] == '\n') {
      out += "\r\n";
    } else {
      out += text[i];
    }
  }
  return out;
}

Delivered flush_and_collect(const World& w, const Smtpd& smtpd, size_t expected) {
  Delivered d;
  d.flush = w.relaymail({"flush"});
  smtpd.wait_for(expected, std::chrono::seconds(10));
  d.messages = smtpd.messages();
  for (const auto& e : smtpd.envelopes()) {
    d.envelopes.push_back(parse_envelope(e));
  }
  return d;
}

}  // namespace rm::e2e
