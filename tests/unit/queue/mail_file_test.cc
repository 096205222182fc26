// Tests for queue/mail_file.h: the head of a one-file entry, written and read back, and every
// malformed first line refused as corrupt.
#include "queue/mail_file.h"

#include <gtest/gtest.h>

#include <string>

#include "queue/env_format.h"

namespace rm {
namespace {

TEST(MailFile, HeadReadsBackAsWritten) {
  const std::string env = "relaymail-env 2\nid: x\n";
  const std::string head = mail_head(env, kMailBodyOffset);
  EXPECT_EQ(head, "relaymail-mail 1 22 4096\n" + env);
  auto parsed = parse_mail_line(head, kMailBodyOffset + 5);
  ASSERT_TRUE(parsed) << parsed.error().what;
  EXPECT_EQ(parsed->line_len, 25u);
  EXPECT_EQ(parsed->env_len, env.size());
  EXPECT_EQ(parsed->body_offset, kMailBodyOffset);
}

TEST(MailFile, BodyOffsetLeavesRoomForTheHead) {
  struct Case {
    size_t env_len;
    uint64_t offset;
  };
  const Case kCases[] = {
      {.env_len = 1, .offset = 4096},
      {.env_len = 4096 - kMaxMailLine, .offset = 4096},
      {.env_len = 4096 - kMaxMailLine + 1, .offset = 8192},
      {.env_len = 100000, .offset = 102400},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.env_len);
    EXPECT_EQ(mail_body_offset(c.env_len), c.offset);
    EXPECT_EQ(mail_body_offset(c.env_len) % kMailBodyOffset, 0u);
  }
}

TEST(MailFile, MalformedFirstLinesAreCorrupt) {
  struct Case {
    const char* name;
    std::string bytes;
    uint64_t file_size;
  };
  const std::string env(30, 'e');
  const Case kCases[] = {
      {"empty", "", 0},
      {"no line end within the limit", "relaymail-mail 1 30 4096" + std::string(64, ' '), 8192},
      {"another magic", "relaymail-env 1 30 4096\n" + env, 8192},
      {"another version", "relaymail-mail 2 30 4096\n" + env, 8192},
      {"version with a leading zero", "relaymail-mail 01 30 4096\n" + env, 8192},
      {"length with a leading zero", "relaymail-mail 1 030 4096\n" + env, 8192},
      {"negative length", "relaymail-mail 1 -30 4096\n" + env, 8192},
      {"no offset", "relaymail-mail 1 30\n" + env, 8192},
      {"two spaces", "relaymail-mail 1  30 4096\n" + env, 8192},
      {"trailing bytes", "relaymail-mail 1 30 4096 x\n" + env, 8192},
      {"CRLF", "relaymail-mail 1 30 4096\r\n" + env, 8192},
      {"empty envelope", "relaymail-mail 1 0 4096\n", 8192},
      {"envelope past the body", "relaymail-mail 1 5000 4096\n" + env, 8192},
      {"body past the end of the file", "relaymail-mail 1 30 4096\n" + env, 4095},
      {"envelope over the limit", "relaymail-mail 1 99999999999 99999999999\n", 99999999999},
      {"number out of range", "relaymail-mail 1 30 99999999999999999999999\n" + env, 8192},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    auto r = parse_mail_line(c.bytes, c.file_size);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::spool_corrupt);
  }
}

}  // namespace
}  // namespace rm
