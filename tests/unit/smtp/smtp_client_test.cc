// SmtpClient over a scripted in-memory stream: transcripts byte for byte, the STARTTLS rules of
// RELIABILITY.md §3, per-recipient outcomes, faults and per-stage deadlines.
#include "smtp/smtp_client.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "script_stream.h"

namespace rm {
namespace {

using test::FakeTlsClient;
using test::PassThroughTlsStream;
using test::Script;
using test::ScriptedStream;
using test::Step;

const std::string kGreeting = "220 smtp.test ESMTP ready\r\n";
const std::string kEhlo = "EHLO client.test\r\n";
const std::string kPlainIr = "AGFsaWNlAHMzY3JldA==";  // base64("\0alice\0s3cret")
const std::string kPassword = "s3cret";

SmtpOptions options(TlsMode mode, std::string user = "") {
  SmtpOptions o;
  o.helo_name = "client.test";
  o.host = "smtp.test";
  o.tls = mode;
  o.user = std::move(user);
  o.password = SecretString(kPassword);
  o.timeout = std::chrono::seconds(30);
  return o;
}

OutgoingMessage message(ByteSource& body, std::vector<std::string> rcpts, uint64_t size = 0) {
  OutgoingMessage m;
  m.sender = "alice@client.test";
  m.rcpts = std::move(rcpts);
  m.content = &body;
  m.size = size;
  return m;
}

std::string join_expects(const std::vector<Step>& steps) {
  std::string out;
  for (const Step& s : steps) {
    out += s.expect;
  }
  return out;
}

class SmtpClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<SmtpClient> make(SmtpOptions o) {
    o.trace = [this](bool sent, std::string_view line) {
      trace.emplace_back(sent, std::string(line));
    };
    return std::make_unique<SmtpClient>(std::make_unique<ScriptedStream>(script), std::move(o),
                                        &tls);
  }
  // Every scripted expect was met and nothing else was sent.
  void expect_script_done() {
    EXPECT_EQ(script->mismatch, "");
    EXPECT_EQ(script->step, script->steps.size() - 1);
    EXPECT_EQ(script->unmatched(), "");
  }
  bool traced(bool sent, std::string_view line) const {
    for (const auto& [s, l] : trace) {
      if (s == sent && l == line) {
        return true;
      }
    }
    return false;
  }

  std::shared_ptr<Script> script = std::make_shared<Script>();
  FakeTlsClient tls{script};
  std::vector<std::pair<bool, std::string>> trace;
};

TEST_F(SmtpClientTest, PlainRelayHappyPath) {
  script->steps = {
      {.reply = kGreeting},
      {.expect = kEhlo, .reply = "250-smtp.test\r\n250 8BITMIME\r\n"},
      {.expect = "MAIL FROM:<alice@client.test>\r\n", .reply = "250 2.1.0 ok\r\n"},
      {.expect = "RCPT TO:<bob@example.test>\r\n", .reply = "250 2.1.5 ok\r\n"},
      {.expect = "DATA\r\n", .reply = "354 go ahead\r\n"},
      {.expect = "Subject: hi\r\n\r\n..dot\r\nbye\r\n.\r\n", .reply = "250 2.0.0 queued as X1\r\n"},
      {.expect = "QUIT\r\n", .reply = "221 2.0.0 bye\r\n"},
  };
  auto c = make(options(TlsMode::none));
  ASSERT_TRUE(c->open());
  EXPECT_EQ(c->capabilities(), std::vector<std::string>{"8BITMIME"});
  EXPECT_EQ(c->peer(), "scripted:25");
  StringSource body("Subject: hi\r\n\r\n.dot\r\nbye\r\n");
  TransactionResult r = c->send(message(body, {"bob@example.test"}));
  EXPECT_TRUE(r.delivered());
  ASSERT_TRUE(r.final_reply);
  EXPECT_EQ(r.final_reply->code, 250);
  EXPECT_EQ(r.final_reply->enhanced, "2.0.0");
  ASSERT_EQ(r.rcpt_errors.size(), 1u);
  EXPECT_FALSE(r.rcpt_errors[0]);
  c->quit();
  expect_script_done();
  EXPECT_TRUE(script->closed);
  EXPECT_EQ(tls.calls, 0);
  EXPECT_FALSE(c->tls_info());
}

TEST_F(SmtpClientTest, StartTlsAuthPlainPipeliningTranscript) {
  const std::string body = "Subject: t\r\n\r\nh\xc3\xa4llo\r\n";
  const std::string group =
      "MAIL FROM:<alice@client.test> BODY=8BITMIME SIZE=22\r\n"
      "RCPT TO:<bob@example.test>\r\nRCPT TO:<carol@example.test>\r\nDATA\r\n";
  const std::vector<Step> steps = {
      {.reply = kGreeting},
      {.expect = kEhlo, .reply = "250-smtp.test\r\n250-STARTTLS\r\n250 PIPELINING\r\n"},
      {.expect = "STARTTLS\r\n", .reply = "220 2.0.0 go ahead\r\n"},
      {.expect = kEhlo,
       .reply = "250-smtp.test\r\n250-PIPELINING\r\n250-SIZE 10000000\r\n250-8BITMIME\r\n"
                "250 AUTH LOGIN PLAIN\r\n"},
      {.expect = "AUTH PLAIN " + kPlainIr + "\r\n", .reply = "235 2.7.0 accepted\r\n"},
      {.expect = group,
       .reply = "250 2.1.0 ok\r\n250 2.1.5 ok\r\n250 2.1.5 ok\r\n354 go ahead\r\n"},
      {.expect = body + ".\r\n", .reply = "250 2.0.0 ok\r\n"},
      {.expect = "QUIT\r\n", .reply = "221 bye\r\n"},
  };
  for (size_t chunk : {std::numeric_limits<size_t>::max(), size_t{1}}) {
    SCOPED_TRACE("reply chunk " + std::to_string(chunk));
    script = std::make_shared<Script>();
    tls = FakeTlsClient(script);
    trace.clear();
    script->steps = steps;
    script->chunk = chunk;
    auto c = make(options(TlsMode::starttls, "alice"));
    ASSERT_TRUE(c->open());
    StringSource src(body, 5);
    OutgoingMessage m = message(src, {"bob@example.test", "carol@example.test"}, body.size());
    m.eightbit = true;
    TransactionResult r = c->send(m);
    EXPECT_TRUE(r.delivered()) << (r.error ? r.error->what : "");
    c->quit();

    EXPECT_EQ(script->written, join_expects(steps));  // byte for byte
    expect_script_done();
    EXPECT_EQ(tls.calls, 1);
    EXPECT_EQ(tls.host_seen, "smtp.test");
    EXPECT_EQ(tls.written_before, kEhlo.size() + std::string("STARTTLS\r\n").size());
    EXPECT_NE(std::find(script->write_sizes.begin(), script->write_sizes.end(), group.size()),
              script->write_sizes.end())
        << "MAIL, RCPTs and DATA not written in one go";
    ASSERT_TRUE(c->tls_info());
    EXPECT_EQ(c->tls_info()->version, "TLSv1.3");
    EXPECT_TRUE(traced(true, "AUTH PLAIN <redacted>"));
    EXPECT_TRUE(traced(false, "250-PIPELINING"));
    EXPECT_TRUE(traced(false, "235 2.7.0 accepted"));
    EXPECT_TRUE(traced(true, "RCPT TO:<carol@example.test>"));
    for (const auto& [sent, line] : trace) {
      EXPECT_EQ(line.find(kPlainIr), std::string::npos) << line;
      EXPECT_EQ(line.find(kPassword), std::string::npos) << line;
    }
  }
}

TEST_F(SmtpClientTest, StartTlsNotAdvertisedSendsOnlyEhloAndQuit) {
  script->steps = {
      {.reply = kGreeting},
      {.expect = kEhlo, .reply = "250-smtp.test\r\n250-AUTH PLAIN\r\n250 PIPELINING\r\n"},
      {.expect = "QUIT\r\n", .reply = "221 bye\r\n"},
  };
  auto c = make(options(TlsMode::starttls, "alice"));
  Status st = c->open();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::tls);
  c->quit();
  EXPECT_EQ(script->written, kEhlo + "QUIT\r\n");
  EXPECT_EQ(tls.calls, 0);
}

