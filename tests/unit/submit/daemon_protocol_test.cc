// Tests for submit/daemon_protocol.h: the sendmail flags as MAIL parameters and back, and the
// reply ↔ sysexits mapping that makes `sendmail` exit alike with and without the daemon.
#include "submit/daemon_protocol.h"

#include <gtest/gtest.h>

#include "sys/sysexits.h"

namespace rm {
namespace {

// Every parameter of a rendered MAIL line, parsed back.
SubmitFlags parse_all(const std::string& params) {
  SubmitFlags f;
  size_t i = 0;
  while (i < params.size()) {
    size_t j = params.find(' ', i + 1);
    std::string p = params.substr(i + 1, j == std::string::npos ? std::string::npos : j - i - 1);
    auto ours = parse_mail_param(p, f);
    EXPECT_TRUE(ours && *ours) << p;
    i = j == std::string::npos ? params.size() : j;
  }
  return f;
}

TEST(DaemonProtocol, FlagsGoOverAsMailParametersAndComeBackTheSame) {
  const SubmitFlags cases[] = {
      {},
      {.extract = true},
      {.extract = true, .dot_ends = true, .no_rewrite = true},
      {.full_name = "Cron Daemon <x=y+z>"},
      {.notify = "success,failure", .ret = "HDRS", .envid = "QQ 1+1"},
  };
  for (const SubmitFlags& f : cases) {
    std::string params = mail_params(f);
    SCOPED_TRACE(params);
    EXPECT_EQ(params.find_first_of("\r\n\t"), std::string::npos);
    EXPECT_EQ(parse_all(params), f);
  }
  EXPECT_EQ(mail_params({.extract = true, .full_name = "A B"}), " XRM-T XRM-NAME=A+20B");
}

struct ParamCase {
  const char* param;
  bool ours;
  const char* error;  // "" = none
};

const ParamCase kParams[] = {
    {"xrm-t", true, ""},  // case-insensitive, as every ESMTP keyword
    {"BODY=8BITMIME", false, ""},
    {"SIZE=100", false, ""},
    {"XRM-T=1", true, "XRM-T takes no value"},
    {"XRM-NAME=", true, "XRM-NAME needs a value"},
    {"XRM-NAME=a b", true, "XRM-NAME: not xtext"},
    {"XRM-NAME=+4", true, "XRM-NAME: not xtext"},
    {"ENVID=+0D+0A", true, ""},
};

TEST(DaemonProtocol, ParsesOnlyItsOwnParametersAndRefusesMalformedOnes) {
  for (const auto& c : kParams) {
    SCOPED_TRACE(c.param);
    SubmitFlags f;
    auto r = parse_mail_param(c.param, f);
    if (*c.error != '\0') {
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().what, c.error);
    } else {
      ASSERT_TRUE(r);
      EXPECT_EQ(*r, c.ours);
    }
  }
}

struct ExitCase {
  int code;
  const char* enhanced;
  int exit;
};

const ExitCase kExits[] = {
    {553, "5.7.1", kExNoPerm},  {450, "4.7.1", kExNoPerm},      {421, "4.7.0", kExNoPerm},
    {554, "5.6.0", kExDataErr}, {550, "5.1.1", kExNoUser},      {553, "5.1.3", kExUsage},
    {553, "5.1.7", kExUsage},   {552, "5.3.4", kExUnavailable}, {451, "4.3.5", kExConfig},
    {451, "4.3.0", kExIoErr},   {421, "4.3.2", kExIoErr},       {554, "5.0.0", kExUnavailable},
    {421, "", kExUnavailable},  {452, "4.5.3", kExUnavailable},
};

TEST(DaemonProtocol, EveryRefusalMapsToTheExitCodeOfItsKind) {
  for (const auto& c : kExits) {
    SCOPED_TRACE(std::to_string(c.code) + " " + c.enhanced);
    EXPECT_EQ(exit_for_reply(c.code, c.enhanced), c.exit);
  }
}

// The daemon's reply for each way a submission fails, read back by the client, gives the code
// the submission would have had without the daemon.
TEST(DaemonProtocol, ARefusalCarriesItsExitCodeAcrossTheSocket) {
  for (int code :
       {kExDataErr, kExNoUser, kExUsage, kExNoPerm, kExUnavailable, kExConfig, kExIoErr}) {
    SCOPED_TRACE(code);
    SmtpReply r = reply_for_refusal(make_error(Errc::parse, "what went wrong"), code);
    EXPECT_GE(r.code, 400);
    EXPECT_EQ(exit_for_reply(r.code, r.enhanced), code);
  }
  EXPECT_EQ(
      exit_for_reply(451, reply_for_refusal(make_error(Errc::io, "x"), kExCantCreat).enhanced),
      kExIoErr);
  Error too_big = make_error(Errc::smtp_perm, "too big");
  too_big.reply = SmtpReply{552, "5.3.4", {"message exceeds the size limit"}};
  EXPECT_EQ(reply_for_refusal(too_big, kExUnavailable), *too_big.reply);
}

TEST(DaemonProtocol, TheDaemonsOwnPathsNeverReachTheClient) {
  SmtpReply r = reply_for_refusal(make_error(Errc::config, "/etc/aliases: line 3: bad"), kExConfig);
  EXPECT_EQ(r.lines.front().find("/etc"), std::string::npos);
  r = reply_for_refusal(make_error(Errc::io, "write /var/spool/x: ENOSPC"), kExIoErr);
  EXPECT_EQ(r.lines.front().find("/var"), std::string::npos);
}

}  // namespace
}  // namespace rm
