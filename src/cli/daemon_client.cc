#include "cli/daemon_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "core/ids.h"
#include "submit/daemon_protocol.h"
#include "submit/recipients.h"
#include "sys/fd_io.h"
#include "sys/peer_cred.h"
#include "sys/sysexits.h"
#include "sys/unique_fd.h"
#include "sys/user_db.h"

namespace rm::cli {
namespace {

constexpr int kReplyTimeoutSeconds = 300;  // as the daemon's own idle timeout
constexpr size_t kMaxReplyLine = 4096;
constexpr size_t kMaxReplyLines = 10'000'000;  // XQUEUE of a very large queue
constexpr size_t kChunk = size_t{64} * 1024;

struct Reply {
  int code = 0;
  std::string enhanced;
  std::vector<std::string> lines;  // the text of each line, after "250-" / "250 "
  std::string summary() const {
    return std::to_string(code) + " " + (lines.empty() ? "" : lines.back());
  }
};

// A connection to the daemon: buffered reply lines in, commands out.
class Link {
 public:
  explicit Link(UniqueFd fd) : fd_(std::move(fd)) {}
  int fd() const { return fd_.get(); }

  Status send(std::string_view text) { return write_all(fd_.get(), text); }

  Result<Reply> reply() {
    Reply r;
    for (;;) {
      auto line = read_line();
      if (!line) {
        return std::move(line).error();
      }
      if (line->size() < 3 || r.lines.size() >= kMaxReplyLines) {
        return make_error(Errc::protocol, "the daemon's reply is malformed");
      }
      int code = 0;
      for (size_t i = 0; i < 3; ++i) {
        if ((*line)[i] < '0' || (*line)[i] > '9') {
          return make_error(Errc::protocol, "the daemon's reply is malformed");
        }
        code = code * 10 + ((*line)[i] - '0');
      }
      r.code = code;
      const bool more = line->size() > 3 && (*line)[3] == '-';
      r.lines.push_back(line->size() > 4 ? line->substr(4) : std::string());
      if (!more) {
        const std::string& last = r.lines.back();
        const size_t sp = last.find(' ');
        const std::string word = last.substr(0, sp);
        if (word.size() >= 5 && word[1] == '.' && word[0] == static_cast<char>('0' + code / 100)) {
          r.enhanced = word;
        }
        return r;
      }
    }
  }

 private:
  Result<std::string> read_line() {
    for (;;) {
      const size_t nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') {
          line.pop_back();
        }
        return line;
      }
      if (buf_.size() > kMaxReplyLine) {
        return make_error(Errc::protocol, "the daemon's reply line is too long");
      }
      std::array<char, 8192> chunk{};
      const ssize_t n = ::read(fd_.get(), chunk.data(), chunk.size());
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        return sys_error(Errc::io, errno == EAGAIN ? ETIMEDOUT : errno, "read from the daemon");
      }
      if (n == 0) {
        return make_error(Errc::io, "the daemon closed the connection");
      }
      buf_.append(chunk.data(), static_cast<size_t>(n));
    }
  }

  UniqueFd fd_;
  std::string buf_;
};

// Connected, and the peer checked: the daemon runs as root, as daemon.user or as us (a
// `systemctl --user` instance).
Result<Link> connect_daemon(const Config& cfg, bool timeout) {
  const std::string& path = cfg.daemon.socket;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    return make_error(Errc::config, "daemon.socket \"%s\": not a usable socket path", path.c_str());
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return sys_error(Errc::io, errno, "socket");
  }
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return sys_error(Errc::connect, errno,
                     "cannot reach the relaymail daemon at %s (is relaymail.socket running?)",
                     path.c_str());
  }
  auto cred = peer_cred(fd.get());
  if (!cred) {
    return std::move(cred).error();
  }
  const uid_t me = ::geteuid();
  const std::optional<uint32_t> daemon_uid = lookup_name(cfg.daemon.user);
  if (cred->uid != 0 && cred->uid != me && (!daemon_uid || cred->uid != *daemon_uid)) {
    return make_error(Errc::untrusted,
                      "%s is served by uid %u, which is not the daemon (root, %s or uid %u): "
                      "nothing sent",
                      path.c_str(), static_cast<unsigned>(cred->uid), cfg.daemon.user.c_str(),
                      static_cast<unsigned>(me));
  }
  if (timeout) {
    timeval tv{kReplyTimeoutSeconds, 0};
    (void)::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    (void)::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  return Link(std::move(fd));
}

