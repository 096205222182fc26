// Tests for submit/smtp_server_session.h, the sans-I/O core of `sendmail -bs` (SENDMAIL.md
// behaviour 23): command lines → replies and states, DATA bytes → the un-dot-stuffed body at
// every split of the input, the final reply after the commit hook, and address hygiene
// (RELIABILITY.md §3.8).
#include "submit/smtp_server_session.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rm::cli {
namespace {

using namespace std::string_literals;
using State = SmtpServerSession::State;

const std::string kEhlo =
    "250-mx.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n";
const std::string kOk = "250 2.0.0 Ok\r\n";
const std::string kMailOk = "250 2.1.0 Ok\r\n";
const std::string kRcptOk = "250 2.1.5 Ok\r\n";
const std::string kGo = "354 End data with <CR><LF>.<CR><LF>\r\n";
const std::string kNeedMail = "503 5.5.1 Error: need MAIL command\r\n";

struct Step {
  std::string line;
  std::string reply;
};

struct CmdCase {
  const char* name;
  std::vector<Step> steps;
  State end = State::idle;
  uint64_t max_size = 0;
  size_t max_rcpts = 1000;
  std::string sender = "";
  std::vector<std::string> rcpts = {};
  std::string body_type = "";
  uint64_t declared_size = 0;
};

const CmdCase kCmdCases[] = {
    {.name = "b23 EHLO lists the extensions, no SIZE without a limit",
     .steps = {{"EHLO client.test", kEhlo}}},
    {.name = "b23 EHLO announces SIZE n with a limit",
     .steps = {{"EHLO client.test",
                "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n"
                "250 ENHANCEDSTATUSCODES\r\n"}},
     .max_size = 1000},
    {.name = "b23 HELO", .steps = {{"HELO client.test", "250 mx.test\r\n"}}},
    {.name = "HELO and EHLO need a name",
     .steps = {{"HELO", "501 5.5.4 Syntax: HELO hostname\r\n"},
               {"EHLO   ", "501 5.5.4 Syntax: EHLO hostname\r\n"}}},
    {.name = "b23 a transaction up to DATA",
     .steps = {{"EHLO c", kEhlo},
               {"MAIL FROM:<a@x.test>", kMailOk},
               {"RCPT TO:<b@y.test>", kRcptOk},
               {"RCPT TO:<c@y.test>", kRcptOk},
               {"DATA", kGo}},
     .end = State::data,
     .sender = "a@x.test",
     .rcpts = {"b@y.test", "c@y.test"}},
    {.name = "MAIL without HELO is accepted (Postfix default)",
     .steps = {{"MAIL FROM:<a@x.test>", kMailOk}},
     .end = State::mail,
     .sender = "a@x.test"},
    {.name = "null sender",
     .steps = {{"MAIL FROM:<>", kMailOk}, {"RCPT TO:<b@y.test>", kRcptOk}},
     .end = State::rcpt,
     .sender = "",
     .rcpts = {"b@y.test"}},
    {.name = "lower case, space after the colon, no brackets, source route",
     .steps = {{"mail from: <a@x.test>", kMailOk},
               {"rcpt to:b@y.test", kRcptOk},
               {"Rcpt To:<@relay.test:c@y.test>", kRcptOk}},
     .end = State::rcpt,
     .sender = "a@x.test",
     .rcpts = {"b@y.test", "c@y.test"}},
    {.name = "bare local names are left for the hook to qualify",
     .steps = {{"MAIL FROM:<alice>", kMailOk}, {"RCPT TO:<root>", kRcptOk}},
     .end = State::rcpt,
     .sender = "alice",
     .rcpts = {"root"}},
    {.name = "BODY and SIZE parameters",
     .steps = {{"MAIL FROM:<a@x.test> BODY=8bitmime SIZE=100", kMailOk}},
     .end = State::mail,
     .max_size = 1000,
     .sender = "a@x.test",
     .body_type = "8BITMIME",
     .declared_size = 100},
    {.name = "bad MAIL parameters leave no transaction",
     .steps = {{"MAIL FROM:<a@x.test> BODY=BINARYMIME", "501 5.5.4 Bad BODY parameter\r\n"},
               {"MAIL FROM:<a@x.test> SIZE=12x", "501 5.5.4 Bad SIZE parameter\r\n"},
               {"MAIL FROM:<a@x.test> SIZE=99999999999999999999999",
                "501 5.5.4 Bad SIZE parameter\r\n"},
               {"MAIL FROM:<a@x.test> SMTPUTF8", "555 5.5.4 Unsupported option: SMTPUTF8\r\n"},
               {"MAIL FROM:<a@x.test> BODY=7BIT SIZE=1001",
                "552 5.3.4 Message size exceeds fixed limit\r\n"},
               {"RCPT TO:<b@y.test>", kNeedMail}},
     .max_size = 1000},
    {.name = "b23 503: nested MAIL, RCPT and DATA out of order",
     .steps = {{"RCPT TO:<b@y.test>", kNeedMail},
               {"DATA", kNeedMail},
               {"MAIL FROM:<a@x.test>", kMailOk},
               {"DATA", "503 5.5.1 Error: need RCPT command\r\n"},
               {"MAIL FROM:<a@x.test>", "503 5.5.1 Error: nested MAIL command\r\n"}},
     .end = State::mail,
     .sender = "a@x.test"},
    {.name = "501: MAIL and RCPT syntax",
     .steps = {{"MAIL", "501 5.5.4 Syntax: MAIL FROM:<address>\r\n"},
               {"MAIL TO:<a@x.test>", "501 5.5.4 Syntax: MAIL FROM:<address>\r\n"},
               {"MAIL FROM:<a@x.test", "501 5.5.4 Syntax: MAIL FROM:<address>\r\n"},
               {"MAIL FROM:<a@x.test>junk", "501 5.5.4 Syntax: MAIL FROM:<address>\r\n"},
               {"MAIL FROM:", "501 5.5.4 Syntax: MAIL FROM:<address>\r\n"},
               {"MAIL FROM:<a@x.test>", kMailOk},
               {"RCPT FROM:<b@y.test>", "501 5.5.4 Syntax: RCPT TO:<address>\r\n"},
               {"RCPT TO:<b@y.test", "501 5.5.4 Syntax: RCPT TO:<address>\r\n"},
               {"DATA now", "501 5.5.4 Syntax: DATA\r\n"}},
     .end = State::mail,
     .sender = "a@x.test"},
    {.name = "§3.8 hostile recipients get 553 with a one-line reason",
     .steps =
         {{"MAIL FROM:<a@x.test>", kMailOk},
          {"RCPT TO:<-X/tmp/x@y.test>",
           "553 5.1.3 Bad recipient address: address starts with '-'\r\n"},
          {"RCPT TO:<a\0b@y.test>"s, "553 5.1.3 Bad recipient address: address contains NUL\r\n"},
          {"RCPT TO:<a\rb@y.test>", "553 5.1.3 Bad recipient address: address contains CR\r\n"},
          {"RCPT TO:<\"john doe\"@y.test>",
           "553 5.1.3 Bad recipient address: address contains a space\r\n"},
          {"RCPT TO:<j\xc3\xb6rg@y.test>",
           "553 5.1.3 Bad recipient address: address contains a non-ASCII character\r\n"},
          {"RCPT TO:<" + std::string(250, 'a') + "@y.test>",
           "553 5.1.3 Bad recipient address: address longer than 254 octets\r\n"},
          {"RCPT TO:<>", "553 5.1.3 Bad recipient address: empty address\r\n"},
          {"RCPT TO:<a,b@y.test>", "553 5.1.3 Bad recipient address: address contains ','\r\n"},
          {"RCPT TO:<b@y.test> NOTIFY=NEVER", "555 5.5.4 Unsupported option: NOTIFY=NEVER\r\n"},
          {"RCPT TO:<b@y.test>\rRCPT TO:<c@y.test>", "501 5.5.4 Syntax: RCPT TO:<address>\r\n"},
          {"DATA", "503 5.5.1 Error: need RCPT command\r\n"}},
     .end = State::mail,
     .sender = "a@x.test"},
    {.name = "§3.8 hostile senders get 553",
     .steps = {{"MAIL FROM:<-oQ/tmp@x.test>",
                "553 5.1.7 Bad sender address: address starts with '-'\r\n"},
               {"MAIL FROM:<a\nb@x.test>", "553 5.1.7 Bad sender address: address contains LF\r\n"},
               {"RCPT TO:<b@y.test>", kNeedMail}}},
    {.name = "recipient cap: 452 4.5.3, the accepted ones stay",
     .steps = {{"MAIL FROM:<a@x.test>", kMailOk},
               {"RCPT TO:<b@y.test>", kRcptOk},
               {"RCPT TO:<c@y.test>", kRcptOk},
               {"RCPT TO:<d@y.test>", "452 4.5.3 Error: too many recipients\r\n"}},
     .end = State::rcpt,
     .max_rcpts = 2,
     .sender = "a@x.test",
     .rcpts = {"b@y.test", "c@y.test"}},
    {.name = "b23 RSET and EHLO end the transaction",
     .steps = {{"MAIL FROM:<a@x.test>", kMailOk},
               {"RCPT TO:<b@y.test>", kRcptOk},
               {"RSET", kOk},
               {"RCPT TO:<b@y.test>", kNeedMail},
               {"MAIL FROM:<a@x.test>", kMailOk},
               {"EHLO again", kEhlo},
               {"RCPT TO:<b@y.test>", kNeedMail},
               {"RSET now", "501 5.5.4 Syntax: RSET\r\n"}}},
    {.name = "b23 NOOP, VRFY, HELP, unimplemented and unknown commands",
     .steps = {{"NOOP", kOk},
               {"noop whatever", kOk},
               {"VRFY root", "252 2.5.2 Cannot VRFY user; try RCPT to attempt delivery\r\n"},
               {"VRFY", "501 5.5.4 Syntax: VRFY address\r\n"},
               {"HELP",
                "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP\r\n"},
               {"EXPN staff", "502 5.5.1 Error: command not implemented\r\n"},
               {"STARTTLS", "502 5.5.1 Error: command not implemented\r\n"},
               {"GET / HTTP/1.0", "500 5.5.2 Error: command not recognized\r\n"},
               {"", "500 5.5.2 Error: bad syntax\r\n"}}},
    {.name = "b23 QUIT closes; nothing after it is accepted",
     .steps = {{"MAIL FROM:<a@x.test>", kMailOk},
               {"QUIT", "221 2.0.0 Bye\r\n"},
               {"NOOP", "503 5.5.1 Error: bad sequence of commands\r\n"}},
     .end = State::closed},
};

TEST(SmtpServerSession, Commands) {
  for (const CmdCase& c : kCmdCases) {
    SCOPED_TRACE(c.name);
    SmtpServerSession s(
        {.hostname = "mx.test", .max_size = c.max_size, .max_recipients = c.max_rcpts});
    for (const Step& st : c.steps) {
      SCOPED_TRACE(st.line);
      EXPECT_EQ(s.on_line(st.line), st.reply);
    }
    EXPECT_STREQ(smtp_state_name(s.state()), smtp_state_name(c.end));
    EXPECT_EQ(s.envelope().sender, c.sender);
    EXPECT_EQ(s.envelope().recipients, c.rcpts);
    EXPECT_EQ(s.envelope().body_type, c.body_type);
    EXPECT_EQ(s.envelope().declared_size, c.declared_size);
  }
}

TEST(SmtpServerSession, GreetingAndFixedReplies) {
  SmtpServerSession s({.hostname = "mx.test"});
  EXPECT_EQ(s.greeting(), "220 mx.test ESMTP relaymail\r\n");
  EXPECT_EQ(s.on_overlong_line(), "500 5.5.2 Error: line too long\r\n");
  SmtpServerSession bad({.hostname = "evil\r\n250 ok"});
  EXPECT_EQ(bad.greeting(), "220 evil??250 ok ESMTP relaymail\r\n");
  SmtpServerSession none({});
  EXPECT_EQ(none.greeting(), "220 localhost ESMTP relaymail\r\n");
}

TEST(SmtpServerSession, HeloNameIsSanitised) {
  SmtpServerSession s({.hostname = "mx.test"});
  EXPECT_EQ(s.on_line("HELO a\x01z"), "250 mx.test\r\n");
  EXPECT_EQ(s.envelope().helo, "a?z");
}

struct DataCase {
  const char* name;
  std::string in;
  std::string body;
  size_t consumed;  // where the final dot line ends; in.size() when there is none
  bool done = true;
  uint64_t max_size = 0;
  bool too_big = false;
};

const DataCase kDataCases[] = {
    {.name = "b23 CRLF", .in = "a\r\nb\r\n.\r\n", .body = "a\r\nb\r\n", .consumed = 9},
    {.name = "b23 LF only", .in = "a\nb\n.\n", .body = "a\nb\n", .consumed = 6},
    {.name = "mixed: CRLF lines, LF dot", .in = "a\r\n.\n", .body = "a\r\n", .consumed = 5},
    {.name = "mixed: LF lines, CRLF dot", .in = "a\n.\r\n", .body = "a\n", .consumed = 5},
    {.name = "empty body", .in = ".\r\n", .body = "", .consumed = 3},
    {.name = "empty line first", .in = "\r\n.\r\n", .body = "\r\n", .consumed = 5},
    {.name = "b23 un-dot-stuffing",
     .in = "..x\r\n.y\r\n.\r\n",
     .body = ".x\r\ny\r\n",
     .consumed = 12},
    {.name = "a lone dot inside the message",
     .in = "a\r\n..\r\nb\r\n.\r\n",
     .body = "a\r\n.\r\nb\r\n",
     .consumed = 13},
    {.name = "a lone dot inside, LF", .in = "..\n.\n", .body = ".\n", .consumed = 5},
    {.name = "a dot that is not first stays",
     .in = "a.\r\n a\r\n.\r\n",
     .body = "a.\r\n a\r\n",
     .consumed = 11},
    {.name = "§3.6 bare CR never ends a line",
     .in = "a\r.\rb\r\n.\r\n",
     .body = "a\r.\rb\r\n",
     .consumed = 10},
    {.name = "§3.6 dot CR x is text, its stuffing dot removed",
     .in = ".\rx\r\n.\r\n",
     .body = "\rx\r\n",
     .consumed = 8},
    {.name = "dot CR CR LF", .in = ".\r\r\n.\r\n", .body = "\r\r\n", .consumed = 7},
    {.name = "stops after the dot; the next command stays",
     .in = "a\r\n.\r\nQUIT\r\n",
     .body = "a\r\n",
     .consumed = 6},
    {.name = "no dot yet", .in = "abc\r\n..", .body = "abc\r\n.", .consumed = 7, .done = false},
    {.name = "size limit met exactly",
     .in = "123\r\n.\r\n",
     .body = "123\r\n",
     .consumed = 8,
     .max_size = 5},
    {.name = "size limit exceeded: still read to the dot",
     .in = "12345\r\n6\r\n.\r\nNOOP\r\n",
     .body = "",
     .consumed = 13,
     .max_size = 5,
     .too_big = true},
};

TEST(SmtpServerSession, DataAtEverySplit) {
  for (const DataCase& c : kDataCases) {
    SCOPED_TRACE(c.name);
    for (size_t split = 0; split <= c.in.size(); ++split) {
      SCOPED_TRACE("split at " + std::to_string(split));
      SmtpServerSession s({.hostname = "mx.test", .max_size = c.max_size});
      ASSERT_EQ(s.on_line("MAIL FROM:<a@x.test>"), kMailOk);
      ASSERT_EQ(s.on_line("RCPT TO:<b@y.test>"), kRcptOk);
      ASSERT_EQ(s.on_line("DATA"), kGo);
      std::string body;
      size_t used = s.on_data(std::string_view(c.in).substr(0, split), body);
      if (used == split) {
        used += s.on_data(std::string_view(c.in).substr(split), body);
      }
      EXPECT_EQ(body.substr(0, c.too_big ? 0 : body.size()), c.body);
      EXPECT_EQ(used, c.consumed);
      EXPECT_EQ(s.state() == State::data_done, c.done);
      EXPECT_EQ(s.too_big(), c.too_big);
    }
  }
}

struct EndCase {
  const char* name;
  Result<std::string> queued;
  std::string reply;
  bool too_big = false;
};

TEST(SmtpServerSession, EndOfData) {
  const EndCase cases[] = {
      {.name = "b23 committed",
       .queued = std::string("4F2A9C"),
       .reply = "250 2.0.0 Ok: queued as 4F2A9C\r\n"},
      {.name = "queue id sanitised",
       .queued = std::string("A\r\nB"),
       .reply = "250 2.0.0 Ok: queued as A??B\r\n"},
      {.name = "spool write failure: 451, no path",
       .queued = make_error(Errc::io, "rename /var/spool/relaymail/tmp/x: No space left"),
       .reply = "451 4.3.0 Error: queue file write error\r\n"},
      {.name = "other failure: 451",
       .queued = make_error(Errc::parse, "header block over 1 MiB in /home/u/x"),
       .reply = "451 4.3.0 Error: local error in processing\r\n"},
      {.name = "too big wins over the hook's answer",
       .queued = std::string("X"),
       .reply = "552 5.3.4 Error: message file too big\r\n",
       .too_big = true},
  };
  for (const EndCase& c : cases) {
    SCOPED_TRACE(c.name);
    SmtpServerSession s({.hostname = "mx.test", .max_size = 4});
    ASSERT_EQ(s.on_line("MAIL FROM:<a@x.test>"), kMailOk);
    ASSERT_EQ(s.on_line("RCPT TO:<b@y.test>"), kRcptOk);
    ASSERT_EQ(s.on_line("DATA"), kGo);
    std::string body;
    (void)s.on_data(c.too_big ? "12345\r\n.\r\n" : "1\r\n.\r\n", body);
    ASSERT_EQ(s.state(), State::data_done);
    EXPECT_EQ(s.end_data(c.queued), c.reply);
    EXPECT_EQ(s.state(), State::idle);
    EXPECT_TRUE(s.envelope().recipients.empty());
    EXPECT_EQ(s.on_line("RCPT TO:<b@y.test>"), kNeedMail);
  }
}

Error with_reply(Errc code, const char* what, int reply_code, std::string enhanced,
                 std::string text) {
  Error e = make_error(code, "%s", what);
  e.reply = SmtpReply{reply_code, std::move(enhanced), {std::move(text)}};
  return e;
}

TEST(SmtpServerSession, HookChosenReplyAfterData) {
  const EndCase cases[] = {
      {.name = "the hook's own size check",
       .queued = with_reply(Errc::parse, "too big", 552, "5.3.4", "Error: message file too big"),
       .reply = "552 5.3.4 Error: message file too big\r\n"},
      {.name = "reply text sanitised, bad enhanced code replaced",
       .queued = with_reply(Errc::parse, "x", 554, "2.0.0", "no\r\n250 ok"),
       .reply = "554 5.0.0 no??250 ok\r\n"},
      {.name = "a 2xx reply is not taken from an error",
       .queued = with_reply(Errc::io, "x", 250, "2.0.0", "fine"),
       .reply = "451 4.3.0 Error: queue file write error\r\n"},
  };
  for (const EndCase& c : cases) {
    SCOPED_TRACE(c.name);
    SmtpServerSession s({.hostname = "mx.test"});
    ASSERT_EQ(s.on_line("MAIL FROM:<a@x.test>"), kMailOk);
    ASSERT_EQ(s.on_line("RCPT TO:<b@y.test>"), kRcptOk);
    ASSERT_EQ(s.on_line("DATA"), kGo);
    std::string body;
    (void)s.on_data(".\r\n", body);
    EXPECT_EQ(s.end_data(c.queued), c.reply);
  }
}

struct RcptCheckCase {
  const char* name;
  Status verdict;
  std::string reply;
};

TEST(SmtpServerSession, RecipientCheck) {
  const RcptCheckCase cases[] = {
      {.name = "accepted", .verdict = Status{}, .reply = kRcptOk},
      {.name = "unknown local name: 550 with the reason",
       .verdict = make_error(Errc::usage, "unknown local user 'bob'"),
       .reply = "550 5.1.1 Recipient address rejected: unknown local user 'bob'\r\n"},
      {.name = "cannot decide: 451 without the text",
       .verdict = make_error(Errc::io, "read /etc/aliases: Permission denied"),
       .reply = "451 4.3.0 Error: local error in processing\r\n"},
      {.name = "the check's own reply",
       .verdict = with_reply(Errc::usage, "x", 550, "5.1.1", "User unknown"),
       .reply = "550 5.1.1 User unknown\r\n"},
      {.name = "the check's own reply, enhanced code of the wrong class",
       .verdict = with_reply(Errc::usage, "x", 450, "5.1.1", "try later"),
       .reply = "450 4.0.0 try later\r\n"},
  };
  for (const RcptCheckCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> asked;
    SmtpServerSession s({.hostname = "mx.test"}, [&](std::string_view addr) {
      asked.emplace_back(addr);
      return c.verdict;
    });
    ASSERT_EQ(s.on_line("MAIL FROM:<a@x.test>"), kMailOk);
    EXPECT_EQ(s.on_line("RCPT TO:<bob>"), c.reply);
    EXPECT_EQ(s.on_line("RCPT TO:<-bad>").substr(0, 4), "553 ");  // syntax first, not asked
    EXPECT_EQ(asked, std::vector<std::string>{"bob"});
    EXPECT_EQ(s.envelope().recipients.size(), c.verdict ? 1U : 0U);
  }
}

TEST(SmtpServerSession, InputClosedAbandonsTheTransaction) {
  SmtpServerSession s({.hostname = "mx.test"});
  ASSERT_EQ(s.on_line("MAIL FROM:<a@x.test>"), kMailOk);
  EXPECT_TRUE(s.in_transaction());
  s.on_input_closed();
  EXPECT_EQ(s.state(), State::closed);
  EXPECT_FALSE(s.in_transaction());
  EXPECT_TRUE(s.envelope().sender.empty());
}

}  // namespace
}  // namespace rm::cli