TEST_F(SmtpClientTest, StartTlsRefusedSendsNothingButQuit) {
  script->steps = {
      {.reply = kGreeting},
      {.expect = kEhlo, .reply = "250-smtp.test\r\n250 STARTTLS\r\n"},
      {.expect = "STARTTLS\r\n", .reply = "454 4.7.0 TLS not available\r\n"},
      {.expect = "QUIT\r\n", .reply = "221 bye\r\n"},
  };
  auto c = make(options(TlsMode::starttls, "alice"));
  Status st = c->open();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::tls);
  ASSERT_TRUE(st.error().reply);
  EXPECT_EQ(st.error().reply->code, 454);
  StringSource body("x\r\n");
  auto r = c->send(message(body, {"b@x.test"}));
  EXPECT_FALSE(r.delivered());
  c->quit();
  EXPECT_EQ(script->written, kEhlo + "STARTTLS\r\nQUIT\r\n");
  EXPECT_EQ(tls.calls, 0);
}

TEST_F(SmtpClientTest, HandshakeFailureSendsNothingMore) {
  script->steps = {
      {.reply = kGreeting},
      {.expect = kEhlo, .reply = "250-smtp.test\r\n250 STARTTLS\r\n"},
      {.expect = "STARTTLS\r\n", .reply = "220 go ahead\r\n"},
  };
  tls.fail =
      make_error(Errc::tls_verify, "TLS handshake with smtp.test: certificate verify failed");
  auto c = make(options(TlsMode::starttls));
  Status st = c->open();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::tls_verify);
  c->quit();
  EXPECT_EQ(script->written, kEhlo + "STARTTLS\r\n");  // no plaintext QUIT, no retry
  EXPECT_EQ(tls.calls, 1);
}

TEST_F(SmtpClientTest, ResponseInjectionAfterStartTlsAborts) {
  for (std::string injected : {"250-FAKE\r\n", "250 AUTH PLAIN\r\n", "2"}) {
    SCOPED_TRACE(injected);
    script = std::make_shared<Script>();
    tls = FakeTlsClient(script);
    script->steps = {
        {.reply = kGreeting},
        {.expect = kEhlo, .reply = "250-smtp.test\r\n250 STARTTLS\r\n"},
        {.expect = "STARTTLS\r\n", .reply = "220 go ahead\r\n" + injected},
    };
    auto c = make(options(TlsMode::starttls, "alice"));
    Status st = c->open();
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Errc::tls);
    EXPECT_NE(st.error().what.find("injection"), std::string::npos) << st.error().what;
    c->quit();
    EXPECT_EQ(tls.calls, 0);
    EXPECT_EQ(script->written, kEhlo + "STARTTLS\r\n");
    EXPECT_TRUE(script->closed);
  }
}

