// Tests for queue/env_format.h: round trips, sanitising of hostile text, and a table of corrupt
// files that must all be refused; every truncation and every one-byte change is refused too.
#include "queue/env_format.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <limits>

namespace rm {
namespace {

constexpr char kId[] = "0006010A1B2C3DA1B2C3";
constexpr char kBootId[] = "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f";

QueueEntry base_entry() {
  QueueEntry e;
  e.id = kId;
  e.uid = 1000;
  e.sender = "alice@example.org";
  e.created = 1700000000;
  e.rcpts = {{.addr = "bob@example.org", .state = RcptState::pending, .last_reply = ""}};
  return e;
}

QueueEntry full_entry() {
  QueueEntry e = base_entry();
  e.next_try = 1700003600;
  e.attempts = 3;
  e.last_error = "connect: Connection refused";
  e.account = "gmail";
  e.size = 123456;
  e.eightbit = true;
  e.dsn_notify = "FAILURE,DELAY";
  e.dsn_ret = "HDRS";
  e.dsn_envid = "QQ314159";
  e.body_type = "8BITMIME";
  e.rcpts = {
      {.addr = "bob@example.org", .state = RcptState::pending, .last_reply = ""},
      {.addr = "carol@example.net", .state = RcptState::sent, .last_reply = "250 2.0.0 OK"},
      {.addr = "dave@example.com",
       .state = RcptState::deferred,
       .last_reply = "451 4.7.1 try again later"},
      {.addr = "eve@example.com",
       .state = RcptState::failed,
       .last_reply = "550 5.1.1 <eve@example.com>: no such user"},
  };
  return e;
}

struct RoundTrip {
  const char* name;
  QueueEntry in;
  QueueEntry want;  // what parse(serialise(in)) must give
};

std::vector<RoundTrip> round_trips() {
  std::vector<RoundTrip> v;
  v.push_back({.name = "minimal", .in = base_entry(), .want = base_entry()});
  v.push_back({.name = "every field", .in = full_entry(), .want = full_entry()});
  QueueEntry null_sender = base_entry();
  null_sender.sender = "";
  v.push_back({.name = "null sender", .in = null_sender, .want = null_sender});
  QueueEntry no_rcpts = base_entry();
  no_rcpts.rcpts.clear();
  v.push_back({.name = "no recipients", .in = no_rcpts, .want = no_rcpts});
  QueueEntry extremes = full_entry();
  extremes.uid = std::numeric_limits<uint32_t>::max();
  extremes.attempts = std::numeric_limits<uint32_t>::max();
  extremes.size = std::numeric_limits<uint64_t>::max();
  extremes.created = std::numeric_limits<int64_t>::max();
  extremes.next_try = 0;
  v.push_back({.name = "numeric extremes", .in = extremes, .want = extremes});
  QueueEntry utf8 = base_entry();
  utf8.rcpts[0].addr =
      "j\xc3\xb6rg@b\xc3\xbc"
      "cher.example";
  v.push_back({.name = "SMTPUTF8 address", .in = utf8, .want = utf8});
  QueueEntry spaces = base_entry();
  spaces.last_error = " leading and trailing ";
  spaces.account = "my account";
  spaces.rcpts[0].last_reply = "250  two  spaces ";
  v.push_back({.name = "spaces kept exactly", .in = spaces, .want = spaces});
  QueueEntry boot = full_entry();
  boot.boot_id = kBootId;
  boot.created_boot = -3600;  // accepted an hour before this boot began
  boot.next_try_boot = 5400;
  v.push_back({.name = "boot times", .in = boot, .want = boot});
  QueueEntry boot_extremes = boot;
  boot_extremes.created_boot = std::numeric_limits<int64_t>::min();
  boot_extremes.next_try_boot = std::numeric_limits<int64_t>::max();
  v.push_back({.name = "boot time extremes", .in = boot_extremes, .want = boot_extremes});
  boot_extremes.created_boot = std::numeric_limits<int64_t>::max();
  boot_extremes.next_try_boot = 0;
  v.push_back({.name = "boot time extremes 2", .in = boot_extremes, .want = boot_extremes});
  QueueEntry warned = boot;
  warned.warned = 1700014400;  // the delay warning was queued
  v.push_back({.name = "warned", .in = warned, .want = warned});
  return v;
}

TEST(EnvFormat, RoundTrip) {
  for (const RoundTrip& c : round_trips()) {
    SCOPED_TRACE(c.name);
    auto text = serialise_env(c.in);
    ASSERT_TRUE(text) << text.error().what;
    auto back = parse_env(*text);
    ASSERT_TRUE(back) << back.error().what << "\n" << *text;
    EXPECT_EQ(*back, c.want);
    EXPECT_EQ(*serialise_env(*back), *text);  // one canonical form
    // Never warned: no warned line, so the file is what relaymail wrote before the key existed.
    EXPECT_EQ(text->find("\nwarned:") == std::string::npos, c.in.warned == 0) << *text;
  }
}

TEST(EnvFormat, HostileTextIsSanitisedAndCannotAddFields) {
  struct Case {
    const char* name;
    std::string reply;
    std::string want;
  };
  const Case kCases[] = {
      {.name = "CRLF and a fake rcpt line",
       .reply = "250 ok\r\nrcpt: pending <evil@attacker.test>\r\nend: 0000000000000000",
       .want = "250 ok  rcpt: pending <evil@attacker.test>  end: 0000000000000000"},
      {.name = "bare LF and a fake sender",
       .reply = "451 x\nsender: <evil@attacker.test>",
       .want = "451 x sender: <evil@attacker.test>"},
      {.name = "NUL, ESC and 8-bit",
       .reply = std::string("a\0b\x1b[1m\xff", 8),
       .want = "a?b?[1m?"},
      {.name = "over-long",
       .reply = std::string(2000, 'x'),
       .want = std::string(kMaxReplyText, 'x')},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    QueueEntry e = base_entry();
    e.rcpts[0].last_reply = c.reply;
    e.last_error = c.reply;
    auto text = serialise_env(e);
    ASSERT_TRUE(text);
    auto back = parse_env(*text);
    ASSERT_TRUE(back) << back.error().what;
    ASSERT_EQ(back->rcpts.size(), 1u);
    EXPECT_EQ(back->rcpts[0].addr, "bob@example.org");
    EXPECT_EQ(back->rcpts[0].last_reply, c.want);
    EXPECT_EQ(back->last_error, c.want);
    EXPECT_EQ(back->sender, "alice@example.org");
  }
}

TEST(EnvFormat, SerialiseRefusesWhatItCannotStoreExactly) {
  struct Case {
    const char* name;
    void (*mutate)(QueueEntry&);
  };
  const Case kCases[] = {
      {.name = "bad id", .mutate = [](QueueEntry& e) { e.id = "../../etc/passwd"; }},
      {.name = "lower-case id", .mutate = [](QueueEntry& e) { e.id = "0006010a1b2c3da1b2c3"; }},
      {.name = "sender with space", .mutate = [](QueueEntry& e) { e.sender = "a b@c.test"; }},
      {.name = "sender with CRLF", .mutate = [](QueueEntry& e) { e.sender = "a@c.test\r\nrcpt:"; }},
      {.name = "rcpt with '>'", .mutate = [](QueueEntry& e) { e.rcpts[0].addr = "a>@c.test"; }},
      {.name = "empty rcpt", .mutate = [](QueueEntry& e) { e.rcpts[0].addr = ""; }},
      {.name = "rcpt too long",
       .mutate = [](QueueEntry& e) { e.rcpts[0].addr = std::string(kMaxEnvAddrLen + 1, 'a'); }},
      {.name = "account with LF", .mutate = [](QueueEntry& e) { e.account = "a\nuid: 0"; }},
      {.name = "envid with 8-bit", .mutate = [](QueueEntry& e) { e.dsn_envid = "\xc3\xa9"; }},
      {.name = "negative created", .mutate = [](QueueEntry& e) { e.created = -1; }},
      {.name = "negative next_try_boot", .mutate = [](QueueEntry& e) { e.next_try_boot = -1; }},
      {.name = "negative warned", .mutate = [](QueueEntry& e) { e.warned = -1; }},
      {.name = "boot id not a boot id", .mutate = [](QueueEntry& e) { e.boot_id = "boot 1"; }},
      {.name = "upper-case boot id",
       .mutate = [](QueueEntry& e) { e.boot_id = "3F1C2D4E-5A6B-4C7D-8E9F-0A1B2C3D4E5F"; }},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    QueueEntry e = base_entry();
    c.mutate(e);
    auto r = serialise_env(e);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::parse);
  }
}

// A valid file's body (everything before the end line) for base_entry().
std::string good_body() {
  std::string text = *serialise_env(base_entry());
  return text.substr(0, text.rfind("end: "));
}

std::string seal(const std::string& body) {
  char sum[17];
  std::snprintf(sum, sizeof sum, "%016llx", static_cast<unsigned long long>(fnv1a64(body)));
  return body + "end: " + sum + "\n";
}

// The same file with the checksum's hex digits in upper case (this body's sum has letters).
std::string upper_sum(std::string sealed) {
  for (size_t i = sealed.rfind("end: ") + 5; i < sealed.size(); ++i) {
    sealed[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(sealed[i])));
  }
  return sealed;
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  size_t pos = s.find(from);
  if (pos == std::string::npos) {
    ADD_FAILURE() << "no '" << from << "' in the body";
    return s;
  }
  return s.replace(pos, from.size(), to);
}