// The greeting, then one command and its reply.
Result<Reply> greeted(Link& link) {
  auto hello = link.reply();
  if (hello && hello->code != 220) {
    return *hello;  // refused at the door: the caller reports it
  }
  return hello;
}

// QUIT, and its reply read, so the daemon's 221 is not written to a closed socket.
void quit(Link& link) {
  if (link.send("QUIT\r\n")) {
    (void)link.reply();
  }
}

bool positive(const Reply& r) {
  return r.code >= 200 && r.code < 400;
}

// Dot-stuffs `in` onto `out` (a "." at the start of a line gets another); `line_start` carries
// over between pieces. Line ends pass as they are: the daemon treats them as sendmail does.
void stuff(std::string_view in, bool& line_start, std::string& out) {
  for (char c : in) {
    if (line_start && c == '.') {
      out += '.';
    }
    out += c;
    line_start = c == '\n';
  }
}

// stdin, dot-stuffed, then the final dot.
Status stream_body(Link& link, int input_fd) {
  std::string in(kChunk, '\0');
  std::string out;
  bool line_start = true;
  for (;;) {
    const ssize_t n = ::read(input_fd, in.data(), in.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return sys_error(Errc::io, errno, "read the message");
    }
    if (n == 0) {
      break;
    }
    out.clear();
    stuff(std::string_view(in.data(), static_cast<size_t>(n)), line_start, out);
    if (auto w = link.send(out); !w) {
      return w;
    }
  }
  return link.send(line_start ? ".\r\n" : "\r\n.\r\n");
}

int refused(const DaemonSubmit& req, const Reply& r, const char* what) {
  drain_fd(req.input_fd);
  req.log.error("%s: %s", what, r.summary().c_str());
  return exit_for_reply(r.code, r.enhanced);
}

int failed(const DaemonSubmit& req, const Error& e) {
  drain_fd(req.input_fd);
  req.log.error("%s", e.what.c_str());
  return e.code == Errc::config ? kExConfig : kExUnavailable;
}

}  // namespace

int submit_to_daemon(const DaemonSubmit& req) {
  const SendmailArgs& a = req.args;
  auto rcpts = split_recipient_words(a.rcpt_words);
  if (!rcpts) {
    drain_fd(req.input_fd);
    req.log.error("%s", rcpts.error().what.c_str());
    return kExUsage;
  }
  if (rcpts->empty() && !a.extract) {
    drain_fd(req.input_fd);
    req.log.error("Recipient addresses must be specified on the command line or via the -t option");
    return kExUsage;
  }
  auto link = connect_daemon(req.config, true);
  if (!link) {
    return failed(req, link.error());
  }
  auto hello = greeted(*link);
  if (!hello) {
    return failed(req, hello.error());
  }
  if (hello->code != 220) {
    return refused(req, *hello, "the daemon refused the connection");
  }
  SubmitFlags f;
  f.extract = a.extract;
  f.dot_ends = !a.ignore_dots;
  f.no_rewrite = a.no_rewrite;
  f.full_name = a.full_name;
  f.notify = a.dsn_notify;
  f.ret = a.dsn_ret;
  f.envid = a.dsn_envid;
  std::string cmds = "MAIL FROM:<" + req.sender + ">" + mail_params(f);
  if (!a.body_type.empty()) {
    cmds += " BODY=" + a.body_type;
  }
  cmds += "\r\n";
  for (const std::string& r : *rcpts) {
    cmds += "RCPT TO:<" + r + ">\r\n";
  }
  if (auto w = link->send(cmds); !w) {
    return failed(req, w.error());
  }
  for (size_t i = 0; i <= rcpts->size(); ++i) {  // MAIL, then each RCPT
    auto r = link->reply();
    if (!r) {
      return failed(req, r.error());
    }
    if (!positive(*r)) {
      return refused(req, *r, i == 0 ? "sender refused" : "recipient refused");
    }
  }
  (void)link->send("DATA\r\n");
  auto go = link->reply();
  if (!go) {
    return failed(req, go.error());
  }
  if (go->code != 354) {
    return refused(req, *go, "message refused");
  }
  if (auto s = stream_body(*link, req.input_fd); !s) {
    return failed(req, s.error());  // the daemon sees no final dot: nothing is queued
  }
  auto done = link->reply();
  if (!done) {
    return failed(req, done.error());
  }
  if (done->code != 250) {
    return refused(req, *done, "message refused");
  }
  quit(*link);
  return kExOk;
}