namespace rm::cli {
namespace {

// The daemon's socket (submit/daemon_protocol.h): the sendmail flags as MAIL parameters, DATA
// straight after MAIL with -t, XQUEUE/XFLUSH outside transactions, and the sender check.
SmtpServerOptions daemon_options() {
  SmtpServerOptions o{.hostname = "mx.test"};
  o.local_extensions = true;
  o.check_sender = [](std::string_view s) -> Status {
    if (s == "other@example.com") {
      return make_error(Errc::usage, "uid 1000 may not send as <other@example.com>");
    }
    return {};
  };
  o.admin = [](std::string_view verb, std::string_view arg) {
    return "250-" + std::string(verb) + "\r\n250 2.0.0 [" + std::string(arg) + "]\r\n";
  };
  return o;
}

TEST(SmtpServerSession, DaemonSocketExtensions) {
  SmtpServerSession s(daemon_options());
  EXPECT_EQ(s.on_line("EHLO c"),
            "250-mx.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-XRELAYMAIL\r\n"
            "250 ENHANCEDSTATUSCODES\r\n");
  EXPECT_EQ(s.on_line("XQUEUE JSON"), "250-XQUEUE\r\n250 2.0.0 [JSON]\r\n");
  EXPECT_EQ(s.on_line("MAIL FROM:<a@example.com> XRM-T XRM-DOTS XRM-NAME=Cron+20Daemon RET=HDRS"),
            kMailOk);
  const SubmitFlags& f = s.envelope().flags;
  EXPECT_TRUE(f.extract);
  EXPECT_TRUE(f.dot_ends);
  EXPECT_FALSE(f.no_rewrite);
  EXPECT_EQ(f.full_name, "Cron Daemon");
  EXPECT_EQ(f.ret, "HDRS");
  EXPECT_EQ(s.on_line("XFLUSH"), "503 5.5.1 Error: not inside a transaction\r\n");
  EXPECT_EQ(s.on_line("DATA"), kGo) << "-t: the recipients come from the header";
  EXPECT_EQ(s.state(), State::data);
}

TEST(SmtpServerSession, DaemonSocketRefusals) {
  SmtpServerSession s(daemon_options());
  EXPECT_EQ(s.on_line("MAIL FROM:<other@example.com>"),
            "553 5.7.1 uid 1000 may not send as <other@example.com>\r\n");
  EXPECT_EQ(s.state(), State::idle);
  EXPECT_EQ(s.on_line("MAIL FROM:<a@example.com> XRM-NAME=a+zz"),
            "501 5.5.4 XRM-NAME: not xtext\r\n");
  EXPECT_EQ(s.on_line("MAIL FROM:<a@example.com>"), kMailOk);
  EXPECT_EQ(s.on_line("DATA"), "503 5.5.1 Error: need RCPT command\r\n") << "no -t, no RCPT";
  EXPECT_EQ(s.on_line("RSET"), kOk);
  EXPECT_FALSE(s.envelope().flags.extract);
  // Elsewhere (sendmail -bs) none of it exists.
  SmtpServerSession bs({.hostname = "mx.test"});
  EXPECT_EQ(bs.on_line("MAIL FROM:<a@example.com> XRM-T"),
            "555 5.5.4 Unsupported option: XRM-T\r\n");
  EXPECT_EQ(bs.on_line("XQUEUE"), "502 5.5.1 Error: command not implemented\r\n");
}

}  // namespace
}  // namespace rm::cli
