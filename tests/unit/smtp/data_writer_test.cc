#include "smtp/data_writer.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "script_stream.h"

namespace rm {
namespace {

using test::Script;
using test::ScriptedStream;

struct StuffCase {
  std::string name{};
  std::string in{};
  std::string want{};
};

const StuffCase kCases[] = {
    {.name = "empty body", .in = "", .want = ".\r\n"},
    {.name = "one line", .in = "a\r\n", .want = "a\r\n.\r\n"},
    {.name = "lone dot without CRLF", .in = ".", .want = "..\r\n.\r\n"},
    {.name = "dot line at start", .in = ".\r\n", .want = "..\r\n.\r\n"},
    {.name = "two dots", .in = "..x\r\n", .want = "...x\r\n.\r\n"},
    {.name = "dot line in the middle", .in = "a\r\n.\r\nb\r\n", .want = "a\r\n..\r\nb\r\n.\r\n"},
    {.name = "dot not at line start", .in = "a.b\r\n", .want = "a.b\r\n.\r\n"},
    {.name = "no final CRLF", .in = "abc", .want = "abc\r\n.\r\n"},
    {.name = "empty last line kept", .in = "a\r\n\r\n", .want = "a\r\n\r\n.\r\n"},
    {.name = "bare LF", .in = "a\nb\n", .want = "a\r\nb\r\n.\r\n"},
    {.name = "smuggling LF.LF", .in = "a\n.\nb", .want = "a\r\n..\r\nb\r\n.\r\n"},
    {.name = "smuggling LF.CRLF", .in = "a\n.\r\nb", .want = "a\r\n..\r\nb\r\n.\r\n"},
    {.name = "smuggling CRLF.CR", .in = "\r\n.\r", .want = "\r\n.. \r\n.\r\n"},
    {.name = "bare CR mid line", .in = "a\rb\r\n", .want = "a b\r\n.\r\n"},
    {.name = "CR CR LF is not CRCRLF", .in = "a\r\r\n", .want = "a \r\n.\r\n"},
    {.name = "lone CR", .in = "\r", .want = " \r\n.\r\n"},
    {.name = "dot CR at end", .in = ".\r", .want = ".. \r\n.\r\n"},
    {.name = "CR before dot line", .in = "\r.x", .want = " .x\r\n.\r\n"},
    {.name = "NUL and 8-bit pass",
     .in = std::string("a\0\xc3\xa4\r\n", 6),
     .want = std::string("a\0\xc3\xa4\r\n.\r\n", 9)},
};

std::string write_through(std::string_view in, size_t source_chunk, size_t buffer) {
  auto script = std::make_shared<Script>();
  ScriptedStream out(script);
  StringSource src{std::string(in), source_chunk};
  DataWriter w(out, Millis(1000), buffer);
  auto n = w.write(src);
  if (!n) {
    return "<error: " + n.error().what + ">";
  }
  EXPECT_EQ(*n, script->written.size());
  return script->written;
}

TEST(DataWriter, Table) {
  for (const StuffCase& c : kCases) {
    for (size_t chunk : {size_t{4096}, size_t{1}, size_t{2}}) {
      SCOPED_TRACE(c.name + " / source chunk " + std::to_string(chunk));
      EXPECT_EQ(write_through(c.in, chunk, DataWriter::kDefaultBuffer), c.want);
      EXPECT_EQ(write_through(c.in, chunk, 16), c.want);  // tiny buffer: many flushes
    }
  }
}

// Buffers kept from one message to the next (as SmtpClient keeps them per connection) change
// nothing on the wire, after a large message as after a small one.
TEST(DataWriter, ReusedBuffersWriteTheSame) {
  const std::string big = std::string(100000, 'a') + "\r\n.b\r\n";
  DataWriter::Buffers buffers;
  for (const StuffCase& c : kCases) {
    for (const std::string& in : {big, std::string(c.in)}) {
      SCOPED_TRACE(c.name);
      auto script = std::make_shared<Script>();
      ScriptedStream out(script);
      StringSource src{in, 7};
      DataWriter w(out, Millis(1000), buffers, 64);
      ASSERT_TRUE(w.write(src));
      EXPECT_EQ(script->written, write_through(in, 7, 64));
    }
  }
}

TEST(DataWriter, StuffedOutputHasOnlyCrlfLineEnds) {
  std::string in;
  for (int i = 0; i < 256; ++i) {
    in += static_cast<char>(i);
    in += (i % 3 == 0) ? "\r" : (i % 3 == 1) ? "\n." : ".\r\n";
  }
  std::string out = write_through(in, 5, 64);
  ASSERT_EQ(out.substr(out.size() - 5), "\r\n.\r\n");
  std::string body = out.substr(0, out.size() - 3);  // without the terminating ".\r\n"
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\r') {
      ASSERT_TRUE(i + 1 < body.size() && body[i + 1] == '\n') << "bare CR at " << i;
    }
    if (body[i] == '\n') {
      ASSERT_TRUE(i > 0 && body[i - 1] == '\r') << "bare LF at " << i;
    }
    bool line_start = i == 0 || body[i - 1] == '\n';
    if (line_start && body[i] == '.') {
      ASSERT_EQ(body.substr(i, 2), "..") << "unstuffed dot at " << i;
    }
  }
  EXPECT_EQ(out.substr(out.size() - 5), "\r\n.\r\n");
}