// A version 2 body as version 1 wrote it: the old magic line, no boot keys.
std::string version_1(std::string body) {
  body = replace(body, "relaymail-env 2", "relaymail-env 1");
  for (std::string key : {"boot-id:", "created-boot:", "next-try-boot:"}) {
    size_t line = body.find("\n" + key) + 1;
    if (line == 0) {
      ADD_FAILURE() << "no " << key << " line";
      continue;
    }
    body.erase(line, body.find('\n', line) + 1 - line);
  }
  return body;
}

struct CorruptCase {
  const char* name;
  std::string text;
  const char* why;  // must appear in the error: refused for the intended reason
};

std::vector<CorruptCase> corrupt_cases() {
  const std::string body = good_body();
  const std::string good = seal(body);
  return {
      {.name = "empty", .text = "", .why = "empty file"},
      {.name = "wrong magic",
       .text = seal(replace(body, "relaymail-env 2", "relaymail-enx 2")),
       .why = "bad magic"},
      {.name = "future version",
       .text = seal(replace(body, "relaymail-env 2", "relaymail-env 3")),
       .why = "unsupported version \"3\""},
      {.name = "version 0",
       .text = seal(replace(body, "relaymail-env 2", "relaymail-env 0")),
       .why = "unsupported version \"0\""},
      {.name = "padded version",
       .text = seal(replace(body, "relaymail-env 2", "relaymail-env 02")),
       .why = "unsupported version \"02\""},
      {.name = "no end line", .text = body, .why = "no end line"},
      {.name = "checksum mismatch",
       .text = seal(body).replace(body.size() + 5, 1, "x"),
       .why = "checksum mismatch"},
      {.name = "upper-case checksum", .text = upper_sum(seal(body)), .why = "checksum mismatch"},
      {.name = "data after end line",
       .text = good + "rcpt: pending <x@y.test>\n",
       .why = "no end line"},
      {.name = "no final newline",
       .text = good.substr(0, good.size() - 1),
       .why = "no final newline"},
      {.name = "CRLF line ends",
       .text = seal(replace(body, "uid: 1000\n", "uid: 1000\r\n")),
       .why = "line 3: control character"},
      {.name = "unknown key",
       .text = seal(body + "colour: blue\n"),
       .why = "unknown key \"colour\""},
      {.name = "duplicate key", .text = seal(body + "uid: 1000\n"), .why = "duplicate key \"uid\""},
      {.name = "duplicate warned",
       .text = seal(body + "warned: 1\nwarned: 2\n"),
       .why = "duplicate key \"warned\""},
      {.name = "negative warned",
       .text = seal(body + "warned: -1\n"),
       .why = "bad value for \"warned\""},
      {.name = "warned in version 1",
       .text = seal(version_1(body) + "warned: 1\n"),
       .why = "unknown key \"warned\""},
      {.name = "missing key",
       .text = seal(replace(body, "size: 0\n", "")),
       .why = "missing key \"size\""},
      {.name = "no space after colon",
       .text = seal(replace(body, "uid: 1000", "uid:1000")),
       .why = "no space after \"uid\""},
      {.name = "no colon", .text = seal(body + "garbage\n"), .why = "not a key: value line"},
      {.name = "empty line", .text = seal(body + "\n"), .why = "not a key: value line"},
      {.name = "negative uid",
       .text = seal(replace(body, "uid: 1000", "uid: -1")),
       .why = "bad value for \"uid\""},
      {.name = "uid overflow",
       .text = seal(replace(body, "uid: 1000", "uid: 4294967296")),
       .why = "bad value for \"uid\""},
      {.name = "leading zero",
       .text = seal(replace(body, "uid: 1000", "uid: 01000")),
       .why = "bad value for \"uid\""},
      {.name = "empty number",
       .text = seal(replace(body, "uid: 1000", "uid:")),
       .why = "bad value for \"uid\""},
      {.name = "trailing junk",
       .text = seal(replace(body, "uid: 1000", "uid: 1000x")),
       .why = "bad value for \"uid\""},
      {.name = "plus sign",
       .text = seal(replace(body, "uid: 1000", "uid: +1000")),
       .why = "bad value for \"uid\""},
      {.name = "size overflow",
       .text = seal(replace(body, "size: 0", "size: 18446744073709551616")),
       .why = "bad value for \"size\""},
      {.name = "created overflow",
       .text = seal(replace(body, "created: 1700000000", "created: 9223372036854775808")),
       .why = "bad value for \"created\""},
      {.name = "eightbit 2",
       .text = seal(replace(body, "eightbit: 0", "eightbit: 2")),
       .why = "bad value for \"eightbit\""},
      {.name = "bad id",
       .text = seal(replace(body, kId, "0006010a1b2c3da1b2c3")),
       .why = "bad value for \"id\""},
      {.name = "sender with space",
       .text = seal(replace(body, "<alice@example.org>", "<alice smith@example.org>")),
       .why = "bad value for \"sender\""},
      {.name = "sender without brackets",
       .text = seal(replace(body, "<alice@example.org>", "alice@example.org")),
       .why = "bad value for \"sender\""},
      {.name = "control char in address",
       .text = seal(replace(body, "<alice@example.org>", "<al\x01ice@example.org>")),
       .why = "control character"},
      {.name = "CR in text",
       .text = seal(replace(body, "last-error:", "last-error: a\rb")),
       .why = "control character"},
      {.name = "8-bit in text",
       .text = seal(replace(body, "last-error:", "last-error: caf\xc3\xa9")),
       .why = "bad value for \"last-error\""},
      {.name = "over-long text",
       .text = seal(replace(body, "last-error:", "last-error: " + std::string(600, 'x'))),
       .why = "bad value for \"last-error\""},
      {.name = "rcpt bad state",
       .text = seal(replace(body, "rcpt: pending", "rcpt: delivered")),
       .why = "bad rcpt line"},
      {.name = "rcpt empty address",
       .text = seal(body + "rcpt: pending <>\n"),
       .why = "bad rcpt line"},
      {.name = "rcpt no address", .text = seal(body + "rcpt: pending\n"), .why = "bad rcpt line"},
      {.name = "rcpt no brackets",
       .text = seal(body + "rcpt: pending x@y.test\n"),
       .why = "bad rcpt line"},
      {.name = "rcpt unterminated",
       .text = seal(body + "rcpt: pending <x@y.test\n"),
       .why = "bad rcpt line"},
      {.name = "rcpt junk after address",
       .text = seal(body + "rcpt: pending <x@y.test>z\n"),
       .why = "bad rcpt line"},
      {.name = "rcpt space in address",
       .text = seal(body + "rcpt: pending <x y@z.test>\n"),
       .why = "bad rcpt line"},
      {.name = "rcpt with NUL",
       .text = seal(body + std::string("rcpt: pending <x@y.test> a\0b\n", 29)),
       .why = "control character"},
      {.name = "missing boot-id",
       .text = seal(replace(body, "boot-id:\n", "")),
       .why = "missing key \"boot-id\""},
      {.name = "missing created-boot",
       .text = seal(replace(body, "created-boot: 0\n", "")),
       .why = "missing key \"created-boot\""},
      {.name = "missing next-try-boot",
       .text = seal(replace(body, "next-try-boot: 0\n", "")),
       .why = "missing key \"next-try-boot\""},
      {.name = "duplicate created-boot",
       .text = seal(body + "created-boot: 5\n"),
       .why = "duplicate key \"created-boot\""},
      {.name = "boot id too short",
       .text = seal(replace(body, "boot-id:", "boot-id: 3f1c2d4e-5a6b-4c7d-8e9f")),
       .why = "bad value for \"boot-id\""},
      {.name = "upper-case boot id",
       .text = seal(replace(body, "boot-id:", "boot-id: 3F1C2D4E-5A6B-4C7D-8E9F-0A1B2C3D4E5F")),
       .why = "bad value for \"boot-id\""},
      {.name = "created-boot minus zero",
       .text = seal(replace(body, "created-boot: 0", "created-boot: -0")),
       .why = "bad value for \"created-boot\""},
      {.name = "created-boot lone minus",
       .text = seal(replace(body, "created-boot: 0", "created-boot: -")),
       .why = "bad value for \"created-boot\""},
      {.name = "created-boot leading zero",
       .text = seal(replace(body, "created-boot: 0", "created-boot: -07")),
       .why = "bad value for \"created-boot\""},
      {.name = "created-boot plus sign",
       .text = seal(replace(body, "created-boot: 0", "created-boot: +7")),
       .why = "bad value for \"created-boot\""},
      {.name = "created-boot underflow",
       .text = seal(replace(body, "created-boot: 0", "created-boot: -9223372036854775809")),
       .why = "bad value for \"created-boot\""},
      {.name = "created-boot overflow",
       .text = seal(replace(body, "created-boot: 0", "created-boot: 9223372036854775808")),
       .why = "bad value for \"created-boot\""},
      {.name = "negative next-try-boot",
       .text = seal(replace(body, "next-try-boot: 0", "next-try-boot: -1")),
       .why = "bad value for \"next-try-boot\""},
      {.name = "boot keys in version 1",
       .text = seal(replace(body, "relaymail-env 2", "relaymail-env 1")),
       .why = "unknown key \"boot-id\""},
      {.name = "version 1 missing a key",
       .text = seal(replace(version_1(body), "size: 0\n", "")),
       .why = "missing key \"size\""},
      {.name = "only the magic line", .text = "relaymail-env 2\n", .why = "no end line"},
      {.name = "only the version 1 magic line", .text = "relaymail-env 1\n", .why = "no end line"},
      {.name = "magic without newline", .text = "relaymail-env 2", .why = "no final newline"},
  };
}

