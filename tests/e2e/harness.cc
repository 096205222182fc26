#include "e2e/harness.h"

#include <dirent.h>
#include <fcntl.h>
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

// Pumps stdin/stdout/stderr of a child until both outputs hit EOF.
void pump(int in_fd, int out_fd, int err_fd, const std::string& input, RunResult& r) {
  size_t off = 0;
  if (input.empty()) {
    ::close(in_fd);
    in_fd = -1;
  }
  while (out_fd >= 0 || err_fd >= 0) {
    struct pollfd p[3] = {{in_fd, POLLOUT, 0}, {out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    if (::poll(p, 3, 30000) <= 0) {
      break;  // a hung child: give up; the test will see exit_code -1
    }
    if (in_fd >= 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = ::write(in_fd, input.data() + off, std::min<size_t>(65536, input.size() - off));
      if (n > 0) {
        off += static_cast<size_t>(n);
      }
      if (n <= 0 || off == input.size()) {
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
  }
  for (int fd : {in_fd, out_fd, err_fd}) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
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
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    return {};
  }
  std::vector<std::string> argv{argv0_path};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> envv{"PATH=/usr/bin:/bin", "LANG=C"};
  if (const char* home = std::getenv("HOME")) {
    envv.push_back(std::string("HOME=") + home);
  }
  envv.insert(envv.end(), env.begin(), env.end());
  auto a = cstrings(argv);
  auto e = cstrings(envv);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::execve(argv0_path.c_str(), a.data(), e.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  ::signal(SIGPIPE, SIG_IGN);
  RunResult r;
  pump(in[1], out[0], err[0], input, r);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
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
  std::string bindir = dir() + "/bin";
  ::mkdir(bindir.c_str(), 0700);
  for (const char* name : {"sendmail", "mailq", "newaliases", "relaymail", "send-mail"}) {
    std::string link = bindir + "/" + name;
    if (::symlink(RM_RELAYMAIL_BIN, link.c_str()) != 0) {
      std::abort();
    }
  }
}

std::string World::bin(const std::string& name) const {
  return dir() + "/bin/" + name;
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
  return list_dir(spool() + "/queue", ".env").size();
}

}  // namespace rm::e2e
