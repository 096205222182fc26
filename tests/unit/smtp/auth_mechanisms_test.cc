// Every SASL mechanism end to end: the real SmtpClient (STARTTLS through the real TlsClient,
// verified against the test PKI) against the fake smarthost, whose server side of each
// mechanism is independent of rm_auth (tests/support/fake_sasl.h). Explicit choices, auto
// picking the strongest, wrong credentials, a server that skips SCRAM's proof, and that no
// AUTH line ever travels outside TLS.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/tcp_stream.h"
#include "smtp/smtp_client.h"
#include "support/fake_smtp_server.h"
#include "support/temp_dir.h"
#include "support/test_pki.h"
#include "tls/tls_client.h"

namespace rm {
namespace {

using test::FakeSmtpOptions;
using test::FakeSmtpServer;
using test::FakeTls;
using test::Fault;
using test::TranscriptEntry;

constexpr char kUser[] = "alice@example.test";
constexpr char kSecret[] = "c0rrect-h0rse.b4ttery";  // password and bearer token alike
const std::vector<std::string> kAllMechs = {"PLAIN",         "LOGIN",   "CRAM-MD5",
                                            "SCRAM-SHA-256", "XOAUTH2", "OAUTHBEARER"};

class AuthMechanismsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = test::TempDir::create();
    ASSERT_TRUE(d) << d.error().what;
    dir_.emplace(std::move(*d));
    auto p = test::generate_test_pki(dir_->path());
    ASSERT_TRUE(p) << p.error().what;
    pki_ = *p;
    auto tls = TlsClient::create(TlsPolicy{.ca_file = pki_.ca_file});
    ASSERT_TRUE(tls) << tls.error().what;
    tls_ = std::move(*tls);
  }

  std::unique_ptr<FakeSmtpServer> start_server(std::vector<std::string> mechs,
                                               bool auth_before_tls = false) {
    FakeSmtpOptions o;
    o.tls = FakeTls::starttls;
    o.cert_file = pki_.good.cert;
    o.key_file = pki_.good.key;
    o.user = kUser;
    o.password = kSecret;
    o.auth_mechanisms = std::move(mechs);
    o.auth_before_tls = auth_before_tls;
    o.require_auth = true;
    auto s = std::make_unique<FakeSmtpServer>(std::move(o));
    auto r = s->start();
    EXPECT_TRUE(r) << r.error().what;
    return s;
  }

  // Connects, opens (greeting, EHLO, STARTTLS, EHLO, AUTH) and, when that worked, sends one
  // message and quits. Returns open()'s status.
  Status deliver(const FakeSmtpServer& srv, AuthMethod method, const std::string& secret) {
    auto tcp = tcp_connect("127.0.0.1", srv.port(), deadline_after(Millis(5000)));
    if (!tcp) {
      return std::move(tcp).error();
    }
    SmtpOptions o;
    o.helo_name = "client.test";
    o.host = "localhost";
    o.tls = TlsMode::starttls;
    o.auth = method;
    o.user = kUser;
    o.password = SecretString(secret);
    o.timeout = std::chrono::seconds(10);
    SmtpClient client(std::move(*tcp), std::move(o), tls_.get());
    Status st = client.open();
    if (st) {
      StringSource body("Subject: t\r\n\r\nhello\r\n");
      OutgoingMessage m;
      m.sender = kUser;
      m.rcpts = {"bob@example.test"};
      m.content = &body;
      TransactionResult r = client.send(m);
      EXPECT_TRUE(r.delivered()) << (r.error ? r.error->what : "");
    }
    client.quit();
    return st;
  }

  // No client line other than EHLO and STARTTLS was sent outside TLS: in particular no AUTH
  // command and no SASL response.
  static void expect_nothing_in_clear(const FakeSmtpServer& srv) {
    for (const TranscriptEntry& e : srv.transcript()) {
      if (e.dir != TranscriptEntry::Dir::client || e.tls) {
        continue;
      }
      EXPECT_TRUE(e.text.rfind("EHLO ", 0) == 0 || e.text == "STARTTLS") << e.text;
    }
  }

  static int auth_lines(const FakeSmtpServer& srv) {
    int n = 0;
    for (const TranscriptEntry& e : srv.transcript()) {
      n += e.dir == TranscriptEntry::Dir::client && e.text.rfind("AUTH ", 0) == 0;
    }
    return n;
  }

  static int challenges(const FakeSmtpServer& srv) {
    int n = 0;
    for (const TranscriptEntry& e : srv.transcript()) {
      n += e.dir == TranscriptEntry::Dir::server && e.text.rfind("334 ", 0) == 0;
    }
    return n;
  }

  std::optional<test::TempDir> dir_;
  test::TestPki pki_;
  std::unique_ptr<TlsClient> tls_;
};