TEST(DataWriter, LargeBodyStreamsInLargeWrites) {
  // 4 MiB of lines, every other starting with a dot, read 1000 octets at a time.
  std::string in, want;
  for (int i = 0; want.size() < 4 * 1024 * 1024; ++i) {
    std::string line =
        (i % 2 ? "." : "x") + std::string(70, static_cast<char>('a' + i % 26)) + "\r\n";
    in += line;
    want += (i % 2 ? "." : "") + line;
  }
  want += ".\r\n";
  auto script = std::make_shared<Script>();
  ScriptedStream out(script);
  StringSource src{in, 1000};
  DataWriter w(out, Millis(1000));
  auto n = w.write(src);
  ASSERT_TRUE(n) << n.error().what;
  EXPECT_EQ(script->written, want);
  ASSERT_GE(script->write_sizes.size(), 2u);
  for (size_t i = 0; i + 1 < script->write_sizes.size(); ++i) {
    EXPECT_GE(script->write_sizes[i], DataWriter::kDefaultBuffer);      // never line by line
    EXPECT_LE(script->write_sizes[i], 2 * DataWriter::kDefaultBuffer);  // never the whole body
  }
  EXPECT_LE(script->write_sizes.size(), want.size() / DataWriter::kDefaultBuffer + 1);
}

class FailingSource final : public ByteSource {
 public:
  Result<size_t> read(std::span<char> buf) override {
    if (calls_++ == 0) {
      buf[0] = 'a';
      return size_t{1};
    }
    return make_error(Errc::io, "read spool file: Input/output error");
  }

 private:
  int calls_ = 0;
};

TEST(DataWriter, PropagatesErrors) {
  auto script = std::make_shared<Script>();
  ScriptedStream out(script);
  FailingSource bad;
  auto n = DataWriter(out, Millis(1000)).write(bad);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().what, "read spool file: Input/output error");
  EXPECT_EQ(script->written, "");  // no terminating dot after a half message

  script->fail_writes_after = 10;
  StringSource src{std::string(100000, 'x')};
  auto w = DataWriter(out, Millis(1000)).write(src);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, Errc::io);
}

TEST(DataWriter, EachWriteGetsTheBlockDeadline) {
  auto script = std::make_shared<Script>();
  ScriptedStream out(script);
  StringSource src{std::string(300000, 'x')};
  MonoTime before = std::chrono::steady_clock::now();
  ASSERT_TRUE(DataWriter(out, std::chrono::minutes(3)).write(src));
  MonoTime after = std::chrono::steady_clock::now();
  ASSERT_FALSE(script->write_deadlines.empty());
  for (Deadline d : script->write_deadlines) {
    EXPECT_GE(d, before + std::chrono::minutes(3));
    EXPECT_LE(d, after + std::chrono::minutes(3));
  }
}

}  // namespace
}  // namespace rm
