// fake_smtpd — FakeSmtpServer as a program, for end-to-end tests and `make demo`.
//
//   fake_smtpd [--tls none|starttls|tls] [--pki DIR] [--cert good|wrong_host|expired|...]
//              [--user U --pass-file F] [--auth-mechs LIST] [--auth-before-tls] [--require-auth]
//              [--maildir DIR] [--port-file F] [--host 127.0.0.1] [--port N]
//              [--size N] [--hostname NAME] [--client-ca FILE]
//              [--fail VERB[#N]=REPLY]... [--fail-connections N]
//              [--chunking] [--smtputf8] [--dsn]
//              [--no-fsync] [--max-message-bytes N] [--max-connections N] [--max-line N]
//
// TLS modes need --pki DIR: the test PKI (support/test_pki.h) is generated there when
// DIR/ca.pem is missing; clients trust DIR/ca.pem. The password comes from a file (first line,
// one trailing LF or CRLF stripped), never from argv; for XOAUTH2 and OAUTHBEARER it is the
// bearer token. --auth-mechs is a comma-separated list of the AUTH mechanisms to advertise and
// accept, e.g. SCRAM-SHA-256,CRAM-MD5 (default PLAIN,LOGIN). --fail REPLY is a reply line such as
// "451 4.3.0 busy", or one of the words disconnect, stall; VERB#N limits it to the Nth
// occurrence in a connection, --fail-connections to the first N connections. --client-ca FILE
// asks TLS clients for a certificate and verifies it against FILE (e.g. DIR/ca.pem, which
// issued DIR/client.crt); clients without one are still served. --chunking, --smtputf8 and
// --dsn advertise and honour CHUNKING (BDAT), SMTPUTF8 and DSN (fake_smtp_server.h).
// --no-fsync stores messages without fsync (for benchmarks, where the server's own disk flushes
// would be the bottleneck; a crash may lose or truncate what it stored). --max-message-bytes,
// --max-connections and --max-line raise the server's bounds (defaults 32 MiB per message, 32
// concurrent connections, 2048 octets per line; fake_smtp_server.h): an AUTH line carrying an
// OAuth2 token of 2 KB and more needs up to 12288 (RFC 4954 §4).
//
// When listening it writes the port to --port-file (atomically) and prints "PORT <n>" on
// stdout. Each accepted message is written to the maildir as NNNN.env ("from: <sender>\n",
// one "to: <rcpt>\n" per recipient, "params: <MAIL FROM parameters>\n" (may be empty),
// "tls: yes|no\n", "auth: <user>\n" when authenticated, then one "rcpt-params: <RCPT TO
// parameters>\n" per "to:" line, in the same order (may be empty), "bdat: yes|no\n",
// "connection: <n>\n" (1-based), "tls-resumed: yes|no\n" and "auth-mechanism: <name>\n"
// when authenticated),
// then NNNN.eml (the data bytes as received), numbered on from the highest NNNN.eml already
// there; both atomically, the .eml last, so a reader that
// sees the .eml finds its .env. Runs until SIGTERM or SIGINT, then exits 0; 64 on bad usage,
// 1 when it cannot start.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/fake_smtp_server.h"
#include "support/test_pki.h"
#include "sys/unique_fd.h"

namespace {

using rm::test::FakeSmtpOptions;
using rm::test::FakeSmtpServer;
using rm::test::FakeTls;
using rm::test::Fault;

constexpr int kExUsage = 64;

bool write_atomic(const std::string& path, const std::string& data, bool sync = true) {
  const std::string tmp = path + ".tmp";
  rm::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    return false;
  }
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return false;
    }
    off += static_cast<size_t>(n);
  }
  if ((sync && ::fsync(fd.get()) != 0) || ::close(fd.release()) != 0) {
    return false;
  }
  return ::rename(tmp.c_str(), path.c_str()) == 0;
}

struct Args {
  FakeSmtpOptions opts;
  std::string pki_dir;
  std::string cert = "good";
  std::string pass_file;
  std::string maildir;
  std::string port_file;
  std::vector<Fault> faults;
  int fail_connections = 0;
  bool fsync = true;
};

int usage(const char* msg) {
  std::fprintf(stderr, "fake_smtpd: %s\n", msg);
  std::fprintf(stderr,
               "usage: fake_smtpd [--tls none|starttls|tls] [--pki DIR] [--cert NAME] "
               "[--user U --pass-file F] [--auth-mechs LIST] [--auth-before-tls] [--require-auth] "
               "[--maildir DIR] "
               "[--port-file F] [--host ADDR] [--port N] [--size N] [--hostname NAME] "
               "[--fail VERB[#N]=REPLY]... [--fail-connections N] [--client-ca FILE] "
               "[--chunking] [--smtputf8] [--dsn] [--no-fsync] [--max-message-bytes N] "
               "[--max-connections N] [--max-line N]\n");
  return kExUsage;
}

