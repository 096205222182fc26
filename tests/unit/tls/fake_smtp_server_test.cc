// Tests of tests/support/fake_smtp_server: the fake every SMTP test relies on must itself be
// right. Clients here are raw (LineClient over TcpStream, TlsClient for STARTTLS).
#include "support/fake_smtp_server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "net/tcp_stream.h"
#include "support/fake_smtp_session.h"
#include "support/line_client.h"
#include "support/temp_dir.h"
#include "support/test_pki.h"
#include "tls/tls_client.h"

namespace rm::test {
namespace {

using std::chrono::steady_clock;

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

std::string b64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16 |
                 static_cast<unsigned char>(in[i + 1]) << 8 | static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == in.size()) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1])
                                                               << 8;
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

LineClient connect_plain(const FakeSmtpServer& srv, Millis timeout = Millis(5000)) {
  auto tcp = tcp_connect("127.0.0.1", srv.port(), deadline_after(timeout));
  EXPECT_TRUE(tcp) << tcp.error().what;
  return LineClient(tcp ? std::unique_ptr<Stream>(std::move(*tcp)) : nullptr, timeout);
}

// Sends each command and collects each reply ("EOF" when the server hung up instead).
std::vector<std::string> converse(LineClient& c, const std::vector<std::string>& lines) {
  std::vector<std::string> replies;
  for (const std::string& l : lines) {
    if (!c.send(l + "\r\n")) {
      replies.emplace_back("EOF");
      break;
    }
    auto r = c.reply();
    replies.push_back(r ? *r : (contains(r.error().what, "EOF") ? "EOF" : r.error().what));
    if (!r) {
      break;
    }
  }
  return replies;
}

TEST(FakeSmtpServer, PlainSessionIsRecordedLineByLine) {
  FakeSmtpServer srv(FakeSmtpOptions{.size_limit = 1000000});
  ASSERT_TRUE(srv.start());
  LineClient c = connect_plain(srv);
  ASSERT_EQ(*c.reply(), "220 fake.test ESMTP relaymail fake");
  EXPECT_EQ(converse(c, {"EHLO client.test", "MAIL FROM:<a@b.test> SIZE=20", "RCPT TO:<c@d.test>",
                         "DATA"}),
            (std::vector<std::string>{
                "250-fake.test\n250-PIPELINING\n250-8BITMIME\n250-SIZE 1000000\n"
                "250 ENHANCEDSTATUSCODES",
                "250 2.1.0 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>"}));
  ASSERT_TRUE(c.send("Subject: x\r\n\r\n..leading dot\r\nbody\r\n.\r\n"));
  EXPECT_EQ(*c.reply(), "250 2.0.0 Ok: queued as 1");
  EXPECT_EQ(converse(c, {"QUIT"}), std::vector<std::string>{"221 2.0.0 Bye"});
  EXPECT_TRUE(c.expect_eof());

  ASSERT_TRUE(srv.wait_for_messages(1, Millis(5000)));
  ASSERT_TRUE(srv.wait_for_sessions_done(1, Millis(5000)));
  auto msgs = srv.messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].connection, 1);
  EXPECT_EQ(msgs[0].helo, "client.test");
  EXPECT_EQ(msgs[0].mail_from, "a@b.test");
  EXPECT_EQ(msgs[0].mail_params, "SIZE=20");
  EXPECT_EQ(msgs[0].rcpt_tos, std::vector<std::string>{"c@d.test"});
  EXPECT_EQ(msgs[0].data, "Subject: x\r\n\r\n.leading dot\r\nbody\r\n");
  EXPECT_FALSE(msgs[0].tls);
  EXPECT_EQ(msgs[0].auth_user, "");
  EXPECT_EQ(srv.connection_count(), 1);
  EXPECT_EQ(srv.transcript_text(),
            "S: 220 fake.test ESMTP relaymail fake\n"
            "C: EHLO client.test\n"
            "S: 250-fake.test\n"
            "S: 250-PIPELINING\n"
            "S: 250-8BITMIME\n"
            "S: 250-SIZE 1000000\n"
            "S: 250 ENHANCEDSTATUSCODES\n"
            "C: MAIL FROM:<a@b.test> SIZE=20\n"
            "S: 250 2.1.0 Ok\n"
            "C: RCPT TO:<c@d.test>\n"
            "S: 250 2.1.5 Ok\n"
            "C: DATA\n"
            "S: 354 End data with <CR><LF>.<CR><LF>\n"
            "*: data: 34 bytes\n"
            "S: 250 2.0.0 Ok: queued as 1\n"
            "C: QUIT\n"
            "S: 221 2.0.0 Bye\n"
            "*: closed\n");
}

