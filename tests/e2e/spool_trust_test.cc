// RELIABILITY.md §6 cases 52-54, end to end: a local attacker ("mallory") and a victim, two
// unprivileged uids the test (root) switches to. A spool another uid can write is refused before
// anything is written there; entries whose files are not the victim's are never listed or sent,
// they are quarantined; a fresh spool works as before. Skipped when not root.
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "e2e/harness.h"

namespace rm::e2e {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr uid_t kVictim = 65534;   // nobody: a service account without a usable home
constexpr uid_t kMallory = 61234;  // any other unprivileged uid; needs no passwd entry

const std::string kVictimMail = "To: b@example.test\nSubject: secret\n\nconfidential\n";
const std::string kMalloryMail = "To: loot@evil.test\nSubject: from the victim\n\nbuy now\n";

size_t lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// `text` with the world's `spool = "..."` line pointing at `spool` (or removed when empty).
void set_spool(const World& w, const std::string& spool) {
  std::string c = read_file(w.config_path());
  std::string old = "spool = \"" + w.spool() + "\";\n";
  size_t at = c.find(old);
  ASSERT_NE(at, std::string::npos);
  c.replace(at, old.size(), spool.empty() ? "" : "spool = \"" + spool + "\";\n");
  ASSERT_TRUE(write_file(w.config_path(), c, 0600));
}

// Runs `path` as `uid` (gid the same number) from "/"; `exact_env` replaces the environment.
SpawnResult as(uid_t uid, const std::string& path, std::vector<std::string> args,
               const std::string& input = "",
               std::optional<std::vector<std::string>> exact_env = std::nullopt) {
  SpawnSpec s;
  s.path = path;
  s.args = std::move(args);
  s.input = input;
  s.exact_env = std::move(exact_env);
  s.uid = uid;
  s.gid = uid;
  s.cwd = "/";
  return spawn(s);
}

SpawnResult sh_as(uid_t uid, const std::string& script) {
  return as(uid, "/bin/sh", {"-c", script});
}

class SpoolTrust : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::getuid() != 0) {
      GTEST_SKIP() << "needs root to switch between two unprivileged uids";
    }
    ASSERT_TRUE(srv_.start());
    // The victim's World (config, password file) is the victim's, as in behaviour 70.
    w_.write_config(srv_, "queue");
    ASSERT_TRUE(chown_tree(w_.dir(), kVictim, kVictim));
    // A shared directory shaped like /var/tmp (root, 1777) that both uids can reach.
    ASSERT_EQ(::chmod(shared_.path().c_str(), 0755), 0);
    vartmp_ = shared_.path() + "/vartmp";
    ASSERT_EQ(::mkdir(vartmp_.c_str(), 0700), 0);
    ASSERT_EQ(::chmod(vartmp_.c_str(), 01777), 0);
  }

  SpawnResult victim(std::vector<std::string> args, const std::string& input = "") const {
    args.insert(args.begin(), {"-C", w_.config_path()});
    return as(kVictim, w_.bin("relaymail"), std::move(args), input);
  }

  // Mallory's own config: her spool and her password file, in a directory of hers.
  std::string mallory_config(const std::string& spool) const {
    std::string dir = shared_.path() + "/mallory";
    std::filesystem::create_directory(dir);
    std::string conf = dir + "/relaymail.conf";
    std::string own = read_file(w_.config_path());
    size_t at = own.find("spool = \"");
    size_t end = own.find('\n', at);
    own.replace(at, end - at, "spool = \"" + spool + "\";");
    at = own.find(w_.dir() + "/account.pass");
    own.replace(at, (w_.dir() + "/account.pass").size(), dir + "/account.pass");
    EXPECT_TRUE(write_file(dir + "/account.pass", "s3cret-pass\n", 0600));
    EXPECT_TRUE(write_file(conf, own, 0600));
    EXPECT_TRUE(chown_tree(dir, kMallory, kMallory));
    return conf;
  }

  World w_;
  Smtpd srv_{w_.dir(), {}};
  TempDir shared_;
  std::string vartmp_;
};

