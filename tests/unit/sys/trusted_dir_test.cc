// Tests for sys/trusted_dir.h: the trust rules as a table (owner, mode, sticky, symlink, type),
// then the path walk and creation against real directories. Cases that give a directory to
// another uid need root (chown) and are skipped without it.
#include "sys/trusted_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include "sys/fs.h"

namespace rm {
namespace {

using test::TempDir;

constexpr uid_t kMe = 1000;
constexpr uid_t kOther = 1001;

struct RuleCase {
  const char* name;
  mode_t mode;
  uid_t owner;
  DirRole role;
  Distrust want;
};

const RuleCase kRules[] = {
    {.name = "own 0700 mine",
     .mode = S_IFDIR | 0700,
     .owner = kMe,
     .role = DirRole::own,
     .want = Distrust::none},
    {.name = "own 0755 mine",
     .mode = S_IFDIR | 0755,
     .owner = kMe,
     .role = DirRole::own,
     .want = Distrust::none},
    {.name = "own 0500 mine",
     .mode = S_IFDIR | 0500,
     .owner = kMe,
     .role = DirRole::own,
     .want = Distrust::none},
    {.name = "own root's",
     .mode = S_IFDIR | 0700,
     .owner = 0,
     .role = DirRole::own,
     .want = Distrust::owner},
    {.name = "own another's",
     .mode = S_IFDIR | 0700,
     .owner = kOther,
     .role = DirRole::own,
     .want = Distrust::owner},
    {.name = "own another's 0777",
     .mode = S_IFDIR | 0777,
     .owner = kOther,
     .role = DirRole::own,
     .want = Distrust::owner},
    {.name = "own group-writable",
     .mode = S_IFDIR | 0770,
     .owner = kMe,
     .role = DirRole::own,
     .want = Distrust::writable},
    {.name = "own world-writable",
     .mode = S_IFDIR | 0707,
     .owner = kMe,
     .role = DirRole::own,
     .want = Distrust::writable},
    {.name = "own sticky world-writable",
     .mode = S_IFDIR | 01777,
     .owner = kMe,
     .role = DirRole::own,
     .want = Distrust::writable},
    {.name = "own symlink",
     .mode = S_IFLNK | 0777,
     .owner = kMe,
     .role = DirRole::own,
     .want = Distrust::symlink},
    {.name = "own regular file",
     .mode = S_IFREG | 0600,
     .owner = kMe,
     .role = DirRole::own,
     .want = Distrust::not_dir},
    {.name = "ancestor root 0755",
     .mode = S_IFDIR | 0755,
     .owner = 0,
     .role = DirRole::ancestor,
     .want = Distrust::none},
    {.name = "ancestor mine 0700",
     .mode = S_IFDIR | 0700,
     .owner = kMe,
     .role = DirRole::ancestor,
     .want = Distrust::none},
    {.name = "ancestor /tmp",
     .mode = S_IFDIR | 01777,
     .owner = 0,
     .role = DirRole::ancestor,
     .want = Distrust::none},
    {.name = "ancestor root 0777 not sticky",
     .mode = S_IFDIR | 0777,
     .owner = 0,
     .role = DirRole::ancestor,
     .want = Distrust::writable},
    {.name = "ancestor root 0775 not sticky",
     .mode = S_IFDIR | 0775,
     .owner = 0,
     .role = DirRole::ancestor,
     .want = Distrust::writable},
    {.name = "ancestor mine 0777 not sticky",
     .mode = S_IFDIR | 0777,
     .owner = kMe,
     .role = DirRole::ancestor,
     .want = Distrust::writable},
    {.name = "ancestor another's 0755",
     .mode = S_IFDIR | 0755,
     .owner = kOther,
     .role = DirRole::ancestor,
     .want = Distrust::owner},
    {.name = "ancestor another's sticky",
     .mode = S_IFDIR | 01777,
     .owner = kOther,
     .role = DirRole::ancestor,
     .want = Distrust::owner},
    {.name = "ancestor symlink",
     .mode = S_IFLNK | 0777,
     .owner = 0,
     .role = DirRole::ancestor,
     .want = Distrust::symlink},
    {.name = "ancestor file",
     .mode = S_IFREG | 0644,
     .owner = 0,
     .role = DirRole::ancestor,
     .want = Distrust::not_dir},
};

TEST(TrustedDirRules, Table) {
  for (const RuleCase& c : kRules) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(distrust(PathFacts{c.mode, c.owner}, c.role, kMe), c.want);
  }
  // Root's own directories follow the same rules with uid 0.
  EXPECT_EQ(distrust(PathFacts{S_IFDIR | 0700, 0}, DirRole::own, 0), Distrust::none);
  EXPECT_EQ(distrust(PathFacts{S_IFDIR | 0700, kMe}, DirRole::own, 0), Distrust::owner);
}

class TrustedDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::create("rm-trust");
    ASSERT_TRUE(d);
    tmp_ = std::make_unique<TempDir>(std::move(*d));
  }
  std::string file(const std::string& name) const { return tmp_->file(name); }
  static bool root() { return ::geteuid() == 0; }

  std::unique_ptr<TempDir> tmp_;
  const uid_t me_ = ::geteuid();
};

