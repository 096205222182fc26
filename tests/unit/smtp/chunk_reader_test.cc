// ChunkReader: BDAT chunk boundaries and the DATA line-end transform without the dots.
#include "smtp/chunk_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rm {
namespace {

struct Cut {
  std::vector<std::string> chunks;
  bool last_flag_only_at_end = true;
};

// Every chunk until the last; the source hands out at most `source_chunk` octets per read.
Cut cut(const std::string& in, size_t chunk_size, size_t source_chunk) {
  StringSource src(in, source_chunk);
  ChunkReader r(src, chunk_size);
  Cut out;
  for (int guard = 0; guard < 100000; ++guard) {
    auto c = r.next();
    EXPECT_TRUE(c.has_value());
    if (!c) {
      break;
    }
    out.chunks.emplace_back(c->bytes);
    if (c->last) {
      EXPECT_TRUE(r.done());
      return out;
    }
    if (r.done()) {
      out.last_flag_only_at_end = false;
    }
  }
  ADD_FAILURE() << "no last chunk";
  return out;
}

std::string x_line(size_t n) {  // n octets: x...x CRLF
  return std::string(n - 2, 'x') + "\r\n";
}

struct SizeCase {
  std::string name{};
  std::string in{};
  std::vector<size_t> want{};  // chunk sizes, the last one flagged LAST
};

TEST(ChunkReader, Boundaries) {
  constexpr size_t kChunk = 64;
  const SizeCase cases[] = {
      {.name = "empty", .in = "", .want = {0}},
      {.name = "1 octet, line closed", .in = "x", .want = {3}},
      {.name = "chunk - 1", .in = x_line(kChunk - 1), .want = {kChunk - 1}},
      // The end is seen only by reading past it: "BDAT 0 LAST".
      {.name = "chunk", .in = x_line(kChunk), .want = {kChunk, 0}},
      {.name = "chunk + 1", .in = std::string(kChunk + 1, 'x'), .want = {kChunk, 3}},
      // A CR on the boundary waits for the next octet to know what it is.
      {.name = "chunk + 1, CR on the boundary", .in = x_line(kChunk + 1), .want = {kChunk + 1, 0}},
      {.name = "3 chunks", .in = x_line(3 * kChunk), .want = {kChunk, kChunk, kChunk, 0}},
      {.name = "3 chunks + 5", .in = x_line(3 * kChunk + 5), .want = {kChunk, kChunk, kChunk, 5}},
  };
  for (size_t source_chunk : {size_t{1}, size_t{7}, size_t{4096}}) {
    for (const SizeCase& c : cases) {
      SCOPED_TRACE(c.name + ", source reads of " + std::to_string(source_chunk));
      Cut got = cut(c.in, kChunk, source_chunk);
      std::vector<size_t> sizes;
      std::string joined;
      for (const std::string& ch : got.chunks) {
        sizes.push_back(ch.size());
        joined += ch;
      }
      EXPECT_EQ(sizes, c.want);
      bool open = !c.in.empty() && c.in.back() != '\n';
      EXPECT_EQ(joined, c.in + (open ? "\r\n" : ""));
      EXPECT_TRUE(got.last_flag_only_at_end);
    }
  }
}

struct TransformCase {
  std::string name{};
  std::string in{};
  std::string want{};
};

TEST(ChunkReader, LineEndsAsForDataButNoDots) {
  const TransformCase cases[] = {
      {.name = "dots stay single", .in = ".\r\n..x\r\n", .want = ".\r\n..x\r\n"},
      {.name = "bare LF", .in = "a\nb\n", .want = "a\r\nb\r\n"},
      {.name = "smuggling LF.LF", .in = "a\n.\nb\r\n", .want = "a\r\n.\r\nb\r\n"},
      {.name = "stray CR", .in = "a\rb\r\n", .want = "a b\r\n"},
      {.name = "open last line closed", .in = "abc", .want = "abc\r\n"},
      {.name = "CR at the very end", .in = "a\r", .want = "a \r\n"},
      {.name = "NUL and 8-bit pass",
       .in = std::string("\0\xff\r\n", 4),
       .want = std::string("\0\xff\r\n", 4)},
  };
  for (const TransformCase& c : cases) {
    SCOPED_TRACE(c.name);
    for (size_t chunk : {size_t{1}, size_t{3}, size_t{1024}}) {
      Cut got = cut(c.in, chunk, 2);
      std::string joined;
      for (const std::string& ch : got.chunks) {
        joined += ch;
        EXPECT_LE(ch.size(), 2 * chunk + 2);
      }
      EXPECT_EQ(joined, c.want) << "chunk " << chunk;
    }
  }
}

TEST(ChunkReader, NothingAfterTheLast) {
  StringSource src("x\r\n");
  ChunkReader r(src);
  auto c = r.next();
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->last);
  auto again = r.next();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::protocol);
}

class FailingSource final : public ByteSource {
 public:
  Result<size_t> read(std::span<char>) override { return make_error(Errc::io, "read x: EIO"); }
};

TEST(ChunkReader, SourceErrorPassesThrough) {
  FailingSource src;
  ChunkReader r(src);
  auto c = r.next();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().what, "read x: EIO");
}

}  // namespace
}  // namespace rm
