// Tests for mail/aliases.h: the /etc/aliases format, recursive loop-safe expansion with the
// `*`/`default` catch-all (SENDMAIL.md behaviours 59–61), skipped |cmd, /file and :include:
// targets (§4), malformed lines reported as file:line (behaviour 21: newaliases exits 78 on
// them), the expansion bounds, and load() from files.
#include "mail/aliases.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace rm {
namespace {

using List = std::vector<std::string>;

Aliases must_parse(const std::string& text) {
  auto r = Aliases::parse(text, "t.aliases");
  EXPECT_TRUE(r) << r.error().what;
  return r ? std::move(*r) : Aliases{};
}

// Each of `want` must be a substring of the line of `lines` at the same index, and the counts
// must agree.
void expect_lines(const List& lines, const List& want) {
  ASSERT_EQ(lines.size(), want.size()) << ::testing::PrintToString(lines);
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_NE(lines[i].find(want[i]), std::string::npos) << lines[i] << "\nwanted: " << want[i];
  }
}

List split_lines(const std::string& what) {
  List out;
  for (size_t start = 0; start <= what.size();) {
    size_t nl = what.find('\n', start);
    if (nl == std::string::npos) {
      nl = what.size();
    }
    out.push_back(what.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

struct ExpandCase {
  const char* name;
  std::string text;
  const char* lookup;
  List want;
  List warnings = {};  // substrings, one per warning, in order
};

void check_expand(const std::vector<ExpandCase>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Aliases a = must_parse(c.text);
    auto got = a.expand(c.lookup);
    ASSERT_TRUE(got) << got.error().what;
    EXPECT_EQ(*got, c.want);
    expect_lines(a.warnings(), c.warnings);
  }
}

TEST(Aliases, FormatSimpleMultipleContinuationsComments) {
  check_expand({
      {.name = "simple: root goes through the aliases (59)",
       .text = "root: ops@x.org\n",
       .lookup = "root",
       .want = {"ops@x.org"}},
      {.name = "multiple targets, with and without blanks",
       .text = "root: a@x.org, b@y.org,c@z.org\n",
       .lookup = "root",
       .want = {"a@x.org", "b@y.org", "c@z.org"}},
      {.name = "continuation lines start with a space or a tab",
       .text = "root: a@x.org,\n  b@x.org,\n\tc@x.org\nnext: n@x.org\n",
       .lookup = "root",
       .want = {"a@x.org", "b@x.org", "c@x.org"}},
      {.name = "a comment and a blank line do not end an entry (Postfix)",
       .text = "root: a@x.org,\n# note\n\n   b@x.org\nnext: n@x.org\n",
       .lookup = "root",
       .want = {"a@x.org", "b@x.org"}},
      {.name = "comments, indented comments and blank lines",
       .text = "# /etc/aliases\n\n   # indented\n\t\nroot: ops@x.org\n# end",
       .lookup = "root",
       .want = {"ops@x.org"}},
      {.name = "CRLF line endings and no final newline",
       .text = "root: a@x.org,\r\n b@x.org\r\nx: y@x.org",
       .lookup = "root",
       .want = {"a@x.org", "b@x.org"}},
      {.name = "blanks before the colon and a trailing comma",
       .text = "root\t : a@x.org, ,b@x.org,\n",
       .lookup = "root",
       .want = {"a@x.org", "b@x.org"}},
      {.name = "display names and comments in targets",
       .text = "root: Ops Team <ops@x.org>, alice@x.org (Alice, admin), \"Doe, J\" <j@x.org>\n",
       .lookup = "root",
       .want = {"ops@x.org", "alice@x.org", "j@x.org"}},
      {.name = "the Debian default file",
       .text = "# See man 5 aliases for format\npostmaster:    root\n",
       .lookup = "postmaster",
       .want = {"root"}},
  });
}

TEST(Aliases, NamesAreCaseInsensitiveAndMayBeQuoted) {
  check_expand({
      {.name = "upper-case entry",
       .text = "Root: ops@x.org\n",
       .lookup = "root",
       .want = {"ops@x.org"}},
      {.name = "upper-case lookup",
       .text = "root: ops@x.org\n",
       .lookup = "ROOT",
       .want = {"ops@x.org"}},
      {.name = "quoted name",
       .text = "\"web master\": w@x.org\n",
       .lookup = "\"Web Master\"",
       .want = {"w@x.org"}},
      {.name = "quoted name, unquoted lookup",
       .text = "\"web master\" : w@x.org\n",
       .lookup = "web master",
       .want = {"w@x.org"}},
      {.name = "quoted plain name",
       .text = "\"root\": r@x.org\n",
       .lookup = "root",
       .want = {"r@x.org"}},
      {.name = "a name that is not there keeps its case (61)",
       .text = "root: ops@x.org\n",
       .lookup = "Alice",
       .want = {"Alice"}},
  });
}

// Behaviour 60: recursive, loop-safe; never hangs, never drops a name.
TEST(Aliases, RecursionLoopsAndSelfReference) {
  check_expand({
      {.name = "recursion through two levels",
       .text = "postmaster: root\nroot: admins\nadmins: a@x.org, b@x.org\n",
       .lookup = "postmaster",
       .want = {"a@x.org", "b@x.org"}},
      {.name = "bare targets without an entry come back bare, for the caller to map",
       .text = "root: alice, bob@x.org\n",
       .lookup = "root",
       .want = {"alice", "bob@x.org"}},
      {.name = "loop a: b, b: a yields the name as it stands",
       .text = "a: b\nb: a\n",
       .lookup = "a",
       .want = {"a"}},
      {.name = "the same loop entered from the other side",
       .text = "a: b\nb: a\n",
       .lookup = "b",
       .want = {"b"}},
      {.name = "three-name loop with an address on the way",
       .text = "a: b\nb: c\nc: A, c@x.org\n",
       .lookup = "a",
       .want = {"A", "c@x.org"}},
      {.name = "self-reference root: root, ops@x",
       .text = "root: root, ops@x.org\n",
       .lookup = "root",
       .want = {"root", "ops@x.org"}},
      {.name = "self-reference alone", .text = "root: Root\n", .lookup = "root", .want = {"Root"}},
      {.name = "a diamond is expanded once and leaves no bare name behind",
       .text = "root: a, b\na: c\nb: c\nc: c@x.org\n",
       .lookup = "root",
       .want = {"c@x.org"}},
      {.name = "duplicates removed case-insensitively, first spelling kept (30)",
       .text = "root: A@x.org, a@X.org, alice\nalice: a@x.org\n",
       .lookup = "root",
       .want = {"A@x.org"}},
      {.name = "qualified targets are final, even at a local-looking name",
       .text = "root: root@localhost, ops@x.org\n",
       .lookup = "root",
       .want = {"root@localhost", "ops@x.org"}},
      {.name = "a qualified argument is returned unchanged",
       .text = "root: ops@x.org\n",
       .lookup = "root@x.org",
       .want = {"root@x.org"}},
      {.name = "\\name is final: not looked up again",
       .text = "root: \\root, ops@x.org\n",
       .lookup = "root",
       .want = {"root", "ops@x.org"}},
      {.name = "\\name skips the target's own entry",
       .text = "bob: \\alice\nalice: a@x.org\n",
       .lookup = "bob",
       .want = {"alice"}},
      {.name = "an empty table: every name expands to itself (61)",
       .text = "",
       .lookup = "root",
       .want = {"root"}},
  });
}

// Behaviour 60: "*" or "default" catches unknown local names.
TEST(Aliases, CatchAll) {
  check_expand({
      {.name = "* catches an unknown name",
       .text = "*: ops@x.org\nroot: r@x.org\n",
       .lookup = "alice",
       .want = {"ops@x.org"}},
      {.name = "an entry of its own wins over *",
       .text = "*: ops@x.org\nroot: r@x.org\n",
       .lookup = "ROOT",
       .want = {"r@x.org"}},
      {.name = "default is a catch-all too (msmtp)",
       .text = "default: ops@x.org\n",
       .lookup = "fail2ban",
       .want = {"ops@x.org"}},
      {.name = "names reached through an alias are caught too",
       .text = "root: alice, bob\n*: ops@x.org\n",
       .lookup = "root",
       .want = {"ops@x.org"}},
      {.name = "a catch-all pointing at a local name does not loop",
       .text = "*: alice\n",
       .lookup = "bob",
       .want = {"alice"}},
      {.name = "a catch-all pointing at an alias",
       .text = "*: root\nroot: r@x.org\n",
       .lookup = "cron",
       .want = {"r@x.org"}},
      {.name = "a second catch-all is ignored with a warning",
       .text = "*: a@x.org\nDEFAULT: b@x.org\n",
       .lookup = "zed",
       .want = {"a@x.org"},
       .warnings = {"t.aliases:2: second catch-all \"DEFAULT\" ignored (the first is \"*\" at "
                    "line 1)"}},
  });
}

// SENDMAIL.md §4: |cmd, /file and :include: are skipped with a warning, never run or opened.
TEST(Aliases, CommandsFilesAndIncludesAreSkipped) {
  check_expand({
      {.name = "every kind, quoted and not",
       .text = "root: |/usr/bin/procmail, /var/mail/root, :include:/etc/ops.list,\n"
               "  \"|/bin/cat > /dev/null\", :INCLUDE: /x, \"/tmp/a b\", ops@x.org\n",
       .lookup = "root",
       .want = {"ops@x.org"},
       .warnings = {std::string("t.aliases:1: alias \"root\": skipped \"|/usr/bin/procmail\", ") +
                        "a command (relaymail never runs commands)",
                    "skipped \"/var/mail/root\", a file (relaymail never writes to files)",
                    "skipped \":include:/etc/ops.list\", an :include: (relaymail never reads",
                    "skipped \"\"|/bin/cat > /dev/null\"\", a command",
                    "skipped \":INCLUDE: /x\", an :include:", "skipped \"\"/tmp/a b\"\", a file"}},
      {.name = "an entry with nothing left is ignored: the name stands",
       .text = "nobody: /dev/null\n",
       .lookup = "nobody",
       .want = {"nobody"},
       .warnings = {"t.aliases:1: alias \"nobody\": skipped \"/dev/null\", a file",
                    "t.aliases:1: alias \"nobody\" is ignored: every target was skipped"}},
      {.name = "an entry with nothing left falls through to the catch-all",
       .text = "nobody: /dev/null\n*: ops@x.org\n",
       .lookup = "nobody",
       .want = {"ops@x.org"},
       .warnings = {"skipped \"/dev/null\"", "alias \"nobody\" is ignored"}},
      {.name = "a duplicate entry is ignored, the first wins",
       .text = "root: a@x.org\nROOT: b@x.org\n",
       .lookup = "root",
       .want = {"a@x.org"},
       .warnings = {"t.aliases:2: duplicate alias \"ROOT\" ignored (the first is at line 1)"}},
  });
}

TEST(Aliases, SkippedCommandIsNeverRun) {
  auto dir = test::TempDir::create();
  ASSERT_TRUE(dir);
  std::string marker = dir->file("ran");
  std::string text = "root: |/usr/bin/touch " + marker + ", \"|/bin/sh -c 'touch " + marker +
                     "'\", :include:" + dir->file("missing") + ", ops@x.org\n";
  Aliases a = must_parse(text);
  auto got = a.expand("root");
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, List{"ops@x.org"});
  EXPECT_EQ(a.warnings().size(), 3u);
  EXPECT_NE(::access(marker.c_str(), F_OK), 0);
}

struct BadCase {
  const char* name;
  std::string text;
  List want;  // a substring of each line of Error::what, in order
};

// Behaviour 21: an unparsable aliases file is an error naming file:line (newaliases exits 78).
TEST(Aliases, MalformedLinesNameFileAndLine) {
  const BadCase kCases[] = {
      {.name = "no colon",
       .text = "root ops@x.org\n",
       .want = {"t.aliases:1: expected \"name: address, ...\" but found no ':' in \"root "
                "ops@x.org\""}},
      {.name = "line numbers count comments and blank lines",
       .text = "# c\n\nroot: a@x.org\nbroken line\n",
       .want = {"t.aliases:4: expected \"name: address, ...\""}},
      {.name = "empty name", .text = ": a@x.org\n", .want = {"t.aliases:1: empty alias name"}},
      {.name = "empty quoted name",
       .text = "\"\": a@x.org\n",
       .want = {"t.aliases:1: empty alias name"}},
      {.name = "unquoted name with a blank",
       .text = "web master: a@x.org\n",
       .want = {"t.aliases:1: bad alias name \"web master\""}},
      {.name = "name with a domain",
       .text = "root@localhost: a@x.org\n",
       .want = {"bad alias name \"root@localhost\""}},
      {.name = "unbalanced quote", .text = "\"root: a@x.org\n", .want = {"unbalanced quote"}},
      {.name = "quoted name without a colon",
       .text = "\"root\" a@x.org\n",
       .want = {"expected ':' after the alias name \"root\""}},
      {.name = "no addresses",
       .text = "root:\n",
       .want = {"t.aliases:1: alias \"root\" has no addresses"}},
      {.name = "only commas", .text = "root: , ,\n", .want = {"alias \"root\" has no addresses"}},
      {.name = "bad address",
       .text = "root: a@@x.org\n",
       .want = {"alias \"root\": bad address \"a@@x.org\""}},
      {.name = "leading dash (envelope hygiene)",
       .text = "root: -oQ/tmp/x\n",
       .want = {"alias \"root\": bad address \"-oQ/tmp/x\""}},
      {.name = "a group has no address",
       .text = "root: (just a comment)\n",
       .want = {"no address in"}},
      {.name = "a bad address on a continuation line is reported at the entry",
       .text = "\nroot: a@x.org,\n  a@@x.org\n",
       .want = {"t.aliases:2: alias \"root\": bad address"}},
      {.name = "continuation line with no entry",
       .text = "  a@x.org\nroot: b@x.org\n",
       .want = {"t.aliases:1: continuation line (starting with a blank) without an alias"}},
      {.name = "NUL byte",
       .text = std::string("root: a@x.org\nx: b\0c@x.org\n", 27),
       .want = {"t.aliases:2: contains a NUL byte"}},
      {.name = "all problems, in line order",
       .text = "a b\nroot: a@@b\n  , ok@x.org\n: x\nok: fine@x.org\n\"open: y\n",
       .want = {"t.aliases:1: expected", "t.aliases:2: alias \"root\": bad address",
                "t.aliases:4: empty alias name", "t.aliases:6: unbalanced quote"}},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    auto r = Aliases::parse(c.text, "t.aliases");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::config);
    expect_lines(split_lines(r.error().what), c.want);
  }
}

