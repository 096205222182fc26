// End-to-end: `relaymail check` follows each account's secret sources as far as it can without
// reading a secret (issue 16): a file that delivery would refuse (mode, type, owner) is an error
// line on stderr and exit 78 with no OK line; what may still be fine elsewhere (a file not there
// yet, a variable the daemon may have, a credential outside systemd) is a line on stdout, exit 0.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "e2e/harness.h"

namespace rm::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr uid_t kStranger = 54321;  // no such user on a test machine

// "@" in a case's text stands for the World's directory.
std::string in_dir(const std::string& text, const std::string& dir) {
  std::string out;
  for (char c : text) {
    if (c == '@') {
      out += dir;
    } else {
      out += c;
    }
  }
  return out;
}

void secret(const std::string& path, mode_t mode) {
  ASSERT_TRUE(write_file(path, "s3cret-pass\n", mode));
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);  // whatever the umask
}

struct SourceCase {
  const char* name;
  const char* delivery = "queue";
  const char* daemon = "";  // the daemon group's settings
  const char* account;      // the account's settings after name, host and user
  void (*prepare)(const std::string& dir) = nullptr;
  std::vector<std::string> env = {};
  int exit_code = 0;
  const char* out = "";  // in stdout
  const char* err = "";  // in stderr; "" = stderr is empty
};

