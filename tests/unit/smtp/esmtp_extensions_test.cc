// CHUNKING (BDAT), DSN and SMTPUTF8 end to end within the process: SmtpClient over real TCP to
// the FakeSmtpServer, plus the fake's own side of those extensions with a raw LineClient.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "net/tcp_stream.h"
#include "smtp/chunk_reader.h"
#include "smtp/smtp_client.h"
#include "support/fake_smtp_server.h"
#include "support/line_client.h"

namespace rm {
namespace {

using test::FakeSmtpOptions;
using test::FakeSmtpServer;
using test::Fault;
using test::LineClient;

constexpr size_t kChunk = ChunkReader::kDefaultChunk;
constexpr Millis kWait{10000};

FakeSmtpOptions fake(bool chunking, bool smtputf8 = false, bool dsn = false) {
  FakeSmtpOptions o;
  o.chunking = chunking;
  o.smtputf8 = smtputf8;
  o.dsn = dsn;
  return o;
}

std::unique_ptr<SmtpClient> connect(const FakeSmtpServer& srv, bool chunking = true) {
  auto tcp = tcp_connect(srv.host(), srv.port(), deadline_after(kWait));
  EXPECT_TRUE(tcp) << tcp.error().what;
  SmtpOptions o;
  o.helo_name = "client.test";
  o.host = "fake.test";
  o.tls = TlsMode::none;
  o.timeout = std::chrono::seconds(10);
  o.chunking = chunking;
  auto c = std::make_unique<SmtpClient>(tcp ? std::unique_ptr<Stream>(std::move(*tcp)) : nullptr,
                                        std::move(o), nullptr);
  Status st = c->open();
  EXPECT_TRUE(st) << st.error().what;
  return c;
}

OutgoingMessage message(ByteSource& body, std::vector<std::string> rcpts,
                        std::string sender = "alice@client.test") {
  OutgoingMessage m;
  m.sender = std::move(sender);
  m.rcpts = std::move(rcpts);
  m.content = &body;
  return m;
}

// The sizes of the BDAT commands of one connection's transcript, "L" marking LAST.
std::vector<std::string> bdat_commands(const FakeSmtpServer& srv) {
  std::vector<std::string> out;
  for (const test::TranscriptEntry& e : srv.transcript()) {
    if (e.dir == test::TranscriptEntry::Dir::client && e.text.rfind("BDAT ", 0) == 0) {
      out.push_back(e.text.substr(5));
    }
  }
  return out;
}

// Lines of varied length with dots at line starts, NUL and 8-bit octets: nothing is stuffed.
std::string content(size_t size) {
  std::string s;
  for (size_t i = 0; s.size() + 2 < size; ++i) {
    size_t len = std::min<size_t>(size - 2 - s.size(), i % 97);
    std::string line(len, static_cast<char>('a' + i % 26));
    if (len > 0 && i % 5 == 0) {
      line[0] = '.';
    }
    if (len > 3 && i % 7 == 0) {
      line[1] = '\0';
      line[2] = '\xff';
    }
    s += line;
    if (s.size() + 2 <= size) {
      s += "\r\n";
    }
  }
  while (s.size() < size) {
    s.insert(s.begin(), 'h');
  }
  if (size >= 2) {
    s[size - 2] = '\r';
    s[size - 1] = '\n';
  }
  return s;
}

struct SizeCase {
  size_t size = 0;
  std::vector<std::string> want{};  // BDAT arguments
};

TEST(EsmtpBdat, ChunkBoundariesOnTheWire) {
  const SizeCase cases[] = {
      {.size = 0, .want = {"0 LAST"}},
      {.size = 2, .want = {"2 LAST"}},
      {.size = kChunk - 1, .want = {std::to_string(kChunk - 1) + " LAST"}},
      {.size = kChunk, .want = {std::to_string(kChunk), "0 LAST"}},
      {.size = kChunk + 3, .want = {std::to_string(kChunk), "3 LAST"}},
      {.size = 3 * kChunk + 10,
       .want = {std::to_string(kChunk), std::to_string(kChunk), std::to_string(kChunk), "10 LAST"}},
  };
  for (const SizeCase& c : cases) {
    SCOPED_TRACE(c.size);
    FakeSmtpServer srv(fake(true));
    ASSERT_TRUE(srv.start());
    auto client = connect(srv);
    const std::string body = content(c.size);
    ASSERT_EQ(body.size(), c.size);
    StringSource src(body, 10000);
    TransactionResult r = client->send(message(src, {"bob@example.test"}));
    EXPECT_TRUE(r.delivered()) << (r.error ? r.error->what : "");
    client->quit();
    ASSERT_TRUE(srv.wait_for_messages(1, kWait));
    auto msgs = srv.messages();
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_TRUE(msgs[0].bdat);
    EXPECT_TRUE(msgs[0].data == body) << "data differs, " << msgs[0].data.size() << " octets";
    EXPECT_EQ(bdat_commands(srv), c.want);
  }
}

TEST(EsmtpBdat, MegabytesOnOneConnectionThenDataWhenDisabled) {
  FakeSmtpServer srv(fake(true));
  ASSERT_TRUE(srv.start());
  auto client = connect(srv);
  const std::string big = content(size_t{2} << 20);
  StringSource src(big);
  ASSERT_TRUE(client->send(message(src, {"bob@example.test"})).delivered());
  ASSERT_TRUE(client->reset());
  // Same bytes by DATA from a second client that may not chunk: the server sees no difference.
  auto data_client = connect(srv, /*chunking=*/false);
  StringSource src2(big);
  ASSERT_TRUE(data_client->send(message(src2, {"bob@example.test"})).delivered());
  client->quit();
  data_client->quit();
  ASSERT_TRUE(srv.wait_for_messages(2, kWait));
  auto msgs = srv.messages();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_TRUE(msgs[0].bdat);
  EXPECT_FALSE(msgs[1].bdat);
  EXPECT_TRUE(msgs[0].data == big);
  EXPECT_TRUE(msgs[1].data == big);
  EXPECT_EQ(bdat_commands(srv).size(), big.size() / kChunk + 1);
}

TEST(EsmtpBdat, BareLineEndsNormalisedAsForData) {
  const std::string raw = "Subject: x\n\n.\nsmuggled\r\n.\r\nend\rx";
  std::vector<std::string> got;
  for (bool chunking : {true, false}) {
    SCOPED_TRACE(chunking ? "BDAT" : "DATA");
    FakeSmtpServer srv(fake(true));
    ASSERT_TRUE(srv.start());
    auto client = connect(srv, chunking);
    StringSource src(raw);
    ASSERT_TRUE(client->send(message(src, {"bob@example.test"})).delivered());
    client->quit();
    ASSERT_TRUE(srv.wait_for_messages(1, kWait));
    got.push_back(srv.messages().at(0).data);
  }
  EXPECT_EQ(got[0], "Subject: x\r\n\r\n.\r\nsmuggled\r\n.\r\nend x\r\n");
  EXPECT_EQ(got[0], got[1]);
}

struct FaultCase {
  std::string name{};
  Fault fault{};
  Errc code{};
  bool final_reply = false;
};

TEST(EsmtpBdat, RefusalsFailTheTransaction) {
  const FaultCase cases[] = {
      {.name = "451 to LAST",
       .fault = {.verb = "DOT", .reply = "451 4.3.0 try later", .nth = 1},
       .code = Errc::smtp_temp,
       .final_reply = true},
      {.name = "554 to LAST",
       .fault = {.verb = "DOT", .reply = "554 5.6.0 content refused", .nth = 1},
       .code = Errc::smtp_perm,
       .final_reply = true},
      {.name = "452 to the second chunk",
       .fault = {.verb = "BDAT", .reply = "452 4.3.1 out of space", .nth = 2},
       .code = Errc::smtp_temp},
      {.name = "552 to the first chunk",
       .fault = {.verb = "BDAT", .reply = "552 5.3.4 too big", .nth = 1},
       .code = Errc::smtp_perm},
  };
  for (const FaultCase& c : cases) {
    SCOPED_TRACE(c.name);
    FakeSmtpOptions o = fake(true);
    o.faults = {c.fault};
    FakeSmtpServer srv(o);
    ASSERT_TRUE(srv.start());
    auto client = connect(srv);
    const std::string body = content(3 * kChunk + 100);
    StringSource src(body);
    TransactionResult r = client->send(message(src, {"bob@example.test"}));
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->code, c.code) << r.error->what;
    EXPECT_EQ(r.final_reply.has_value(), c.final_reply);
    EXPECT_FALSE(r.delivered());
    // The connection is still good for the next message (after the session's RSET, if any).
    StringSource again("short\r\n");
    EXPECT_TRUE(client->send(message(again, {"bob@example.test"})).delivered());
    client->quit();
    ASSERT_TRUE(srv.wait_for_messages(1, kWait));
    EXPECT_EQ(srv.messages().size(), 1u);
    EXPECT_EQ(srv.messages().at(0).data, "short\r\n");
    if (!c.final_reply) {  // nothing more after a refused chunk
      std::vector<std::string> cmds = bdat_commands(srv);
      ASSERT_GE(cmds.size(), 2u);
      EXPECT_EQ(cmds.size(), static_cast<size_t>(c.fault.nth) + 1);
      EXPECT_NE(srv.transcript_text().find("C: RSET"), std::string::npos);
    }
  }
}

TEST(EsmtpDsn, ParametersOnTheWire) {
  for (bool offered : {true, false}) {
    SCOPED_TRACE(offered ? "DSN offered" : "DSN not offered");
    FakeSmtpServer srv(fake(false, false, offered));
    ASSERT_TRUE(srv.start());
    auto client = connect(srv);
    StringSource src("x\r\n");
    OutgoingMessage m = message(src, {"bob@example.test", "c+d=e@example.test"});
    m.dsn_notify = "success,failure";
    m.dsn_ret = "hdrs";
    m.dsn_envid = "Q 1+2";
    TransactionResult r = client->send(m);
    EXPECT_TRUE(r.delivered()) << (r.error ? r.error->what : "");
    client->quit();
    ASSERT_TRUE(srv.wait_for_messages(1, kWait));
    test::ReceivedMessage got = srv.messages().at(0);
    if (offered) {
      EXPECT_EQ(got.mail_params, "RET=HDRS ENVID=Q+201+2B2");
      EXPECT_EQ(
          got.rcpt_params,
          (std::vector<std::string>{"NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.test",
                                    "NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c+2Bd+3De@example.test"}));
    } else {
      EXPECT_EQ(got.mail_params, "");
      EXPECT_EQ(got.rcpt_params, (std::vector<std::string>{"", ""}));
    }
  }
}

TEST(EsmtpDsn, MalformedNotifySendsNothing) {
  FakeSmtpServer srv(fake(false, false, true));
  ASSERT_TRUE(srv.start());
  auto client = connect(srv);
  StringSource src("x\r\n");
  OutgoingMessage m = message(src, {"bob@example.test"});
  m.dsn_notify = "NEVER,SUCCESS";
  TransactionResult r = client->send(m);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, Errc::parse);
  client->quit();
  ASSERT_TRUE(srv.wait_for_sessions_done(1, kWait));
  EXPECT_EQ(srv.transcript_text().find("C: MAIL"), std::string::npos);
}