TEST_F(SmtpClientTest, PreTlsCapabilitiesAreForgotten) {
  // In clear the server offers PLAIN, PIPELINING and a tiny SIZE; after TLS only AUTH LOGIN.
  script->steps = {
      {.reply = kGreeting},
      {.expect = kEhlo,
       .reply = "250-smtp.test\r\n250-STARTTLS\r\n250-PIPELINING\r\n250-SIZE 100\r\n"
                "250 AUTH PLAIN LOGIN\r\n"},
      {.expect = "STARTTLS\r\n", .reply = "220 go ahead\r\n"},
      {.expect = kEhlo, .reply = "250-smtp.test\r\n250 AUTH LOGIN\r\n"},
      {.expect = "AUTH LOGIN\r\n", .reply = "334 VXNlcm5hbWU6\r\n"},
      {.expect = "YWxpY2U=\r\n", .reply = "334 UGFzc3dvcmQ6\r\n"},
      {.expect = "czNjcmV0\r\n", .reply = "235 2.7.0 ok\r\n"},
      {.expect = "MAIL FROM:<alice@client.test>\r\n", .reply = "250 ok\r\n"},
      {.expect = "RCPT TO:<bob@example.test>\r\n", .reply = "250 ok\r\n"},
      {.expect = "DATA\r\n", .reply = "354 go\r\n"},
      {.expect = "x\r\n.\r\n", .reply = "250 ok\r\n"},
  };
  auto c = make(options(TlsMode::starttls, "alice"));
  ASSERT_TRUE(c->open());
  EXPECT_EQ(c->capabilities(), std::vector<std::string>{"AUTH"});
  StringSource body("x\r\n");
  EXPECT_TRUE(c->send(message(body, {"bob@example.test"}, 5000)).delivered());
  expect_script_done();
  for (const auto& [sent, line] : trace) {
    EXPECT_TRUE(!sent || line.find("czNjcmV0") == std::string::npos) << line;
    EXPECT_TRUE(!sent || line.find("YWxpY2U=") == std::string::npos) << line;
  }
  EXPECT_TRUE(traced(true, "<redacted>"));
}

TEST_F(SmtpClientTest, NoAuthOfferedAfterTls) {
  script->steps = {
      {.reply = kGreeting},
      {.expect = kEhlo, .reply = "250-smtp.test\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"},
      {.expect = "STARTTLS\r\n", .reply = "220 go ahead\r\n"},
      {.expect = kEhlo, .reply = "250-smtp.test\r\n250 8BITMIME\r\n"},
      {.expect = "QUIT\r\n", .reply = "221 bye\r\n"},
  };
  auto c = make(options(TlsMode::starttls, "alice"));
  Status st = c->open();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::auth);
  c->quit();
  EXPECT_EQ(script->count("AUTH"), 0u);
  expect_script_done();
}

TEST_F(SmtpClientTest, CredentialsNeverGoOutWithoutTls) {
  script->steps = {{.reply = kGreeting},
                   {.expect = kEhlo, .reply = "250-smtp.test\r\n250 AUTH PLAIN LOGIN\r\n"}};
  auto c = make(options(TlsMode::none, "alice"));
  Status st = c->open();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::tls);
  EXPECT_EQ(st.error().what.find(kPassword), std::string::npos);
  c->quit();
  EXPECT_EQ(script->written, "");  // not even EHLO
}

TEST_F(SmtpClientTest, AuthRefusals) {
  for (std::string refusal : {"535 5.7.8 Authentication credentials invalid\r\n",
                              "454 4.7.0 Temporary authentication failure\r\n",
                              "534 5.7.9 Please log in with your web browser\r\n"}) {
    SCOPED_TRACE(refusal);
    script = std::make_shared<Script>();
    tls = FakeTlsClient(script);
    script->steps = {
        {.reply = kGreeting},
        {.expect = kEhlo, .reply = "250-smtp.test\r\n250 AUTH PLAIN\r\n"},
        {.expect = "AUTH PLAIN " + kPlainIr + "\r\n", .reply = refusal},
        {.expect = "QUIT\r\n", .reply = "221 bye\r\n"},
    };
    auto c = make(options(TlsMode::tls, "alice"));
    Status st = c->open();
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Errc::auth);
    ASSERT_TRUE(st.error().reply);
    EXPECT_EQ(std::to_string(st.error().reply->code), refusal.substr(0, 3));
    EXPECT_EQ(st.error().what.find(kPlainIr), std::string::npos) << st.error().what;
    EXPECT_EQ(st.error().what.find(kPassword), std::string::npos) << st.error().what;
    c->quit();
    expect_script_done();
  }
}

TEST_F(SmtpClientTest, ImplicitTlsAuthenticatesWithoutStartTls) {
  script->steps = {
      {.reply = kGreeting},
      {.expect = kEhlo, .reply = "250-smtp.test\r\n250 AUTH PLAIN\r\n"},
      {.expect = "AUTH PLAIN " + kPlainIr + "\r\n", .reply = "235 ok\r\n"},
  };
  SmtpOptions o = options(TlsMode::tls, "alice");
  auto c = std::make_unique<SmtpClient>(
      std::make_unique<PassThroughTlsStream>(std::make_unique<ScriptedStream>(script)),
      std::move(o), nullptr);
  ASSERT_TRUE(c->open());
  ASSERT_TRUE(c->tls_info());
  EXPECT_EQ(c->tls_info()->cipher, "TLS_AES_256_GCM_SHA384");
  expect_script_done();
}

TEST_F(SmtpClientTest, RecipientMixSendsDataOnce) {
  script->steps = {
      {.reply = kGreeting},
      {.expect = kEhlo, .reply = "250-smtp.test\r\n250 PIPELINING\r\n"},
      {.expect = "MAIL FROM:<alice@client.test>\r\nRCPT TO:<a@x.test>\r\nRCPT TO:<b@x.test>\r\n"
                 "RCPT TO:<c@x.test>\r\nDATA\r\n",
       .reply = "250 ok\r\n250 2.1.5 ok\r\n550 5.1.1 <b@x.test>: no such user\r\n"
                "450 4.2.1 mailbox busy\r\n354 go\r\n"},
      {.expect = "x\r\n.\r\n", .reply = "250 2.0.0 ok\r\n"},
  };
  auto c = make(options(TlsMode::none));
  ASSERT_TRUE(c->open());
  StringSource body("x\r\n");
  TransactionResult r = c->send(message(body, {"a@x.test", "b@x.test", "c@x.test"}));
  EXPECT_TRUE(r.delivered());
  ASSERT_EQ(r.rcpt_errors.size(), 3u);
  EXPECT_FALSE(r.rcpt_errors[0]);
  ASSERT_TRUE(r.rcpt_errors[1]);
  EXPECT_EQ(r.rcpt_errors[1]->code, Errc::smtp_perm);
  EXPECT_EQ(r.rcpt_errors[1]->reply->enhanced, "5.1.1");
  ASSERT_TRUE(r.rcpt_errors[2]);
  EXPECT_EQ(r.rcpt_errors[2]->code, Errc::smtp_temp);
  EXPECT_EQ(r.rcpt_errors[2]->reply->code, 450);
  EXPECT_EQ(script->count("DATA\r\n"), 1u);
  expect_script_done();
}