TEST_F(TrustedDirTest, CreatesMissingDirectoriesPrivate) {
  std::string spool = file("a/b/spool");
  ASSERT_TRUE(make_own_dir(spool, me_));
  for (const std::string& d : {file("a"), file("a/b"), spool}) {
    struct stat st {};
    ASSERT_EQ(::lstat(d.c_str(), &st), 0) << d;
    EXPECT_TRUE(S_ISDIR(st.st_mode)) << d;
    EXPECT_EQ(st.st_mode & 07777, 0700u) << d;
  }
  EXPECT_TRUE(make_own_dir(spool, me_));  // again: it is ours now
  ASSERT_TRUE(make_own_subdir(spool + "/queue", me_));
  EXPECT_TRUE(make_own_subdir(spool + "/queue", me_));
}

TEST_F(TrustedDirTest, RefusesWhatIsThereInsteadOfAdoptingIt) {
  struct Planted {
    const char* name;
    void (*plant)(const std::string& path, const std::string& elsewhere);
  };
  // mkdir's mode is subject to the umask: chmod says what the test means.
  const Planted kPlanted[] = {
      {"group-writable",
       [](const std::string& p, const std::string&) {
         ASSERT_EQ(::mkdir(p.c_str(), 0700), 0);
         ASSERT_EQ(::chmod(p.c_str(), 0770), 0);
       }},
      {"world-writable",
       [](const std::string& p, const std::string&) {
         ASSERT_EQ(::mkdir(p.c_str(), 0700), 0);
         ASSERT_EQ(::chmod(p.c_str(), 0777), 0);
       }},
      {"symlink to a directory",
       [](const std::string& p, const std::string& elsewhere) {
         ASSERT_EQ(::symlink(elsewhere.c_str(), p.c_str()), 0);
       }},
      {"dangling symlink",
       [](const std::string& p, const std::string& elsewhere) {
         ASSERT_EQ(::symlink((elsewhere + "/nothing").c_str(), p.c_str()), 0);
       }},
      {"regular file",
       [](const std::string& p, const std::string&) {
         ASSERT_TRUE(write_file_atomic(dir_name(p), "spool", "x"));
       }},
  };
  std::string elsewhere = file("elsewhere");
  ASSERT_EQ(::mkdir(elsewhere.c_str(), 0700), 0);
  int n = 0;
  for (const Planted& c : kPlanted) {
    SCOPED_TRACE(c.name);
    std::string parent = file("p" + std::to_string(n++));
    ASSERT_EQ(::mkdir(parent.c_str(), 0700), 0);
    std::string spool = parent + "/spool";
    c.plant(spool, elsewhere);
    Status r = make_own_dir(spool, me_);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::untrusted) << r.error().what;
    EXPECT_NE(r.error().what.find(spool), std::string::npos) << r.error().what;
    Status sub = make_own_subdir(spool, me_);
    ASSERT_FALSE(sub);
    EXPECT_EQ(sub.error().code, Errc::untrusted) << sub.error().what;
    EXPECT_FALSE(file_exists(elsewhere + "/nothing"));
  }
}