const SourceCase kCases[] = {
    {.name = "a file of ours, mode 0600",
     .account = "password = { file = \"@/relay.pass\"; };",
     .prepare = [](const std::string& d) { secret(d + "/relay.pass", 0600); },
     .out = ": OK (1 account, delivery queue"},
    {.name = "a file of ours, mode 0644",
     .account = "password = { file = \"@/relay.pass\"; };",
     .prepare = [](const std::string& d) { secret(d + "/relay.pass", 0644); },
     .exit_code = 78,
     .err = "relaymail: check: account relay: password file @/relay.pass: mode 0644 is readable "
            "by others (chmod 600 it)\n"},
    {.name = "a file of ours, mode 0640",
     .account = "password = { file = \"@/relay.pass\"; };",
     .prepare = [](const std::string& d) { secret(d + "/relay.pass", 0640); },
     .exit_code = 78,
     .err = "password file @/relay.pass: mode 0640"},
    {.name = "a symbolic link to a good file",
     .account = "password = { file = \"@/link.pass\"; };",
     .prepare =
         [](const std::string& d) {
           secret(d + "/relay.pass", 0600);
           ASSERT_EQ(::symlink((d + "/relay.pass").c_str(), (d + "/link.pass").c_str()), 0);
         },
     .exit_code = 78,
     .err = "relaymail: check: account relay: password file @/link.pass: a symbolic link"},
    {.name = "a directory",
     .account = "password = { file = \"@/relay.pass\"; };",
     .prepare =
         [](const std::string& d) { ASSERT_EQ(::mkdir((d + "/relay.pass").c_str(), 0700), 0); },
     .exit_code = 78,
     .err = "password file @/relay.pass: not a regular file"},
    {.name = "a file not there yet",
     .account = "password = { file = \"@/relay.pass\"; };",
     .out = "relaymail.conf: warning: account relay: password file @/relay.pass: not there yet; "
            "delivery waits for it"},
    {.name = "a variable set",
     .account = "password = { env = \"RM_CHECK_PASSWORD\"; };",
     .env = {"RM_CHECK_PASSWORD=s3cret-pass"},
     .out = ": OK (1 account"},
    {.name = "a variable not set",
     .account = "password = { env = \"RM_CHECK_PASSWORD\"; };",
     .exit_code = 78,
     .err = "relaymail: check: account relay: password: variable RM_CHECK_PASSWORD is not set\n"},
    {.name = "a variable empty",
     .account = "password = { env = \"RM_CHECK_PASSWORD\"; };",
     .env = {"RM_CHECK_PASSWORD="},
     .exit_code = 78,
     .err = "account relay: password: variable RM_CHECK_PASSWORD is empty\n"},
    {.name = "a variable not set here, daemon mode",
     .delivery = "daemon",
     .daemon = "user = \"root\";",
     .account = "password = { env = \"RM_CHECK_PASSWORD\"; };",
     .out = "warning: account relay: password: variable RM_CHECK_PASSWORD is not set here "
            "(relaymaild reads its own environment)"},
    {.name = "a credential without CREDENTIALS_DIRECTORY",
     .account = "password = { credential = \"relay-pass\"; };",
     .out = "account relay: password: credential relay-pass: CREDENTIALS_DIRECTORY is not set "
            "here"},
    {.name = "a credential in CREDENTIALS_DIRECTORY",
     .account = "password = { credential = \"relay-pass\"; };",
     .prepare =
         [](const std::string& d) {
           ASSERT_EQ(::mkdir((d + "/creds").c_str(), 0700), 0);
           secret(d + "/creds/relay-pass", 0644);  // systemd's directory: any mode will do
         },
     .env = {"CREDENTIALS_DIRECTORY=@/creds"},
     .out = ": OK (1 account"},
    {.name = "a credential missing from CREDENTIALS_DIRECTORY",
     .account = "password = { credential = \"relay-pass\"; };",
     .prepare = [](const std::string& d) { ASSERT_EQ(::mkdir((d + "/creds").c_str(), 0700), 0); },
     .env = {"CREDENTIALS_DIRECTORY=@/creds"},
     .out = "warning: account relay: password: credential @/creds/relay-pass: not there yet"},
    {.name = "a credential that is a symbolic link",
     .account = "password = { credential = \"relay-pass\"; };",
     .prepare =
         [](const std::string& d) {
           ASSERT_EQ(::mkdir((d + "/creds").c_str(), 0700), 0);
           secret(d + "/relay.pass", 0600);
           ASSERT_EQ(::symlink((d + "/relay.pass").c_str(), (d + "/creds/relay-pass").c_str()), 0);
         },
     .env = {"CREDENTIALS_DIRECTORY=@/creds"},
     .exit_code = 78,
     .err = "account relay: password: credential @/creds/relay-pass: a symbolic link"},
    {.name = "the keyring",
     .account = "password = { keyring = true; };",
     .out = "account relay: password: keyring: not contacted by check (check --connect asks it)"},
    {.name = "an oauth2 refresh token file, mode 0644",
     .account = "auth = \"xoauth2\";\n"
                "oauth2 = { provider = \"microsoft\"; client_id = \"cid\";\n"
                "  refresh_token = { file = \"@/m365.token\"; }; };",
     .prepare = [](const std::string& d) { secret(d + "/m365.token", 0644); },
     .exit_code = 78,
     .err = "relaymail: check: account relay: oauth2.refresh_token file @/m365.token: mode 0644 "
            "is readable by others (chmod 600 it)\n"},
    {.name = "an oauth2 refresh token file not there yet",
     .account = "auth = \"xoauth2\";\n"
                "oauth2 = { provider = \"microsoft\"; client_id = \"cid\";\n"
                "  refresh_token = { file = \"@/m365.token\"; }; };",
     .out = "oauth2.refresh_token file @/m365.token: not there yet; delivery waits for it, the "
            "mail queued (relaymail oauth2 authorize relay writes it)"},
    {.name = "daemon mode, daemon.user does not exist",
     .delivery = "daemon",
     .daemon = "user = \"rm-no-such-user\";",
     .account = "password = { file = \"@/relay.pass\"; };",
     .prepare = [](const std::string& d) { secret(d + "/relay.pass", 0600); },
     .out = "warning: daemon.user \"rm-no-such-user\": no such user here"},
    {.name = "daemon mode, daemon.user does not exist, mode 0644",
     .delivery = "daemon",
     .daemon = "user = \"rm-no-such-user\";",
     .account = "password = { file = \"@/relay.pass\"; };",
     .prepare = [](const std::string& d) { secret(d + "/relay.pass", 0644); },
     .exit_code = 78,
     .err = "account relay: password file @/relay.pass: mode 0644 is readable by others"},
    {.name = "daemon mode, a file not there yet",
     .delivery = "daemon",
     .daemon = "user = \"root\";",
     .account = "password = { file = \"@/relay.pass\"; };",
     .out = "warning: account relay: password file @/relay.pass: not there yet; relaymaild will "
            "not start until it is"},
};

std::string config_text(const SourceCase& c, const World& w) {
  std::string text = "delivery = \"" + std::string(c.delivery) + "\";\n" + "spool = \"" +
                     w.spool() + "\";\n" + "domain = \"example.com\";\n" +
                     "log = { syslog = false; };\n";
  if (*c.daemon != '\0') {
    text += "daemon = { " + std::string(c.daemon) + " };\n";
  }
  text +=
      "accounts = ( {\n  name = \"relay\";\n  host = \"smtp.example.net\";\n"
      "  user = \"me\";\n  " +
      in_dir(c.account, w.dir()) + "\n} );\n";
  return text;
}