struct TxnCase {
  std::string name{};
  std::string ehlo{};  // the EHLO reply
  std::vector<std::string> rcpts{};
  std::vector<Step> steps{};  // after EHLO
  std::optional<Errc> error{};
  int error_reply = 0;
  std::vector<std::optional<Errc>> rcpt{};
  bool delivered = false;
  std::optional<int> final_code{};
};

const std::string kPlainEhlo = "250-smtp.test\r\n250 SIZE\r\n";
const std::string kPipeEhlo = "250-smtp.test\r\n250 PIPELINING\r\n";

const TxnCase kTxn[] = {
    {.name = "MAIL 451",
     .ehlo = kPlainEhlo,
     .rcpts = {"b@x.test"},
     .steps = {{.expect = "MAIL FROM:<alice@client.test> SIZE=3\r\n",
                .reply = "451 4.3.0 try later\r\n"}},
     .error = Errc::smtp_temp,
     .error_reply = 451,
     .rcpt = {std::nullopt}},
    {.name = "MAIL 553 pipelined",
     .ehlo = kPipeEhlo,
     .rcpts = {"b@x.test"},
     .steps = {{.expect = "MAIL FROM:<alice@client.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n",
                .reply = "553 5.1.7 bad sender\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need MAIL\r\n"}},
     .error = Errc::smtp_perm,
     .error_reply = 553,
     .rcpt = {std::nullopt}},
    {.name = "all recipients refused, DATA pipelined and refused: RSET",
     .ehlo = kPipeEhlo,
     .rcpts = {"b@x.test", "c@x.test"},
     .steps = {{.expect = "MAIL FROM:<alice@client.test>\r\nRCPT TO:<b@x.test>\r\n"
                          "RCPT TO:<c@x.test>\r\nDATA\r\n",
                .reply = "250 ok\r\n550 5.1.1 unknown\r\n451 4.7.1 greylisted\r\n"
                         "554 5.5.1 no valid recipients\r\n"},
               {.expect = "RSET\r\n", .reply = "250 ok\r\n"}},
     .rcpt = {Errc::smtp_perm, Errc::smtp_temp}},
    {.name = "all recipients refused without PIPELINING: RSET, no DATA",
     .ehlo = kPlainEhlo,
     .rcpts = {"b@x.test", "c@x.test"},
     .steps = {{.expect = "MAIL FROM:<alice@client.test> SIZE=3\r\n", .reply = "250 ok\r\n"},
               {.expect = "RCPT TO:<b@x.test>\r\n", .reply = "550 5.1.1 unknown\r\n"},
               {.expect = "RCPT TO:<c@x.test>\r\n", .reply = "451 4.7.1 greylisted\r\n"},
               {.expect = "RSET\r\n", .reply = "250 ok\r\n"}},
     .rcpt = {Errc::smtp_perm, Errc::smtp_temp}},
    // RFC 2920 §3.1: a server that answers 354 although it accepted no recipient gets an empty
    // message (a lone dot), whatever it says to that, and then RSET; the body is never sent.
    {.name = "354 after every recipient refused: a lone dot, then RSET",
     .ehlo = kPipeEhlo,
     .rcpts = {"b@x.test"},
     .steps = {{.expect = "MAIL FROM:<alice@client.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n",
                .reply = "250 ok\r\n550 5.1.1 unknown\r\n354 go\r\n"},
               {.expect = ".\r\n", .reply = "554 5.5.1 no valid recipients\r\n"},
               {.expect = "RSET\r\n", .reply = "250 ok\r\n"}},
     .rcpt = {Errc::smtp_perm}},
    {.name = "354 after every recipient refused, the dot accepted: still not delivered",
     .ehlo = kPipeEhlo,
     .rcpts = {"b@x.test"},
     .steps = {{.expect = "MAIL FROM:<alice@client.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n",
                .reply = "250 ok\r\n451 4.2.0 later\r\n354 go\r\n"},
               {.expect = ".\r\n", .reply = "250 2.0.0 queued as nothing\r\n"},
               {.expect = "RSET\r\n", .reply = "250 ok\r\n"}},
     .rcpt = {Errc::smtp_temp}},
    {.name = "354 after a refused MAIL: a lone dot, then RSET",
     .ehlo = kPipeEhlo,
     .rcpts = {"b@x.test"},
     .steps = {{.expect = "MAIL FROM:<alice@client.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n",
                .reply = "451 4.3.0 later\r\n503 5.5.1 need MAIL\r\n354 go\r\n"},
               {.expect = ".\r\n", .reply = "503 5.5.1 need MAIL\r\n"},
               {.expect = "RSET\r\n", .reply = "250 ok\r\n"}},
     .error = Errc::smtp_temp,
     .error_reply = 451,
     .rcpt = {std::nullopt}},
    {.name = "DATA 554: RSET",
     .ehlo = kPipeEhlo,
     .rcpts = {"b@x.test"},
     .steps = {{.expect = "MAIL FROM:<alice@client.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n",
                .reply = "250 ok\r\n250 ok\r\n554 5.5.1 no valid recipients\r\n"},
               {.expect = "RSET\r\n", .reply = "250 ok\r\n"}},
     .error = Errc::smtp_perm,
     .error_reply = 554,
     .rcpt = {std::nullopt}},
    {.name = "final dot 554",
     .ehlo = kPipeEhlo,
     .rcpts = {"b@x.test"},
     .steps = {{.expect = "MAIL FROM:<alice@client.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n",
                .reply = "250 ok\r\n250 ok\r\n354 go\r\n"},
               {.expect = "x\r\n.\r\n", .reply = "554 5.7.1 spam\r\n"}},
     .error = Errc::smtp_perm,
     .error_reply = 554,
     .rcpt = {std::nullopt},
     .final_code = 554},
    {.name = "final dot 451",
     .ehlo = kPipeEhlo,
     .rcpts = {"b@x.test"},
     .steps = {{.expect = "MAIL FROM:<alice@client.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n",
                .reply = "250 ok\r\n250 ok\r\n354 go\r\n"},
               {.expect = "x\r\n.\r\n", .reply = "451 4.3.0 local error\r\n"}},
     .error = Errc::smtp_temp,
     .error_reply = 451,
     .rcpt = {std::nullopt},
     .final_code = 451},
    {.name = "garbage while pipelining",
     .ehlo = kPipeEhlo,
     .rcpts = {"b@x.test"},
     .steps = {{.expect = "MAIL FROM:<alice@client.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n",
                .reply = "250 ok\r\nHELLO\r\n"}},
     .error = Errc::protocol,
     .rcpt = {std::nullopt}},
    {.name = "unsolicited extra reply while pipelining",
     .ehlo = kPipeEhlo,
     .rcpts = {"b@x.test"},
     .steps = {{.expect = "MAIL FROM:<alice@client.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n",
                .reply = "250 ok\r\n250 ok\r\n354 go\r\n250 extra\r\n"}},
     .error = Errc::protocol,
     .rcpt = {std::nullopt}},
    {.name = "354 to RCPT",
     .ehlo = kPlainEhlo,
     .rcpts = {"b@x.test"},
     .steps = {{.expect = "MAIL FROM:<alice@client.test> SIZE=3\r\n", .reply = "250 ok\r\n"},
               {.expect = "RCPT TO:<b@x.test>\r\n", .reply = "354 what\r\n"}},
     .error = Errc::protocol,
     .error_reply = 354,
     .rcpt = {std::nullopt}},
    {.name = "421 to RCPT",
     .ehlo = kPlainEhlo,
     .rcpts = {"b@x.test"},
     .steps = {{.expect = "MAIL FROM:<alice@client.test> SIZE=3\r\n", .reply = "250 ok\r\n"},
               {.expect = "RCPT TO:<b@x.test>\r\n", .reply = "421 4.3.2 shutting down\r\n"}},
     .error = Errc::smtp_temp,
     .error_reply = 421,
     .rcpt = {std::nullopt}},
    {.name = "server closes instead of the final reply",
     .ehlo = kPipeEhlo,
     .rcpts = {"b@x.test"},
     .steps = {{.expect = "MAIL FROM:<alice@client.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n",
                .reply = "250 ok\r\n250 ok\r\n354 go\r\n"},
               {.expect = "x\r\n.\r\n", .eof = true}},
     .error = Errc::io,
     .rcpt = {std::nullopt}},
    {.name = "CRLF in a recipient is never sent",
     .ehlo = kPipeEhlo,
     .rcpts = {"b@x.test>\r\nRSET\r\nRCPT TO:<evil@x.test", "c@x.test"},
     .steps = {{.expect = "MAIL FROM:<alice@client.test>\r\nRCPT TO:<c@x.test>\r\nDATA\r\n",
                .reply = "250 ok\r\n250 ok\r\n354 go\r\n"},
               {.expect = "x\r\n.\r\n", .reply = "250 ok\r\n"}},
     .rcpt = {Errc::parse, std::nullopt},
     .delivered = true,
     .final_code = 250},
};

