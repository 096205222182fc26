// End-to-end checks of what goes over the wire and of what the package installs: SENDMAIL.md
// §5 behaviours 43 (8BITMIME), 67 (submission never waits for the network) and 72 (installed
// paths, no setuid/setgid). Each test names the behaviour it covers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/harness.h"

namespace rm::e2e {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

namespace fs = std::filesystem;

// The "params: " line fake_smtpd writes to NNNN.env (what followed ">" in MAIL FROM), or
// "<missing>" when there is no such line.
std::string mail_params(const std::string& env_text) {
  std::istringstream in(env_text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("params:", 0) == 0) {
      std::string v = line.substr(7);
      if (!v.empty() && v[0] == ' ') {
        v.erase(0, 1);
      }
      return v;
    }
  }
  return "<missing>";
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size()) {
    s.replace(p, from.size(), to);
  }
  return s;
}

// ---- Behaviour 43: 8BITMIME ----

class Wire : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(srv_.start());
    w_.write_config(srv_, "queue");
  }

  World w_;
  Smtpd srv_{w_.dir(), {}};
};

struct EightBitCase {
  const char* name;
  std::string input;
  std::string body;    // expected at the smarthost
  bool body_8bitmime;  // MAIL FROM carries BODY=8BITMIME
};

// Behaviour 43: 8-bit bytes pass through unchanged and BODY=8BITMIME is requested (fake_smtpd
// offers 8BITMIME); a 7-bit message carries no BODY= parameter at all.
TEST_F(Wire, B43_EightBitBodyUnchangedWithBody8bitmime) {
  const EightBitCase kCases[] = {
      {.name = "8-bit body",
       .input = "Subject: eight\n\nlatin1 \xe4\xf6\xfc utf8 \xc3\xa4\xc3\xb6 high \xff\x80\x9f\n",
       .body = "latin1 \xe4\xf6\xfc utf8 \xc3\xa4\xc3\xb6 high \xff\x80\x9f\r\n",
       .body_8bitmime = true},
      {.name = "every byte 0x80..0xff",
       .input =
           [] {
             std::string s = "Subject: all\n\n";
             for (int c = 0x80; c <= 0xff; ++c) {
               s += static_cast<char>(c);
             }
             return s + "\n";
           }(),
       .body =
           [] {
             std::string s;
             for (int c = 0x80; c <= 0xff; ++c) {
               s += static_cast<char>(c);
             }
             return s + "\r\n";
           }(),
       .body_8bitmime = true},
      {.name = "7-bit body",
       .input = "Subject: seven\n\nplain ascii ~ only\n",
       .body = "plain ascii ~ only\r\n",
       .body_8bitmime = false},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    size_t before = srv_.received();
    SpawnResult r = spawn(w_.sendmail_spec({"-i", "bob@example.org"}, c.input));
    ASSERT_FALSE(r.timed_out);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    Delivered d = flush_and_collect(w_, srv_, before + 1);
    EXPECT_EQ(d.flush.exit_code, 0) << d.flush.err;
    std::vector<std::string> envs = srv_.envelopes();
    ASSERT_EQ(d.messages.size(), before + 1);
    ASSERT_EQ(envs.size(), before + 1);
    EXPECT_EQ(body_of(d.messages[before]), c.body);
    std::string params = mail_params(envs[before]);
    ASSERT_NE(params, "<missing>") << envs[before];
    if (c.body_8bitmime) {
      EXPECT_THAT(params, HasSubstr("BODY=8BITMIME"));
    } else {
      EXPECT_THAT(params, Not(HasSubstr("BODY="))) << "7-bit mail needs no BODY parameter";
    }
  }
}