TEST(EsmtpSmtpUtf8, MixedRecipients) {
  const std::string jorg = "j\xc3\xb6rg@example.test";
  for (bool offered : {true, false}) {
    SCOPED_TRACE(offered ? "SMTPUTF8 offered" : "SMTPUTF8 not offered");
    FakeSmtpServer srv(fake(false, offered));
    ASSERT_TRUE(srv.start());
    auto client = connect(srv);
    StringSource src("x\r\n");
    TransactionResult r = client->send(message(src, {"bob@example.test", jorg}));
    EXPECT_TRUE(r.delivered());
    ASSERT_EQ(r.rcpt_errors.size(), 2u);
    EXPECT_FALSE(r.rcpt_errors[0]);
    client->quit();
    ASSERT_TRUE(srv.wait_for_messages(1, kWait));
    test::ReceivedMessage got = srv.messages().at(0);
    if (offered) {
      EXPECT_FALSE(r.rcpt_errors[1]);
      EXPECT_EQ(got.mail_params, "SMTPUTF8");
      EXPECT_EQ(got.rcpt_tos, (std::vector<std::string>{"bob@example.test", jorg}));
    } else {
      ASSERT_TRUE(r.rcpt_errors[1]);
      EXPECT_EQ(r.rcpt_errors[1]->code, Errc::smtp_perm);
      EXPECT_EQ(r.rcpt_errors[1]->reply->enhanced, "5.6.7");
      EXPECT_EQ(got.mail_params, "");
      EXPECT_EQ(got.rcpt_tos, std::vector<std::string>{"bob@example.test"});
      EXPECT_EQ(srv.transcript_text().find("j\xc3\xb6rg"), std::string::npos);  // never sent
    }
  }
}