std::string chain(size_t entries) {
  std::string text;
  for (size_t i = 0; i + 1 < entries; ++i) {
    text += "a" + std::to_string(i) + ": a" + std::to_string(i + 1) + "\n";
  }
  text += "a" + std::to_string(entries - 1) + ": end@x.org\n";
  return text;
}

std::string many(const std::string& name, size_t first, size_t count) {
  std::string text = name + ":";
  for (size_t i = first; i < first + count; ++i) {
    text += (i == first ? " u" : ",\n  u") + std::to_string(i) + "@x.org";
  }
  return text + "\n";
}

struct BoundCase {
  const char* name;
  std::string text;
  const char* lookup;
  size_t want_count;  // when ok
  const char* error;  // nullptr: expansion succeeds
};

TEST(Aliases, DepthAndSizeBounds) {
  const BoundCase kCases[] = {
      {.name = "a chain of kMaxDepth entries expands",
       .text = chain(Aliases::kMaxDepth),
       .lookup = "a0",
       .want_count = 1,
       .error = nullptr},
      {.name = "one more level is refused",
       .text = chain(Aliases::kMaxDepth + 1),
       .lookup = "a0",
       .want_count = 0,
       .error = "expand alias \"a0\" (t.aliases): nested deeper than 20 levels at \"a20\""},
      {.name = "kMaxResults addresses are fine",
       .text = many("big", 0, Aliases::kMaxResults),
       .lookup = "big",
       .want_count = Aliases::kMaxResults,
       .error = nullptr},
      {.name = "one more address is refused",
       .text = many("big", 0, Aliases::kMaxResults + 1),
       .lookup = "BIG",
       .want_count = 0,
       .error = "expand alias \"BIG\" (t.aliases): more than 1000 addresses"},
      {.name = "the bound counts the whole expansion",
       .text = "top: l1, l2\n" + many("l1", 0, 600) + many("l2", 600, 600),
       .lookup = "top",
       .want_count = 0,
       .error = "more than 1000 addresses"},
      {.name = "duplicates do not count",
       .text = "top: l1, l2\n" + many("l1", 0, 600) + many("l2", 0, 600),
       .lookup = "top",
       .want_count = 600,
       .error = nullptr},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    Aliases a = must_parse(c.text);
    auto got = a.expand(c.lookup);
    EXPECT_EQ(got.has_value(), c.error == nullptr);
    if (got) {
      EXPECT_EQ(got->size(), c.want_count);
    } else {
      EXPECT_EQ(got.error().code, Errc::config);
      EXPECT_NE(got.error().what.find(c.error), std::string::npos) << got.error().what;
    }
  }
}

