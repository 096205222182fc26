// End-to-end interoperability: `sendmail -t -i` queues, `relaymail flush` delivers to an SMTP
// server we did not write, Debian's python3-aiosmtpd (tests/e2e/aiosmtpd_server.py) with
// STARTTLS and AUTH required, and the test checks what that server received: the envelope, the
// content byte for byte, one session for several messages, partial refusals, temporary
// failures, every AUTH mechanism (PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256 and the automatic
// choice), a rejected password and a SCRAM server that cannot prove it knows the password.
// The server runs as a child process of /usr/bin/python3 (not whatever python3 is first in PATH)
// with the test PKI's "good" certificate. A missing aiosmtpd module fails the tests: the
// Makefile installs python3-aiosmtpd.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/harness.h"
#include "support/test_pki.h"

namespace rm::e2e {
namespace {

using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

using Clock = std::chrono::steady_clock;

constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kUser = "demo";
constexpr const char* kPassword = "s3cret-pass";

// tests/e2e/aiosmtpd_server.py, next to this file.
std::string server_script() {
  namespace fs = std::filesystem;
  return (fs::absolute(fs::path(__FILE__)).parent_path() / "aiosmtpd_server.py").string();
}

struct AioOptions {
  std::string password = kPassword;    // what the server accepts for kUser
  std::vector<std::string> refuse{};   // recipients answered with 550
  int tempfail_data = 0;               // the first N DATA transfers get 451
  bool cram_md5 = false;               // also offer AUTH CRAM-MD5
  bool scram_sha_256 = false;          // also offer AUTH SCRAM-SHA-256
  bool scram_forge_signature = false;  // send a wrong SCRAM server signature
};

// What aiosmtpd_server.py wrote to NNNN.env.
struct AioEnvelope {
  std::string from;  // "<>" for the null sender
  std::vector<std::string> to;
  std::string mail_options;  // upper-cased by aiosmtpd: "SIZE=123 BODY=8BITMIME"
  std::string auth;          // "PLAIN demo": the mechanism that authenticated, and the user
  std::string tls;           // "TLSv1.3"
  std::string peer;          // "127.0.0.1:40000": one value per SMTP session
};

AioEnvelope parse_aio_envelope(const std::string& text) {
  AioEnvelope e;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    size_t colon = line.find(": ");
    std::string key = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 2);
    if (key == "mail_from") {
      e.from = value;
    } else if (key == "rcpt_to") {
      e.to.push_back(value);
    } else if (key == "mail_options") {
      e.mail_options = value;
    } else if (key == "auth") {
      e.auth = value;
    } else if (key == "tls") {
      e.tls = value;
    } else if (key == "peer") {
      e.peer = value;
    }
  }
  return e;
}

// The aiosmtpd smarthost as a child process: its own pid, stopped with SIGTERM and reaped.
class Aiosmtpd {
 public:
  Aiosmtpd(const std::string& dir, AioOptions opts)
      : dir_(dir + "/aiosmtpd"), opts_(std::move(opts)) {
    ::mkdir(dir.c_str(), 0700);  // may exist (a World's dir)
    ::mkdir(dir_.c_str(), 0700);
    ::mkdir(outdir().c_str(), 0700);
    ::mkdir(pki_dir().c_str(), 0700);
  }
  ~Aiosmtpd() { stop(); }
  Aiosmtpd(const Aiosmtpd&) = delete;
  Aiosmtpd& operator=(const Aiosmtpd&) = delete;

  ::testing::AssertionResult start();
  void stop();
  int port() const { return port_; }
  std::string ca_file() const { return rm::test::test_pki_paths(pki_dir()).ca_file; }
  std::string log() const { return read_file(dir_ + "/server.log"); }
  size_t received() const { return list_dir(outdir(), ".env").size(); }
  std::vector<std::string> messages() const;  // NNNN.eml contents, in arrival order
  std::vector<AioEnvelope> envelopes() const;
  bool wait_for(size_t n, std::chrono::milliseconds timeout) const;