TEST(EsmtpSmtpUtf8, NonAsciiSenderWithoutSmtpUtf8SendsNoMail) {
  FakeSmtpServer srv(fake(false));
  ASSERT_TRUE(srv.start());
  auto client = connect(srv);
  StringSource src("x\r\n");
  TransactionResult r = client->send(message(src, {"bob@example.test"}, "j\xc3\xb6rg@client.test"));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, Errc::smtp_perm);
  EXPECT_EQ(r.error->reply->enhanced, "5.6.7");
  EXPECT_TRUE(client->reset());
  client->quit();
  ASSERT_TRUE(srv.wait_for_sessions_done(1, kWait));
  EXPECT_EQ(srv.transcript_text().find("C: MAIL"), std::string::npos);
}

// The fake's side, with a raw client: what a sloppy or hostile client could send.
struct RawCase {
  std::string name{};
  FakeSmtpOptions opts{};
  std::vector<std::string> sends{};  // each followed by one reply
  std::vector<std::string> want{};   // reply prefixes
};

TEST(FakeSmtpExtensions, RawConversations) {
  const std::string bin = std::string("\0\r\n.\r\nQUIT\r\n\xff", 12);
  const RawCase cases[] = {
      {.name = "BDAT before MAIL: 503, octets consumed",
       .opts = fake(true),
       .sends = {"EHLO c\r\n", "BDAT 12\r\n" + bin, "NOOP\r\n"},
       .want = {"250", "503 5.5.1", "250"}},
      {.name = "pipelined chunks in one write, binary",
       .opts = fake(true),
       .sends = {"EHLO c\r\n",
                 "MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nBDAT 12\r\n" + bin + "BDAT 3 LAST\r\nxyz", "",
                 "", "", "NOOP\r\n"},
       .want = {"250", "250 2.1.0", "250 2.1.5", "250 2.0.0 12", "250 2.0.0 Ok: queued", "250"}},
      {.name = "DATA after BDAT",
       .opts = fake(true),
       .sends = {"EHLO c\r\n", "MAIL FROM:<a@x>\r\n", "RCPT TO:<b@x>\r\n", "BDAT 1\r\nx",
                 "DATA\r\n"},
       .want = {"250", "250", "250", "250", "503 5.5.1"}},
      {.name = "BDAT without CHUNKING is unknown",
       .opts = fake(false),
       .sends = {"EHLO c\r\n", "BDAT 0 LAST\r\n"},
       .want = {"250", "500"}},
      {.name = "bad BDAT syntax ends the session",
       .opts = fake(true),
       // Nothing more is sent: a write racing the server's close could draw a reset instead
       // of the EOF this case is about.
       .sends = {"EHLO c\r\n", "BDAT x LAST\r\n", ""},
       .want = {"250", "501 5.5.4", "EOF"}},
      {.name = "DSN parameters without DSN",
       .opts = fake(false),
       .sends = {"EHLO c\r\n", "MAIL FROM:<a@x> RET=FULL\r\n", "MAIL FROM:<a@x>\r\n",
                 "RCPT TO:<b@x> NOTIFY=NEVER\r\n", "RCPT TO:<b@x> ORCPT=rfc822;b@x\r\n"},
       .want = {"250", "555 5.5.4", "250", "555 5.5.4", "555 5.5.4"}},
      {.name = "DSN parameters checked",
       .opts = fake(false, false, true),
       .sends = {"EHLO c\r\n", "MAIL FROM:<a@x> ENVID=a+2b\r\n", "MAIL FROM:<a@x> RET=ALL\r\n",
                 "MAIL FROM:<a@x> RET=full ENVID=a+2B\r\n", "RCPT TO:<b@x> NOTIFY=NEVER,DELAY\r\n",
                 "RCPT TO:<b@x> ORCPT=rfc822;b=c\r\n", "RCPT TO:<b@x> NOTIFY=delay ORCPT=x;y\r\n"},
       .want = {"250", "501", "501", "250", "501", "501", "250"}},
      {.name = "UTF-8 addresses need SMTPUTF8",
       .opts = fake(false, true),
       .sends = {"EHLO c\r\n", "MAIL FROM:<\xc3\xa4@x>\r\n", "MAIL FROM:<a@x>\r\n",
                 "RCPT TO:<\xc3\xa4@x>\r\n", "RSET\r\n", "MAIL FROM:<\xc3\xa4@x> SMTPUTF8\r\n",
                 "RCPT TO:<\xc3\xa4@x>\r\n"},
       .want = {"250", "553 5.6.7", "250", "553 5.6.7", "250", "250", "250"}},
      {.name = "SMTPUTF8 not offered",
       .opts = fake(false, false),
       .sends = {"EHLO c\r\n", "MAIL FROM:<\xc3\xa4@x> SMTPUTF8\r\n"},
       .want = {"250", "553 5.6.7"}},
  };
  for (const RawCase& c : cases) {
    SCOPED_TRACE(c.name);
    FakeSmtpServer srv(c.opts);
    ASSERT_TRUE(srv.start());
    auto tcp = tcp_connect(srv.host(), srv.port(), deadline_after(kWait));
    ASSERT_TRUE(tcp);
    LineClient lc(std::unique_ptr<Stream>(std::move(*tcp)), kWait);
    ASSERT_TRUE(lc.reply());  // greeting
    ASSERT_EQ(c.sends.size(), c.want.size());
    for (size_t i = 0; i < c.sends.size(); ++i) {
      SCOPED_TRACE(i);
      if (!c.sends[i].empty()) {
        ASSERT_TRUE(lc.send(c.sends[i]));
      }
      auto r = lc.reply();
      std::string got = r ? *r : (r.error().what.find("EOF") != std::string::npos ? "EOF" : "?");
      EXPECT_EQ(got.rfind(c.want[i], 0), 0u) << got;
    }
  }
}

