#include "core/result.h"

#include <gtest/gtest.h>

#include <memory>

#include "core/ids.h"
#include "core/secret_string.h"

namespace rm {
namespace {

Result<int> half(int v) {
  if (v % 2 != 0) {
    return make_error(Errc::parse, "half %d: odd", v);
  }
  return v / 2;
}

TEST(Result, ValueAndError) {
  auto ok = half(4);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 2);
  auto bad = half(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::parse);
  EXPECT_EQ(bad.error().what, "half 3: odd");
  EXPECT_EQ(bad.value_or(7), 7);
}

TEST(Result, MoveOnlyValuesAndVoid) {
  Result<std::unique_ptr<int>> p = std::make_unique<int>(5);
  ASSERT_TRUE(p);
  std::unique_ptr<int> taken = std::move(p).value();
  EXPECT_EQ(*taken, 5);
  Status s;
  EXPECT_TRUE(s);
  Status f = make_error(Errc::io, "x");
  EXPECT_FALSE(f);
  EXPECT_EQ(f.error().what, "x");
}

TEST(Error, SysErrorAppendsStrerror) {
  Error e = sys_error(Errc::io, ENOENT, "open %s", "/nope");
  EXPECT_EQ(e.what, "open /nope: No such file or directory");
  EXPECT_EQ(e.sys_errno, ENOENT);
}

TEST(SmtpReply, SummarySanitisesAndTruncates) {
  SmtpReply r{550, "5.1.1", {"no such\r\nuser\x01"}};
  EXPECT_EQ(r.summary(), "550 no such??user?");
  SmtpReply big{451, "", {std::string(1000, 'a')}};
  EXPECT_EQ(big.summary().size(), 200u);
}

TEST(QueueId, SortsByTimeAndValidates) {
  std::string a = make_queue_id(1700000000000000, 0xabcdef);
  std::string b = make_queue_id(1700000000000001, 0x000000);
  EXPECT_EQ(a.size(), kQueueIdLen);
  EXPECT_LT(a, b);
  EXPECT_TRUE(is_valid_queue_id(a));
  const char* kBad[] = {"", "../../etc/passwd", "0005F3A2B1C4D5E6ABC", "0005f3a2b1c4d5e6abcd",
                        "0005F3A2B1C4D5E6ABC/"};
  for (const char* s : kBad) {
    SCOPED_TRACE(s);
    EXPECT_FALSE(is_valid_queue_id(s));
  }
}

TEST(SecretString, WipesOnMove) {
  SecretString a("hunter2");
  SecretString b(std::move(a));
  EXPECT_EQ(b.view(), "hunter2");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is defined
}

}  // namespace
}  // namespace rm