// Issue 4, from_rewrite = "always": Gmail and SES refuse a From: the account does not own. The
// smarthost sees the account's address in From: and MAIL FROM, the author in Reply-To:.
TEST_F(Wire, FromRewriteAlwaysUsesTheAccountsAddress) {
  std::string conf = read_file(w_.config_path());
  conf = replace_all(conf, "  name = \"test\";\n",
                     "  name = \"test\";\n  from = \"box@relay.test\";\n");
  ASSERT_TRUE(write_file(w_.config_path(), "from_rewrite = \"always\";\n" + conf));
  SpawnResult r = spawn(w_.sendmail_spec(
      {"-t", "-i"}, "From: Web Site <www@shop.example>\nTo: bob@example.org\nSubject: s\n\nhi\n"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Delivered d = flush_and_collect(w_, srv_, 1);
  ASSERT_EQ(d.messages.size(), 1u) << d.flush.err;
  EXPECT_THAT(header_values(d.messages[0], "From"),
              ::testing::ElementsAre(HasSubstr("<box@relay.test>")));
  EXPECT_THAT(header_values(d.messages[0], "Reply-To"),
              ::testing::ElementsAre("Web Site <www@shop.example>"));
  EXPECT_EQ(d.envelopes[0].from, "box@relay.test");
  EXPECT_EQ(d.envelopes[0].to, std::vector<std::string>{"bob@example.org"});
}

// Issue 4: the DSN parameters given at submission (-N, -R, -V) reach a smarthost that offers
// DSN, on MAIL and on every RCPT (with ORCPT); BDAT carries the body when CHUNKING is offered.
TEST(WireEsmtp, DsnParametersAndChunking) {
  World w;
  Smtpd srv(w.dir(), {.flags = {"--dsn", "--chunking"}});
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "queue");
  SpawnResult r = spawn(w.sendmail_spec({"-i", "-N", "failure,delay", "-R", "hdrs", "-V",
                                         "env+id 1", "bob@example.org", "carol@example.org"},
                                        "Subject: dsn\n\n.dot\nbody\n"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Delivered d = flush_and_collect(w, srv, 1);
  ASSERT_EQ(d.messages.size(), 1u) << d.flush.err;
  std::string env = srv.envelopes()[0];
  EXPECT_THAT(mail_params(env), HasSubstr("RET=HDRS"));
  EXPECT_THAT(mail_params(env), HasSubstr("ENVID=env+2Bid+201"));
  EXPECT_THAT(env, HasSubstr("rcpt-params: NOTIFY=FAILURE,DELAY ORCPT=rfc822;bob@example.org"));
  EXPECT_THAT(env, HasSubstr("rcpt-params: NOTIFY=FAILURE,DELAY ORCPT=rfc822;carol@example.org"));
  EXPECT_THAT(env, HasSubstr("bdat: yes"));
  EXPECT_EQ(body_of(d.messages[0]), ".dot\r\nbody\r\n");
}

// RELIABILITY.md §6 case 19: a refused login defers (never bounces) and says so loudly, once.
TEST(WireAuth, RefusedLoginDefersWithALoudLine) {
  World w;
  Smtpd srv(w.dir(), {.password = "the-server-wants-another"});
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "queue");
  ASSERT_EQ(w.sendmail({"-i", "bob@example.org"}, "Subject: a\n\nx\n").exit_code, 0);
  ASSERT_EQ(w.sendmail({"-i", "carol@example.org"}, "Subject: b\n\nx\n").exit_code, 0);
  RunResult f = w.relaymail({"flush"});
  EXPECT_THAT(f.out, HasSubstr("status=deferred"));
  EXPECT_THAT(f.out, Not(HasSubstr("status=failed")));
  EXPECT_THAT(f.err, HasSubstr("account test: the smarthost refused the login"));
  EXPECT_THAT(f.err, HasSubstr("check the user and password"));
  EXPECT_EQ(f.err.find("refused the login"), f.err.rfind("refused the login")) << "once per run";
  EXPECT_EQ(w.queued(), 2u);
  EXPECT_EQ(srv.received(), 0u);
}

// ---- Behaviour 67: submission never waits for the network ----

struct StallCase {
  const char* name;
  std::string delivery;  // the config's delivery setting
};

// Behaviour 67: with a smarthost that accepts the connection and never sends its greeting,
// `sendmail` in queue and background mode exits 0 with the message queued. The account
// timeout is raised to an hour so that any wait on the network runs into the spawn deadline:
// either the process itself (timed_out) or a child still holding the caller's stdout/stderr
// (the capture only ends at the deadline).
TEST(WireStall, B67_QueueAndBackgroundDoNotWaitForAStalledSmarthost) {
  const StallCase kCases[] = {
      {.name = "queue", .delivery = "queue"},
      {.name = "background", .delivery = "background"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    World w;
    SmtpdOptions opts;
    opts.fail = {"GREETING=stall"};
    Smtpd srv(w.dir(), opts);
    ASSERT_TRUE(srv.start());
    w.write_config(srv, c.delivery);
    std::string conf = read_file(w.config_path());
    ASSERT_THAT(conf, HasSubstr("timeout = \"10s\";"));
    ASSERT_TRUE(
        write_file(w.config_path(), replace_all(conf, "timeout = \"10s\";", "timeout = \"1h\";")));

    SpawnSpec spec = w.sendmail_spec({"-i", "bob@example.org"}, "Subject: stall\n\nbody\n");
    spec.timeout = 60s;
    auto start = std::chrono::steady_clock::now();
    SpawnResult r = spawn(spec);
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_FALSE(r.timed_out) << "sendmail waited for the stalled smarthost";
    EXPECT_LT(took, spec.timeout)
        << "stdout/stderr stayed open until the deadline: a child waits on the network";
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(w.queued(), 1u) << "the message is queued";
    EXPECT_EQ(srv.received(), 0u);
    srv.stop();  // ends the stall, so a background delivery process gets EOF and exits
  }
}

// ---- Behaviour 72: what the package installs ----

// packaging/install.sh of this source tree: tests/e2e/wire_test.cc → ../../packaging.
fs::path install_script() {
  fs::path self = fs::absolute(fs::path(__FILE__));
  return (self.parent_path() / ".." / ".." / "packaging" / "install.sh").lexically_normal();
}

// The build dir: RM_RELAYMAIL_BIN is <build>/bin/relaymail.
fs::path build_dir() {
  return fs::path(RM_RELAYMAIL_BIN).parent_path().parent_path();
}

// Behaviour 72: install.sh with DESTDIR puts relaymail in /usr/bin, the sendmail-compatible
// names as relative symlinks to it, the units, the config, man pages and examples, and nothing
// setuid or setgid.
TEST(WireInstall, B72_InstallsSendmailPathsWithoutSetuid) {
  fs::path script = install_script();
  ASSERT_TRUE(fs::exists(script)) << script;
  TempDir dest;
  RunResult r = run("/bin/sh", {script.string(), build_dir().string()}, "",
                    {"DESTDIR=" + dest.path(), "UNITDIR=/usr/lib/systemd/system"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  const std::string root = dest.path();
  struct stat st {};
  ASSERT_EQ(::lstat((root + "/usr/bin/relaymail").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode)) << "/usr/bin/relaymail is the binary itself";
  EXPECT_NE(st.st_mode & S_IXUSR, 0u);

  // Relative links, so they hold in a staging root and in a package as in the system.
  const std::pair<const char*, const char*> kLinks[] = {{"/usr/sbin/sendmail", "../bin/relaymail"},
                                                        {"/usr/lib/sendmail", "../bin/relaymail"},
                                                        {"/usr/bin/mailq", "relaymail"},
                                                        {"/usr/bin/newaliases", "relaymail"}};
  for (const auto& [link, target] : kLinks) {
    SCOPED_TRACE(link);
    fs::path p = root + link;
    std::error_code ec;
    ASSERT_TRUE(fs::is_symlink(fs::symlink_status(p, ec))) << p;
    EXPECT_EQ(fs::read_symlink(p, ec).string(), target);
    EXPECT_EQ(fs::canonical(p, ec), fs::canonical(root + "/usr/bin/relaymail"));
  }

  // Daemon mode's units, its user and its spool.
  for (const char* file :
       {"/usr/lib/systemd/system/relaymail.socket", "/usr/lib/systemd/system/relaymail.service",
        "/usr/lib/systemd/user/relaymail.service", "/usr/lib/systemd/user/relaymail-flush.timer",
        "/usr/lib/sysusers.d/relaymail.conf", "/usr/lib/tmpfiles.d/relaymail.conf",
        "/etc/relaymail.conf", "/usr/share/man/man8/sendmail.8", "/usr/share/man/man1/mailq.1",
        "/usr/share/man/man5/relaymail.conf.5", "/usr/share/doc/relaymail/examples/mailgun.conf"}) {
    EXPECT_TRUE(fs::is_regular_file(root + file)) << file;
  }
  EXPECT_THAT(read_file(root + "/usr/lib/sysusers.d/relaymail.conf"), HasSubstr("u relaymail "));

  std::vector<std::string> special;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat s {};
    if (::lstat(it->path().c_str(), &s) != 0) {
      ADD_FAILURE() << "lstat " << it->path();
      continue;
    }
    // Directories are left out: a setgid bit on one is inherited from the temp dir's parent.
    if (!S_ISLNK(s.st_mode) && !S_ISDIR(s.st_mode) && (s.st_mode & (S_ISUID | S_ISGID)) != 0) {
      special.push_back(it->path().string());
    }
  }
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_THAT(special, IsEmpty()) << "setuid or setgid files installed";
}

}  // namespace
}  // namespace rm::e2e