TEST(FakeSmtpServer, PipelinedCommandsAreAnsweredInOrderInOneWrite) {
  FakeSmtpServer srv(FakeSmtpOptions{});
  ASSERT_TRUE(srv.start());
  LineClient c = connect_plain(srv);
  ASSERT_TRUE(c.reply());
  ASSERT_TRUE(c.send("EHLO x\r\n"));
  ASSERT_TRUE(c.reply());
  ASSERT_TRUE(c.send("MAIL FROM:<>\r\nRCPT TO:<a@x.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n"));
  // One read must deliver all four replies: the server flushes only when its input is drained.
  char buf[1024];
  auto n = c.stream().read_some(buf, deadline_after(Millis(5000)));
  ASSERT_TRUE(n);
  EXPECT_EQ(
      std::string(buf, *n),
      "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
  // End of data is CRLF.CRLF only and dots are unstuffed only after CRLF: bare-LF dots stay in
  // the data byte for byte (smuggling tests need that).
  ASSERT_TRUE(c.send("a\n.\nb\r\n.\r\r\n..\r\n.\r\nQUIT\r\n"));
  EXPECT_EQ(*c.reply(), "250 2.0.0 Ok: queued as 1");
  EXPECT_EQ(*c.reply(), "221 2.0.0 Bye");
  ASSERT_TRUE(srv.wait_for_messages(1, Millis(5000)));
  EXPECT_EQ(srv.messages()[0].mail_from, "");
  EXPECT_EQ(srv.messages()[0].rcpt_tos, (std::vector<std::string>{"a@x.test", "b@x.test"}));
  EXPECT_EQ(srv.messages()[0].data, "a\n.\nb\r\n\r\r\n.\r\n");
}

TEST(FakeSmtpServer, LongDataLinesArriveIntact) {
  struct Case {
    const char* name;
    std::vector<std::string> writes;  // the data phase, in separate writes
    std::string data;                 // what the server must record
  };
  const std::string ys(300000, 'y');
  const std::string as(70000, 'A');
  const Case cases[] = {
      {.name = "dot-stuffed long line",
       .writes = {".." + ys + "\r\n.\r\n"},
       .data = "." + ys + "\r\n"},
      {.name = "CRLF split across writes", .writes = {as + "\r", "\n.\r\n"}, .data = as + "\r\n"},
      {.name = "bare CR inside a long line",
       .writes = {as + "\r" + as + "\r\n.\r\n"},
       .data = as + "\r" + as + "\r\n"},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    FakeSmtpServer srv(FakeSmtpOptions{});
    ASSERT_TRUE(srv.start());
    LineClient c = connect_plain(srv);
    ASSERT_TRUE(c.reply());
    converse(c, {"HELO x", "MAIL FROM:<a@b.test>", "RCPT TO:<c@d.test>", "DATA"});
    for (const std::string& w : tc.writes) {
      ASSERT_TRUE(c.send(w));
    }
    auto r = c.reply();
    ASSERT_TRUE(r) << r.error().what;
    EXPECT_EQ(r->substr(0, 3), "250");
    ASSERT_TRUE(srv.wait_for_messages(1, Millis(5000)));
    EXPECT_TRUE(srv.messages()[0].data == tc.data) << srv.messages()[0].data.size();
  }
}

class FakeSmtpTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::create();
    ASSERT_TRUE(d) << d.error().what;
    dir_.emplace(std::move(*d));
    auto p = generate_test_pki(dir_->path());
    ASSERT_TRUE(p) << p.error().what;
    pki_ = *p;
  }

  FakeSmtpOptions starttls_options() const {
    return FakeSmtpOptions{.tls = FakeTls::starttls,
                           .cert_file = pki_.good.cert,
                           .key_file = pki_.good.key,
                           .user = "alice",
                           .password = "s3cret"};
  }

  // EHLO, STARTTLS, handshake; returns the post-TLS EHLO reply.
  std::string start_tls(LineClient& c) {
    EXPECT_TRUE(c.reply());
    auto pre = converse(c, {"EHLO client.test", "STARTTLS"});
    EXPECT_EQ(pre.size(), 2u);
    EXPECT_TRUE(contains(pre[0], "250 STARTTLS")) << pre[0];
    EXPECT_FALSE(contains(pre[0], "AUTH")) << pre[0];
    EXPECT_EQ(pre[1], "220 2.0.0 Ready to start TLS");
    EXPECT_EQ(c.buffered(), "");
    auto client = TlsClient::create(TlsPolicy{.ca_file = pki_.ca_file});
    EXPECT_TRUE(client);
    auto tls = (*client)->handshake(c.take(), "localhost", deadline_after(Millis(5000)));
    EXPECT_TRUE(tls) << tls.error().what;
    if (!tls) {
      return "";
    }
    c.put(std::move(*tls));
    auto post = converse(c, {"EHLO client.test"});
    return post.empty() ? "" : post[0];
  }

  std::optional<TempDir> dir_;
  TestPki pki_;
};

