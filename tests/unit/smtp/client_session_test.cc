// ClientSession without any I/O (STYLE.md §5.10): replies in, actions out.
#include "smtp/client_session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "auth/base64.h"
#include "smtp/reply_parser.h"

namespace rm {
namespace {

using Kind = Action::Kind;
using State = ClientSession::State;
using std::chrono::minutes;
using std::chrono::seconds;

SmtpReply reply(std::string_view wire) {
  ReplyParser p;
  EXPECT_TRUE(p.feed(wire));
  auto r = p.next();
  EXPECT_TRUE(r.has_value()) << wire;
  return r.value_or(SmtpReply{});
}

SessionParams params(TlsMode tls, std::string user = "") {
  SessionParams p;
  p.helo_name = "client.test";
  p.tls = tls;
  p.user = std::move(user);
  p.password = SecretString("s3cret");
  return p;
}

OutgoingMessage envelope(std::vector<std::string> rcpts, std::string sender = "a@x.test") {
  OutgoingMessage m;
  m.sender = std::move(sender);
  m.rcpts = std::move(rcpts);
  m.size = 10;
  return m;
}

// Drives a session to READY over plain text with the given EHLO reply.
void open_plain(ClientSession& s, std::string_view ehlo) {
  ASSERT_EQ(s.start().kind, Kind::read);
  ASSERT_EQ(s.on_reply(reply("220 mx.test\r\n")).kind, Kind::send);
  ASSERT_EQ(s.on_reply(reply(ehlo)).kind, Kind::ready);
}

TEST(ClientSession, StartTlsThenAuthPlain) {
  ClientSession s(params(TlsMode::starttls, "alice"));
  Action a = s.start();
  EXPECT_EQ(a.kind, Kind::read);
  EXPECT_EQ(a.timeout, minutes(5));

  a = s.on_reply(reply("220 mx.test ESMTP\r\n"));
  EXPECT_EQ(a.kind, Kind::send);
  EXPECT_EQ(a.wire(), "EHLO client.test\r\n");

  a = s.on_reply(reply("250-mx.test\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n"));
  EXPECT_EQ(a.wire(), "STARTTLS\r\n");
  EXPECT_EQ(s.state(), State::starttls);
  EXPECT_FALSE(s.secure());

  a = s.on_reply(reply("220 go ahead\r\n"));
  EXPECT_EQ(a.kind, Kind::start_tls);
  EXPECT_EQ(s.state(), State::tls_handshake);
  EXPECT_TRUE(s.capabilities().starttls);  // still the clear-text view until TLS is up

  a = s.on_tls_ready();
  EXPECT_EQ(a.wire(), "EHLO client.test\r\n");
  EXPECT_TRUE(s.secure());
  EXPECT_TRUE(s.capabilities().keywords.empty());  // pre-TLS capabilities forgotten

  a = s.on_reply(reply("250-mx.test\r\n250 AUTH LOGIN PLAIN\r\n"));
  EXPECT_EQ(a.kind, Kind::send);
  EXPECT_EQ(a.text, "AUTH PLAIN <redacted>\r\n");
  ASSERT_TRUE(a.secret);
  EXPECT_EQ(a.wire(), "AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n");

  a = s.on_reply(reply("235 2.7.0 ok\r\n"));
  EXPECT_EQ(a.kind, Kind::ready);
  EXPECT_TRUE(s.usable());
}

TEST(ClientSession, LongInitialResponseWaitsForEmptyChallenge) {
  std::string user(600, 'u');
  ClientSession s(params(TlsMode::tls, user));
  ASSERT_EQ(s.start().kind, Kind::read);
  ASSERT_EQ(s.on_reply(reply("220 mx\r\n")).kind, Kind::send);
  Action a = s.on_reply(reply("250-mx\r\n250 AUTH PLAIN\r\n"));
  EXPECT_EQ(a.wire(), "AUTH PLAIN\r\n");  // RFC 4954 §4: the line would exceed 512 octets
  a = s.on_reply(reply("334 \r\n"));
  EXPECT_EQ(a.text, "<redacted>\r\n");
  EXPECT_EQ(a.wire(), base64_encode(std::string(1, '\0') + user + '\0' + "s3cret") + "\r\n");
  EXPECT_EQ(s.on_reply(reply("235 ok\r\n")).kind, Kind::ready);
}

TEST(ClientSession, EndlessChallengesFail) {
  ClientSession s(params(TlsMode::tls, "alice"));
  (void)s.start();
  (void)s.on_reply(reply("220 mx\r\n"));
  Action a = s.on_reply(reply("250-mx\r\n250 AUTH LOGIN\r\n"));
  EXPECT_EQ(a.wire(), "AUTH LOGIN\r\n");
  int challenges = 0;
  for (; challenges < 20 && a.kind == Kind::send; ++challenges) {
    a = s.on_reply(reply("334 VXNlcm5hbWU6\r\n"));
  }
  EXPECT_EQ(a.kind, Kind::fail);
  EXPECT_EQ(a.error->code, Errc::auth);
  EXPECT_EQ(challenges, 3);  // user and password answered, the third refused
}

TEST(ClientSession, PipelinedGroupsAreBounded) {
  SessionParams p = params(TlsMode::none);
  p.max_pipelined_rcpts = 2;
  ClientSession s(std::move(p));
  open_plain(s, "250-mx\r\n250 PIPELINING\r\n");
  Action a = s.begin_transaction(envelope({"1@x", "2@x", "3@x", "4@x", "5@x"}));
  EXPECT_EQ(a.wire(), "MAIL FROM:<a@x.test>\r\nRCPT TO:<1@x>\r\nRCPT TO:<2@x>\r\n");
  EXPECT_EQ(a.timeout, minutes(5));
  EXPECT_EQ(s.on_reply(reply("250 ok\r\n")).kind, Kind::read);
  EXPECT_EQ(s.on_reply(reply("250 ok\r\n")).kind, Kind::read);
  a = s.on_reply(reply("550 no\r\n"));
  EXPECT_EQ(a.wire(), "RCPT TO:<3@x>\r\nRCPT TO:<4@x>\r\n");
  EXPECT_EQ(s.on_reply(reply("250 ok\r\n")).kind, Kind::read);
  a = s.on_reply(reply("250 ok\r\n"));
  EXPECT_EQ(a.wire(), "RCPT TO:<5@x>\r\nDATA\r\n");  // DATA ends the last group
  a = s.on_reply(reply("250 ok\r\n"));
  EXPECT_EQ(a.kind, Kind::read);  // the DATA reply, with DATA's timeout
  EXPECT_EQ(a.timeout, minutes(2));
  a = s.on_reply(reply("354 go\r\n"));
  EXPECT_EQ(a.kind, Kind::send_body);
  EXPECT_EQ(a.timeout, minutes(3));
  a = s.on_body_sent();
  EXPECT_EQ(a.kind, Kind::read);
  EXPECT_EQ(a.timeout, minutes(10));
  EXPECT_EQ(s.on_reply(reply("250 queued\r\n")).kind, Kind::ready);
  TransactionResult r = s.take_result();
  EXPECT_TRUE(r.delivered());
  ASSERT_EQ(r.rcpt_errors.size(), 5u);
  EXPECT_TRUE(r.rcpt_errors[1]);
  EXPECT_FALSE(r.rcpt_errors[4]);
}

struct MailCase {
  std::string name{};
  std::string ehlo{};
  OutgoingMessage msg{};
  bool eightbit = false;
  std::string want{};
};

// The replies to one pipelined group MAIL, RCPT..., DATA (RFC 2920 §3.1), and what follows:
// the body only when a recipient was accepted and DATA got 354; otherwise a lone dot for a 354,
// and RSET while the server may still hold the MAIL. Never a body without an accepted RCPT.
struct PipelinedDataCase {
  std::string name{};
  std::vector<std::string> replies{};  // MAIL, each RCPT, DATA
  std::vector<std::string> then{};     // each further command and the reply it gets
  Kind end = Kind::ready;              // send_body: the message may go
  bool error = false;                  // TransactionResult::error set
  size_t refused = 0;                  // rcpt_errors set
};

TEST(ClientSession, PipelinedDataReplies) {
  const PipelinedDataCase cases[] = {
      {.name = "accepted: the body goes",
       .replies = {"250 ok", "250 ok", "354 go"},
       .end = Kind::send_body},
      {.name = "one of two accepted: the body goes",
       .replies = {"250 ok", "550 5.1.1 no", "250 ok", "354 go"},
       .end = Kind::send_body,
       .refused = 1},
      {.name = "accepted, DATA refused: RSET",
       .replies = {"250 ok", "250 ok", "451 4.3.0 later"},
       .then = {"RSET", "250 ok"},
       .error = true},
      {.name = "none accepted, DATA refused: RSET for the MAIL",
       .replies = {"250 ok", "550 5.1.1 no", "554 5.5.1 no valid recipients"},
       .then = {"RSET", "250 ok"},
       .refused = 1},
      {.name = "none accepted, 354 anyway: a lone dot, then RSET",
       .replies = {"250 ok", "550 5.1.1 no", "354 go"},
       .then = {".", "554 5.5.1 no valid recipients", "RSET", "250 ok"},
       .refused = 1},
      {.name = "none accepted, 354, the dot taken: still only the dot, then RSET",
       .replies = {"250 ok", "450 4.2.0 busy", "354 go"},
       .then = {".", "250 2.0.0 ok", "RSET", "250 ok"},
       .refused = 1},
      {.name = "MAIL refused: nothing to RSET",
       .replies = {"451 4.3.0 later", "503 5.5.1 need MAIL", "503 5.5.1 need MAIL"},
       .error = true},
      {.name = "MAIL refused, 354 anyway: a lone dot, then RSET",
       .replies = {"451 4.3.0 later", "503 5.5.1 need MAIL", "354 go"},
       .then = {".", "503 5.5.1 need MAIL", "RSET", "250 ok"},
       .error = true},
  };
  for (const PipelinedDataCase& c : cases) {
    SCOPED_TRACE(c.name);
    ClientSession s(params(TlsMode::none));
    open_plain(s, "250-mx\r\n250 PIPELINING\r\n");
    std::vector<std::string> rcpts = {"b@x"};
    if (c.replies.size() == 4) {
      rcpts.push_back("c@x");
    }
    Action a = s.begin_transaction(envelope(rcpts));
    EXPECT_TRUE(a.text.ends_with("DATA\r\n")) << a.text;
    EXPECT_TRUE(s.needs_reset());
    for (const std::string& r : c.replies) {
      a = s.on_reply(reply(r + "\r\n"));
    }
    for (size_t i = 0; i < c.then.size(); i += 2) {
      EXPECT_EQ(a.wire(), c.then[i] + "\r\n");
      a = s.on_reply(reply(c.then[i + 1] + "\r\n"));
    }
    EXPECT_EQ(a.kind, c.end);
    if (c.end == Kind::ready) {
      EXPECT_FALSE(s.needs_reset());
      TransactionResult r = s.take_result();
      EXPECT_FALSE(r.delivered());
      EXPECT_EQ(r.error.has_value(), c.error);
      EXPECT_EQ(static_cast<size_t>(std::count_if(r.rcpt_errors.begin(), r.rcpt_errors.end(),
                                                  [](const auto& e) { return e.has_value(); })),
                c.refused);
    }
  }
}

// needs_reset(): only while the server may hold the MAIL of a transaction that did not end. The
// reply to the final dot ends it, whatever its code (RFC 5321 §4.1.1.4).
struct ResetCase {
  std::string name{};
  std::string ehlo{};
  std::vector<std::string> replies{};  // after begin_transaction; "BODY" = on_body_sent()
  bool needs_reset = false;
};

TEST(ClientSession, NeedsResetOnlyWhileTheServerHoldsATransaction) {
  const std::string pipe = "250-mx\r\n250 PIPELINING\r\n";
  const ResetCase cases[] = {
      {.name = "delivered",
       .ehlo = pipe,
       .replies = {"250 ok", "250 ok", "354 go", "BODY", "250 ok"}},
      {.name = "final dot 451",
       .ehlo = pipe,
       .replies = {"250 ok", "250 ok", "354 go", "BODY", "451 4.3.0 later"}},
      {.name = "final dot 554",
       .ehlo = pipe,
       .replies = {"250 ok", "250 ok", "354 go", "BODY", "554 5.7.1 spam"}},
      {.name = "MAIL accepted, RCPT not yet answered",
       .ehlo = "250 mx\r\n",
       .replies = {"250 ok"},
       .needs_reset = true},
      {.name = "in the body",
       .ehlo = pipe,
       .replies = {"250 ok", "250 ok", "354 go"},
       .needs_reset = true},
      {.name = "MAIL refused", .ehlo = "250 mx\r\n", .replies = {"451 4.3.0 later"}},
  };
  for (const ResetCase& c : cases) {
    SCOPED_TRACE(c.name);
    ClientSession s(params(TlsMode::none));
    open_plain(s, c.ehlo);
    EXPECT_FALSE(s.needs_reset());
    (void)s.begin_transaction(envelope({"b@x"}));
    for (const std::string& r : c.replies) {
      if (r == "BODY") {
        (void)s.on_body_sent();
      } else {
        (void)s.on_reply(reply(r + "\r\n"));
      }
    }
    EXPECT_EQ(s.needs_reset(), c.needs_reset);
  }
}

TEST(ClientSession, MailParameters) {
  const MailCase cases[] = {
      {.name = "nothing offered",
       .ehlo = "250 mx\r\n",
       .msg = envelope({"b@x"}),
       .eightbit = true,
       .want = "MAIL FROM:<a@x.test>\r\n"},
      {.name = "8BITMIME and SIZE",
       .ehlo = "250-mx\r\n250-8BITMIME\r\n250 SIZE 100\r\n",
       .msg = envelope({"b@x"}),
       .eightbit = true,
       .want = "MAIL FROM:<a@x.test> BODY=8BITMIME SIZE=10\r\n"},
      {.name = "7bit message",
       .ehlo = "250-mx\r\n250 8BITMIME\r\n",
       .msg = envelope({"b@x"}),
       .want = "MAIL FROM:<a@x.test>\r\n"},
      {.name = "null sender",
       .ehlo = "250 mx\r\n",
       .msg = envelope({"b@x"}, ""),
       .want = "MAIL FROM:<>\r\n"},
      {.name = "SMTPUTF8 when needed",
       .ehlo = "250-mx\r\n250 SMTPUTF8\r\n",
       .msg = envelope({"j\xc3\xb6rg@x"}),
       .want = "MAIL FROM:<a@x.test> SMTPUTF8\r\n"},
      {.name = "SMTPUTF8 only when needed",
       .ehlo = "250-mx\r\n250 SMTPUTF8\r\n",
       .msg = envelope({"b@x"}),
       .want = "MAIL FROM:<a@x.test>\r\n"},
  };
  for (const MailCase& c : cases) {
    SCOPED_TRACE(c.name);
    ClientSession s(params(TlsMode::none));
    open_plain(s, c.ehlo);
    OutgoingMessage m = c.msg;
    m.eightbit = c.eightbit;
    EXPECT_EQ(s.begin_transaction(m).wire(), c.want);
  }
}

TEST(ClientSession, Reply421EndsTheSession) {
  ClientSession s(params(TlsMode::none));
  open_plain(s, "250 mx\r\n");
  (void)s.begin_transaction(envelope({"b@x"}));
  Action a = s.on_reply(reply("421 4.4.2 idle too long\r\n"));
  EXPECT_EQ(a.kind, Kind::fail);
  EXPECT_EQ(a.error->code, Errc::smtp_temp);
  EXPECT_EQ(s.state(), State::failed);
  TransactionResult r = s.take_result();
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->reply->code, 421);
  EXPECT_EQ(s.begin_quit().kind, Kind::closed);  // the server is gone: no QUIT
}

TEST(ClientSession, RefusalStillAllowsQuit) {
  ClientSession s(params(TlsMode::starttls));
  (void)s.start();
  (void)s.on_reply(reply("220 mx\r\n"));
  Action a = s.on_reply(reply("250 mx\r\n"));
  EXPECT_EQ(a.kind, Kind::fail);
  EXPECT_EQ(a.error->code, Errc::tls);
  a = s.begin_quit();
  EXPECT_EQ(a.wire(), "QUIT\r\n");
  EXPECT_EQ(s.on_reply(reply("221 bye\r\n")).kind, Kind::closed);
}

TEST(ClientSession, IoFailureForbidsFurtherSending) {
  ClientSession s(params(TlsMode::none));
  open_plain(s, "250 mx\r\n");
  (void)s.begin_transaction(envelope({"b@x"}));
  Action a = s.on_failure(make_error(Errc::timeout, "read: timed out"));
  EXPECT_EQ(a.error->what, "SMTP MAIL: read: timed out");
  EXPECT_EQ(s.take_result().error->code, Errc::timeout);
  EXPECT_EQ(s.begin_reset().kind, Kind::fail);
  EXPECT_EQ(s.begin_quit().kind, Kind::closed);
}

TEST(ClientSession, ReplyOutOfTurnIsProtocolError) {
  ClientSession s(params(TlsMode::none));
  open_plain(s, "250 mx\r\n");
  Action a = s.on_reply(reply("250 surprise\r\n"));
  EXPECT_EQ(a.kind, Kind::fail);
  EXPECT_EQ(a.error->code, Errc::protocol);
}

TEST(ClientSession, BadHeloNameFailsBeforeAnything) {
  SessionParams p = params(TlsMode::none);
  p.helo_name = "client.test\r\nMAIL FROM:<x>";
  ClientSession s(std::move(p));
  Action a = s.start();
  EXPECT_EQ(a.kind, Kind::fail);
  EXPECT_EQ(a.error->code, Errc::config);
}

struct DsnCase {
  std::string name{};
  std::string ehlo{};
  std::string notify{}, ret{}, envid{};
  std::vector<std::string> rcpts{};
  std::string want{};  // the first write; "" when the transaction must fail before it
};

TEST(ClientSession, DsnParameters) {
  const DsnCase cases[] = {
      {.name = "not offered: nothing sent",
       .ehlo = "250-mx\r\n250 PIPELINING\r\n",
       .notify = "success,failure",
       .ret = "hdrs",
       .envid = "Q1",
       .rcpts = {"b@x"},
       .want = "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@x>\r\nDATA\r\n"},
      {.name = "offered, nothing given: ORCPT only",
       .ehlo = "250-mx\r\n250-PIPELINING\r\n250 DSN\r\n",
       .rcpts = {"b@x", "c+tag@x"},
       .want = "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@x> ORCPT=rfc822;b@x\r\n"
               "RCPT TO:<c+tag@x> ORCPT=rfc822;c+2Btag@x\r\nDATA\r\n"},
      {.name = "offered, all given (spool spelling is lower case)",
       .ehlo = "250-mx\r\n250-PIPELINING\r\n250 DSN\r\n",
       .notify = "success,failure,delay",
       .ret = "FULL",
       .envid = "id=1 x+\x01",
       .rcpts = {"b@x"},
       .want = "MAIL FROM:<a@x.test> RET=FULL ENVID=id+3D1+20x+2B+01\r\n"
               "RCPT TO:<b@x> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;b@x\r\nDATA\r\n"},
      {.name = "NEVER, no pipelining",
       .ehlo = "250-mx\r\n250 DSN\r\n",
       .notify = "NEVER",
       .rcpts = {"b@x"},
       .want = "MAIL FROM:<a@x.test>\r\n"},
      {.name = "NEVER with others",
       .ehlo = "250 DSN\r\n",
       .notify = "never,success",
       .rcpts = {"b@x"}},
      {.name = "empty list element", .ehlo = "250 DSN\r\n", .notify = "success,", .rcpts = {"b@x"}},
      {.name = "unknown NOTIFY", .ehlo = "250 DSN\r\n", .notify = "ALWAYS", .rcpts = {"b@x"}},
      {.name = "bad RET", .ehlo = "250 DSN\r\n", .ret = "BODY", .rcpts = {"b@x"}},
      {.name = "bad RET, DSN not offered", .ehlo = "250 mx\r\n", .ret = "x", .rcpts = {"b@x"}},
      {.name = "ENVID too long",
       .ehlo = "250 DSN\r\n",
       .envid = std::string(34, '+'),
       .rcpts = {"b@x"}},
  };
  for (const DsnCase& c : cases) {
    SCOPED_TRACE(c.name);
    ClientSession s(params(TlsMode::none));
    open_plain(s, c.ehlo);
    OutgoingMessage m = envelope(c.rcpts);
    m.dsn_notify = c.notify;
    m.dsn_ret = c.ret;
    m.dsn_envid = c.envid;
    Action a = s.begin_transaction(m);
    if (c.want.empty()) {
      EXPECT_EQ(a.kind, Kind::ready);
      TransactionResult r = s.take_result();
      ASSERT_TRUE(r.error);
      EXPECT_EQ(r.error->code, Errc::parse) << r.error->what;
      EXPECT_TRUE(s.usable());
      continue;
    }
    EXPECT_EQ(a.wire(), c.want);
  }
}

TEST(ClientSession, DsnNotifyOnEveryRcptWithoutPipelining) {
  ClientSession s(params(TlsMode::none));
  open_plain(s, "250-mx\r\n250 DSN\r\n");
  OutgoingMessage m = envelope({"b@x", "c@x"});
  m.dsn_notify = "FAILURE";
  EXPECT_EQ(s.begin_transaction(m).wire(), "MAIL FROM:<a@x.test>\r\n");
  EXPECT_EQ(s.on_reply(reply("250 ok\r\n")).wire(),
            "RCPT TO:<b@x> NOTIFY=FAILURE ORCPT=rfc822;b@x\r\n");
  EXPECT_EQ(s.on_reply(reply("250 ok\r\n")).wire(),
            "RCPT TO:<c@x> NOTIFY=FAILURE ORCPT=rfc822;c@x\r\n");
}

TEST(ClientSession, Utf8RecipientsWithoutSmtpUtf8FailAlone) {
  ClientSession s(params(TlsMode::none));
  open_plain(s, "250-mx\r\n250 PIPELINING\r\n");
  Action a = s.begin_transaction(envelope({"b@x", "j\xc3\xb6rg@x", "c@x"}));
  EXPECT_EQ(a.wire(), "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@x>\r\nRCPT TO:<c@x>\r\nDATA\r\n");
  EXPECT_EQ(s.on_reply(reply("250 ok\r\n")).kind, Kind::read);
  EXPECT_EQ(s.on_reply(reply("250 ok\r\n")).kind, Kind::read);
  EXPECT_EQ(s.on_reply(reply("250 ok\r\n")).kind, Kind::read);
  EXPECT_EQ(s.on_reply(reply("354 go\r\n")).kind, Kind::send_body);
  TransactionResult r = s.take_result();
  ASSERT_EQ(r.rcpt_errors.size(), 3u);
  EXPECT_FALSE(r.rcpt_errors[0]);
  EXPECT_FALSE(r.rcpt_errors[2]);
  ASSERT_TRUE(r.rcpt_errors[1]);
  const Error& e = *r.rcpt_errors[1];
  EXPECT_EQ(e.code, Errc::smtp_perm);
  ASSERT_TRUE(e.reply);
  EXPECT_EQ(e.reply->code, 553);
  EXPECT_EQ(e.reply->enhanced, "5.6.7");
  EXPECT_NE(e.what.find("SMTPUTF8"), std::string::npos) << e.what;
}

TEST(ClientSession, Utf8OnlyRecipientsWithoutSmtpUtf8SendNothing) {
  ClientSession s(params(TlsMode::none));
  open_plain(s, "250 mx\r\n");
  Action a = s.begin_transaction(envelope({"\xc3\xa4@x"}));
  EXPECT_EQ(a.kind, Kind::ready);
  TransactionResult r = s.take_result();
  EXPECT_FALSE(r.error);
  ASSERT_TRUE(r.rcpt_errors[0]);
  EXPECT_EQ(r.rcpt_errors[0]->code, Errc::smtp_perm);
}

TEST(ClientSession, Utf8SenderWithoutSmtpUtf8FailsTheTransaction) {
  ClientSession s(params(TlsMode::none));
  open_plain(s, "250-mx\r\n250 8BITMIME\r\n");
  Action a = s.begin_transaction(envelope({"b@x"}, "j\xc3\xb6rg@x.test"));
  EXPECT_EQ(a.kind, Kind::ready);  // nothing sent, nothing to RSET
  EXPECT_TRUE(s.usable());
  TransactionResult r = s.take_result();
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, Errc::smtp_perm);
  ASSERT_TRUE(r.error->reply);
  EXPECT_EQ(r.error->reply->enhanced, "5.6.7");
  EXPECT_FALSE(r.rcpt_errors[0]);  // shares the transaction's error
}