TEST_F(TrustedDirTest, WritableAncestorIsRefusedUnlessSticky) {
  std::string open = file("open");
  ASSERT_EQ(::mkdir(open.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(open.c_str(), 0777), 0);
  Status r = make_own_dir(open + "/spool", me_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::untrusted);
  EXPECT_NE(
      r.error().what.find(open + " is writable by group or others (mode 0777) and not sticky"),
      std::string::npos)
      << r.error().what;
  EXPECT_FALSE(file_exists(open + "/spool"));  // nothing created under it
  ASSERT_EQ(::chmod(open.c_str(), 01777), 0);  // /var/tmp's shape: our own directory is fine
  EXPECT_TRUE(make_own_dir(open + "/spool", me_));
}

TEST_F(TrustedDirTest, SymlinksOnTheWayAreFollowedAndTheirTargetsChecked) {
  std::string real = file("real");
  ASSERT_EQ(::mkdir(real.c_str(), 0700), 0);
  ASSERT_EQ(::symlink(real.c_str(), file("abs").c_str()), 0);
  ASSERT_EQ(::symlink("real", file("rel").c_str()), 0);
  ASSERT_EQ(::symlink("abs/../rel", file("chain").c_str()), 0);
  for (const char* via : {"abs", "rel", "chain"}) {
    SCOPED_TRACE(via);
    std::string spool = file(std::string(via) + "/spool");
    EXPECT_TRUE(make_own_dir(spool, me_)) << make_own_dir(spool, me_).error().what;
    EXPECT_TRUE(check_dir_path(spool, me_, DirRole::own));
  }
  EXPECT_TRUE(file_exists(real + "/spool"));
  // The target of a link is checked like any ancestor.
  ASSERT_EQ(::chmod(real.c_str(), 0777), 0);
  Status r = check_dir_path(file("abs/spool"), me_, DirRole::own);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what.find(real + " is writable"), std::string::npos) << r.error().what;
  // A loop ends as ELOOP, not in a hang.
  ASSERT_EQ(::symlink("loop", file("loop").c_str()), 0);
  Status loop = check_dir_path(file("loop/spool"), me_, DirRole::own);
  ASSERT_FALSE(loop);
  EXPECT_EQ(loop.error().sys_errno, ELOOP);
}

TEST_F(TrustedDirTest, RelativePathsAreCheckedFromTheWorkingDirectory) {
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(::chdir(tmp_->path().c_str()), 0);
  Status made = make_own_dir("rel-spool", me_);
  Status checked = check_dir_path("./rel-spool/", me_, DirRole::own);
  ASSERT_EQ(::chdir(cwd), 0);
  EXPECT_TRUE(made) << made.error().what;
  EXPECT_TRUE(checked) << checked.error().what;
}

TEST_F(TrustedDirTest, AnotherUsersDirectoryIsRefusedWithBothOwners) {
  if (!root()) {
    GTEST_SKIP() << "needs root to give a directory away";
  }
  std::string spool = file("theirs");
  ASSERT_EQ(::mkdir(spool.c_str(), 0700), 0);
  ASSERT_EQ(::chown(spool.c_str(), kOther, kOther), 0);
  Status r = make_own_dir(spool, me_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::untrusted);
  EXPECT_NE(r.error().what.find(spool + " is owned by uid 1001"), std::string::npos)
      << r.error().what;
  EXPECT_NE(r.error().what.find("expected uid 0"), std::string::npos) << r.error().what;
  // The same directory is fine for its owner, and its parent (root's) is fine for both.
  EXPECT_TRUE(check_dir_path(spool, kOther, DirRole::own));
  // An ancestor owned by someone else: refused for us, whatever its mode.
  std::string deep = spool + "/mine";
  ASSERT_EQ(::mkdir(deep.c_str(), 0700), 0);
  Status a = check_dir_path(deep, me_, DirRole::own);
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().what.find("expected root or uid 0"), std::string::npos) << a.error().what;
}

TEST_F(TrustedDirTest, ATrustedFileIsOneOnlyRootOrTheUidCanChange) {
  struct Case {
    const char* name;
    mode_t mode;
    bool needs_root;
    uid_t owner;  // applied with chown when needs_root
    bool ok;
  };
  const Case kCases[] = {
      {"0600", 0600, false, 0, true},
      {"0644", 0644, false, 0, true},
      {"0620 group-writable", 0620, false, 0, false},
      {"0666 world-writable", 0666, false, 0, false},
      {"another uid's", 0600, true, 1001, false},
  };
  int n = 0;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    if (c.needs_root && !root()) {
      continue;
    }
    std::string name = "f" + std::to_string(n++);
    ASSERT_TRUE(write_file_atomic(tmp_->path(), name, "x"));
    ASSERT_EQ(::chmod(file(name).c_str(), c.mode), 0);
    if (c.needs_root) {
      ASSERT_EQ(::chown(file(name).c_str(), c.owner, c.owner), 0);
    }
    Status r = check_trusted_file(file(name), me_);
    EXPECT_EQ(static_cast<bool>(r), c.ok) << (r ? "" : r.error().what);
  }
  ASSERT_EQ(::symlink(file("f0").c_str(), file("link").c_str()), 0);
  EXPECT_FALSE(check_trusted_file(file("link"), me_));
  EXPECT_FALSE(check_trusted_file(file("missing"), me_));
}

}  // namespace
}  // namespace rm