RunResult check(const World& w, const std::vector<std::string>& env) {
  std::vector<std::string> all = w.env();
  for (const std::string& e : env) {
    all.push_back(in_dir(e, w.dir()));
  }
  return run(w.bin("relaymail"), {"check"}, "", all);
}

TEST(CheckSources, Table) {
  for (const SourceCase& c : kCases) {
    SCOPED_TRACE(c.name);
    World w;
    ASSERT_TRUE(write_file(w.config_path(), config_text(c, w)));
    if (c.prepare != nullptr) {
      c.prepare(w.dir());
    }
    RunResult r = check(w, c.env);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr(in_dir(c.out, w.dir()))) << r.err;
    if (*c.err == '\0') {
      EXPECT_EQ(r.err, "");
    } else {
      EXPECT_THAT(r.err, HasSubstr(in_dir(c.err, w.dir())));
    }
    if (c.exit_code == 0) {
      EXPECT_THAT(r.out, HasSubstr(": OK (1 account"));
    } else {
      EXPECT_THAT(r.out, Not(HasSubstr("OK (")));
    }
    EXPECT_THAT(r.out + r.err, Not(HasSubstr("s3cret-pass")));
  }
}

// The owner: the caller's uid, or in daemon mode daemon.user's (here the caller's own name).
// Giving a file away needs root: those cases run as root only (CI runs as root), the others as
// anyone.
struct OwnerCase {
  const char* name;
  bool daemon;    // daemon mode, daemon.user the caller; else queue mode: the caller reads it
  bool stranger;  // the file belongs to kStranger, not to the caller
  mode_t dir_mode = 0700;  // of the directory holding the file
  int exit_code;
  std::string says = "";  // in stderr; "{uid}" stands for the caller's uid
};

std::string with_uid(std::string text) {
  const std::string mark = "{uid}";
  if (size_t at = text.find(mark); at != std::string::npos) {
    text.replace(at, mark.size(), std::to_string(::geteuid()));
  }
  return text;
}

TEST(CheckSources, TheOwnerIsTheReader) {
  const passwd* me = ::getpwuid(::geteuid());
  ASSERT_NE(me, nullptr);
  const std::string daemon = std::string("user = \"") + me->pw_name + "\";";
  const std::string me_quoted = std::string("daemon.user \"") + me->pw_name + "\"";
  const OwnerCase kOwners[] = {
      {.name = "ours", .daemon = false, .stranger = false, .exit_code = 0},
      {.name = "another uid's",
       .daemon = false,
       .stranger = true,
       .exit_code = 78,
       .says = "password file @/secrets/relay.pass: owned by uid 54321, not by uid {uid}\n"},
      {.name = "daemon.user's own", .daemon = true, .stranger = false, .exit_code = 0},
      {.name = "daemon mode, another uid's",
       .daemon = true,
       .stranger = true,
       .exit_code = 78,
       .says = "owned by uid 54321, not by uid {uid} (" + me_quoted + ", who reads it)"},
      {.name = "daemon mode, in a directory anyone may write to",
       .daemon = true,
       .stranger = false,
       .dir_mode = 0777,
       .exit_code = 78,
       .says = "password file @/secrets/relay.pass: relaymaild refuses it: @/secrets is writable "
               "by group or others"},
  };
  for (const OwnerCase& c : kOwners) {
    SCOPED_TRACE(c.name);
    if (c.stranger && ::geteuid() != 0) {
      continue;  // chown to another uid needs root
    }
    World w;
    const std::string dir = w.dir() + "/secrets";
    const std::string file = dir + "/relay.pass";
    ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
    ASSERT_EQ(::chmod(dir.c_str(), c.dir_mode), 0);
    secret(file, 0600);
    if (c.stranger) {
      ASSERT_EQ(::chown(file.c_str(), kStranger, 0), 0);
    }
    SourceCase sc{.name = c.name, .account = "password = { file = \"@/secrets/relay.pass\"; };"};
    if (c.daemon) {
      sc.delivery = "daemon";
      sc.daemon = daemon.c_str();
    }
    ASSERT_TRUE(write_file(w.config_path(), config_text(sc, w)));
    RunResult r = check(w, {});
    EXPECT_EQ(r.exit_code, c.exit_code) << r.out << r.err;
    if (c.exit_code == 0) {
      EXPECT_THAT(r.out, HasSubstr(": OK (1 account"));
      EXPECT_EQ(r.err, "");
    } else {
      EXPECT_THAT(r.err, HasSubstr(in_dir(with_uid(c.says), w.dir())));
      EXPECT_THAT(r.out, Not(HasSubstr("OK (")));
    }
  }
}

}  // namespace
}  // namespace rm::e2e