TEST(ClientSession, Utf8WithSmtpUtf8GoesOutWhole) {
  ClientSession s(params(TlsMode::none));
  open_plain(s, "250-mx\r\n250-PIPELINING\r\n250 SMTPUTF8\r\n");
  Action a = s.begin_transaction(envelope({"b@x", "j\xc3\xb6rg@x"}, "\xc3\xa4@x.test"));
  EXPECT_EQ(a.wire(),
            "MAIL FROM:<\xc3\xa4@x.test> SMTPUTF8\r\nRCPT TO:<b@x>\r\nRCPT TO:<j\xc3\xb6rg@x>\r\n"
            "DATA\r\n");
}

// Opens a session whose server offers CHUNKING and runs MAIL/RCPT up to the first chunk.
void to_first_chunk(ClientSession& s) {
  open_plain(s, "250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n");
  ASSERT_EQ(s.begin_transaction(envelope({"b@x"})).kind, Kind::send);
  ASSERT_EQ(s.on_reply(reply("250 ok\r\n")).kind, Kind::read);
  Action a = s.on_reply(reply("250 ok\r\n"));
  ASSERT_EQ(a.kind, Kind::read_chunk);
  EXPECT_EQ(s.state(), State::bdat);
}

TEST(ClientSession, BdatChunksLockStep) {
  ClientSession s(params(TlsMode::none));
  to_first_chunk(s);
  Action a = s.on_chunk(65536, false);
  EXPECT_EQ(a.kind, Kind::send_chunk);
  EXPECT_EQ(a.text, "BDAT 65536\r\n");
  EXPECT_EQ(a.write_timeout, minutes(3));
  EXPECT_EQ(a.timeout, minutes(3));
  EXPECT_EQ(s.on_chunk(1, false).kind, Kind::fail);  // one chunk at a time
}