TEST_F(SmtpClientTest, TransactionOutcomes) {
  for (const TxnCase& c : kTxn) {
    SCOPED_TRACE(c.name);
    script = std::make_shared<Script>();
    tls = FakeTlsClient(script);
    script->steps = {{.reply = kGreeting}, {.expect = kEhlo, .reply = c.ehlo}};
    script->steps.insert(script->steps.end(), c.steps.begin(), c.steps.end());
    auto client = make(options(TlsMode::none));
    ASSERT_TRUE(client->open());
    StringSource body("x\r\n");
    TransactionResult r = client->send(message(body, c.rcpts, 3));
    EXPECT_EQ(r.delivered(), c.delivered);
    ASSERT_EQ(r.error.has_value(), c.error.has_value()) << (r.error ? r.error->what : "");
    if (c.error) {
      EXPECT_EQ(r.error->code, *c.error) << r.error->what;
      EXPECT_EQ(r.error->reply ? r.error->reply->code : 0, c.error_reply);
    }
    ASSERT_EQ(r.rcpt_errors.size(), c.rcpt.size());
    for (size_t i = 0; i < c.rcpt.size(); ++i) {
      EXPECT_EQ(r.rcpt_errors[i] ? std::optional<Errc>(r.rcpt_errors[i]->code) : std::nullopt,
                c.rcpt[i])
          << "recipient " << i;
    }
    EXPECT_EQ(r.final_reply ? std::optional<int>(r.final_reply->code) : std::nullopt, c.final_code);
    EXPECT_EQ(script->mismatch, "");
    EXPECT_EQ(script->unmatched(), "");
    EXPECT_EQ(script->count("RSET\r\nRCPT TO:<evil"), 0u);
  }
}

TEST_F(SmtpClientTest, SizeExceededSendsNoMail) {
  script->steps = {
      {.reply = kGreeting},
      {.expect = kEhlo, .reply = "250-smtp.test\r\n250 SIZE 1000\r\n"},
      {.expect = "MAIL FROM:<alice@client.test> SIZE=3\r\n", .reply = "250 ok\r\n"},
      {.expect = "RCPT TO:<b@x.test>\r\n", .reply = "250 ok\r\n"},
      {.expect = "DATA\r\n", .reply = "354 go\r\n"},
      {.expect = "x\r\n.\r\n", .reply = "250 ok\r\n"},
  };
  auto c = make(options(TlsMode::none));
  ASSERT_TRUE(c->open());
  StringSource big("x\r\n");
  TransactionResult r = c->send(message(big, {"b@x.test"}, 5000));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, Errc::smtp_perm);
  EXPECT_EQ(r.error->what.rfind("5.3.4", 0), 0u) << r.error->what;
  EXPECT_EQ(script->written, kEhlo);
  // The connection is still good for a message that fits.
  StringSource small("x\r\n");
  EXPECT_TRUE(c->send(message(small, {"b@x.test"}, 3)).delivered());
  expect_script_done();
}