// Files written before the boot times (version 1) still load, with the boot id unknown so the
// wall times alone count; they are written back as version 2.
TEST(EnvFormat, Version1StillParses) {
  struct Case {
    const char* name;
    QueueEntry entry;
  };
  QueueEntry extremes = full_entry();
  extremes.created = std::numeric_limits<int64_t>::max();
  const Case kCases[] = {
      {.name = "minimal", .entry = base_entry()},
      {.name = "every field", .entry = full_entry()},
      {.name = "numeric extremes", .entry = extremes},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    QueueEntry with_boot = c.entry;
    with_boot.boot_id = kBootId;
    with_boot.created_boot = 77;
    with_boot.next_try_boot = 99;
    const std::string v2 = *serialise_env(with_boot);
    const std::string v1 = seal(version_1(v2.substr(0, v2.rfind("end: "))));
    auto back = parse_env(v1);
    ASSERT_TRUE(back) << back.error().what << "\n" << v1;
    EXPECT_EQ(*back, c.entry) << "boot id unknown, boot times 0";
    EXPECT_TRUE(back->boot_id.empty());
    auto again = serialise_env(*back);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->substr(0, again->find('\n')), "relaymail-env 2");
    EXPECT_NE(again->find("\nboot-id:\n"), std::string::npos);
  }
}