// The attack of the issue, step by step: each step that should fail does, at the first step
// where it should.
TEST_F(SpoolTrust, Case52_ASpoolPreparedByAnotherUserIsRefused) {
  const std::string spool = vartmp_ + "/relaymail-" + std::to_string(kVictim);
  set_spool(w_, spool);
  // 1. mallory prepares the victim's predictable spool name, mode 0777.
  SpawnResult made = sh_as(kMallory, "mkdir " + spool + " && chmod 777 " + spool);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  // 2. The victim's submission: exit 73, one line naming the path and both owners, nothing
  //    written into mallory's directory.
  SpawnResult sent = victim({"send", "-t", "-i"}, kVictimMail);
  EXPECT_EQ(sent.exit_code, 73) << sent.err;
  EXPECT_EQ(lines(sent.err), 1u) << sent.err;
  EXPECT_THAT(sent.err, HasSubstr(spool + " is owned by uid " + std::to_string(kMallory)));
  EXPECT_THAT(sent.err, HasSubstr("expected uid " + std::to_string(kVictim)));
  EXPECT_TRUE(list_dir(spool, "").empty()) << "the victim wrote into mallory's directory";
  // 3. mallory fills it with an entry of her own (her recipients, her From:), files 0666.
  SpawnResult priv = sh_as(kMallory, "chmod 700 " + spool);
  ASSERT_EQ(priv.exit_code, 0);
  SpawnResult planted = as(kMallory, RM_RELAYMAIL_BIN,
                           {"-C", mallory_config(spool), "send", "-t", "-i"}, kMalloryMail);
  ASSERT_EQ(planted.exit_code, 0) << planted.err;
  SpawnResult opened = sh_as(kMallory, "chmod -R a+rwX " + spool);
  ASSERT_EQ(opened.exit_code, 0);
  ASSERT_EQ(list_dir(spool + "/queue", ".mail").size(), 1u);
  // 4. The victim's mailq and flush refuse the spool: nothing listed, nothing sent.
  SpawnResult listed = victim({"queue"});
  EXPECT_EQ(listed.exit_code, 73) << listed.err;
  EXPECT_THAT(listed.out, Not(HasSubstr("loot@evil.test")));
  EXPECT_EQ(lines(listed.err), 1u) << listed.err;
  SpawnResult flushed = victim({"flush"});
  EXPECT_EQ(flushed.exit_code, 73) << flushed.err;
  EXPECT_THAT(flushed.out + flushed.err, Not(HasSubstr("loot@evil.test")));
  EXPECT_EQ(srv_.received(), 0u) << "mallory's entry went out under the victim's account";
  EXPECT_EQ(list_dir(spool + "/queue", ".mail").size(), 1u) << "the victim touched her spool";
}

// Without a home and without `spool`, the /var/tmp fallback is refused unless it exists (and is
// the user's): it is never created.
TEST_F(SpoolTrust, Case52_NoHomeAndNoSpoolIsAClearRefusal) {
  uid_t uid = 0;
  for (uid_t candidate = 61300; candidate < 61400; ++candidate) {
    if (!std::filesystem::exists("/var/tmp/relaymail-" + std::to_string(candidate))) {
      uid = candidate;
      break;
    }
  }
  ASSERT_NE(uid, 0u);
  set_spool(w_, "");
  ASSERT_TRUE(chown_tree(w_.dir(), uid, uid));
  const std::string fallback = "/var/tmp/relaymail-" + std::to_string(uid);
  SpawnResult r = as(uid, w_.bin("sendmail"), {"-C", w_.config_path(), "-t", "-i"}, kVictimMail,
                     std::vector<std::string>{"PATH=/usr/bin:/bin", "HOME=/"});
  EXPECT_EQ(r.exit_code, 73) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_THAT(r.err, HasSubstr("no home directory for uid " + std::to_string(uid) +
                               ": set `spool` in the config, or use daemon mode"));
  EXPECT_FALSE(std::filesystem::exists(fallback)) << "the shared fallback was created";
  SpawnResult q = as(uid, w_.bin("relaymail"), {"-C", w_.config_path(), "queue"}, "",
                     std::vector<std::string>{"PATH=/usr/bin:/bin", "HOME=/"});
  EXPECT_EQ(q.exit_code, 73) << q.err;
}

