// Tests for oauth2/token_cache.h: the file format both ways (and what is not one), the
// directory made 0700 and the file 0600 on the first save, long tokens whole, account names as
// file names, and every refusal: a directory or file another user owns or could change, a
// symlink, a file others can read.
#include "oauth2/token_cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "support/temp_dir.h"

namespace rm {
namespace {

constexpr uid_t kNobody = 65534;

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

void write_text(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

TEST(CachedTokenFormat, RoundTripAndWhatIsNotOne) {
  CachedToken t{SecretString("ya29." + std::string(3000, 'x')), 1767225600};
  SecretString text = format_cached_token(t);
  const std::string head = "relaymail oauth2 token 1\nexpires: 1767225600\ntoken: ya29.xxx";
  EXPECT_EQ(text.view().substr(0, head.size()), head);
  EXPECT_EQ(text.view().size(), head.size() - 3 + 3000 + 1);
  auto back = parse_cached_token(text.view());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->token.view(), t.token.view());
  EXPECT_EQ(back->expires_at, t.expires_at);

  const char* kBad[] = {
      "",
      "relaymail oauth2 token 2\nexpires: 1\ntoken: t\n",
      "relaymail oauth2 token 1\nexpires: 1\ntoken: t",                      // no final LF
      "relaymail oauth2 token 1\nexpires: \ntoken: t\n",                     // no time
      "relaymail oauth2 token 1\nexpires: -1\ntoken: t\n",                   // a sign
      "relaymail oauth2 token 1\nexpires: 1\ntoken: \n",                     // no token
      "relaymail oauth2 token 1\nexpires: 1\ntoken: a b\n",                  // a space in it
      "relaymail oauth2 token 1\nexpires: 1\ntoken: t\nmore\n",              // a fourth line
      "relaymail oauth2 token 1\ntoken: t\nexpires: 1\n",                    // out of order
      "relaymail oauth2 token 1\nexpires: 1234567890123456789\ntoken: t\n",  // too long a time
  };
  for (const char* bad : kBad) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(parse_cached_token(bad));
  }
}

class TokenCacheTest : public ::testing::Test {
 protected:
  test::TempDir tmp_ = test::TempDir::create_or_die("relaymail-token-cache");
  std::string dir_ = tmp_.file("spool/oauth2");
};

TEST_F(TokenCacheTest, NothingBeforeTheFirstSaveThenTheSavedToken) {
  TokenCache cache(dir_);
  auto none = cache.load("gmail");
  ASSERT_TRUE(none) << none.error().what;
  EXPECT_FALSE(*none);

  ASSERT_TRUE(cache.save("gmail", {SecretString("tok-1"), 100}));
  EXPECT_EQ(mode_of(dir_), 0700u);
  EXPECT_EQ(cache.path_of("gmail"), dir_ + "/gmail.token");
  EXPECT_EQ(mode_of(cache.path_of("gmail")), 0600u);
  auto got = cache.load("gmail");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->token.view(), "tok-1");
  EXPECT_EQ((*got)->expires_at, 100);

  ASSERT_TRUE(cache.save("gmail", {SecretString("tok-2"), 200}));  // replaced
  EXPECT_EQ(cache.load("gmail").value()->token.view(), "tok-2");
  EXPECT_FALSE(cache.load("other").value());  // per account

  ASSERT_TRUE(cache.drop("gmail"));
  EXPECT_FALSE(cache.load("gmail").value());
  EXPECT_TRUE(cache.drop("gmail"));  // nothing to drop is no error
}

TEST_F(TokenCacheTest, AccountNamesBecomePlainFileNames) {
  TokenCache cache(dir_);
  const std::pair<const char*, const char*> kNames[] = {
      {"smtp.gmail.com", "smtp.gmail.com.token"},
      {"me@work", "me@work.token"},
      {"a/b", "a%2Fb.token"},
      {"..", "%2E..token"},
      {".hidden", "%2Ehidden.token"},
      {"my mail", "my%20mail.token"},
  };
  for (const auto& [account, file] : kNames) {
    SCOPED_TRACE(account);
    EXPECT_EQ(cache.path_of(account), dir_ + "/" + file);
    ASSERT_TRUE(cache.save(account, {SecretString("t"), 1}));
    EXPECT_EQ(cache.load(account).value()->token.view(), "t");
  }
}

TEST_F(TokenCacheTest, AFileThatDoesNotParseIsNoToken) {
  TokenCache cache(dir_);
  ASSERT_TRUE(cache.save("gmail", {SecretString("t"), 1}));
  write_text(cache.path_of("gmail"), "garbage\n", 0600);
  auto got = cache.load("gmail");
  ASSERT_TRUE(got) << got.error().what;
  EXPECT_FALSE(*got);
  write_text(cache.path_of("gmail"), std::string(size_t{100} * 1024, 'x'),
             0600);  // too big to be one
  EXPECT_FALSE(cache.load("gmail").value());
}

TEST_F(TokenCacheTest, UntrustedFilesAreRefused) {
  TokenCache cache(dir_);
  ASSERT_TRUE(cache.save("gmail", {SecretString("t"), 1}));
  const std::string path = cache.path_of("gmail");

  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  auto readable = cache.load("gmail");
  ASSERT_FALSE(readable);
  EXPECT_EQ(readable.error().code, Errc::untrusted);
  EXPECT_NE(readable.error().what.find("mode 0640 lets others read it"), std::string::npos);

  ASSERT_EQ(::unlink(path.c_str()), 0);
  write_text(tmp_.file("elsewhere"),
             std::string(format_cached_token({SecretString("t"), 1}).view()), 0600);
  ASSERT_EQ(::symlink(tmp_.file("elsewhere").c_str(), path.c_str()), 0);
  auto link = cache.load("gmail");
  ASSERT_FALSE(link);
  EXPECT_EQ(link.error().code, Errc::untrusted) << link.error().what;
  EXPECT_NE(link.error().what.find("not a regular file of ours"), std::string::npos);
}

TEST_F(TokenCacheTest, ADirectoryOthersCanWriteIsRefusedForReadingAndWriting) {
  TokenCache cache(dir_);
  ASSERT_TRUE(cache.save("gmail", {SecretString("t"), 1}));
  ASSERT_EQ(::chmod(dir_.c_str(), 0770), 0);
  for (bool save : {false, true}) {
    SCOPED_TRACE(save ? "save" : "load");
    Error e =
        save ? cache.save("gmail", {SecretString("t"), 1}).error() : cache.load("gmail").error();
    EXPECT_EQ(e.code, Errc::untrusted);
    EXPECT_NE(e.what.find("is writable by group or others (mode 0770)"), std::string::npos)
        << e.what;
  }
}

// A cache directory some other user owns: as root, one given to nobody; otherwise /tmp itself
// (root's), which the checks of an own directory refuse just as well.
TEST_F(TokenCacheTest, AForeignCacheDirectoryIsRefused) {
  std::string foreign = "/tmp";
  if (::geteuid() == 0) {
    foreign = tmp_.file("foreign");
    ASSERT_EQ(::mkdir(foreign.c_str(), 0700), 0);
    ASSERT_EQ(::chown(foreign.c_str(), kNobody, kNobody), 0);
  }
  TokenCache cache(foreign);
  auto loaded = cache.load("gmail");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, Errc::untrusted);
  EXPECT_NE(loaded.error().what.find(foreign + " is owned by uid"), std::string::npos)
      << loaded.error().what;
  auto saved = cache.save("gmail", {SecretString("t"), 1});
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().code, Errc::untrusted);
  EXPECT_FALSE(cache.drop("gmail"));
}

}  // namespace
}  // namespace rm