TEST(EnvFormat, CorruptFilesAreRefused) {
  ASSERT_TRUE(parse_env(seal(good_body())));
  for (const CorruptCase& c : corrupt_cases()) {
    SCOPED_TRACE(c.name);
    auto r = parse_env(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().code, Errc::spool_corrupt);
    EXPECT_NE(r.error().what.find(c.why), std::string::npos) << r.error().what;
    EXPECT_EQ(r.error().what.find('\n'), std::string::npos);
  }
}

TEST(EnvFormat, EveryTruncationIsRefused) {
  const std::string good = *serialise_env(full_entry());
  for (size_t n = 0; n < good.size(); ++n) {
    SCOPED_TRACE(n);
    EXPECT_FALSE(parse_env(std::string_view(good).substr(0, n)));
  }
}

TEST(EnvFormat, EveryOneByteChangeIsRefused) {
  const std::string good = *serialise_env(full_entry());
  for (size_t i = 0; i < good.size(); ++i) {
    for (int flip : {0x01, 0x20, 0x80}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      SCOPED_TRACE(testing::Message() << "byte " << i << " ^ " << int(flip));
      EXPECT_FALSE(parse_env(bad));
    }
  }
}

TEST(EnvFormat, SanitiseTextAndChecksum) {
  EXPECT_EQ(sanitise_text("a\tb\r\nc\x01"), "a b  c?");
  EXPECT_EQ(sanitise_text("abcdef", 3), "abc");
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);  // published FNV-1a 64 test vector
}

}  // namespace
}  // namespace rm
