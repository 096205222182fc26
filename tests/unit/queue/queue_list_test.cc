// Behaviour 20 and DESIGN.md §9: the mailq format monitoring plugins parse.
#include "queue/queue_list.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rm {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;

QueueEntry entry(const std::string& id, uint64_t size, std::vector<RcptEntry> rcpts) {
  QueueEntry e;
  e.id = id;
  e.size = size;
  e.sender = "alice@example.com";
  e.created = 1000;
  e.rcpts = std::move(rcpts);
  return e;
}

TEST(Mailq, EmptyQueue) {
  EXPECT_EQ(format_mailq({}, 0), "Mail queue is empty\n");
}

TEST(Mailq, EntriesAndTotals) {
  QueueEntry a = entry("0005F3A2B1C4D5E6ABCD", 1500,
                       {{"bob@example.org", RcptState::deferred, "451 later"},
                        {"done@example.org", RcptState::sent, "250 ok"}});
  a.attempts = 2;
  a.last_error = "connect 127.0.0.1:587: Connection refused";
  QueueEntry b =
      entry("0005F3A2B1C4D5E7ABCD", 700, {{"carol@example.org", RcptState::pending, ""}});
  std::string out = format_mailq({a, b}, 1000 + 300);
  EXPECT_THAT(out, HasSubstr("0005F3A2B1C4D5E6ABCD     1500"));
  EXPECT_THAT(out, HasSubstr("alice@example.com"));
  EXPECT_THAT(out, HasSubstr("(attempts: 2, age: 5m, last error: connect 127.0.0.1:587: "
                             "Connection refused)"));
  EXPECT_THAT(out, HasSubstr("bob@example.org"));
  EXPECT_THAT(out, Not(HasSubstr("done@example.org"))) << "sent recipients are not pending";
  EXPECT_THAT(out, EndsWith("-- 3 Kbytes in 2 Requests.\n"));
  EXPECT_THAT(format_mailq({b}, 1000), EndsWith("-- 1 Kbytes in 1 Request.\n"));
}

TEST(QueueJson, EscapesAndLists) {
  QueueEntry a = entry("0005F3A2B1C4D5E6ABCD", 10, {{"bob@example.org", RcptState::pending, ""}});
  a.last_error = "quote \" and \\ and \x01";
  std::string out = format_queue_json({a}, 1010);
  EXPECT_THAT(out, HasSubstr("\"id\": \"0005F3A2B1C4D5E6ABCD\""));
  EXPECT_THAT(out, HasSubstr("\"age\": 10"));
  EXPECT_THAT(out, HasSubstr("quote \\\" and \\\\ and \\u0001"));
  EXPECT_THAT(out, HasSubstr("{\"address\": \"bob@example.org\", \"state\": \"pending\""));
  EXPECT_EQ(format_queue_json({}, 0), "[]\n");
}

}  // namespace
}  // namespace rm