 private:
  std::string outdir() const { return dir_ + "/out"; }
  std::string pki_dir() const { return dir_ + "/pki"; }

  std::string dir_;
  AioOptions opts_;
  pid_t pid_ = -1;
  int port_ = 0;
};

::testing::AssertionResult Aiosmtpd::start() {
  RunResult probe = run(kPython, {"-I", "-c", "import aiosmtpd"});
  if (probe.exit_code != 0) {
    return ::testing::AssertionFailure()
           << kPython << " cannot import aiosmtpd; install python3-aiosmtpd (the Makefile's "
           << "dependency step does): " << probe.err;
  }
  auto pki = rm::test::generate_test_pki(pki_dir());
  if (!pki) {
    return ::testing::AssertionFailure() << "test PKI: " << pki.error().what;
  }
  std::string pass_file = dir_ + "/server.pass";
  std::string port_file = dir_ + "/server.port";
  std::string log_file = dir_ + "/server.log";
  if (!write_file(pass_file, opts_.password + "\n")) {
    return ::testing::AssertionFailure() << "cannot write " << pass_file;
  }
  std::vector<std::string> args{kPython,        "-I",          server_script(), "--cert",
                                pki->good.cert, "--key",       pki->good.key,   "--user",
                                kUser,          "--pass-file", pass_file,       "--outdir",
                                outdir(),       "--port-file", port_file};
  for (const auto& r : opts_.refuse) {
    args.insert(args.end(), {"--refuse", r});
  }
  if (opts_.tempfail_data > 0) {
    args.insert(args.end(), {"--tempfail-data", std::to_string(opts_.tempfail_data)});
  }
  if (opts_.cram_md5) {
    args.push_back("--cram-md5");
  }
  if (opts_.scram_sha_256) {
    args.push_back("--scram-sha-256");
  }
  if (opts_.scram_forge_signature) {
    args.push_back("--scram-forge-signature");
  }
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  std::string path_env = "PATH=/usr/bin:/bin", lang_env = "LANG=C.UTF-8";
  char* envp[] = {path_env.data(), lang_env.data(), nullptr};
  pid_ = ::fork();
  if (pid_ < 0) {
    return ::testing::AssertionFailure() << "fork: " << std::strerror(errno);
  }
  if (pid_ == 0) {
    int null_fd = ::open("/dev/null", O_RDWR);
    int log_fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(log_fd, 2);
    ::execve(argv[0], argv.data(), envp);
    ::_exit(127);
  }
  auto deadline = Clock::now() + 20s;
  while (Clock::now() < deadline) {
    std::string text = read_file(port_file);  // written atomically: whole or absent
    if (!text.empty() && text.back() == '\n') {
      port_ = std::atoi(text.c_str());
      if (port_ > 0) {
        return ::testing::AssertionSuccess();
      }
      return ::testing::AssertionFailure() << "bad port file: " << text;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return ::testing::AssertionFailure() << "aiosmtpd_server.py exited: " << log();
    }
    struct pollfd none {};
    ::poll(&none, 0, 5);
  }
  return ::testing::AssertionFailure() << "no port from aiosmtpd_server.py in 20 s: " << log();
}

void Aiosmtpd::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
}

std::vector<std::string> Aiosmtpd::messages() const {
  std::vector<std::string> out;
  for (const auto& p : list_dir(outdir(), ".eml")) {
    out.push_back(read_file(p));
  }
  return out;
}

std::vector<AioEnvelope> Aiosmtpd::envelopes() const {
  std::vector<AioEnvelope> out;
  for (const auto& p : list_dir(outdir(), ".env")) {
    out.push_back(parse_aio_envelope(read_file(p)));
  }
  return out;
}

bool Aiosmtpd::wait_for(size_t n, std::chrono::milliseconds timeout) const {
  auto deadline = Clock::now() + timeout;
  while (received() < n && Clock::now() < deadline) {
    struct pollfd none {};
    ::poll(&none, 0, 5);
  }
  return received() >= n;
}