TEST(ClientSession, BdatLastIsTheFinalReply) {
  ClientSession s(params(TlsMode::none));
  to_first_chunk(s);
  EXPECT_EQ(s.on_chunk(10, false).kind, Kind::send_chunk);
  EXPECT_EQ(s.on_reply(reply("250 2.0.0 10 octets\r\n")).kind, Kind::read_chunk);
  Action a = s.on_chunk(0, true);
  EXPECT_EQ(a.text, "BDAT 0 LAST\r\n");
  EXPECT_EQ(a.write_timeout, minutes(3));
  EXPECT_EQ(a.timeout, minutes(10));
  EXPECT_EQ(s.on_reply(reply("250 2.0.0 queued\r\n")).kind, Kind::ready);
  TransactionResult r = s.take_result();
  EXPECT_TRUE(r.delivered());
  EXPECT_EQ(r.final_reply->enhanced, "2.0.0");
  EXPECT_EQ(s.on_chunk(1, true).kind, Kind::fail);  // not in a transaction
}

struct BdatFailCase {
  std::string name{};
  bool last = false;
  std::string reply{};
  Errc code{};
  bool final_reply = false;
  std::string next{};  // what is sent next: "RSET\r\n", or "" for ready
};

TEST(ClientSession, BdatRefusals) {
  const BdatFailCase cases[] = {
      {.name = "LAST 451",
       .last = true,
       .reply = "451 4.3.0 later\r\n",
       .code = Errc::smtp_temp,
       .final_reply = true},
      {.name = "LAST 554",
       .last = true,
       .reply = "554 5.6.0 no\r\n",
       .code = Errc::smtp_perm,
       .final_reply = true},
      {.name = "chunk 452",
       .reply = "452 4.3.1 full\r\n",
       .code = Errc::smtp_temp,
       .next = "RSET\r\n"},
      {.name = "chunk 552",
       .reply = "552 5.3.4 too big\r\n",
       .code = Errc::smtp_perm,
       .next = "RSET\r\n"},
  };
  for (const BdatFailCase& c : cases) {
    SCOPED_TRACE(c.name);
    ClientSession s(params(TlsMode::none));
    to_first_chunk(s);
    (void)s.on_chunk(5, c.last);
    Action a = s.on_reply(reply(c.reply));
    if (c.next.empty()) {
      EXPECT_EQ(a.kind, Kind::ready);
    } else {
      EXPECT_EQ(a.wire(), c.next);
      EXPECT_EQ(s.on_reply(reply("250 ok\r\n")).kind, Kind::ready);
    }
    TransactionResult r = s.take_result();
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->code, c.code);
    EXPECT_EQ(r.final_reply.has_value(), c.final_reply);
    EXPECT_FALSE(r.delivered());
    EXPECT_TRUE(s.usable());
  }
}