namespace {

// One admin command (XQUEUE, XFLUSH): its multi-line 250's lines but the last on stdout.
int admin_command(const Config& cfg, Logger& log, const std::string& command, bool print,
                  bool timeout) {
  auto link = connect_daemon(cfg, timeout);
  if (!link) {
    log.error("%s", link.error().what.c_str());
    return link.error().code == Errc::config ? kExConfig : kExUnavailable;
  }
  auto hello = greeted(*link);
  Result<Reply> r = hello;
  if (hello && hello->code == 220) {
    (void)link->send(command + "\r\n");
    r = link->reply();
  }
  if (!r) {
    log.error("%s", r.error().what.c_str());
    return kExUnavailable;
  }
  if (r->code != 250) {
    log.error("%s", r->summary().c_str());
    return exit_for_reply(r->code, r->enhanced);
  }
  quit(*link);
  if (print) {
    FdSink out(STDOUT_FILENO);
    for (size_t i = 0; i + 1 < r->lines.size(); ++i) {
      (void)out.write(r->lines[i]);
      (void)out.write("\n");
    }
    if (auto f = out.flush(); !f) {
      log.error("write the listing: %s", f.error().what.c_str());
      return kExIoErr;
    }
  }
  return kExOk;
}

}  // namespace

int bridge_to_daemon(const Config& cfg, Logger& log, int in, int out) {
  auto link = connect_daemon(cfg, true);
  if (!link) {
    log.error("%s", link.error().what.c_str());
    return link.error().code == Errc::config ? kExConfig : kExUnavailable;
  }
  std::array<char, 16384> buf{};
  bool in_open = true;
  for (;;) {
    pollfd fds[2] = {{link->fd(), POLLIN, 0}, {in_open ? in : -1, POLLIN, 0}};
    const int ready = ::poll(fds, 2, kReplyTimeoutSeconds * 1000);
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready <= 0) {
      break;  // silence on both sides for the daemon's own idle time: give up as it would
    }
    if (fds[0].revents != 0) {
      const ssize_t n = ::read(link->fd(), buf.data(), buf.size());
      if (n <= 0 || !write_all(out, std::string_view(buf.data(), static_cast<size_t>(n)))) {
        break;  // the daemon is done (221, or it hung up), or the client is gone
      }
    }
    if (in_open && fds[1].revents != 0) {
      const ssize_t n = ::read(in, buf.data(), buf.size());
      if (n <= 0) {
        in_open = false;
        (void)::shutdown(link->fd(), SHUT_WR);  // the daemon sees the end of input
      } else if (!link->send(std::string_view(buf.data(), static_cast<size_t>(n)))) {
        break;
      }
    }
  }
  return kExOk;
}

int list_from_daemon(const Config& cfg, Logger& log, bool json) {
  return admin_command(cfg, log, std::string(kXQueue) + (json ? " JSON" : ""), true, true);
}

int flush_through_daemon(const Config& cfg, Logger& log, const std::vector<std::string>& ids,
                         bool print) {
  std::string cmd(kXFlush);
  for (const std::string& id : ids) {
    if (!is_valid_queue_id(id)) {
      log.error("flush: '%s' is not a queue id", id.c_str());
      return kExUsage;
    }
    cmd += " " + id;
  }
  return admin_command(cfg, log, cmd, print, false);  // a run takes as long as it takes
}

}  // namespace rm::cli