TEST_F(SmtpClientTest, DisconnectMidDataIsNotDelivered) {
  std::string pre = kEhlo + "MAIL FROM:<alice@client.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n";
  script->steps = {
      {.reply = kGreeting},
      {.expect = kEhlo, .reply = "250-smtp.test\r\n250 PIPELINING\r\n"},
      {.expect = "MAIL FROM:<alice@client.test>\r\nRCPT TO:<b@x.test>\r\n",
       .reply = "250 ok\r\n250 ok\r\n"},
      {.expect = "DATA\r\n", .reply = "354 go\r\n"},
  };
  script->fail_writes_after = pre.size() + 100000;
  auto c = make(options(TlsMode::none));
  ASSERT_TRUE(c->open());
  std::string line = std::string(78, 'y') + "\r\n";
  std::string body;
  while (body.size() < 1024 * 1024) {
    body += line;
  }
  StringSource src(body);
  TransactionResult r = c->send(message(src, {"b@x.test"}));
  EXPECT_FALSE(r.delivered());
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, Errc::io);
  EXPECT_FALSE(r.final_reply);
  Status rs = c->reset();
  EXPECT_FALSE(rs);
  StringSource again("x\r\n");
  EXPECT_FALSE(c->send(message(again, {"b@x.test"})).delivered());
  size_t written = script->written.size();
  c->quit();
  EXPECT_EQ(script->written.size(), written);  // nothing after a half body, not even QUIT
  EXPECT_TRUE(script->closed);
}

struct StallCase {
  std::string name{};
  std::vector<Step> steps{};
  bool during_open = false;
};

const StallCase kStalls[] = {
    {.name = "greeting", .steps = {{.stall = true}}, .during_open = true},
    {.name = "EHLO",
     .steps = {{.reply = kGreeting}, {.expect = kEhlo, .stall = true}},
     .during_open = true},
    {.name = "MAIL",
     .steps = {{.reply = kGreeting},
               {.expect = kEhlo, .reply = "250 smtp.test\r\n"},
               {.expect = "MAIL FROM:<alice@client.test>\r\n", .stall = true}}},
    {.name = "RCPT",
     .steps = {{.reply = kGreeting},
               {.expect = kEhlo, .reply = "250 smtp.test\r\n"},
               {.expect = "MAIL FROM:<alice@client.test>\r\n", .reply = "250 ok\r\n"},
               {.expect = "RCPT TO:<b@x.test>\r\n", .stall = true}}},
    {.name = "DATA",
     .steps = {{.reply = kGreeting},
               {.expect = kEhlo, .reply = "250 smtp.test\r\n"},
               {.expect = "MAIL FROM:<alice@client.test>\r\n", .reply = "250 ok\r\n"},
               {.expect = "RCPT TO:<b@x.test>\r\n", .reply = "250 ok\r\n"},
               {.expect = "DATA\r\n", .stall = true}}},
    {.name = "final dot",
     .steps = {{.reply = kGreeting},
               {.expect = kEhlo, .reply = "250 smtp.test\r\n"},
               {.expect = "MAIL FROM:<alice@client.test>\r\n", .reply = "250 ok\r\n"},
               {.expect = "RCPT TO:<b@x.test>\r\n", .reply = "250 ok\r\n"},
               {.expect = "DATA\r\n", .reply = "354 go\r\n"},
               {.expect = "x\r\n.\r\n", .stall = true}}},
    {.name = "half a reply",
     .steps = {{.reply = kGreeting},
               {.expect = kEhlo, .reply = "250-smtp.test\r\n250-PIPEL", .stall = true}},
     .during_open = true},
};

TEST_F(SmtpClientTest, StallsTimeOut) {
  for (const StallCase& c : kStalls) {
    SCOPED_TRACE(c.name);
    script = std::make_shared<Script>();
    tls = FakeTlsClient(script);
    script->steps = c.steps;
    SmtpOptions o = options(TlsMode::none);
    o.timeout = std::chrono::seconds(1);
    auto client = make(std::move(o));
    Status st = client->open();
    Error err;
    if (c.during_open) {
      ASSERT_FALSE(st);
      err = st.error();
    } else {
      ASSERT_TRUE(st);
      StringSource body("x\r\n");
      TransactionResult r = client->send(message(body, {"b@x.test"}));
      EXPECT_FALSE(r.delivered());
      ASSERT_TRUE(r.error);
      err = *r.error;
    }
    EXPECT_EQ(err.code, Errc::timeout) << err.what;
    const test::Wait& w = script->reads.back();
    EXPECT_LE(w.deadline - w.at, std::chrono::seconds(1));
    EXPECT_GT(w.deadline - w.at, std::chrono::milliseconds(900));
    // Unusable afterwards, and quiet.
    StringSource body("x\r\n");
    TransactionResult again = client->send(message(body, {"b@x.test"}));
    ASSERT_TRUE(again.error);
    EXPECT_EQ(again.error->code, Errc::timeout);
    size_t written = script->written.size();
    client->quit();
    EXPECT_EQ(script->written.size(), written);
  }
}

