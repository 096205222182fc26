#include "secrets/password_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace rm {
namespace {

class PasswordSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = "/tmp/relaymail-secrets-XXXXXX";
    dir_ = ::mkdtemp(t.data());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text, mode_t mode) {
    std::string p = dir_ + "/" + name;
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    EXPECT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::fchmod(fd, mode);
    ::close(fd);
    return p;
  }
  std::string dir_;
};

TEST_F(PasswordSourceTest, FileFirstLineWithoutLineEnd) {
  const struct {
    const char* text;
    const char* want;
  } kCases[] = {{"pw\n", "pw"},         {"pw\r\n", "pw"}, {"pw", "pw"},
                {"pw\nsecond\n", "pw"}, {"", ""},         {" spaced pw \n", " spaced pw "}};
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.text);
    std::string p = write("pass", c.text, 0600);
    auto s = fetch_secret({.kind = SecretRef::Kind::file, .value = p, .account = "acct"});
    ASSERT_TRUE(s) << s.error().what;
    EXPECT_EQ(s->view(), c.want);
  }
}

TEST_F(PasswordSourceTest, FileReadableByOthersIsRefused) {
  for (mode_t mode : {0640, 0644, 0604, 0660}) {
    SCOPED_TRACE(mode);
    std::string p = write("pass", "hunter2\n", mode);
    auto s = fetch_secret({.kind = SecretRef::Kind::file, .value = p, .account = "acct"});
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, Errc::config);
    EXPECT_EQ(s.error().what.find("hunter2"), std::string::npos);
  }
}

TEST_F(PasswordSourceTest, MissingFileIsUnavailable) {
  auto s =
      fetch_secret({.kind = SecretRef::Kind::file, .value = dir_ + "/nope", .account = "acct"});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::secret_unavailable);
}

TEST_F(PasswordSourceTest, SymlinkIsNotFollowed) {
  std::string target = write("real", "pw\n", 0600);
  std::string link = dir_ + "/link";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  EXPECT_FALSE(fetch_secret({.kind = SecretRef::Kind::file, .value = link, .account = "acct"}));
}

TEST_F(PasswordSourceTest, EnvAndCommand) {
  ::setenv("RELAYMAIL_TEST_PW", "from-env", 1);
  auto e =
      fetch_secret({.kind = SecretRef::Kind::env, .value = "RELAYMAIL_TEST_PW", .account = "acct"});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->view(), "from-env");
  EXPECT_FALSE(fetch_secret(
      {.kind = SecretRef::Kind::env, .value = "RELAYMAIL_TEST_UNSET_PW", .account = "acct"}));

  auto c = fetch_secret(
      {.kind = SecretRef::Kind::command, .value = "printf 'cmd-pw\\nrest\\n'", .account = "acct"});
  ASSERT_TRUE(c) << c.error().what;
  EXPECT_EQ(c->view(), "cmd-pw");
  auto failed =
      fetch_secret({.kind = SecretRef::Kind::command, .value = "exit 3", .account = "acct"});
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, Errc::secret_unavailable);
}

// OAuth2 tokens are 2 KB and more: no source cuts them (one of 40 KB is still whole).
TEST_F(PasswordSourceTest, LongTokensComeWholeFromEverySource) {
  for (size_t n : {size_t{2048}, size_t{4096}, size_t{40000}}) {
    SCOPED_TRACE(n);
    const std::string token = "1//" + std::string(n, 'T');
    write("token", token + "\n", 0600);
    write("cred", token + "\r\n", 0400);
    ::setenv("RELAYMAIL_TEST_TOKEN", token.c_str(), 1);
    const SecretRef kRefs[] = {
        {.kind = SecretRef::Kind::file, .value = dir_ + "/token", .account = "acct"},
        {.kind = SecretRef::Kind::command, .value = "cat " + dir_ + "/token", .account = "acct"},
        {.kind = SecretRef::Kind::env, .value = "RELAYMAIL_TEST_TOKEN", .account = "acct"},
        {.kind = SecretRef::Kind::credential, .value = "cred", .account = "acct"},
    };
    for (const SecretRef& ref : kRefs) {
      auto s = fetch_secret(ref, nullptr, dir_.c_str());
      ASSERT_TRUE(s) << s.error().what;
      EXPECT_EQ(s->view(), token);
    }
  }
  ::unsetenv("RELAYMAIL_TEST_TOKEN");
}

