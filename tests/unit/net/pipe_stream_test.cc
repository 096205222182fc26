#include "support/pipe_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace rm::test {
namespace {

std::string read_all(Stream& s, size_t bufsize = 3) {
  std::string out;
  std::string buf(bufsize, '\0');
  for (;;) {
    auto n = s.read_some(buf, deadline_after(Millis(2000)));
    if (!n || *n == 0) {
      return out;
    }
    out.append(buf.data(), *n);
  }
}

TEST(CannedStream, ReadsFollowTheScriptThenEnd) {
  struct Case {
    const char* name;
    bool stall;
    bool expect_timeout;
  };
  const Case cases[] = {
      {.name = "eof at end", .stall = false, .expect_timeout = false},
      {.name = "stall at end", .stall = true, .expect_timeout = true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CannedStream s;
    s.then_read("220 hi\r\n").then_read("").then_read("250 ok\r\n");
    if (c.stall) {
      s.stall_at_end();
    }
    char buf[64];
    auto a = s.read_some(buf, deadline_after(Millis(10)));
    ASSERT_TRUE(a);
    EXPECT_EQ(std::string(buf, *a), "220 hi\r\n");  // one chunk per read: segmentation kept
    auto b = s.read_some(buf, deadline_after(Millis(10)));
    ASSERT_TRUE(b);
    EXPECT_EQ(std::string(buf, *b), "250 ok\r\n");
    auto end = s.read_some(buf, deadline_after(Millis(10)));
    if (c.expect_timeout) {
      ASSERT_FALSE(end);
      EXPECT_EQ(end.error().code, Errc::timeout);
    } else {
      ASSERT_TRUE(end);
      EXPECT_EQ(*end, 0u);
    }
  }
}

TEST(CannedStream, RecordsWritesAndInjectsFailures) {
  CannedStream s;
  s.then_read("ab")
      .then_fail(make_error(Errc::io, "boom"))
      .fail_writes_after(5, make_error(Errc::io, "full"));
  EXPECT_TRUE(s.write_all(std::string("EHLO"), deadline_after(Millis(10))));
  auto w = s.write_all(std::string(" x\r\n"), deadline_after(Millis(10)));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().what, "full");
  EXPECT_EQ(s.written(), "EHLO ");
  EXPECT_EQ(s.write_calls(), 2u);
  char buf[1];
  ASSERT_TRUE(s.read_some(buf, deadline_after(Millis(10))));
  ASSERT_TRUE(s.read_some(buf, deadline_after(Millis(10))));
  auto r = s.read_some(buf, deadline_after(Millis(10)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, "boom");
  s.close();
  EXPECT_TRUE(s.closed());
  EXPECT_FALSE(s.read_some(buf, deadline_after(Millis(10))));
}

TEST(PipeStream, BytesCrossBetweenThreadsAndCloseIsEof) {
  auto [a, b] = make_pipe_pair(/*capacity=*/7);  // tiny: the writer must wait for the reader
  const std::string msg = "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n";
  std::thread writer([&, &a = a] {
    EXPECT_TRUE(a->write_all(msg, deadline_after(Millis(5000))));
    a->close();
  });
  EXPECT_EQ(read_all(*b), msg);
  writer.join();
  auto w = b->write_all(std::string("x"), deadline_after(Millis(100)));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, Errc::io);
}

TEST(PipeStream, ReadAndWriteDeadlines) {
  auto [a, b] = make_pipe_pair(4);
  char buf[4];
  auto r = b->read_some(buf, deadline_after(Millis(20)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::timeout);
  auto w = a->write_all(std::string("0123456789"), deadline_after(Millis(20)));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, Errc::timeout);
}

}  // namespace
}  // namespace rm::test