bool parse_fault(const std::string& spec, Fault* f) {
  size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0) {
    return false;
  }
  std::string verb = spec.substr(0, eq);
  std::string reply = spec.substr(eq + 1);
  if (size_t hash = verb.find('#'); hash != std::string::npos) {
    f->nth = std::atoi(verb.c_str() + hash + 1);
    verb.resize(hash);
    if (f->nth <= 0) {
      return false;
    }
  }
  f->verb = verb;
  if (reply == "disconnect") {
    f->action = Fault::Action::disconnect;
  } else if (reply == "stall") {
    f->action = Fault::Action::stall;
  } else if (!reply.empty()) {
    f->action = Fault::Action::reply;
    f->reply = reply;
  } else {
    return false;
  }
  return true;
}

// Returns 0 when parsed, else the exit code.
int parse_args(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    bool no_value = flag == "--auth-before-tls" || flag == "--require-auth" ||
                    flag == "--chunking" || flag == "--smtputf8" || flag == "--dsn" ||
                    flag == "--no-fsync";
    if (!no_value && i + 1 >= argc) {
      return usage(("missing value for " + flag).c_str());
    }
    std::string v = no_value ? std::string() : argv[++i];
    if (flag == "--tls") {
      if (v == "none") {
        a->opts.tls = FakeTls::plain;
      } else if (v == "starttls") {
        a->opts.tls = FakeTls::starttls;
      } else if (v == "tls") {
        a->opts.tls = FakeTls::implicit;
      } else {
        return usage("--tls takes none, starttls or tls");
      }
    } else if (flag == "--pki") {
      a->pki_dir = v;
    } else if (flag == "--cert") {
      a->cert = v;
    } else if (flag == "--client-ca") {
      a->opts.client_ca_file = v;
    } else if (flag == "--user") {
      a->opts.user = v;
    } else if (flag == "--pass-file") {
      a->pass_file = v;
    } else if (flag == "--auth-mechs") {
      a->opts.auth_mechanisms.clear();
      for (size_t start = 0; start <= v.size();) {
        size_t comma = std::min(v.find(',', start), v.size());
        std::string m = v.substr(start, comma - start);
        std::transform(m.begin(), m.end(), m.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        if (m.empty()) {
          return usage("--auth-mechs takes a comma-separated list such as PLAIN,SCRAM-SHA-256");
        }
        a->opts.auth_mechanisms.push_back(m);
        start = comma + 1;
      }
    } else if (flag == "--maildir") {
      a->maildir = v;
    } else if (flag == "--port-file") {
      a->port_file = v;
    } else if (flag == "--host") {
      a->opts.listen_host = v;
    } else if (flag == "--port") {
      a->opts.port = static_cast<uint16_t>(std::atoi(v.c_str()));
    } else if (flag == "--size") {
      a->opts.size_limit = static_cast<size_t>(std::strtoull(v.c_str(), nullptr, 10));
    } else if (flag == "--hostname") {
      a->opts.hostname = v;
    } else if (flag == "--fail") {
      Fault f;
      if (!parse_fault(v, &f)) {
        return usage(("bad --fail " + v).c_str());
      }
      a->faults.push_back(f);
    } else if (flag == "--fail-connections") {
      a->fail_connections = std::atoi(v.c_str());
    } else if (flag == "--auth-before-tls") {
      a->opts.auth_before_tls = true;
    } else if (flag == "--require-auth") {
      a->opts.require_auth = true;
    } else if (flag == "--chunking") {
      a->opts.chunking = true;
    } else if (flag == "--smtputf8") {
      a->opts.smtputf8 = true;
    } else if (flag == "--dsn") {
      a->opts.dsn = true;
    } else if (flag == "--no-fsync") {
      a->fsync = false;
    } else if (flag == "--max-message-bytes") {
      a->opts.max_message_bytes = static_cast<size_t>(std::strtoull(v.c_str(), nullptr, 10));
      if (a->opts.max_message_bytes == 0) {
        return usage("--max-message-bytes takes a positive number");
      }
    } else if (flag == "--max-line") {
      a->opts.max_line = static_cast<size_t>(std::strtoull(v.c_str(), nullptr, 10));
      if (a->opts.max_line < 512) {
        return usage("--max-line takes a number of octets, 512 or more");
      }
    } else if (flag == "--max-connections") {
      a->opts.max_connections = std::atoi(v.c_str());
      if (a->opts.max_connections <= 0) {
        return usage("--max-connections takes a positive number");
      }
    } else {
      return usage(("unknown option " + flag).c_str());
    }
  }
  if (!a->opts.user.empty() && a->pass_file.empty()) {
    return usage("--user needs --pass-file");
  }
  if (a->opts.tls != FakeTls::plain && a->pki_dir.empty()) {
    return usage("TLS modes need --pki DIR");
  }
  for (Fault& f : a->faults) {
    f.connections = a->fail_connections;
    a->opts.faults.push_back(f);
  }
  return 0;
}