TEST_F(FakeSmtpTlsTest, StartTlsChangesCapabilitiesThenAuthPlain) {
  FakeSmtpServer srv(starttls_options());
  ASSERT_TRUE(srv.start());
  LineClient c = connect_plain(srv);
  std::string ehlo = start_tls(c);
  EXPECT_TRUE(contains(ehlo, "250 AUTH PLAIN LOGIN")) << ehlo;
  EXPECT_FALSE(contains(ehlo, "STARTTLS")) << ehlo;
  EXPECT_EQ(converse(c, {"STARTTLS", "AUTH PLAIN " + b64(std::string("\0alice\0s3cret", 13)),
                         "MAIL FROM:<a@b.test>", "RCPT TO:<c@d.test>", "DATA"}),
            (std::vector<std::string>{"503 5.5.1 TLS already active",
                                      "235 2.7.0 Authentication successful", "250 2.1.0 Ok",
                                      "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>"}));
  ASSERT_TRUE(c.send("hi\r\n.\r\n"));
  EXPECT_EQ(c.reply()->substr(0, 3), "250");
  ASSERT_TRUE(srv.wait_for_messages(1, Millis(5000)));
  EXPECT_TRUE(srv.messages()[0].tls);
  EXPECT_EQ(srv.messages()[0].auth_user, "alice");
  std::string t = srv.transcript_text();
  EXPECT_TRUE(
      contains(t, "C: STARTTLS\nS: 220 2.0.0 Ready to start TLS\n*: TLS established: TLSv1"))
      << t;
  EXPECT_TRUE(contains(t, "C~ AUTH PLAIN ")) << t;
  EXPECT_TRUE(contains(t, "S~ 235 2.7.0")) << t;
}