struct AccountOptions {
  std::string auth = "plain";
  std::string password = kPassword;  // what relaymail sends
  int connections = 0;               // the account's connections; 0: the default
};

// The World's config, pointing at `srv` (the same shape World::write_config gives fake_smtpd),
// with the password in a mode 0600 file. False when a file cannot be written.
bool write_config(const World& w, const Aiosmtpd& srv, const AccountOptions& a = {}) {
  std::string pass = w.dir() + "/account.pass";
  if (!write_file(pass, a.password + "\n", 0600)) {
    return false;
  }
  std::ostringstream c;
  c << "delivery = \"queue\";\n"
    << "spool = \"" << w.spool() << "\";\n"
    << "domain = \"example.com\";\n"
    << "hostname = \"client.test\";\n"
    << "log = { syslog = false; };\n"
    << "accounts = ( {\n"
    << "  name = \"aiosmtpd\";\n  host = \"localhost\";\n  port = " << srv.port() << ";\n"
    << "  tls = \"starttls\";\n"
    << "  tls_ca_file = \"" << srv.ca_file() << "\";\n"
    << "  auth = \"" << a.auth << "\";\n  user = \"" << kUser << "\";\n"
    << "  password = { file = \"" << pass << "\"; };\n";
  if (a.connections > 0) {
    c << "  connections = " << a.connections << ";\n";
  }
  c << "  timeout = \"10s\";\n} );\n";
  return write_file(w.config_path(), c.str(), 0600);
}

// Lines of `text` that contain `needle`.
size_t count_lines_with(const std::string& text, const std::string& needle) {
  size_t n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    n += line.find(needle) != std::string::npos ? 1 : 0;
  }
  return n;
}

// A message with the shapes that break naive SMTP code: CRLF and LF mixed, lines starting with
// dots (one a lone ".", which must not end DATA), 8-bit text and a Bcc.
const std::string kTrickyMessage =
    "To: bob@example.org\r\n"
    "Cc: carol@example.org\n"
    "Bcc: secret@example.net\r\n"
    "Subject: interop\n"
    "\n"
    "line one\r\n"
    ".leading dot\n"
    "..two dots\n"
    ".\n"
    "gr\xc3\xbc\xc3\x9f"
    "e\n"
    "last line\r\n";
const std::string kTrickyBody =
    "line one\r\n.leading dot\r\n..two dots\r\n.\r\ngr\xc3\xbc\xc3\x9f"
    "e\r\nlast line\r\n";