TEST(FakeSmtpExtensions, BdatMessageRecorded) {
  FakeSmtpServer srv(fake(true, false, true));
  ASSERT_TRUE(srv.start());
  auto tcp = tcp_connect(srv.host(), srv.port(), deadline_after(kWait));
  ASSERT_TRUE(tcp);
  LineClient lc(std::unique_ptr<Stream>(std::move(*tcp)), kWait);
  ASSERT_TRUE(lc.reply());
  const std::string bin = std::string("\0.\r\n\xff", 5);
  ASSERT_TRUE(
      lc.send("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x> NOTIFY=NEVER\r\n"
              "BDAT 5\r\n" +
              bin + "BDAT 0 LAST\r\n"));
  auto ehlo = lc.reply();
  ASSERT_TRUE(ehlo);
  EXPECT_NE(ehlo->find("CHUNKING"), std::string::npos);
  EXPECT_NE(ehlo->find("DSN"), std::string::npos);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(lc.reply());
  }
  ASSERT_TRUE(srv.wait_for_messages(1, kWait));
  test::ReceivedMessage m = srv.messages().at(0);
  EXPECT_TRUE(m.bdat);
  EXPECT_EQ(m.data, bin);
  EXPECT_EQ(m.rcpt_params, std::vector<std::string>{"NOTIFY=NEVER"});
}

}  // namespace
}  // namespace rm