TEST_F(FakeSmtpTlsTest, AuthExchanges) {
  struct Case {
    const char* name;
    bool use_tls = true;
    bool auth_before_tls = false;
    std::vector<std::string> lines{};
    std::vector<std::string> replies{};
    std::string auth_user{};  // after MAIL+RCPT+DATA; empty: not authenticated
  };
  const std::string plain_ok = b64(std::string("\0alice\0s3cret", 13));
  const Case cases[] = {
      {.name = "PLAIN with a continuation",
       .lines = {"AUTH PLAIN", plain_ok},
       .replies = {"334 ", "235 2.7.0 Authentication successful"},
       .auth_user = "alice"},
      {.name = "PLAIN, wrong password",
       .lines = {"AUTH PLAIN " + b64(std::string("\0alice\0nope", 11))},
       .replies = {"535 5.7.8 Authentication credentials invalid"}},
      {.name = "LOGIN",
       .lines = {"AUTH LOGIN", b64("alice"), b64("s3cret")},
       .replies = {"334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6", "235 2.7.0 Authentication successful"},
       .auth_user = "alice"},
      {.name = "LOGIN with initial response, wrong user",
       .lines = {"AUTH LOGIN " + b64("bob"), b64("s3cret")},
       .replies = {"334 UGFzc3dvcmQ6", "535 5.7.8 Authentication credentials invalid"}},
      {.name = "cancelled",
       .lines = {"AUTH PLAIN", "*"},
       .replies = {"334 ", "501 5.0.0 Authentication cancelled"}},
      {.name = "garbage base64",
       .lines = {"AUTH PLAIN !!!!"},
       .replies = {"501 5.5.2 Cannot decode AUTH response"}},
      {.name = "unknown mechanism",
       .lines = {"AUTH CRAM-MD5"},
       .replies = {"504 5.5.4 Unrecognized authentication mechanism"}},
      {.name = "no AUTH before TLS",
       .use_tls = false,
       .lines = {"AUTH PLAIN " + plain_ok},
       .replies = {"538 5.7.11 Encryption required for requested authentication mechanism"}},
      {.name = "AUTH before TLS when configured",
       .use_tls = false,
       .auth_before_tls = true,
       .lines = {"AUTH PLAIN " + plain_ok},
       .replies = {"235 2.7.0 Authentication successful"},
       .auth_user = "alice"},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    FakeSmtpOptions o = starttls_options();
    o.auth_before_tls = tc.auth_before_tls;
    FakeSmtpServer srv(o);
    ASSERT_TRUE(srv.start());
    LineClient c = connect_plain(srv);
    if (tc.use_tls) {
      start_tls(c);
    } else {
      ASSERT_TRUE(c.reply());
      auto ehlo = converse(c, {"EHLO client.test"});
      EXPECT_EQ(contains(ehlo[0], "AUTH PLAIN LOGIN"), tc.auth_before_tls) << ehlo[0];
    }
    std::vector<std::string> got;
    for (const std::string& l : tc.lines) {
      ASSERT_TRUE(c.send(l + "\r\n"));
      auto r = c.reply();
      ASSERT_TRUE(r) << r.error().what;
      got.push_back(*r);
    }
    EXPECT_EQ(got, tc.replies);
    converse(c, {"MAIL FROM:<a@b.test>", "RCPT TO:<c@d.test>", "DATA"});
    ASSERT_TRUE(c.send("x\r\n.\r\n"));
    ASSERT_TRUE(srv.wait_for_messages(1, Millis(5000)));
    EXPECT_EQ(srv.messages()[0].auth_user, tc.auth_user);
  }
}

TEST(FakeSmtpServer, RequireAuthRefusesMail) {
  FakeSmtpServer srv(FakeSmtpOptions{.user = "u", .password = "p", .require_auth = true});
  ASSERT_TRUE(srv.start());
  LineClient c = connect_plain(srv);
  ASSERT_TRUE(c.reply());
  EXPECT_EQ(converse(c, {"EHLO x", "MAIL FROM:<a@b.test>"})[1],
            "530 5.7.0 Authentication required");
}

