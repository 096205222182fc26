// Tests for sys/user_db.h: passwd lines, nsswitch order, and the lookup over files and a stand-in
// getent (a shell script in a temp dir).
#include "sys/user_db.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "support/temp_dir.h"
#include "sys/fs.h"

namespace rm {
namespace {

using test::TempDir;

TempDir make_dir() {
  return TempDir::create_or_die("rm-sys-userdb");
}

void put(const std::string& path, const std::string& content, mode_t mode = 0600) {
  ASSERT_TRUE(write_file_atomic(dir_name(path), path.substr(path.rfind('/') + 1), content));
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

TEST(UserDb, ParsePasswdLine) {
  struct Case {
    const char* line;
    bool ok;
    uint32_t uid;
    UserEntry user;
  };
  const Case cases[] = {
      {"root:x:0:0:root:/root:/bin/bash", true, 0, {"root", "root", "/root"}},
      {"ann:x:1000:1000:Ann Smith,,,:/home/ann:/bin/sh\n",
       true,
       1000,
       {"ann", "Ann Smith,,,", "/home/ann"}},
      {"w:x:33:33::/var/www:/usr/sbin/nologin\r\n", true, 33, {"w", "", "/var/www"}},
      {"big:x:4294967294:1:::", true, 4294967294U, {"big", "", ""}},
      {"", false, 0, {}},
      {"short:x:1:1:gecos:/home", false, 0, {}},        // 6 fields
      {"long:x:1:1:g:/h:/bin/sh:extra", false, 0, {}},  // 8 fields
      {":x:1:1:g:/h:/bin/sh", false, 0, {}},            // no name
      {"n:x::1:g:/h:/bin/sh", false, 0, {}},            // no uid
      {"n:x:1a:1:g:/h:/bin/sh", false, 0, {}},          // not a number
      {"n:x:-1:1:g:/h:/bin/sh", false, 0, {}},          // negative
      {"n:x:4294967296:1:g:/h:/bin/sh", false, 0, {}},  // over 32 bits
      {"+nisuser:x:5:5:g:/h:/bin/sh", false, 0, {}},    // compat entry
      {"-baduser:x:6:6:g:/h:/bin/sh", false, 0, {}},    // compat entry
      {"+", false, 0, {}},
  };
  for (const Case& c : cases) {
    auto p = parse_passwd_line(c.line);
    ASSERT_EQ(p.has_value(), c.ok) << c.line;
    if (c.ok) {
      EXPECT_EQ(p->uid, c.uid) << c.line;
      EXPECT_EQ(p->user, c.user) << c.line;
    }
  }
}

TEST(UserDb, FindUidTakesTheFirstMatchAndSkipsJunk) {
  const std::string text =
      "# a comment\n"
      "broken line\n"
      "+::::::\n"
      "a:x:10:10:First:/a:/bin/sh\n"
      "b:x:10:10:Second:/b:/bin/sh\n"
      "c:x:11:11:Last:/c:/bin/sh";  // no final newline
  EXPECT_EQ(find_uid(text, 10), (UserEntry{"a", "First", "/a"}));
  EXPECT_EQ(find_uid(text, 11), (UserEntry{"c", "Last", "/c"}));
  EXPECT_FALSE(find_uid(text, 12).has_value());
  EXPECT_FALSE(find_uid("", 0).has_value());
}

TEST(UserDb, NsswitchOrder) {
  struct Case {
    const char* text;
    bool files_first;
  };
  const Case cases[] = {
      {"passwd:         files systemd\ngroup: files\n", true},
      {"passwd: files\n", true},
      {"passwd:\tfiles [NOTFOUND=return] ldap\n", true},
      {"passwd: files[SUCCESS=return] sss\n", true},
      {"passwd: sss files\n", false},
      {"passwd: compat\n", false},
      {"passwd: systemd files\n", false},
      {"  passwd : files\n", true},
      {"# passwd: sss\npasswd: files # then nothing\n", true},
      {"passwd: # nothing at all\n", false},
      {"group: sss\nshadow: sss\n", true},  // no passwd line: glibc's default
      {"", true},                           // no nsswitch.conf at all
      {"passwdx: sss\npasswd: files\n", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(passwd_files_first(c.text), c.files_first) << c.text;
  }
}

struct Lookup {
  TempDir dir = make_dir();
  UserDbPaths paths{dir.file("nsswitch.conf"), dir.file("passwd"), dir.file("getent")};

  // A getent that prints `line` for `passwd <uid>` and records its arguments.
  void fake_getent(uint32_t uid, const std::string& line) {
    put(paths.getent,
        "#!/bin/sh\necho \"$@\" >> " + dir.file("calls") + "\n[ \"$1 $2\" = \"passwd " +
            std::to_string(uid) + "\" ] && printf '%s\\n' '" + line + "'\nexit 0\n",
        0700);
  }
  std::string calls() const {
    auto c = read_file(dir.file("calls"), 4096);
    return c ? *c : "";
  }
};

TEST(UserDb, LookupReadsThePasswdFileWhenFilesComeFirst) {
  Lookup t;
  put(t.paths.nsswitch, "passwd: files systemd\n");
  put(t.paths.passwd, "root:x:0:0:root:/root:/bin/sh\nann:x:1000:1000:Ann,,,:/home/ann:/bin/sh\n");
  t.fake_getent(1000, "ann:x:1000:1000:From getent:/elsewhere:/bin/sh");
  EXPECT_EQ(lookup_uid(1000, t.paths), (UserEntry{"ann", "Ann,,,", "/home/ann"}));
  EXPECT_EQ(t.calls(), "") << "no process for a user in /etc/passwd";
}

TEST(UserDb, LookupAsksGetentForAUidNotInTheFile) {
  Lookup t;
  put(t.paths.nsswitch, "passwd: files sss\n");
  put(t.paths.passwd, "root:x:0:0:root:/root:/bin/sh\n");
  t.fake_getent(70001, "ldapuser:*:70001:100:Directory User:/home/ldapuser:/bin/bash");
  EXPECT_EQ(lookup_uid(70001, t.paths),
            (UserEntry{"ldapuser", "Directory User", "/home/ldapuser"}));
  EXPECT_EQ(t.calls(), "passwd 70001\n");
}

TEST(UserDb, LookupAsksGetentFirstWhenAnotherSourceLeads) {
  Lookup t;
  put(t.paths.nsswitch, "passwd: sss files\n");
  put(t.paths.passwd, "ann:x:1000:1000:Local Ann:/home/ann:/bin/sh\n");
  t.fake_getent(1000, "ann:x:1000:1000:Directory Ann:/net/ann:/bin/sh");
  EXPECT_EQ(lookup_uid(1000, t.paths), (UserEntry{"ann", "Directory Ann", "/net/ann"}));
}

TEST(UserDb, UnknownUidAndBrokenSourcesGiveNothing) {
  Lookup t;
  put(t.paths.nsswitch, "passwd: files\n");
  put(t.paths.passwd, "root:x:0:0:root:/root:/bin/sh\n");
  t.fake_getent(1, "nobody-else:x:1:1:::");
  EXPECT_FALSE(lookup_uid(4242, t.paths).has_value()) << "getent knows other uids only";
  // getent answering with a line for another uid is not believed.
  t.fake_getent(4242, "liar:x:1:1:::");
  EXPECT_FALSE(lookup_uid(4242, t.paths).has_value());
  // No passwd file and no getent at all.
  UserDbPaths none{t.dir.file("no-nsswitch"), t.dir.file("no-passwd"), t.dir.file("no-getent")};
  EXPECT_FALSE(lookup_uid(0, none).has_value());
}

TEST(UserDb, LookupOfThisProcessAgreesWithTheSystem) {
  // The real files and the real getent: whatever this machine says about our uid.
  auto u = lookup_uid(static_cast<uint32_t>(::getuid()));
  ASSERT_TRUE(u.has_value());
  EXPECT_FALSE(u->name.empty());
}

}  // namespace
}  // namespace rm