TEST_F(AuthMechanismsTest, EachMechanismAuthenticatesOverStartTls) {
  struct Case {
    AuthMethod method;
    std::vector<std::string> offered;
    std::string want;  // ReceivedMessage::auth_mechanism
    int challenges;    // 334 replies: SCRAM's server-first and v=, LOGIN's two prompts, ...
  };
  const Case cases[] = {
      {.method = AuthMethod::plain, .offered = kAllMechs, .want = "PLAIN", .challenges = 0},
      {.method = AuthMethod::login, .offered = kAllMechs, .want = "LOGIN", .challenges = 2},
      {.method = AuthMethod::cram_md5, .offered = kAllMechs, .want = "CRAM-MD5", .challenges = 1},
      {.method = AuthMethod::scram_sha_256,
       .offered = kAllMechs,
       .want = "SCRAM-SHA-256",
       .challenges = 2},
      {.method = AuthMethod::xoauth2, .offered = kAllMechs, .want = "XOAUTH2", .challenges = 0},
      {.method = AuthMethod::oauthbearer,
       .offered = kAllMechs,
       .want = "OAUTHBEARER",
       .challenges = 0},
      {.method = AuthMethod::automatic,
       .offered = kAllMechs,
       .want = "SCRAM-SHA-256",
       .challenges = 2},
      {.method = AuthMethod::automatic,
       .offered = {"XOAUTH2", "LOGIN", "PLAIN", "CRAM-MD5"},
       .want = "CRAM-MD5",
       .challenges = 1},
      {.method = AuthMethod::automatic,
       .offered = {"OAUTHBEARER", "LOGIN"},
       .want = "LOGIN",
       .challenges = 2},
      {.method = AuthMethod::automatic,
       .offered = {},
       .want = "PLAIN",
       .challenges = 0},  // fake's default
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(auth_method_name(c.method)) + " -> " + c.want);
    auto srv = start_server(c.offered);
    Status st = deliver(*srv, c.method, kSecret);
    ASSERT_TRUE(st) << st.error().what << "\n" << srv->transcript_text();
    ASSERT_TRUE(srv->wait_for_messages(1, Millis(5000)));
    const auto msgs = srv->messages();
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].auth_mechanism, c.want);
    EXPECT_EQ(msgs[0].auth_user, kUser);
    EXPECT_TRUE(msgs[0].tls);
    EXPECT_EQ(auth_lines(*srv), 1);
    EXPECT_EQ(challenges(*srv), c.challenges);
    expect_nothing_in_clear(*srv);
    // The secret itself never appears on the wire in any form the fake records as text.
    EXPECT_EQ(srv->transcript_text().find(kSecret), std::string::npos);
  }
}

TEST_F(AuthMechanismsTest, WrongCredentialsAreAuthErrorsWithThe535) {
  for (AuthMethod method :
       {AuthMethod::plain, AuthMethod::login, AuthMethod::cram_md5, AuthMethod::scram_sha_256,
        AuthMethod::xoauth2, AuthMethod::oauthbearer, AuthMethod::automatic}) {
    SCOPED_TRACE(auth_method_name(method));
    auto srv = start_server(kAllMechs);
    Status st = deliver(*srv, method, "wr0ng-secret");
    ASSERT_FALSE(st) << srv->transcript_text();
    EXPECT_EQ(st.error().code, Errc::auth) << st.error().what;
    ASSERT_TRUE(st.error().reply) << st.error().what;
    EXPECT_EQ(st.error().reply->code, 535);
    EXPECT_EQ(st.error().what.find("wr0ng-secret"), std::string::npos);
    EXPECT_TRUE(srv->messages().empty());
    expect_nothing_in_clear(*srv);
  }
}

TEST_F(AuthMechanismsTest, AuthIsNeverSentBeforeTlsEvenWhenOffered) {
  // The server advertises every mechanism in clear; the client still does STARTTLS first.
  for (AuthMethod method :
       {AuthMethod::automatic, AuthMethod::plain, AuthMethod::login, AuthMethod::cram_md5,
        AuthMethod::scram_sha_256, AuthMethod::xoauth2, AuthMethod::oauthbearer}) {
    SCOPED_TRACE(auth_method_name(method));
    auto srv = start_server(kAllMechs, /*auth_before_tls=*/true);
    Status st = deliver(*srv, method, kSecret);
    ASSERT_TRUE(st) << st.error().what;
    EXPECT_EQ(auth_lines(*srv), 1);
    expect_nothing_in_clear(*srv);
  }
}

TEST_F(AuthMechanismsTest, ScramRefusesA235WithoutServerProof) {
  // The server answers the AUTH command with 235 at once, skipping server-first and v=.
  auto srv = start_server({"SCRAM-SHA-256"});
  srv->add_fault(Fault{.verb = "AUTH", .reply = "235 2.7.0 Authentication successful"});
  Status st = deliver(*srv, AuthMethod::scram_sha_256, kSecret);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::auth);
  EXPECT_NE(st.error().what.find("without proving"), std::string::npos) << st.error().what;
  EXPECT_TRUE(srv->messages().empty());
}

TEST_F(AuthMechanismsTest, TokenMechanismsAreNeverChosenAutomatically) {
  auto srv = start_server({"XOAUTH2", "OAUTHBEARER"});
  Status st = deliver(*srv, AuthMethod::automatic, kSecret);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::auth);
  EXPECT_EQ(auth_lines(*srv), 0);
}

}  // namespace
}  // namespace rm