TEST(Interop, DeliversEnvelopeAndExactBytes) {
  World w;
  Aiosmtpd srv(w.dir(), {});
  ASSERT_TRUE(srv.start());
  ASSERT_TRUE(write_config(w, srv));

  RunResult r = w.sendmail({"-t", "-i", "-f", "alice@example.com"}, kTrickyMessage);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(w.queued(), 1u);
  EXPECT_EQ(srv.received(), 0u) << "queue mode must not deliver";
  std::vector<std::string> spooled = list_dir(w.spool() + "/queue", ".mail");
  ASSERT_EQ(spooled.size(), 1u);
  std::string queued_bytes = spooled_message(spooled[0]);

  RunResult f = w.relaymail({"flush"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, AllOf(HasSubstr("status=sent"), HasSubstr("tls=TLS")));
  ASSERT_TRUE(srv.wait_for(1, 10s)) << f.out << f.err << srv.log();
  EXPECT_EQ(w.queued(), 0u);

  AioEnvelope env = srv.envelopes().at(0);
  EXPECT_EQ(env.from, "alice@example.com");
  EXPECT_THAT(env.to,
              UnorderedElementsAre("bob@example.org", "carol@example.org", "secret@example.net"));
  EXPECT_THAT(env.mail_options, HasSubstr("BODY=8BITMIME"));
  EXPECT_EQ(env.auth, "PLAIN demo");
  EXPECT_THAT(env.tls, HasSubstr("TLSv1."));

  std::string msg = srv.messages().at(0);
  EXPECT_EQ(msg, to_crlf(queued_bytes)) << "the spooled message, with CRLF line ends, exactly";
  EXPECT_EQ(body_of(msg), kTrickyBody);
  EXPECT_EQ(first_bare_eol(msg), std::string::npos);
  EXPECT_THAT(header_values(msg, "To"), ElementsAre("bob@example.org"));
  EXPECT_THAT(header_values(msg, "Cc"), ElementsAre("carol@example.org"));
  EXPECT_THAT(header_values(msg, "Subject"), ElementsAre("interop"));
  EXPECT_THAT(header_values(msg, "Bcc"), ::testing::IsEmpty());
  EXPECT_THAT(msg, Not(HasSubstr("secret@example.net")));
  EXPECT_EQ(w.mailq().out, "Mail queue is empty\n");
}

struct AuthCase {
  const char* name;
  std::string auth;     // the account's setting
  bool all_mechanisms;  // the server also offers CRAM-MD5 and SCRAM-SHA-256
  std::string seen;     // the mechanism and user aiosmtpd authenticated
};

TEST(Interop, AuthenticatesWithEachMechanism) {
  const AuthCase kCases[] = {
      {.name = "plain", .auth = "plain", .all_mechanisms = true, .seen = "PLAIN demo"},
      {.name = "login", .auth = "login", .all_mechanisms = true, .seen = "LOGIN demo"},
      {.name = "cram-md5", .auth = "cram-md5", .all_mechanisms = true, .seen = "CRAM-MD5 demo"},
      {.name = "scram-sha-256",
       .auth = "scram-sha-256",
       .all_mechanisms = true,
       .seen = "SCRAM-SHA-256 demo"},
      {.name = "auto, all offered",
       .auth = "auto",
       .all_mechanisms = true,
       .seen = "SCRAM-SHA-256 demo"},
      {.name = "auto, LOGIN PLAIN offered",
       .auth = "auto",
       .all_mechanisms = false,
       .seen = "PLAIN demo"},
  };
  TempDir dir;
  Aiosmtpd basic(dir.path() + "/basic", {});
  Aiosmtpd full(dir.path() + "/full", {.cram_md5 = true, .scram_sha_256 = true});
  ASSERT_TRUE(basic.start());
  ASSERT_TRUE(full.start());
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    Aiosmtpd& srv = c.all_mechanisms ? full : basic;
    size_t before = srv.received();
    World w;
    ASSERT_TRUE(write_config(w, srv, {.auth = c.auth}));
    ASSERT_EQ(w.sendmail({"-i", "bob@example.org"}, "Subject: auth\n\nbody\n").exit_code, 0);
    RunResult f = w.relaymail({"flush"});
    EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
    ASSERT_TRUE(srv.wait_for(before + 1, 10s)) << f.out << f.err << srv.log();
    EXPECT_EQ(srv.envelopes().back().auth, c.seen);
    EXPECT_EQ(w.queued(), 0u);
  }
}

