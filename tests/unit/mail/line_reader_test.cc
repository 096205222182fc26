// Tests for mail/line_reader.h: line ends, CR handling, NUL removal and bounded pieces, at
// every read-chunk size.
#include "mail/line_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rm {
namespace {

using namespace std::string_literals;

struct Piece {
  std::string text;
  LineReader::End end;
  bool operator==(const Piece&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Piece& p) {
  static const char* kEnds[] = {"lf", "eof", "more"};
  return os << "{\"" << p.text << "\", " << kEnds[static_cast<int>(p.end)] << "}";
}

using End = LineReader::End;

struct ReaderCase {
  const char* name;
  std::string in;
  size_t max = 1000;
  std::vector<Piece> want;
  uint64_t nul = 0;
};

TEST(LineReader, Table) {
  const ReaderCase kCases[] = {
      {.name = "empty", .in = "", .want = {}},
      {.name = "lf", .in = "a\nb\n", .want = {{"a", End::lf}, {"b", End::lf}}},
      {.name = "crlf", .in = "a\r\nb\r\n", .want = {{"a", End::lf}, {"b", End::lf}}},
      {.name = "php mixed",
       .in = "a\n\r\nb",
       .want = {{"a", End::lf}, {"", End::lf}, {"b", End::eof}}},
      {.name = "bare cr kept", .in = "a\rb\r\r\n", .want = {{"a\rb\r", End::lf}}},
      {.name = "cr at eof", .in = ".\r", .want = {{".\r", End::eof}}},
      {.name = "nul removed",
       .in = "a\0b\n\0\n"s,
       .want = {{"ab", End::lf}, {"", End::lf}},
       .nul = 2},
      {.name = "nul between cr lf", .in = "a\r\0\n"s, .want = {{"a", End::lf}}, .nul = 1},
      {.name = "only nul", .in = "\0\0"s, .want = {}, .nul = 2},
      {.name = "pieces",
       .in = "abcdefg\nhi\n",
       .max = 3,
       .want = {{"abc", End::more}, {"def", End::more}, {"g", End::lf}, {"hi", End::lf}}},
      {.name = "exact max",
       .in = "abc\nabc",
       .max = 3,
       .want = {{"abc", End::lf}, {"abc", End::eof}}},
      {.name = "cr at piece end before lf", .in = "ab\r\n", .max = 3, .want = {{"ab", End::lf}}},
      {.name = "cr at piece end, bare",
       .in = "ab\rc\n",
       .max = 3,
       .want = {{"ab\r", End::more}, {"c", End::lf}}},
  };
  for (const auto& c : kCases) {
    for (size_t chunk : {size_t{1}, size_t{2}, size_t{5}, size_t{4096}}) {
      SCOPED_TRACE(std::string(c.name) + " chunk=" + std::to_string(chunk));
      StringSource src(c.in, chunk);
      LineReader r(src, 4);
      std::vector<Piece> got;
      std::string piece;
      End end{};
      while (true) {
        auto more = r.next(piece, end, c.max);
        ASSERT_TRUE(more);
        if (!*more) {
          break;
        }
        got.push_back({piece, end});
      }
      EXPECT_EQ(got, c.want);
      EXPECT_EQ(r.nul_removed(), c.nul);
    }
  }
}

TEST(LineReader, DrainReadsToTheEnd) {
  StringSource src(std::string(100000, 'x'), 1000);
  LineReader r(src);
  std::string piece;
  LineReader::End end{};
  ASSERT_TRUE(r.next(piece, end, 10));
  ASSERT_TRUE(r.drain());
  auto more = r.next(piece, end, 10);
  ASSERT_TRUE(more);
  EXPECT_FALSE(*more);
}

}  // namespace
}  // namespace rm