TEST(FakeSmtpServer, ScriptedFaults) {
  using A = Fault::Action;
  struct Case {
    const char* name;
    std::vector<Fault> faults{};
    std::string greeting = "220 fake.test ESMTP relaymail fake";
    std::vector<std::string> lines{};    // after EHLO
    std::vector<std::string> replies{};  // "EOF" where the server hung up
    size_t messages = 0;
  };
  const std::vector<std::string> txn = {"MAIL FROM:<a@b.test>", "RCPT TO:<c@d.test>", "DATA",
                                        "body\r\n."};
  const Case cases[] = {
      {.name = "421 at greeting closes",
       .faults = {{.verb = "GREETING", .reply = "421 4.3.2 not now"}},
       .greeting = "421 4.3.2 not now",
       .lines = {},
       .replies = {}},
      {.name = "451 to MAIL: no transaction",
       .faults = {{.verb = "mail", .reply = "451 4.3.0 try later"}},
       .lines = {"MAIL FROM:<a@b.test>", "RCPT TO:<c@d.test>"},
       .replies = {"451 4.3.0 try later", "503 5.5.1 Need MAIL before RCPT"}},
      {.name = "second RCPT refused",
       .faults = {{.verb = "RCPT", .reply = "550 5.1.1 no such user", .nth = 2}},
       .lines = {"MAIL FROM:<a@b.test>", "RCPT TO:<c@d.test>", "RCPT TO:<e@d.test>",
                 "RCPT TO:<f@d.test>", "DATA", "x\r\n."},
       .replies = {"250 2.1.0 Ok", "250 2.1.5 Ok", "550 5.1.1 no such user", "250 2.1.5 Ok",
                   "354 End data with <CR><LF>.<CR><LF>", "250 2.0.0 Ok: queued as 1"},
       .messages = 1},
      {.name = "RCPT refused by address",
       .faults = {{.verb = "RCPT", .reply = "450 4.2.1 busy", .arg_contains = "BAD@"}},
       .lines = {"MAIL FROM:<a@b.test>", "RCPT TO:<bad@d.test>", "RCPT TO:<good@d.test>"},
       .replies = {"250 2.1.0 Ok", "450 4.2.1 busy", "250 2.1.5 Ok"}},
      {.name = "554 after the dot records nothing",
       .faults = {{.verb = "DOT", .reply = "554 5.6.0 rejected"}},
       .lines = txn,
       .replies = {"250 2.1.0 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>",
                   "554 5.6.0 rejected"}},
      {.name = "disconnect after the dot",
       .faults = {{.verb = "DOT", .action = A::disconnect}},
       .lines = txn,
       .replies = {"250 2.1.0 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>", "EOF"}},
      {.name = "a 250 substitute to the dot still records",
       .faults = {{.verb = "DOT", .reply = "250 custom"}},
       .lines = txn,
       .replies = {"250 2.1.0 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>",
                   "250 custom"},
       .messages = 1},
      {.name = "multi-line and garbage replies are sent as written",
       .faults = {{.verb = "NOOP", .reply = "250-a\r\n250 b"},
                  {.verb = "RSET", .reply = "garbage"}},
       .lines = {"NOOP", "RSET"},
       .replies = {"250-a\n250 b", "garbage"}},
      {.name = "extra reply injected while pipelining",
       .faults = {{.verb = "MAIL", .action = A::inject, .reply = "250 unsolicited"}},
       .lines = {"MAIL FROM:<a@b.test>"},
       .replies = {"250 2.1.0 Ok"}},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    FakeSmtpServer srv(FakeSmtpOptions{.faults = tc.faults});
    ASSERT_TRUE(srv.start());
    LineClient c = connect_plain(srv);
    auto greeting = c.reply();
    ASSERT_TRUE(greeting) << greeting.error().what;
    EXPECT_EQ(*greeting, tc.greeting);
    if (tc.greeting[0] != '2') {
      EXPECT_TRUE(c.expect_eof());
      continue;
    }
    EXPECT_EQ(converse(c, {"EHLO x"}).at(0).substr(0, 3), "250");
    EXPECT_EQ(converse(c, tc.lines), tc.replies);
    converse(c, {"QUIT"});
    ASSERT_TRUE(srv.wait_for_sessions_done(1, Millis(5000)));
    EXPECT_EQ(srv.messages().size(), tc.messages) << srv.transcript_text();
  }
}