TEST_F(SmtpClientTest, PerStageDeadlinesFollowRfc5321) {
  script->steps = {
      {.reply = kGreeting},                                                       // 0
      {.expect = kEhlo, .reply = "250 smtp.test\r\n"},                            // 1
      {.expect = "MAIL FROM:<alice@client.test>\r\n", .reply = "250 ok\r\n"},     // 2
      {.expect = "RCPT TO:<b@x.test>\r\n", .reply = "250 ok\r\n"},                // 3
      {.expect = "DATA\r\n", .reply = "354 go\r\n"},                              // 4
      {.expect = std::string(200000, 'z') + "\r\n.\r\n", .reply = "250 ok\r\n"},  // 5
  };
  SmtpOptions o = options(TlsMode::none);
  o.timeout = std::chrono::hours(2);
  auto c = make(std::move(o));
  ASSERT_TRUE(c->open());
  StringSource body(std::string(200000, 'z'));
  ASSERT_TRUE(c->send(message(body, {"b@x.test"})).delivered());
  using std::chrono::minutes;
  const std::pair<size_t, Millis> want[] = {
      {0, minutes(5)}, {2, minutes(5)}, {3, minutes(5)}, {4, minutes(2)}, {5, minutes(10)}};
  for (const auto& [step, budget] : want) {
    SCOPED_TRACE("step " + std::to_string(step));
    auto it = std::find_if(script->reads.begin(), script->reads.end(),
                           [s = step](const test::Wait& w) { return w.step == s; });
    ASSERT_NE(it, script->reads.end());
    EXPECT_LE(it->deadline - it->at, budget);
    EXPECT_GT(it->deadline - it->at, budget - std::chrono::seconds(5));
  }
  // Body writes: the 3-minute data-block timeout each.
  MonoTime now = std::chrono::steady_clock::now();
  size_t block_writes = 0;
  for (Deadline d : script->write_deadlines) {
    if (d - now <= minutes(3) && d - now > minutes(3) - std::chrono::seconds(5)) {
      ++block_writes;
    }
  }
  EXPECT_GE(block_writes, 2u);
}

TEST_F(SmtpClientTest, HugeRepliesFailCleanly) {
  std::string many;
  for (int i = 0; i < 100000; ++i) {
    many += "250-x\r\n";
  }
  const std::pair<std::string, std::vector<Step>> cases[] = {
      {"10 MB greeting line", {{.reply = "220 " + std::string(10 * 1024 * 1024, 'x') + "\r\n"}}},
      {"100,000 continuation lines", {{.reply = kGreeting}, {.expect = kEhlo, .reply = many}}},
      {"letter code", {{.reply = "22O ready\r\n"}}},
      {"short last line", {{.reply = kGreeting}, {.expect = kEhlo, .reply = "250-a\r\n25\r\n"}}},
  };
  for (const auto& [name, steps] : cases) {
    SCOPED_TRACE(name);
    script = std::make_shared<Script>();
    tls = FakeTlsClient(script);
    script->steps = steps;
    script->chunk = 64 * 1024;
    auto c = make(options(TlsMode::none));
    Status st = c->open();
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Errc::protocol) << st.error().what;
    size_t written = script->written.size();
    c->quit();
    EXPECT_EQ(script->written.size(), written);
  }
}

struct OpenCase {
  std::string name{};
  TlsMode tls = TlsMode::none;
  std::string user{};
  std::vector<Step> steps{};
  std::optional<Errc> error{};  // nullopt: open() succeeds
};

const OpenCase kOpen[] = {
    {.name = "EHLO 502 falls back to HELO",
     .steps = {{.reply = kGreeting},
               {.expect = kEhlo, .reply = "502 5.5.1 unrecognized\r\n"},
               {.expect = "HELO client.test\r\n", .reply = "250 smtp.test\r\n"}}},
    {.name = "EHLO 500 falls back to HELO",
     .steps = {{.reply = kGreeting},
               {.expect = kEhlo, .reply = "500 what\r\n"},
               {.expect = "HELO client.test\r\n", .reply = "250 smtp.test\r\n"}}},
    {.name = "no HELO when STARTTLS is required",
     .tls = TlsMode::starttls,
     .steps = {{.reply = kGreeting}, {.expect = kEhlo, .reply = "502 5.5.1 unrecognized\r\n"}},
     .error = Errc::tls},
    {.name = "no HELO when AUTH is required",
     .tls = TlsMode::tls,
     .user = "alice",
     .steps = {{.reply = kGreeting}, {.expect = kEhlo, .reply = "502 5.5.1 unrecognized\r\n"}},
     .error = Errc::auth},
    {.name = "EHLO 554 is no reason for HELO",
     .steps = {{.reply = kGreeting}, {.expect = kEhlo, .reply = "554 5.7.1 go away\r\n"}},
     .error = Errc::smtp_perm},
    {.name = "HELO refused",
     .steps = {{.reply = kGreeting},
               {.expect = kEhlo, .reply = "502 no\r\n"},
               {.expect = "HELO client.test\r\n", .reply = "501 bad name\r\n"}},
     .error = Errc::smtp_perm},
    {.name = "greeting 554",
     .steps = {{.reply = "554 5.3.2 no service\r\n"}},
     .error = Errc::smtp_perm},
    {.name = "greeting 421", .steps = {{.reply = "421 4.3.2 busy\r\n"}}, .error = Errc::smtp_temp},
    {.name = "greeting 250", .steps = {{.reply = "250 hello?\r\n"}}, .error = Errc::protocol},
    {.name = "greeting garbage",
     .steps = {{.reply = "SSH-2.0-OpenSSH_9.2\r\n"}},
     .error = Errc::protocol},
    {.name = "closed before greeting", .steps = {{.eof = true}}, .error = Errc::io},
    {.name = "multiline greeting",
     .steps = {{.reply = "220-smtp.test\r\n220 ready\r\n"},
               {.expect = kEhlo, .reply = "250 smtp.test\r\n"}}},
};