struct ResolvesCase {
  const char* text;
  const char* lookup;
  bool want;
};

// For unknown_local = "reject" (behaviour 61): does an entry apply to the name itself?
TEST(Aliases, Resolves) {
  const ResolvesCase kCases[] = {
      {.text = "root: ops@x.org\n", .lookup = "root", .want = true},
      {.text = "root: ops@x.org\n", .lookup = "Root", .want = true},
      {.text = "root: ops@x.org\n", .lookup = "alice", .want = false},
      {.text = "root: ops@x.org\n*: c@x.org\n", .lookup = "alice", .want = true},
      {.text = "default: c@x.org\n", .lookup = "alice", .want = true},
      {.text = "root: ops@x.org\n", .lookup = "root@x.org", .want = false},
      {.text = "nobody: /dev/null\n", .lookup = "nobody", .want = false},
      {.text = "", .lookup = "root", .want = false},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(std::string(c.text) + " / " + c.lookup);
    EXPECT_EQ(must_parse(c.text).resolves(c.lookup), c.want);
  }
}

TEST(Aliases, SizeAndCatchAll) {
  Aliases a = must_parse("root: a@x.org\npostmaster: root\nnobody: /dev/null\n*: c@x.org\n");
  EXPECT_EQ(a.size(), 3u);
  EXPECT_TRUE(a.has_catch_all());
  EXPECT_EQ(a.name(), "t.aliases");
  Aliases empty;
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_FALSE(empty.has_catch_all());
  EXPECT_EQ(empty.expand("root").value(), List{"root"});
}

