#include "auth/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace rm {
namespace {

struct Vector {
  std::string raw;
  std::string b64;
};

// RFC 4648 §10, plus bytes that exercise the top of the alphabet and NULs.
const Vector kVectors[] = {
    {.raw = "", .b64 = ""},
    {.raw = "f", .b64 = "Zg=="},
    {.raw = "fo", .b64 = "Zm8="},
    {.raw = "foo", .b64 = "Zm9v"},
    {.raw = "foob", .b64 = "Zm9vYg=="},
    {.raw = "fooba", .b64 = "Zm9vYmE="},
    {.raw = "foobar", .b64 = "Zm9vYmFy"},
    {.raw = std::string("\xfb\xff\xbf", 3), .b64 = "+/+/"},
    {.raw = std::string("\0tim\0tanstaaftanstaaf", 21), .b64 = "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"},
    {.raw = "Username:", .b64 = "VXNlcm5hbWU6"},
    {.raw = "Password:", .b64 = "UGFzc3dvcmQ6"},
};

TEST(Base64, EncodesRfcVectors) {
  for (const Vector& v : kVectors) {
    SCOPED_TRACE(v.b64);
    EXPECT_EQ(base64_encode(v.raw), v.b64);
  }
}

TEST(Base64, DecodesRfcVectors) {
  for (const Vector& v : kVectors) {
    SCOPED_TRACE(v.b64);
    auto d = base64_decode(v.b64);
    ASSERT_TRUE(d) << d.error().what;
    EXPECT_EQ(*d, v.raw);
  }
}

TEST(Base64, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all += static_cast<char>(i);
  }
  for (size_t len = 0; len <= all.size(); len += 37) {
    SCOPED_TRACE(len);
    auto d = base64_decode(base64_encode(all.substr(0, len)));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, all.substr(0, len));
  }
}

TEST(Base64, EncodedOutputLivesOnTheHeap) {
  // Short outputs must not sit in the small-string buffer, where a move would leave a copy.
  EXPECT_GE(base64_encode("a").capacity(), 32u);
}

struct BadCase {
  std::string name;
  std::string in;
};

const BadCase kBad[] = {
    {.name = "short", .in = "Zg"},
    {.name = "one pad short", .in = "Zg="},
    {.name = "three pads", .in = "Z==="},
    {.name = "only pads", .in = "===="},
    {.name = "pad in the middle", .in = "Zg==Zg=="},
    {.name = "non-zero bits under ==", .in = "Zh=="},
    {.name = "non-zero bits under =", .in = "Zm9="},
    {.name = "line break", .in = "Zm9v\r\n"},
    {.name = "space", .in = "Zm 9v"},
    {.name = "url alphabet", .in = "-_-_"},
    {.name = "nul", .in = std::string("Zm9\0", 4)},
    {.name = "eight bit", .in = "Zm9\xc3"},
};

TEST(Base64, DecodeIsStrict) {
  for (const BadCase& c : kBad) {
    SCOPED_TRACE(c.name);
    auto d = base64_decode(c.in);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, Errc::auth);
  }
}

}  // namespace
}  // namespace rm