TEST(FakeSmtpServer, FaultsCanBeLimitedToTheFirstConnections) {
  FakeSmtpServer srv(FakeSmtpOptions{
      .faults = {Fault{.verb = "MAIL", .reply = "451 4.3.0 busy", .connections = 1}}});
  ASSERT_TRUE(srv.start());
  for (const char* want : {"451 4.3.0 busy", "250 2.1.0 Ok"}) {
    LineClient c = connect_plain(srv);
    ASSERT_TRUE(c.reply());
    EXPECT_EQ(converse(c, {"HELO x", "MAIL FROM:<a@b.test>"}).at(1), want);
  }
  EXPECT_EQ(srv.connection_count(), 2);
}

TEST(FakeSmtpServer, StallHoldsTheClientUntilItsDeadlineAndStopStillReturns) {
  auto srv = std::make_unique<FakeSmtpServer>(
      FakeSmtpOptions{.faults = {Fault{.verb = "DATA", .action = Fault::Action::stall}}});
  ASSERT_TRUE(srv->start());
  LineClient c = connect_plain(*srv, Millis(200));
  ASSERT_TRUE(c.reply());
  auto r = converse(c, {"HELO x", "MAIL FROM:<a@b.test>", "RCPT TO:<c@d.test>", "DATA"});
  ASSERT_EQ(r.size(), 4u);
  EXPECT_TRUE(contains(r[3], "timed out")) << r[3];
  auto t0 = steady_clock::now();
  srv.reset();  // the stalled session must not hold the destructor
  EXPECT_LT(steady_clock::now() - t0, Millis(2000));
}

TEST(FakeSmtpServer, StalledSessionEndsWhenTheClientHangsUp) {
  FakeSmtpServer srv(
      FakeSmtpOptions{.faults = {Fault{.verb = "GREETING", .action = Fault::Action::stall}}});
  ASSERT_TRUE(srv.start());
  { LineClient c = connect_plain(srv); }
  EXPECT_TRUE(srv.wait_for_sessions_done(1, Millis(5000))) << srv.transcript_text();
}

TEST_F(FakeSmtpTlsTest, StartTlsResponseInjectionArrivesWithThe220) {
  FakeSmtpOptions o = starttls_options();
  o.faults = {Fault{.verb = "STARTTLS", .action = Fault::Action::inject, .reply = "250-FAKE"}};
  FakeSmtpServer srv(o);
  ASSERT_TRUE(srv.start());
  LineClient c = connect_plain(srv);
  ASSERT_TRUE(c.reply());
  converse(c, {"EHLO x"});
  ASSERT_TRUE(c.send("STARTTLS\r\n"));
  char buf[256];
  auto n = c.stream().read_some(buf, deadline_after(Millis(5000)));
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string(buf, *n), "220 2.0.0 Ready to start TLS\r\n250-FAKE\r\n");
}

TEST_F(FakeSmtpTlsTest, PlaintextPipelinedAfterStartTlsIsDiscarded) {
  FakeSmtpServer srv(starttls_options());
  ASSERT_TRUE(srv.start());
  LineClient c = connect_plain(srv);
  ASSERT_TRUE(c.reply());
  converse(c, {"EHLO x"});
  ASSERT_TRUE(c.send("STARTTLS\r\nRSET\r\n"));
  EXPECT_EQ(*c.reply(), "220 2.0.0 Ready to start TLS");
  auto client = TlsClient::create(TlsPolicy{.ca_file = pki_.ca_file});
  ASSERT_TRUE(client);
  auto tls = (*client)->handshake(c.take(), "localhost", deadline_after(Millis(5000)));
  ASSERT_TRUE(tls) << tls.error().what;
  c.put(std::move(*tls));
  // Before EHLO again, MAIL is refused: the pre-TLS EHLO was forgotten (RFC 3207 §4.2).
  EXPECT_EQ(converse(c, {"MAIL FROM:<a@b.test>"})[0], "503 5.5.1 Send EHLO first");
  std::string t = srv.transcript_text();
  EXPECT_TRUE(contains(t, "*: discarded 6 plaintext bytes after STARTTLS")) << t;
  EXPECT_FALSE(contains(t, "RSET")) << t;
}