bool read_password(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) {
    return false;
  }
  std::getline(in, *out);  // first line; getline drops the LF
  if (!out->empty() && out->back() == '\r') {
    out->pop_back();
  }
  return true;
}

// The highest NNNN of DIR/NNNN.eml, so a restarted server appends instead of overwriting.
int last_message_number(const std::string& dir) {
  int last = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() == 8 && name.compare(4, 4, ".eml") == 0 &&
        name.find_first_not_of("0123456789") == 4) {
      last = std::max(last, std::atoi(name.c_str()));
    }
  }
  return last;
}

std::string pad4(int n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d", n);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (int rc = parse_args(argc, argv, &a); rc != 0) {
    return rc;
  }
  if (!a.pass_file.empty() && !read_password(a.pass_file, &a.opts.password)) {
    std::fprintf(stderr, "fake_smtpd: read %s: %s\n", a.pass_file.c_str(), std::strerror(errno));
    return 1;
  }
  if (!a.pki_dir.empty()) {
    rm::test::TestPki pki = rm::test::test_pki_paths(a.pki_dir);
    if (::access(pki.ca_file.c_str(), R_OK) != 0) {
      ::mkdir(a.pki_dir.c_str(), 0700);
      auto g = rm::test::generate_test_pki(a.pki_dir);
      if (!g) {
        std::fprintf(stderr, "fake_smtpd: %s\n", g.error().what.c_str());
        return 1;
      }
    }
    const rm::test::LeafFiles* leaf = pki.leaf(a.cert);
    if (leaf == nullptr) {
      return usage(("unknown --cert " + a.cert).c_str());
    }
    a.opts.cert_file = leaf->cert;
    a.opts.key_file = leaf->key;
    std::fprintf(stderr, "fake_smtpd: clients trust %s\n", pki.ca_file.c_str());
  }

  // Block the signals before any thread exists, so only sigwait() below receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  FakeSmtpServer server(a.opts);
  if (!a.maildir.empty()) {
    auto counter = std::make_shared<std::atomic<int>>(last_message_number(a.maildir));
    std::string dir = a.maildir;
    const bool sync = a.fsync;
    server.on_message([dir, counter, sync](const rm::test::ReceivedMessage& m) {
      const std::string base = dir + "/" + pad4(++*counter);
      std::string env = "from: " + m.mail_from + "\n";
      for (const std::string& r : m.rcpt_tos) {
        env += "to: " + r + "\n";
      }
      env += "params: " + m.mail_params + "\n";
      env += std::string("tls: ") + (m.tls ? "yes" : "no") + "\n";
      if (!m.auth_user.empty()) {
        env += "auth: " + m.auth_user + "\n";
      }
      for (const std::string& p : m.rcpt_params) {
        env += "rcpt-params: " + p + "\n";
      }
      env += std::string("bdat: ") + (m.bdat ? "yes" : "no") + "\n";
      env += "connection: " + std::to_string(m.connection) + "\n";
      env += std::string("tls-resumed: ") + (m.tls_resumed ? "yes" : "no") + "\n";
      if (!m.auth_mechanism.empty()) {
        env += "auth-mechanism: " + m.auth_mechanism + "\n";
      }
      if (!write_atomic(base + ".env", env, sync) || !write_atomic(base + ".eml", m.data, sync)) {
        std::fprintf(stderr, "fake_smtpd: write %s: %s\n", base.c_str(), std::strerror(errno));
      }
    });
  }
  if (auto r = server.start(); !r) {
    std::fprintf(stderr, "fake_smtpd: %s\n", r.error().what.c_str());
    return 1;
  }
  if (!a.port_file.empty() && !write_atomic(a.port_file, std::to_string(server.port()) + "\n")) {
    std::fprintf(stderr, "fake_smtpd: write %s: %s\n", a.port_file.c_str(), std::strerror(errno));
    return 1;
  }
  std::printf("PORT %u\n", static_cast<unsigned>(server.port()));
  std::fflush(stdout);

  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  server.stop();
  return 0;
}