TEST(ClientSession, ChunkingDisabledUsesData) {
  SessionParams p = params(TlsMode::none);
  p.chunking = false;
  ClientSession s(std::move(p));
  open_plain(s, "250-mx\r\n250 CHUNKING\r\n");
  (void)s.begin_transaction(envelope({"b@x"}));
  EXPECT_EQ(s.on_reply(reply("250 ok\r\n")).wire(), "RCPT TO:<b@x>\r\n");
  EXPECT_EQ(s.on_reply(reply("250 ok\r\n")).wire(), "DATA\r\n");
}

TEST(ClientSession, BdatReplyWithoutChunkIsProtocolError) {
  ClientSession s(params(TlsMode::none));
  to_first_chunk(s);
  Action a = s.on_reply(reply("250 surprise\r\n"));
  EXPECT_EQ(a.kind, Kind::fail);
  EXPECT_EQ(a.error->code, Errc::protocol);
}

struct TimeoutCase {
  Millis cap{};
  Millis greeting{}, data_init{}, data_done{};
};

TEST(ClientSession, StageTimeoutsCapped) {
  const TimeoutCase cases[] = {
      {.cap = seconds(60),
       .greeting = seconds(60),
       .data_init = seconds(60),
       .data_done = seconds(60)},
      {.cap = minutes(3), .greeting = minutes(3), .data_init = minutes(2), .data_done = minutes(3)},
      {.cap = std::chrono::hours(1),
       .greeting = minutes(5),
       .data_init = minutes(2),
       .data_done = minutes(10)},
      {.cap = Millis(0), .greeting = minutes(5), .data_init = minutes(2), .data_done = minutes(10)},
  };
  for (const TimeoutCase& c : cases) {
    SCOPED_TRACE(c.cap.count());
    StageTimeouts t = StageTimeouts::capped(c.cap);
    EXPECT_EQ(t.greeting, c.greeting);
    EXPECT_EQ(t.data_init, c.data_init);
    EXPECT_EQ(t.data_done, c.data_done);
  }
}

}  // namespace
}  // namespace rm