// The credential source: $CREDENTIALS_DIRECTORY/NAME, first line, NAME a plain file name.
TEST_F(PasswordSourceTest, Credential) {
  write("smtp-pass", "cred-pw\r\nsecond\n", 0400);
  write("empty", "", 0400);
  ASSERT_EQ(::mkdir((dir_ + "/subdir").c_str(), 0700), 0);
  ASSERT_EQ(::symlink((dir_ + "/smtp-pass").c_str(), (dir_ + "/link").c_str()), 0);
  const std::string dir = dir_;
  const struct {
    const char* name;
    const char* credentials_dir;  // nullptr: CREDENTIALS_DIRECTORY not set
    const char* want;             // the password, or nullptr for an error
    Errc code = Errc::secret_unavailable;
    const char* says = "";
  } kCases[] = {
      {.name = "smtp-pass", .credentials_dir = dir.c_str(), .want = "cred-pw"},
      {.name = "empty", .credentials_dir = dir.c_str(), .want = ""},
      {.name = "missing",
       .credentials_dir = dir.c_str(),
       .want = nullptr,
       .says = "open credential"},
      {.name = "smtp-pass",
       .credentials_dir = nullptr,
       .want = nullptr,
       .says = "CREDENTIALS_DIRECTORY is not set"},
      {.name = "smtp-pass", .credentials_dir = "", .want = nullptr, .says = "is not set"},
      {.name = "../smtp-pass",
       .credentials_dir = dir.c_str(),
       .want = nullptr,
       .code = Errc::config,
       .says = "plain file name"},
      {.name = "..",
       .credentials_dir = dir.c_str(),
       .want = nullptr,
       .code = Errc::config,
       .says = "plain file name"},
      {.name = "subdir",
       .credentials_dir = dir.c_str(),
       .want = nullptr,
       .code = Errc::config,
       .says = "not a regular file"},
      {.name = "link", .credentials_dir = dir.c_str(), .want = nullptr, .says = "open credential"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(std::string(c.name) + " in " +
                 (c.credentials_dir ? c.credentials_dir : "(unset)"));
    auto s = fetch_secret({.kind = SecretRef::Kind::credential, .value = c.name, .account = "acct"},
                          nullptr, c.credentials_dir);
    if (c.want != nullptr) {
      ASSERT_TRUE(s) << s.error().what;
      EXPECT_EQ(s->view(), c.want);
      continue;
    }
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, c.code);
    EXPECT_NE(s.error().what.find(c.says), std::string::npos) << s.error().what;
    EXPECT_EQ(s.error().what.find("account acct"), 0u) << s.error().what;
    EXPECT_EQ(s.error().what.find("cred-pw"), std::string::npos);
    EXPECT_EQ(s.error().what.find('\n'), std::string::npos);
  }
}

// A SecretStore seam: what the keyring source asks for and how its answers come back.
class FakeStore final : public SecretStore {
 public:
  const char* backend() const override { return "keyring (fake)"; }
  Result<SecretString> lookup(const SecretQuery& q) override {
    asked = q;
    if (answer.empty()) {
      return make_error(Errc::secret_unavailable, "keyring (fake): no entry");
    }
    return SecretString(answer);
  }
  Status store(const SecretQuery&, const std::string&, const SecretString&) override { return {}; }
  Result<bool> clear(const SecretQuery&) override { return false; }
  SecretQuery asked;
  std::string answer;
};

TEST_F(PasswordSourceTest, KeyringAsksTheInjectedStore) {
  FakeStore store;
  store.answer = "kr-pw";
  SecretRef ref{.kind = SecretRef::Kind::keyring,
                .account = "acct",
                .host = "smtp.example.org",
                .user = "me",
                .timeout = std::chrono::seconds(7)};
  auto k = fetch_secret(ref, &store);
  ASSERT_TRUE(k) << k.error().what;
  EXPECT_EQ(k->view(), "kr-pw");
  EXPECT_EQ(store.asked.service, "smtp");
  EXPECT_EQ(store.asked.host, "smtp.example.org");
  EXPECT_EQ(store.asked.user, "me");
  EXPECT_EQ(store.asked.timeout, std::chrono::seconds(7));

  ref.service = "oauth2-refresh-token";  // an OAuth2 refresh token, beside the password
  ASSERT_TRUE(fetch_secret(ref, &store));
  EXPECT_EQ(store.asked.service, "oauth2-refresh-token");

  store.answer.clear();
  auto missing = fetch_secret(ref, &store);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::secret_unavailable);
  EXPECT_EQ(missing.error().what, "account acct: keyring (fake): no entry");
}

TEST_F(PasswordSourceTest, KeyringWithoutAStoreIsUnavailable) {
  auto k = fetch_secret({.kind = SecretRef::Kind::keyring, .account = "acct"});
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, Errc::secret_unavailable);
  EXPECT_NE(k.error().what.find("keyring (libsecret): not available"), std::string::npos);
}

}  // namespace
}  // namespace rm