TEST(Aliases, LoadFromFiles) {
  auto dir = test::TempDir::create();
  ASSERT_TRUE(dir);
  std::string good = dir->file("aliases");
  std::ofstream(good) << "postmaster: root\nroot: ops@x.org\nbin: /dev/null\n";
  auto a = Aliases::load(good);
  ASSERT_TRUE(a) << a.error().what;
  EXPECT_EQ(a->name(), good);
  EXPECT_EQ(a->expand("postmaster").value(), List{"ops@x.org"});
  expect_lines(a->warnings(),
               {good + ":3: alias \"bin\": skipped", good + ":3: alias \"bin\" is ignored"});

  // /etc/aliases is often a symlink to /etc/mail/aliases.
  std::string link = dir->file("link");
  ASSERT_EQ(::symlink(good.c_str(), link.c_str()), 0);
  auto l = Aliases::load(link);
  ASSERT_TRUE(l) << l.error().what;
  EXPECT_EQ(l->size(), 2u);

  // A missing file is Errc::io with ENOENT, so the caller can tell it from a broken one.
  auto m = Aliases::load(dir->file("missing"));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::io);
  EXPECT_EQ(m.error().sys_errno, ENOENT);
  EXPECT_EQ(m.error().what, "read " + dir->file("missing") + ": No such file or directory");

  auto d = Aliases::load(dir->path());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::io);
  EXPECT_EQ(d.error().sys_errno, EINVAL);

  std::string bad = dir->file("bad");
  std::ofstream(bad) << "root: ops@x.org\nbroken\n";
  auto b = Aliases::load(bad);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, Errc::config);
  EXPECT_EQ(b.error().what.rfind(bad + ":2: expected", 0), 0u) << b.error().what;

  std::string big = dir->file("big");
  std::ofstream(big) << std::string(Aliases::kMaxFileBytes + 1, '#');
  auto g = Aliases::load(big);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code, Errc::io);
  EXPECT_EQ(g.error().sys_errno, EFBIG);
}

}  // namespace
}  // namespace rm