TEST(FakeSmtpServer, BoundsOnLinesAndMessages) {
  FakeSmtpServer srv(FakeSmtpOptions{.size_limit = 100});
  ASSERT_TRUE(srv.start());
  {
    LineClient c = connect_plain(srv);
    ASSERT_TRUE(c.reply());
    EXPECT_EQ(converse(c, {"EHLO x", "MAIL FROM:<a@b.test> SIZE=5000"})[1],
              "552 5.3.4 Message size exceeds fixed limit");
    EXPECT_EQ(converse(c, {"MAIL FROM:<a@b.test>", "RCPT TO:<c@d.test>", "DATA",
                           std::string(300, 'x') + "\r\n."})
                  .back(),
              "552 5.3.4 Message size exceeds fixed limit");
    EXPECT_EQ(converse(c, {std::string(3000, 'a')}),
              std::vector<std::string>{"500 5.5.2 Line too long"});
    EXPECT_TRUE(c.expect_eof());
  }
  EXPECT_TRUE(srv.messages().empty());
}

TEST(FakeSmtpServer, TooManyConnectionsGet421) {
  FakeSmtpServer srv(FakeSmtpOptions{
      .faults = {Fault{.verb = "GREETING", .action = Fault::Action::stall}}, .max_connections = 1});
  ASSERT_TRUE(srv.start());
  LineClient first = connect_plain(srv);
  ASSERT_TRUE(srv.wait_for_connections(1, Millis(5000)));
  LineClient second = connect_plain(srv);
  EXPECT_EQ(*second.reply(), "421 4.7.0 Too many connections");
}

TEST(FakeSmtpServer, WaitForMessagesTimesOutWithoutSleeping) {
  FakeSmtpServer srv(FakeSmtpOptions{});
  ASSERT_TRUE(srv.start());
  auto t0 = steady_clock::now();
  EXPECT_FALSE(srv.wait_for_messages(1, Millis(50)));
  EXPECT_LT(steady_clock::now() - t0, Millis(2000));
  std::string seen;
  srv.on_message([&seen](const ReceivedMessage& m) { seen = m.mail_from; });
  LineClient c = connect_plain(srv);
  ASSERT_TRUE(c.reply());
  ASSERT_TRUE(c.send("HELO x\r\nMAIL FROM:<z@y.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n"));
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(c.reply());
  }
  ASSERT_TRUE(c.send(".\r\n"));
  EXPECT_TRUE(srv.wait_for_messages(1, Millis(5000)));
  EXPECT_EQ(seen, "z@y.test");  // the callback ran before the message became visible
  EXPECT_EQ(srv.messages()[0].data, "");
}

TEST(FakeSmtpServer, StartFailsOnUnusableCertificate) {
  FakeSmtpServer srv(FakeSmtpOptions{
      .tls = FakeTls::implicit, .cert_file = "/nonexistent.crt", .key_file = "/nonexistent.key"});
  auto r = srv.start();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::config);
}

TEST(Base64Decode, StrictRfc4648) {
  struct Case {
    std::string in;
    std::optional<std::string> out;
  };
  const Case cases[] = {
      {.in = "", .out = ""},
      {.in = "YQ==", .out = "a"},
      {.in = "YWI=", .out = "ab"},
      {.in = "YWJj", .out = "abc"},
      {.in = "AGFsaWNlAHMzY3JldA==", .out = std::string("\0alice\0s3cret", 13)},
      {.in = "YQ=", .out = std::nullopt},
      {.in = "Y===", .out = std::nullopt},
      {.in = "YQ==YQ==", .out = std::nullopt},
      {.in = "Y!Q=", .out = std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(detail::base64_decode(c.in), c.out);
  }
}

}  // namespace
}  // namespace rm::test