TEST(Interop, SeveralMessagesInOneFlushShareOneSession) {
  World w;
  Aiosmtpd srv(w.dir(), {});
  ASSERT_TRUE(srv.start());
  ASSERT_TRUE(write_config(w, srv, {.connections = 1}));  // else one connection per message
  const std::vector<std::string> kSubjects = {"first", "second", "third"};
  for (const auto& s : kSubjects) {
    RunResult r = w.sendmail({"-t", "-i"},
                             "To: " + s + "@example.org\nSubject: " + s + "\n\n" + s + " body\n");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  ASSERT_EQ(w.queued(), 3u);

  RunResult f = w.relaymail({"flush"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_EQ(count_lines_with(f.out, "status=sent"), 3u) << f.out;
  ASSERT_TRUE(srv.wait_for(3, 10s)) << f.out << f.err << srv.log();
  EXPECT_EQ(w.queued(), 0u);

  std::vector<std::string> msgs = srv.messages();
  std::vector<AioEnvelope> envs = srv.envelopes();
  ASSERT_EQ(msgs.size(), 3u);
  ASSERT_EQ(envs.size(), 3u);
  std::vector<std::string> subjects;
  for (size_t i = 0; i < msgs.size(); ++i) {
    std::vector<std::string> subject = header_values(msgs[i], "Subject");
    ASSERT_EQ(subject.size(), 1u) << msgs[i];
    subjects.push_back(subject[0]);
    EXPECT_THAT(envs[i].to, ElementsAre(subject[0] + "@example.org"));
    EXPECT_EQ(body_of(msgs[i]), subject[0] + " body\r\n");
    EXPECT_EQ(envs[i].peer, envs[0].peer) << "one session for the run (no RSET in between)";
  }
  EXPECT_THAT(subjects, UnorderedElementsAre("first", "second", "third"));

  RunResult again = w.relaymail({"flush"});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(srv.received(), 3u) << "each delivered exactly once";
}

TEST(Interop, RefusedRecipientFailsAloneOthersAreDelivered) {
  World w;
  Aiosmtpd srv(w.dir(), {.refuse = {"nobody@example.net"}});
  ASSERT_TRUE(srv.start());
  ASSERT_TRUE(write_config(w, srv));
  RunResult r = w.sendmail({"-t", "-i", "-f", "alice@example.com"},
                           "To: bob@example.org, nobody@example.net\n"
                           "Cc: carol@example.org\n"
                           "Subject: partial\n\nbody\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;

  RunResult f = w.relaymail({"flush"});
  EXPECT_EQ(count_lines_with(f.out, "status=partial"), 1u) << f.out << f.err;
  EXPECT_THAT(f.out, AllOf(HasSubstr("dsn=5.1.1"), HasSubstr("bounce=")));
  // The message to the others, then the bounce to the sender (null sender), in the same run.
  ASSERT_TRUE(srv.wait_for(2, 10s)) << f.out << f.err << srv.log();
  std::vector<AioEnvelope> envs = srv.envelopes();
  std::vector<std::string> msgs = srv.messages();
  ASSERT_EQ(envs.size(), 2u);
  EXPECT_EQ(envs[0].from, "alice@example.com");
  EXPECT_THAT(envs[0].to, UnorderedElementsAre("bob@example.org", "carol@example.org"));
  EXPECT_THAT(header_values(msgs[0], "Subject"), ElementsAre("partial"));
  EXPECT_EQ(envs[1].from, "<>");
  EXPECT_THAT(envs[1].to, ElementsAre("alice@example.com"));
  EXPECT_THAT(msgs[1], AllOf(HasSubstr("nobody@example.net"), HasSubstr("5.1.1")));
  EXPECT_EQ(first_bare_eol(msgs[1]), std::string::npos);

  // Handled: nothing left to retry, the entry kept in failed/ with each recipient's outcome.
  EXPECT_EQ(w.queued(), 0u);
  EXPECT_EQ(w.mailq().out, "Mail queue is empty\n");
  std::vector<std::string> failed = list_dir(w.spool() + "/failed", ".env");
  ASSERT_EQ(failed.size(), 1u);
  std::string kept = read_file(failed[0]);
  EXPECT_THAT(kept, HasSubstr("rcpt: failed <nobody@example.net> 550 5.1.1"));
  EXPECT_THAT(kept, HasSubstr("rcpt: sent <bob@example.org> 250"));
  EXPECT_THAT(kept, HasSubstr("rcpt: sent <carol@example.org> 250"));

  RunResult again = w.relaymail({"flush"});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(srv.received(), 2u) << "nobody is sent anything twice";
}

TEST(Interop, TemporaryDataFailureIsRetriedAndDeliveredOnce) {
  World w;
  Aiosmtpd srv(w.dir(), {.tempfail_data = 1});
  ASSERT_TRUE(srv.start());
  ASSERT_TRUE(write_config(w, srv));
  for (const char* s : {"one", "two"}) {
    ASSERT_EQ(
        w.sendmail({"-i", "bob@example.org"}, std::string("Subject: ") + s + "\n\nx\n").exit_code,
        0);
  }

  // The first DATA gets 451 after the content was sent; the session goes on with the second.
  RunResult f = w.relaymail({"flush"});
  EXPECT_EQ(count_lines_with(f.out, "status=deferred"), 1u) << f.out << f.err;
  EXPECT_EQ(count_lines_with(f.out, "status=sent"), 1u) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("dsn=4.3.0"));
  ASSERT_TRUE(srv.wait_for(1, 10s)) << srv.log();
  EXPECT_EQ(w.queued(), 1u);
  RunResult q = w.mailq();
  EXPECT_THAT(q.out, AllOf(HasSubstr("attempts: 1"), HasSubstr("451"), HasSubstr("bob@")));

  RunResult f2 = w.relaymail({"flush"});
  EXPECT_EQ(f2.exit_code, 0) << f2.out << f2.err;
  EXPECT_EQ(count_lines_with(f2.out, "status=sent"), 1u) << f2.out;
  ASSERT_TRUE(srv.wait_for(2, 10s)) << srv.log();
  EXPECT_EQ(w.queued(), 0u);
  std::vector<std::string> subjects;
  for (const auto& m : srv.messages()) {
    std::vector<std::string> s = header_values(m, "Subject");
    subjects.insert(subjects.end(), s.begin(), s.end());
  }
  EXPECT_THAT(subjects, UnorderedElementsAre("one", "two")) << "each exactly once";
}

TEST(Interop, WrongPasswordDefersAndKeepsTheMessage) {
  TempDir server_dir;
  Aiosmtpd srv(server_dir.path(),
               {.password = "the-right-one", .cram_md5 = true, .scram_sha_256 = true});
  ASSERT_TRUE(srv.start());
  for (const char* auth : {"plain", "login", "cram-md5", "scram-sha-256"}) {
    SCOPED_TRACE(auth);
    World w;
    ASSERT_TRUE(write_config(w, srv, {.auth = auth}));  // sends kPassword
    ASSERT_EQ(w.sendmail({"-i", "bob@example.org"}, "Subject: auth\n\nbody\n").exit_code, 0);

    RunResult f = w.relaymail({"flush"});
    EXPECT_EQ(count_lines_with(f.out, "status=deferred"), 1u) << f.out << f.err;
    EXPECT_THAT(f.out, HasSubstr("535"));
    EXPECT_THAT(f.out + f.err, Not(HasSubstr(kPassword)));
    EXPECT_EQ(srv.received(), 0u);
    EXPECT_EQ(w.queued(), 1u);
    RunResult q = w.mailq();
    EXPECT_THAT(q.out, AllOf(HasSubstr("bob@example.org"), HasSubstr("attempts: 1"),
                             HasSubstr("last error: ")));
    EXPECT_THAT(q.out, Not(HasSubstr(kPassword)));
  }
}

// SCRAM authenticates the server too: a server that accepts the client's proof but cannot
// prove it knows the password (a wrong "v=") gets no mail.
TEST(Interop, ScramRefusesAServerWithAWrongSignature) {
  World w;
  Aiosmtpd srv(w.dir(), {.scram_sha_256 = true, .scram_forge_signature = true});
  ASSERT_TRUE(srv.start());
  ASSERT_TRUE(write_config(w, srv, {.auth = "scram-sha-256"}));
  ASSERT_EQ(w.sendmail({"-i", "bob@example.org"}, "Subject: scram\n\nbody\n").exit_code, 0);

  RunResult f = w.relaymail({"flush"});
  EXPECT_EQ(count_lines_with(f.out, "status=deferred"), 1u) << f.out << f.err;
  EXPECT_EQ(srv.received(), 0u);
  EXPECT_EQ(w.queued(), 1u);
}

}  // namespace
}  // namespace rm::e2e