TEST_F(SpoolTrust, Case53_APlantedEntryIsQuarantinedNeverListedOrSent) {
  // The victim's own spool, created fresh, holding one message of the victim's.
  SpawnResult own = victim({"send", "-t", "-i"}, kVictimMail);
  ASSERT_EQ(own.exit_code, 0) << own.err;
  // mallory makes an entry in a spool of her own; it is planted into the victim's queue/ with
  // her ownership (as root or a hard link could).
  std::string hers = shared_.path() + "/mallory/spool";
  SpawnResult made = as(kMallory, RM_RELAYMAIL_BIN,
                        {"-C", mallory_config(hers), "send", "-t", "-i"}, kMalloryMail);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  std::vector<std::string> mails = list_dir(hers + "/queue", ".mail");
  ASSERT_EQ(mails.size(), 1u);
  std::string id = std::filesystem::path(mails[0]).stem().string();
  for (const char* ext : {".mail"}) {
    std::string from = hers + "/queue/" + id + ext;
    std::string to = w_.spool() + "/queue/" + id + ext;
    ASSERT_EQ(::rename(from.c_str(), to.c_str()), 0) << from << " -> " << to << ": " << errno;
  }
  ASSERT_EQ(w_.queued(), 2u);
  SpawnResult listed = victim({"queue"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, Not(HasSubstr("loot@evil.test")));
  EXPECT_THAT(listed.out, HasSubstr("b@example.test"));
  EXPECT_THAT(listed.err, HasSubstr(id + ": corrupt or untrusted queue entry moved to failed/"));
  EXPECT_TRUE(std::filesystem::exists(w_.spool() + "/failed/" + id + ".mail"));
  SpawnResult flushed = victim({"flush"});
  EXPECT_EQ(flushed.exit_code, 0) << flushed.err;
  ASSERT_TRUE(srv_.wait_for(1, 10s));
  ASSERT_EQ(srv_.received(), 1u);
  EXPECT_THAT(srv_.messages()[0], HasSubstr("confidential"));
  EXPECT_THAT(srv_.envelopes()[0], Not(HasSubstr("loot@evil.test")));
  SpawnResult back = victim({"requeue", id});
  EXPECT_NE(back.exit_code, 0) << "a quarantined foreign entry was requeued";
}

TEST_F(SpoolTrust, Case54_AWritableOrSymlinkedSpoolIsRefused) {
  SpawnResult fresh = victim({"send", "-t", "-i"}, kVictimMail);  // created fresh: works
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  struct Spoil {
    const char* name;
    std::string path;
    std::string script;
    std::string undo;
  };
  const std::string s = w_.spool();
  const std::vector<Spoil> spoils = {
      {"spool group-writable", s, "chmod 770 " + s, "chmod 700 " + s},
      {"spool world-writable", s, "chmod 777 " + s, "chmod 700 " + s},
      {"queue/ a symlink", s + "/queue",
       "mv " + s + "/queue " + s + "/q2 && ln -s " + s + "/q2 " + s + "/queue",
       "rm " + s + "/queue && mv " + s + "/q2 " + s + "/queue"},
      {"tmp/ world-writable", s + "/tmp", "chmod 777 " + s + "/tmp", "chmod 700 " + s + "/tmp"},
  };
  for (const Spoil& c : spoils) {
    SCOPED_TRACE(c.name);
    ASSERT_EQ(sh_as(kVictim, c.script).exit_code, 0);
    SpawnResult r = victim({"send", "-t", "-i"}, kVictimMail);
    EXPECT_EQ(r.exit_code, 73) << r.err;
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.path + " is "));
    EXPECT_THAT(r.err, HasSubstr("expected"));
    SpawnResult q = victim({"queue"});
    EXPECT_EQ(q.exit_code, 73) << q.err;
    ASSERT_EQ(sh_as(kVictim, c.undo).exit_code, 0);
  }
  EXPECT_EQ(w_.queued(), 1u);  // only the first message; no refused one was queued
  SpawnResult again = victim({"send", "-t", "-i"}, kVictimMail);
  EXPECT_EQ(again.exit_code, 0) << again.err;
}

}  // namespace
}  // namespace rm::e2e
