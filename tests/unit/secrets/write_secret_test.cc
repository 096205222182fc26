// Tests for secrets/write_secret.h: which sources can be written, a file replaced atomically
// (0600, ours, the old content gone, a missing one created) and read back whole by fetch_secret,
// the files it refuses, the keyring entry stored under the reference's attributes, and the
// secret never in an error text.
#include "secrets/write_secret.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace rm {
namespace {

class WriteSecretTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = "/tmp/relaymail-write-secret-XXXXXX";
    dir_ = ::mkdtemp(t.data());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  SecretRef file_ref(const std::string& name) {
    return {.kind = SecretRef::Kind::file, .value = dir_ + "/" + name, .account = "acct"};
  }
  std::string dir_;
};

TEST(CanWriteSecret, OnlyFilesAndTheKeyring) {
  EXPECT_TRUE(can_write_secret(SecretRef::Kind::file));
  EXPECT_TRUE(can_write_secret(SecretRef::Kind::keyring));
  for (auto k : {SecretRef::Kind::none, SecretRef::Kind::command, SecretRef::Kind::env,
                 SecretRef::Kind::credential}) {
    EXPECT_FALSE(can_write_secret(k));
  }
}

TEST_F(WriteSecretTest, AFileIsReplacedWholeAndStaysOurs) {
  const std::string path = dir_ + "/rt";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0400);
  ASSERT_EQ(::write(fd, "old\nsecond line\n", 16), 16);
  ::close(fd);
  const std::string token = "M.C5_" + std::string(3000, 'n');
  ASSERT_TRUE(write_secret(file_ref("rt"), SecretString(token), "label", nullptr));
  EXPECT_EQ(read(path), token + "\n");
  struct stat st {};
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_uid, ::geteuid());
  auto back = fetch_secret(file_ref("rt"));
  ASSERT_TRUE(back) << back.error().what;
  EXPECT_EQ(back->view(), token);
  // Nothing else is left in the directory (the temp file was renamed).
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_), {}), 1);
}

TEST_F(WriteSecretTest, AMissingFileIsCreated) {
  ASSERT_TRUE(write_secret(file_ref("new"), SecretString("t"), "label", nullptr));
  EXPECT_EQ(read(dir_ + "/new"), "t\n");
}

TEST_F(WriteSecretTest, RefusedFilesAndSources) {
  ASSERT_EQ(::symlink((dir_ + "/elsewhere").c_str(), (dir_ + "/link").c_str()), 0);
  ASSERT_EQ(::mkdir((dir_ + "/dir").c_str(), 0700), 0);
  struct Case {
    const char* name;
    SecretRef ref;
    Errc code;
    std::string says;
  } const kCases[] = {
      {"a symlink", file_ref("link"), Errc::config,
       "account acct: " + dir_ + "/link: not a regular file"},
      {"a directory", file_ref("dir"), Errc::config, "account acct: " + dir_ + "/dir: not a"},
      {"a missing directory", file_ref("no/such"), Errc::io, "account acct: "},
      {"a command",
       {.kind = SecretRef::Kind::command, .value = "pass x", .account = "acct"},
       Errc::config,
       "account acct: a command source cannot be written"},
      {"a variable",
       {.kind = SecretRef::Kind::env, .value = "X", .account = "acct"},
       Errc::config,
       "account acct: a variable source cannot be written"},
      {"a systemd credential",
       {.kind = SecretRef::Kind::credential, .value = "x", .account = "acct"},
       Errc::config,
       "account acct: a systemd credential source cannot be written"},
      {"the keyring, in a program without one",
       {.kind = SecretRef::Kind::keyring, .account = "acct"},
       Errc::secret_unavailable,
       "account acct: keyring (libsecret): not available in this program"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    auto r = write_secret(c.ref, SecretString("tok-secret"), "label", nullptr);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, c.code) << r.error().what;
    EXPECT_EQ(r.error().what.substr(0, c.says.size()), c.says);
    EXPECT_EQ(r.error().what.find("tok-secret"), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/elsewhere"));
}

TEST_F(WriteSecretTest, AFileOfAnotherUserIsRefused) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root to give a file away";
  }
  const std::string path = dir_ + "/theirs";
  std::ofstream(path) << "old\n";
  ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
  auto r = write_secret(file_ref("theirs"), SecretString("t"), "label", nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::config);
  EXPECT_NE(r.error().what.find("owned by uid 65534, not by uid 0"), std::string::npos);
  EXPECT_EQ(read(path), "old\n");
}

class RecordingStore final : public SecretStore {
 public:
  const char* backend() const override { return "keyring (test)"; }
  Result<SecretString> lookup(const SecretQuery&) override {
    return make_error(Errc::secret_unavailable, "keyring (test): no entry");
  }
  Status store(const SecretQuery& q, const std::string& l, const SecretString& s) override {
    query = q;
    label = l;
    stored = std::string(s.view());
    if (fail) {
      return make_error(Errc::secret_unavailable, "keyring (test): the collection is locked");
    }
    return {};
  }
  Result<bool> clear(const SecretQuery&) override { return false; }
  SecretQuery query;
  std::string label, stored;
  bool fail = false;
};

TEST(WriteSecretKeyring, StoresUnderTheReferencesAttributes) {
  RecordingStore store;
  SecretRef ref{.kind = SecretRef::Kind::keyring,
                .account = "gmail",
                .service = "oauth2-refresh-token",
                .host = "smtp.gmail.com",
                .user = "me@gmail.com",
                .timeout = std::chrono::seconds(5)};
  ASSERT_TRUE(write_secret(ref, SecretString("rt-2"), "relaymail token", &store));
  EXPECT_EQ(store.stored, "rt-2");
  EXPECT_EQ(store.label, "relaymail token");
  EXPECT_EQ(store.query.service, "oauth2-refresh-token");
  EXPECT_EQ(store.query.host, "smtp.gmail.com");
  EXPECT_EQ(store.query.user, "me@gmail.com");
  EXPECT_EQ(store.query.timeout, std::chrono::seconds(5));
  store.fail = true;
  auto r = write_secret(ref, SecretString("rt-3"), "relaymail token", &store);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what, "account gmail: keyring (test): the collection is locked");
}

}  // namespace
}  // namespace rm