TEST_F(SmtpClientTest, OpenOutcomes) {
  for (const OpenCase& c : kOpen) {
    SCOPED_TRACE(c.name);
    script = std::make_shared<Script>();
    tls = FakeTlsClient(script);
    script->steps = c.steps;
    auto client = make(options(c.tls, c.user));
    Status st = client->open();
    ASSERT_EQ(st.has_value(), !c.error.has_value()) << (st ? "" : st.error().what);
    if (c.error) {
      EXPECT_EQ(st.error().code, *c.error) << st.error().what;
    }
    EXPECT_EQ(script->mismatch, "");
    EXPECT_EQ(script->unmatched(), "");
  }
}

TEST_F(SmtpClientTest, BdatOneWritePerChunkWithStageDeadlines) {
  const std::string body = std::string(70000 - 2, 'z') + "\r\n";
  const std::string first = "BDAT 65536\r\n" + body.substr(0, 65536);
  const std::string last = "BDAT 4464 LAST\r\n" + body.substr(65536);
  script->steps = {
      {.reply = kGreeting},                                                    // 0
      {.expect = kEhlo, .reply = "250-smtp.test\r\n250 CHUNKING\r\n"},         // 1
      {.expect = "MAIL FROM:<alice@client.test>\r\n", .reply = "250 ok\r\n"},  // 2
      {.expect = "RCPT TO:<b@x.test>\r\n", .reply = "250 ok\r\n"},             // 3
      {.expect = first, .reply = "250 2.0.0 65536 octets\r\n"},                // 4
      {.expect = last, .reply = "250 2.0.0 queued\r\n"},                       // 5
      {.expect = "QUIT\r\n", .reply = "221 bye\r\n"},                          // 6
  };
  SmtpOptions o = options(TlsMode::none);
  o.timeout = std::chrono::hours(2);
  auto c = make(std::move(o));
  ASSERT_TRUE(c->open());
  StringSource src(body);
  TransactionResult r = c->send(message(src, {"b@x.test"}));
  EXPECT_TRUE(r.delivered());
  ASSERT_TRUE(r.final_reply);
  EXPECT_EQ(r.final_reply->lines.front(), "2.0.0 queued");
  c->quit();
  expect_script_done();
  for (size_t frame : {first.size(), last.size()}) {
    EXPECT_NE(std::find(script->write_sizes.begin(), script->write_sizes.end(), frame),
              script->write_sizes.end())
        << "no single write of " << frame;
  }
  EXPECT_TRUE(traced(true, "BDAT 4464 LAST"));
  using std::chrono::minutes;
  for (const auto& [step, budget] : {std::pair<size_t, Millis>{4, minutes(3)}, {5, minutes(10)}}) {
    SCOPED_TRACE("step " + std::to_string(step));
    auto it = std::find_if(script->reads.begin(), script->reads.end(),
                           [s = step](const test::Wait& w) { return w.step == s; });
    ASSERT_NE(it, script->reads.end());
    EXPECT_LE(it->deadline - it->at, budget);
    EXPECT_GT(it->deadline - it->at, budget - std::chrono::seconds(5));
  }
}

TEST_F(SmtpClientTest, BdatWriteFailureLeavesTheClientUnusable) {
  script->steps = {
      {.reply = kGreeting},
      {.expect = kEhlo, .reply = "250-smtp.test\r\n250 CHUNKING\r\n"},
      {.expect = "MAIL FROM:<alice@client.test>\r\n", .reply = "250 ok\r\n"},
      {.expect = "RCPT TO:<b@x.test>\r\n", .reply = "250 ok\r\n"},
  };
  script->fail_writes_after = 100;
  auto c = make(options(TlsMode::none));
  ASSERT_TRUE(c->open());
  StringSource src(std::string(1000, 'q'));
  TransactionResult r = c->send(message(src, {"b@x.test"}));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, Errc::io);
  EXPECT_NE(r.error->what.find("SMTP BDAT"), std::string::npos) << r.error->what;
  size_t written = script->written.size();
  c->quit();
  EXPECT_EQ(script->written.size(), written);  // no QUIT in the middle of a chunk
}

// RFC 5321 §4.1.1.4: the reply to the final dot ends a transaction, whatever it says; the next
// MAIL follows without RSET, and needs_reset() tells the caller so.
TEST_F(SmtpClientTest, NoResetAfterACompletedTransaction) {
  const std::string group = "MAIL FROM:<alice@client.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n";
  script->steps = {
      {.reply = kGreeting},
      {.expect = kEhlo, .reply = "250-smtp.test\r\n250 PIPELINING\r\n"},
      {.expect = group, .reply = "250 ok\r\n250 ok\r\n354 go\r\n"},
      {.expect = "x\r\n.\r\n", .reply = "451 4.3.0 try again\r\n"},
      {.expect = group, .reply = "250 ok\r\n250 ok\r\n354 go\r\n"},
      {.expect = "x\r\n.\r\n", .reply = "250 2.0.0 ok\r\n"},
      {.expect = "QUIT\r\n", .reply = "221 bye\r\n"},
  };
  auto c = make(options(TlsMode::none));
  ASSERT_TRUE(c->open());
  for (bool want : {false, true}) {
    StringSource body("x\r\n");
    EXPECT_EQ(c->send(message(body, {"b@x.test"})).delivered(), want);
    EXPECT_FALSE(c->needs_reset());
  }
  c->quit();
  expect_script_done();
  EXPECT_EQ(script->count("RSET"), 0u);
}

TEST_F(SmtpClientTest, ResetBetweenTransactions) {
  script->steps = {
      {.reply = kGreeting},
      {.expect = kEhlo, .reply = "250 smtp.test\r\n"},
      {.expect = "RSET\r\n", .reply = "250 2.0.0 ok\r\n"},
      {.expect = "RSET\r\n", .reply = "421 4.3.2 bye\r\n"},
  };
  auto c = make(options(TlsMode::none));
  ASSERT_TRUE(c->open());
  EXPECT_TRUE(c->reset());
  Status st = c->reset();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::smtp_temp);
  StringSource body("x\r\n");
  EXPECT_FALSE(c->send(message(body, {"b@x.test"})).delivered());
  c->quit();
  expect_script_done();
}

}  // namespace
}  // namespace rm
