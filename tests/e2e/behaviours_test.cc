// End-to-end checks of the numbered behaviours in SENDMAIL.md §5, run against the built
// relaymail (argv[0] symlinks) and fake_smtpd. Each test names the behaviour numbers it covers.
// Behaviours that are not implemented yet (aliases, -bs, -bv, the config switches of 28/52/61,
// the size limit of 46, admin mapping of 59/60) have no test here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "e2e/harness.h"

namespace rm::e2e {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using ::testing::AnyOf;
using ::testing::Contains;
using ::testing::ContainsRegex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAreArray;

// Larger than any pipe buffer: a process that exits without reading it all makes the writer
// see EPIPE, which SpawnResult::input_written shows.
const std::string kBig(size_t{1} << 20, 'x');

std::string login() {
  const struct passwd* pw = ::getpwuid(::getuid());
  return pw != nullptr ? pw->pw_name : "";
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size()) {
    s.replace(p, from.size(), to);
  }
  return s;
}

size_t count_lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// True when `text` names `uid` the way a Received: line does ("uid 33", "userid 33", "uid=33").
bool names_uid(const std::string& text, uid_t uid) {
  // gtest's POSIX regex rather than std::regex: GCC 12 warns inside <regex> under ASan.
  return ::testing::Value(text, ContainsRegex("\\b(uid|userid)[ =]" + std::to_string(uid) + "\\b"));
}

// A user other than the test's own, for "works as any uid" (behaviours 51, 70).
struct OtherUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
  std::string gecos;  // up to the first comma
};

std::optional<OtherUser> other_user(bool want_empty_gecos) {
  std::optional<OtherUser> found;
  ::setpwent();
  while (const struct passwd* pw = ::getpwent()) {
    std::string gecos = pw->pw_gecos != nullptr ? pw->pw_gecos : "";
    gecos = gecos.substr(0, gecos.find(','));
    if (pw->pw_uid == ::getuid() || gecos.empty() != want_empty_gecos) {
      continue;
    }
    OtherUser u{pw->pw_uid, pw->pw_gid, pw->pw_name, gecos};
    if (!found || u.name == "www-data") {
      found = u;
    }
  }
  ::endpwent();
  return found;
}

// One World and one fake smarthost per test; messages accumulate, each send() takes the one
// new message.
class Behaviour : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(srv_.start());
    w_.write_config(srv_, "queue");
  }

  struct Sent {
    SpawnResult run;
    bool arrived = false;
    std::string msg;
    Envelope env;
  };

  // Submits, flushes and returns the message that reached the smarthost (if any).
  Sent send(const SpawnSpec& spec) {
    Sent s;
    size_t before = srv_.received();
    s.run = spawn(spec);
    if (s.run.exit_code != 0) {
      return s;
    }
    Delivered d = flush_and_collect(w_, srv_, before + 1);
    if (d.messages.size() > before && d.envelopes.size() > before) {
      s.arrived = true;
      s.msg = d.messages[before];
      s.env = d.envelopes[before];
    }
    return s;
  }
  Sent send(const std::vector<std::string>& args, const std::string& input) {
    return send(w_.sendmail_spec(args, input));
  }

  // The World's config with one line replaced, written to `path`.
  std::string config_with(const std::string& from, const std::string& to, const std::string& path) {
    std::string text = replace_all(read_file(w_.config_path()), from, to);
    EXPECT_TRUE(write_file(path, text));
    return path;
  }

  World w_;
  Smtpd srv_{w_.dir(), {}};
};

// ---- Invocation and argv ----

// Behaviour 1.
TEST_F(Behaviour, B01_DashTDashIQueuesSilently) {
  SpawnResult r = spawn(w_.sendmail_spec({"-t", "-i"}, "To: bob@example.org\n\nhi\n"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(w_.queued(), 1u);
  EXPECT_EQ(srv_.received(), 0u);
}

struct DotCase {
  const char* name;
  std::vector<std::string> flags = {};
  std::string body = {};  // expected at the smarthost
};

// Behaviours 2, 35, 36: -i, -oi, -O IgnoreDots=true keep a lone "." line; without them it ends
// the message and the rest of stdin is read and discarded.
TEST_F(Behaviour, B02_B35_B36_IgnoreDotsSpellingsAndTheLoneDot) {
  const std::string input = "Subject: dots\n\nbefore\n.\nafter\n";
  const DotCase kCases[] = {
      {.name = "-i", .flags = {"-i"}, .body = "before\r\n.\r\nafter\r\n"},
      {.name = "-oi", .flags = {"-oi"}, .body = "before\r\n.\r\nafter\r\n"},
      {.name = "-O IgnoreDots=true",
       .flags = {"-O", "IgnoreDots=true"},
       .body = "before\r\n.\r\nafter\r\n"},
      {.name = "-OIgnoreDots=true",
       .flags = {"-OIgnoreDots=true"},
       .body = "before\r\n.\r\nafter\r\n"},
      {.name = "no flag: the dot ends the message", .flags = {}, .body = "before\r\n"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    auto args = c.flags;
    args.push_back("bob@example.org");
    Sent s = send(args, input);
    EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
    ASSERT_TRUE(s.arrived);
    EXPECT_EQ(body_of(s.msg), c.body);
  }
}

// Behaviour 35: ".\r" ends the message too, and everything after the dot is drained (exit 0).
TEST_F(Behaviour, B35_DotLineEndsMessageAndRestIsDrained) {
  for (const std::string dot : {".\n", ".\r\n"}) {
    SCOPED_TRACE(testing::PrintToString(dot));
    std::string input = "Subject: dot\n\nkept\n" + dot + "after the dot\n" + kBig + "\n";
    Sent s = send({"bob@example.org"}, input);
    EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
    EXPECT_EQ(s.run.input_written, input.size()) << "stdin must be read to EOF";
    ASSERT_TRUE(s.arrived);
    EXPECT_EQ(body_of(s.msg), "kept\r\n");
  }
}

// Behaviour 3.
TEST_F(Behaviour, B03_ClusteredTiIsDashTDashI) {
  Sent s = send({"-ti"}, "To: bob@example.org\nSubject: ti\n\na\n.\nb\n");
  EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
  ASSERT_TRUE(s.arrived);
  EXPECT_THAT(s.env.to, ElementsAre("bob@example.org"));
  EXPECT_EQ(body_of(s.msg), "a\r\n.\r\nb\r\n");
}

// Behaviour 4.
TEST_F(Behaviour, B04_BodyTypeAttachedOrSeparate) {
  for (const auto& flags :
       std::vector<std::vector<std::string>>{{"-B8BITMIME"}, {"-B", "8BITMIME"}}) {
    SCOPED_TRACE(flags.size());
    auto args = flags;
    args.insert(args.end(), {"-i", "bob@example.org"});
    Sent s = send(args, "Subject: b\n\n8bit \xc3\xa9\n");
    EXPECT_EQ(s.run.exit_code, 0);
    EXPECT_EQ(s.run.err, "");
    EXPECT_TRUE(s.arrived);
  }
}

struct ArgvCase {
  const char* name;
  std::vector<std::string> args = {};
  std::string from = {};             // expected envelope sender
  std::vector<std::string> to = {};  // expected envelope recipients
};

// Behaviours 5, 6, 7, 58: -f / -r forms, last -f wins, null sender, unqualified senders.
TEST_F(Behaviour, B05_B06_B07_B58_EnvelopeSender) {
  const ArgvCase kCases[] = {
      {.name = "5: -fX", .args = {"-fsender@example.org"}, .from = "sender@example.org"},
      {.name = "5: -f X", .args = {"-f", "sender@example.org"}, .from = "sender@example.org"},
      {.name = "5: -rX", .args = {"-rsender@example.org"}, .from = "sender@example.org"},
      {.name = "5: -r X", .args = {"-r", "sender@example.org"}, .from = "sender@example.org"},
      {.name = "6: two -f, last wins",
       .args = {"-f", "first@example.org", "-fsecond@example.org"},
       .from = "second@example.org"},
      {.name = "6: PHP sendmail_path -f plus additional_params -f",
       .args = {"-t", "-i", "-fphp@example.org", "-oi", "-fapp@example.org"},
       .from = "app@example.org"},
      {.name = "7: -f ''", .args = {"-f", ""}, .from = ""},
      {.name = "7: -f '<>'", .args = {"-f", "<>"}, .from = ""},
      {.name = "7: -f<>", .args = {"-f<>"}, .from = ""},
      {.name = "58: -f root", .args = {"-f", "root"}, .from = "root@example.com"},
      {.name = "58: -f fail2ban", .args = {"-f", "fail2ban"}, .from = "fail2ban@example.com"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    auto args = c.args;
    args.push_back("bob@example.org");
    Sent s = send(args, "To: bob@example.org\nSubject: sender\n\nbody\n");
    EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
    EXPECT_EQ(s.run.err, "");
    ASSERT_TRUE(s.arrived);
    EXPECT_EQ(s.env.from, c.from);
    EXPECT_THAT(s.env.to, ElementsAre("bob@example.org"));
  }
}

// Behaviour 8: -F is used only when From: is generated.
TEST_F(Behaviour, B08_FullNameDoesNotTouchAnExistingFrom) {
  Sent s = send({"-FCronDaemon", "-i", "bob@example.org"},
                "From: Alice <alice@example.org>\nSubject: f\n\nbody\n");
  EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
  ASSERT_TRUE(s.arrived);
  EXPECT_THAT(header_values(s.msg, "From"), ElementsAre("Alice <alice@example.org>"));
  EXPECT_THAT(s.msg, Not(HasSubstr("CronDaemon")));
}

// Behaviours 9, 10, 11, 12: what argv words become recipients.
TEST_F(Behaviour, B09_B10_B11_B12_ArgvRecipients) {
  const ArgvCase kCases[] = {
      {.name = "11: one word, two addresses",
       .args = {"-i", "a@x.org, b@y.org"},
       .to = {"a@x.org", "b@y.org"}},
      {.name = "11: trailing comma (Debian cron MAILTO split)",
       .args = {"-i", "a@x.org,"},
       .to = {"a@x.org"}},
      {.name = "11: split MAILTO words",
       .args = {"-i", "a@x.org,", "b@y.org"},
       .to = {"a@x.org", "b@y.org"}},
      {.name = "12: Name <a@x.org>", .args = {"-i", "Name <a@x.org>"}, .to = {"a@x.org"}},
      {.name = "12: <a@x.org>", .args = {"-i", "<a@x.org>"}, .to = {"a@x.org"}},
      {.name = "12: \"Doe, J\" <j@x.org>",
       .args = {"-i", "\"Doe, J\" <j@x.org>"},
       .to = {"j@x.org"}},
      {.name = "12: root (Cron Daemon)",
       .args = {"-i", "root (Cron Daemon)"},
       .to = {"root@example.com"}},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    Sent s = send(c.args, "Subject: rcpt\n\nbody\n");
    EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
    EXPECT_EQ(s.run.err, "");
    if (!s.arrived) {
      ADD_FAILURE() << "nothing delivered";
      continue;
    }
    EXPECT_THAT(s.env.to, UnorderedElementsAreArray(c.to));
  }
}

// Behaviours 9 and 10: after "--", and after the first non-option, a "-word" is a recipient,
// not an option. RELIABILITY.md §3.8 and §6 case 25 then refuse a recipient with a leading '-'
// (exit 64, nothing queued), so the proof that it was parsed as a recipient is the error text:
// as an option, "-foo@x.example" would have set the sender to "oo@x.example" and succeeded.
TEST_F(Behaviour, B09_B10_DashWordsAfterOptionsAreRecipients) {
  const struct {
    const char* name;
    std::vector<std::string> args;
    const char* word;
  } kCases[] = {
      {"9: -- ends options", {"-i", "--", "-foo@x.example"}, "-foo@x.example"},
      {"10: parsing stops at the first non-option",
       {"-i", "bob@example.org", "-carol@example.org"},
       "-carol@example.org"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    RunResult r = w_.sendmail(c.args, "Subject: rcpt\n\nbody\n");
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_THAT(r.err, HasSubstr(std::string("bad recipient address '") + c.word + "'"));
    EXPECT_EQ(w_.queued(), 0u);
  }
}

// Behaviours 13 (the cron, cronie, anacron and mutt command lines) and 14 (flags that never
// make submission fail). -odb delivers from a background child, the rest through the flush.
TEST_F(Behaviour, B13_B14_CallerFlagsNeverFailSubmission) {
  const std::string xlog = w_.dir() + "/traffic.log";
  const std::vector<std::vector<std::string>> kCases = {
      {"-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root"},
      {"-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f", "root"},
      {"-FAnacron", "-odi", "root"},
      {"-oem", "-oi", "-B8BITMIME", "-f", "a@x.example", "-N", "failure,delay", "-R", "hdrs", "--",
       "b@y.example"},
      {"-odi", "root"},
      {"-odb", "root"},
      {"-odq", "root"},
      {"-oem", "root"},
      {"-oep", "root"},
      {"-oeq", "root"},
      {"-om", "root"},
      {"-U", "root"},
      {"-Am", "root"},
      {"-Ac", "root"},
      {"-G", "root"},
      {"-h", "5", "root"},
      {"-L", "tag", "root"},
      {"-X", xlog, "root"},
      {"-V", "id", "root"},
      {"-n", "root"},
      {"-c", "root"},
      {"-s", "root"},
      {"-x", "root"},
      {"-m", "root"},
      {"-v", "root"},
  };
  size_t n = 0;
  for (const auto& args : kCases) {
    SCOPED_TRACE(testing::PrintToString(args));
    Sent s = send(args, "To: root\nSubject: flags\n\nbody\n");
    EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
    EXPECT_TRUE(s.arrived);
    n += s.arrived ? 1 : 0;
  }
  EXPECT_EQ(srv_.received(), n) << "every message delivered exactly once";
}

// Behaviours 15, 66, 71: an unknown letter exits 64, one stderr line prefixed "sendmail:",
// after reading stdin to EOF.
TEST_F(Behaviour, B15_UnknownOptionExits64AfterDraining) {
  for (const char* opt : {"-Z", "-tZ", "-Q"}) {
    SCOPED_TRACE(opt);
    std::string input = "Subject: x\n\n" + kBig + "\n";
    SpawnResult r = spawn(w_.sendmail_spec({opt, "bob@example.org"}, input));
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.input_written, input.size());
    EXPECT_THAT(r.err, StartsWith("sendmail: "));
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(w_.queued(), 0u);
  }
}

// Behaviour 16: bad -N, -R, -B, -h values warn and the message still goes.
TEST_F(Behaviour, B16_InvalidDsnAndBodyValuesOnlyWarn) {
  const std::vector<std::vector<std::string>> kCases = {
      {"-N", "sometimes"}, {"-R", "most"}, {"-B", "9BIT"}, {"-h", "many"}};
  for (const auto& flags : kCases) {
    SCOPED_TRACE(flags[0]);
    auto args = flags;
    args.insert(args.end(), {"-i", "bob@example.org"});
    Sent s = send(args, "Subject: warn\n\nbody\n");
    EXPECT_EQ(s.run.exit_code, 0);
    EXPECT_THAT(s.run.err, HasSubstr(flags[1]));
    EXPECT_EQ(count_lines(s.run.err), 1u) << s.run.err;
    EXPECT_TRUE(s.arrived);
  }
}

// Behaviour 17: -C FILE wins over RELAYMAIL_CONFIG.
TEST_F(Behaviour, B17_DashCSelectsTheConfig) {
  std::string other = config_with("domain = \"example.com\";", "domain = \"other.example\";",
                                  w_.dir() + "/other.conf");
  Sent s = send({"-C", other, "-i", "bob"}, "Subject: c\n\nbody\n");
  EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
  ASSERT_TRUE(s.arrived);
  EXPECT_THAT(s.env.to, ElementsAre("bob@other.example"));
  EXPECT_EQ(s.env.from, login() + "@other.example");
}

// Behaviours 17, 65, 66: a missing, unreadable or invalid config exits 78 after draining.
TEST_F(Behaviour, B17_B65_BadConfigExits78AfterDraining) {
  std::string garbage = w_.dir() + "/garbage.conf";
  write_file(garbage, "this is { not libconfig\n");
  std::string unknown =
      config_with("log = {", "no_such_key = 1;\nlog = {", w_.dir() + "/unknown-key.conf");
  std::string dir = w_.dir() + "/a-directory.conf";
  ::mkdir(dir.c_str(), 0700);
  for (const std::string& path : {w_.dir() + "/missing.conf", garbage, unknown, dir}) {
    SCOPED_TRACE(path);
    std::string input = "Subject: x\n\n" + kBig + "\n";
    SpawnResult r = spawn(w_.sendmail_spec({"-C", path, "-i", "bob@example.org"}, input));
    EXPECT_EQ(r.exit_code, 78);
    EXPECT_EQ(r.input_written, input.size());
    EXPECT_THAT(r.err, StartsWith("sendmail: "));
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  }
  EXPECT_EQ(w_.queued(), 0u);
}

// Behaviour 18: argv[0] "sendmail" with no directory (sudo, atd).
TEST_F(Behaviour, B18_BareArgv0Sendmail) {
  SpawnSpec spec = w_.sendmail_spec({"-i", "bob@example.org"}, "Subject: argv0\n\nbody\n");
  spec.argv0 = "sendmail";
  Sent s = send(spec);
  EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
  EXPECT_EQ(s.run.err, "");
  ASSERT_TRUE(s.arrived);
  EXPECT_THAT(header_values(s.msg, "Subject"), ElementsAre("argv0"));
}

// Behaviours 19, 20: mailq, newaliases, hoststat, purgestat by argv[0]; -bp output.
TEST_F(Behaviour, B19_B20_PersonalitiesAndQueueListing) {
  for (const char* name : {"hoststat", "purgestat"}) {
    std::string link = w_.dir() + "/bin/" + name;
    ASSERT_EQ(::symlink(RM_RELAYMAIL_BIN, link.c_str()), 0);
  }
  EXPECT_EQ(w_.sendmail({"-bp"}, "").out, "Mail queue is empty\n");
  EXPECT_EQ(w_.mailq().out, "Mail queue is empty\n");
  for (const char* name : {"newaliases", "hoststat", "purgestat"}) {
    SCOPED_TRACE(name);
    RunResult r = run(w_.bin(name), {}, "", w_.env());
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  ASSERT_EQ(w_.sendmail({"-i", "bob@example.org"}, "Subject: q1\n\nbody\n").exit_code, 0);
  RunResult one = w_.mailq();
  EXPECT_EQ(one.exit_code, 0);
  EXPECT_THAT(one.out, HasSubstr("bob@example.org"));
  EXPECT_THAT(one.out, ContainsRegex("\n-- [0-9]+ Kbytes in 1 Request\\.\n$"));
  ASSERT_EQ(w_.sendmail({"-i", "carol@example.org"}, "Subject: q2\n\nbody\n").exit_code, 0);
  for (RunResult r : {w_.mailq(), w_.sendmail({"-bp"}, "")}) {
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_THAT(r.out, HasSubstr("carol@example.org"));
    EXPECT_THAT(r.out, ContainsRegex("\n-- [0-9]+ Kbytes in 2 Requests\\.\n$"));
  }
}

// Behaviour 22: every -q form exits 0 without reading stdin (which is never closed here: a
// read would block until the deadline).
TEST_F(Behaviour, B22_QueueRunFormsNeverReadStdin) {
  for (const char* q : {"-q", "-qf", "-qRexample.org", "-qI0123456789ABCDEF", "-qSroot", "-q30m"}) {
    SCOPED_TRACE(q);
    SpawnSpec spec = w_.sendmail_spec({q}, "");
    spec.stdin_held_open = true;
    spec.timeout = 10s;
    SpawnResult r = spawn(spec);
    EXPECT_FALSE(r.timed_out) << "waited for stdin";
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
}

// Behaviour 22: -q runs the queue now.
TEST_F(Behaviour, B22_DashQDeliversWhatIsQueued) {
  ASSERT_EQ(w_.sendmail({"-i", "bob@example.org"}, "Subject: q\n\nbody\n").exit_code, 0);
  SpawnSpec spec = w_.sendmail_spec({"-q"}, "");
  spec.stdin_held_open = true;
  spec.timeout = 10s;
  SpawnResult r = spawn(spec);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(srv_.wait_for(1, 10s));
  EXPECT_EQ(w_.queued(), 0u);
}

// Behaviour 25.
TEST_F(Behaviour, B25_UnsupportedModesExit64) {
  for (const char* opt : {"-bd", "-bt", "-ba", "-Q"}) {
    SCOPED_TRACE(opt);
    SpawnResult r = spawn(w_.sendmail_spec({opt}, "Subject: x\n\nbody\n"));
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_THAT(r.err, StartsWith("sendmail: "));
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  }
}

// ---- Recipients ----

struct ExtractCase {
  const char* name;
  std::vector<std::string> args = {};
  std::string input = {};
  std::vector<std::string> to = {};
};

// Behaviours 26, 27, 29, 30, 33: -t extraction.
TEST_F(Behaviour, B26_B27_B29_B30_B33_HeaderRecipients) {
  const ExtractCase kCases[] = {
      {.name = "26: To, Cc and Bcc, repeated, with a continuation line",
       .args = {"-t"},
       .input = "To: a@example.org\n"
                "To: b@example.org\n"
                "Cc: c@example.org\n"
                "Cc: d@example.org\n"
                "Bcc: e@example.org,\n"
                " f@example.org\n"
                "Bcc: g@example.org\n"
                "Subject: many\n\nbody\n",
       .to = {"a@example.org", "b@example.org", "c@example.org", "d@example.org", "e@example.org",
              "f@example.org", "g@example.org"}},
      {.name = "27: Resent-* present: only Resent-To/Cc/Bcc",
       .args = {"-t"},
       .input = "To: old@example.org\n"
                "Cc: old2@example.org\n"
                "Resent-From: fwd@example.org\n"
                "Resent-To: new@example.org\n"
                "Resent-Cc: new2@example.org\n"
                "Resent-Bcc: new3@example.org\n"
                "Subject: resent\n\nbody\n",
       .to = {"new@example.org", "new2@example.org", "new3@example.org"}},
      {.name = "29: undisclosed-recipients group plus Bcc",
       .args = {"-t"},
       .input = "To: undisclosed-recipients:;\nBcc: hidden@example.org\nSubject: u\n\nbody\n",
       .to = {"hidden@example.org"}},
      {.name = "30: duplicates across argv and headers, with display names",
       .args = {"-t", "bob@example.org"},
       .input = "To: bob@example.org\nCc: Bob <bob@example.org>\nBcc: bob@example.org\n"
                "Subject: dup\n\nbody\n",
       .to = {"bob@example.org"}},
      {.name = "30: a bare name and its qualified form",
       .args = {"-t", "root"},
       .input = "To: root@example.com\nSubject: dup\n\nbody\n",
       .to = {"root@example.com"}},
      {.name = "33: Apparently-To is not a recipient header",
       .args = {"-t"},
       .input = "Apparently-To: ghost@example.org\nTo: bob@example.org\nSubject: a\n\nbody\n",
       .to = {"bob@example.org"}},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    Sent s = send(c.args, c.input);
    EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
    if (!s.arrived) {
      ADD_FAILURE() << "nothing delivered";
      continue;
    }
    EXPECT_THAT(s.env.to, UnorderedElementsAreArray(c.to));
  }
}

// Behaviour 29: the group is kept as written.
TEST_F(Behaviour, B29_UndisclosedRecipientsHeaderIsKept) {
  Sent s = send({"-t"}, "To: undisclosed-recipients:;\nBcc: hidden@example.org\n\nbody\n");
  EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
  ASSERT_TRUE(s.arrived);
  EXPECT_THAT(header_values(s.msg, "To"), ElementsAre("undisclosed-recipients:;"));
}

struct ExitCase {
  const char* name;
  std::vector<std::string> args = {};
  std::string input = {};
  int exit_code = 0;
  const char* err = "";
};

// Behaviours 31, 32, 33, 66: no recipients exits 64 with the Postfix wording, after draining.
TEST_F(Behaviour, B31_B32_B33_NoRecipientsExit64AfterDraining) {
  const ExitCase kCases[] = {
      {.name = "31: no argv recipients and no -t",
       .args = {"-i"},
       .input = "To: bob@example.org\nSubject: x\n\n" + kBig + "\n",
       .exit_code = 64,
       .err = "Recipient addresses must be specified on the command line or via the -t option"},
      {.name = "32: -t without recipient headers",
       .args = {"-t"},
       .input = "Subject: x\n\n" + kBig + "\n",
       .exit_code = 64,
       .err = "No recipient addresses found in message header"},
      {.name = "33: -t with only Apparently-To",
       .args = {"-t"},
       .input = "Apparently-To: ghost@example.org\nSubject: x\n\n" + kBig + "\n",
       .exit_code = 64,
       .err = "No recipient addresses found in message header"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    SpawnResult r = spawn(w_.sendmail_spec(c.args, c.input));
    EXPECT_EQ(r.exit_code, c.exit_code);
    EXPECT_EQ(r.input_written, c.input.size());
    EXPECT_THAT(r.err, StartsWith("sendmail: "));
    EXPECT_THAT(r.err, HasSubstr(c.err));
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_EQ(w_.queued(), 0u);
  }
}

// ---- Message body and line handling ----

struct BodyCase {
  const char* name;
  std::vector<std::string> flags = {};
  std::string input = {};
  std::string body = {};  // expected body at the smarthost
};

// Behaviours 34, 36, 37, 38, 43, 44, 45: body bytes.
TEST_F(Behaviour, B34_B36_B37_B38_B43_B44_B45_BodyBytes) {
  const BodyCase kCases[] = {
      {.name = "34: LF", .input = "Subject: e\n\na\n\nb\n", .body = "a\r\n\r\nb\r\n"},
      {.name = "34: CRLF", .input = "Subject: e\r\n\r\na\r\n\r\nb\r\n", .body = "a\r\n\r\nb\r\n"},
      {.name = "34: mixed, PHP >= 8",
       .input = "Subject: e\r\n\r\nline one\nline two\r\n\n\r\n",
       .body = "line one\r\nline two\r\n\r\n\r\n"},
      {.name = "34: LF header block, CRLF body",
       .input = "Subject: e\n\na\r\nb\r\n",
       .body = "a\r\nb\r\n"},
      {.name = "36: lone dot with -i", .flags = {"-i"}, .input = "S: x\n\n.\n", .body = ".\r\n"},
      {.name = "36: dot lines with -i",
       .flags = {"-i"},
       .input = "Subject: d\n\n.\n..\n.x\n. \n",
       .body = ".\r\n..\r\n.x\r\n. \r\n"},
      {.name = "37: ..text with -i",
       .flags = {"-i"},
       .input = "Subject: d\n\n..text\n",
       .body = "..text\r\n"},
      {.name = "37: ..text without -i", .input = "Subject: d\n\n..text\n", .body = "..text\r\n"},
      {.name = "38: final line without newline",
       .input = "Subject: n\n\nfirst\nlast",
       .body = "first\r\nlast\r\n"},
      {.name = "43: 8-bit bytes unchanged",
       .input = "Subject: 8\n\nlatin1 \xe4\xf6\xfc utf8 \xc3\xa4\xc3\xb6 \xff\x80\n",
       .body = "latin1 \xe4\xf6\xfc utf8 \xc3\xa4\xc3\xb6 \xff\x80\r\n"},
      {.name = "44: NUL bytes removed", .input = "Subject: z\n\na\0b\0\0c\n"s, .body = "abc\r\n"},
      {.name = "45: bare CR is not a line end", .input = "Subject: r\n\na\rb\n", .body = "a b\r\n"},
      {.name = "45: CR CR LF", .input = "Subject: r\n\na\r\r\nb\n", .body = "a \r\nb\r\n"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    auto args = c.flags;
    args.push_back("bob@example.org");
    Sent s = send(args, c.input);
    EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
    if (!s.arrived) {
      ADD_FAILURE() << "nothing delivered";
      continue;
    }
    EXPECT_EQ(body_of(s.msg), c.body);
    EXPECT_EQ(first_bare_eol(s.msg), std::string::npos) << "CRLF only";
  }
}

// Behaviour 44: the NUL removal is logged.
TEST_F(Behaviour, B44_NulRemovalIsLogged) {
  Sent s = send({"bob@example.org"}, "Subject: z\n\na\0b\n"s);
  EXPECT_EQ(s.run.exit_code, 0);
  EXPECT_THAT(s.run.err, HasSubstr("NUL"));
  EXPECT_EQ(count_lines(s.run.err), 1u) << s.run.err;
  EXPECT_TRUE(s.arrived);
}

// Behaviour 45: a bare CR inside a header is not a line end either.
TEST_F(Behaviour, B45_BareCrInHeader) {
  Sent s = send({"bob@example.org"}, "Subject: one\rtwo\nX-Test: yes\n\nbody\n");
  EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
  ASSERT_TRUE(s.arrived);
  EXPECT_EQ(first_bare_eol(s.msg), std::string::npos);
  EXPECT_THAT(header_values(s.msg, "Subject"), ElementsAre("one two"));
  EXPECT_THAT(header_values(s.msg, "X-Test"), ElementsAre("yes"));
}

// Behaviour 39: an mbox "From " or ">From " first line is removed.
TEST_F(Behaviour, B39_MboxSeparatorLineRemoved) {
  for (const char* first : {"From alice@example.org Tue Mar  4 10:15:00 2025\n",
                            ">From alice@example.org Tue Mar  4 10:15:00 2025\n"}) {
    SCOPED_TRACE(first);
    Sent s = send({"bob@example.org"}, std::string(first) + "Subject: mbox\n\nbody\n");
    EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
    if (!s.arrived) {
      ADD_FAILURE() << "nothing delivered";
      continue;
    }
    EXPECT_THAT(s.msg, Not(HasSubstr("Tue Mar  4 10:15:00 2025")));
    EXPECT_THAT(header_values(s.msg, "Subject"), ElementsAre("mbox"));
    EXPECT_EQ(body_of(s.msg), "body\r\n");
  }
}

// Behaviour 40: empty stdin gives a message with generated From/Date/Message-ID, empty body.
TEST_F(Behaviour, B40_EmptyInput) {
  Sent s = send({"bob@example.org"}, "");
  EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
  ASSERT_TRUE(s.arrived);
  for (const char* name : {"From", "Date", "Message-ID"}) {
    EXPECT_EQ(header_values(s.msg, name).size(), 1u) << name;
  }
  EXPECT_EQ(body_of(s.msg), "");
  EXPECT_THAT(s.msg, testing::EndsWith("\r\n\r\n"));
}

// Behaviour 41: headers only get the blank line; a first line that is no header starts the body.
TEST_F(Behaviour, B41_HeadersOnlyAndBodyOnly) {
  Sent h = send({"bob@example.org"}, "Subject: only headers\nX-Foo: bar\n");
  EXPECT_EQ(h.run.exit_code, 0) << h.run.err;
  ASSERT_TRUE(h.arrived);
  EXPECT_THAT(header_values(h.msg, "X-Foo"), ElementsAre("bar"));
  EXPECT_THAT(h.msg, testing::EndsWith("\r\n\r\n"));
  EXPECT_EQ(body_of(h.msg), "");

  Sent b = send({"bob@example.org"}, "Hello there,\nthis is all body: really\n");
  EXPECT_EQ(b.run.exit_code, 0) << b.run.err;
  ASSERT_TRUE(b.arrived);
  EXPECT_EQ(body_of(b.msg), "Hello there,\r\nthis is all body: really\r\n");
  EXPECT_THAT(header_values(b.msg, "Subject"), IsEmpty());
}

// Behaviour 42: lines over 998 octets are accepted and folded with CRLF SP.
TEST_F(Behaviour, B42_LongLinesAreFolded) {
  std::string longline(2500, 'x');
  std::string words;
  for (int i = 0; i < 300; ++i) {
    words += " word" + std::to_string(i);
  }
  Sent s = send({"bob@example.org"}, "Subject:" + words + "\n\n" + longline + "\nshort\n");
  EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
  ASSERT_TRUE(s.arrived);
  size_t start = 0;
  while (start < s.msg.size()) {
    size_t eol = s.msg.find("\r\n", start);
    ASSERT_NE(eol, std::string::npos);
    EXPECT_LE(eol - start, 998u) << "line at offset " << start;
    start = eol + 2;
  }
  EXPECT_EQ(replace_all(body_of(s.msg), "\r\n ", ""), longline + "\r\nshort\r\n");
  std::vector<std::string> subject = header_values(s.msg, "Subject");
  ASSERT_EQ(subject.size(), 1u);
  EXPECT_EQ(subject[0], words.substr(1));
}

// ---- Headers ----

// Behaviours 47, 48: Bcc, Resent-Bcc (with continuations), Return-Path and Content-Length never
// reach the smarthost, with or without -t.
TEST_F(Behaviour, B47_B48_DroppedHeaders) {
  const std::string input =
      "Return-Path: <bounce@example.org>\n"
      "To: bob@example.org\n"
      "Bcc: hidden1@example.net,\n"
      " hidden2@example.net\n"
      "Content-Length: 123\n"
      "Subject: drop\n"
      "bcc: hidden5@example.net\n"
      "\n"
      "body\n";
  const std::string resent =
      "Resent-To: bob@example.org\n"
      "Resent-Bcc: hidden3@example.net,\n"
      "\thidden4@example.net\n" +
      input;
  const ExtractCase kCases[] = {
      {.name = "-t", .args = {"-t"}, .input = input},
      {.name = "argv", .args = {"bob@example.org"}, .input = input},
      {.name = "-t, Resent-*", .args = {"-t"}, .input = resent},
      {.name = "argv, Resent-*", .args = {"bob@example.org"}, .input = resent},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    Sent s = send(c.args, c.input);
    EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
    if (!s.arrived) {
      ADD_FAILURE() << "nothing delivered";
      continue;
    }
    EXPECT_THAT(s.msg, Not(HasSubstr("hidden")));
    for (const char* name : {"Bcc", "Resent-Bcc", "Return-Path", "Content-Length"}) {
      EXPECT_THAT(header_values(s.msg, name), IsEmpty()) << name;
    }
    EXPECT_THAT(header_values(s.msg, "Subject"), ElementsAre("drop"));
    EXPECT_EQ(body_of(s.msg), "body\r\n");
  }
}

// Behaviours 49, 50: Date and Message-ID are added when missing, kept when present.
TEST_F(Behaviour, B49_B50_DateAndMessageId) {
  Sent added = send({"bob@example.org"}, "Subject: gen\n\nbody\n");
  EXPECT_EQ(added.run.exit_code, 0) << added.run.err;
  ASSERT_TRUE(added.arrived);
  auto date = header_values(added.msg, "Date");
  ASSERT_EQ(date.size(), 1u);
  EXPECT_THAT(date[0], MatchesRegex("(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2} "
                                    "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
                                    "[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}"));
  auto id = header_values(added.msg, "Message-ID");
  ASSERT_EQ(id.size(), 1u);
  EXPECT_THAT(id[0], MatchesRegex("<[^<>@ ]+@client\\.test>"));

  Sent again = send({"bob@example.org"}, "Subject: gen\n\nbody\n");
  ASSERT_TRUE(again.arrived);
  EXPECT_NE(header_values(again.msg, "Message-ID"), id) << "Message-IDs are unique";

  Sent kept = send({"bob@example.org"},
                   "Date: Tue, 4 Mar 2025 10:15:00 +0100\n"
                   "Message-Id: <given.1@elsewhere.example>\n"
                   "Subject: kept\n\nbody\n");
  EXPECT_EQ(kept.run.exit_code, 0);
  ASSERT_TRUE(kept.arrived);
  EXPECT_THAT(header_values(kept.msg, "Date"), ElementsAre("Tue, 4 Mar 2025 10:15:00 +0100"));
  EXPECT_THAT(header_values(kept.msg, "Message-ID"), ElementsAre("<given.1@elsewhere.example>"));
}

struct FromCase {
  const char* name;
  std::vector<std::string> args = {};
  std::string from = {};  // the generated From: value
};

// Behaviour 51: From: is generated from -F, else the GECOS name, with the envelope sender.
TEST_F(Behaviour, B51_GeneratedFrom) {
  const struct passwd* pw = ::getpwuid(::getuid());
  ASSERT_NE(pw, nullptr);
  std::string gecos = pw->pw_gecos != nullptr ? pw->pw_gecos : "";
  gecos = gecos.substr(0, gecos.find(','));
  std::string me = login() + "@example.com";
  const FromCase kCases[] = {
      {.name = "-F atom", .args = {"-FCronDaemon"}, .from = "CronDaemon <" + me + ">"},
      {.name = "-F with a space",
       .args = {"-F", "Cron Daemon"},
       .from = "Cron Daemon <" + me + ">"},
      {.name = "-F with specials",
       .args = {"-F", "Doe, Jane"},
       .from = "\"Doe, Jane\" <" + me + ">"},
      {.name = "-F and -f",
       .args = {"-F", "Alice", "-f", "alice@example.org"},
       .from = "Alice <alice@example.org>"},
      {.name = "GECOS", .args = {}, .from = gecos.empty() ? me : gecos + " <" + me + ">"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    auto args = c.args;
    args.push_back("bob@example.org");
    Sent s = send(args, "Subject: from\n\nbody\n");
    EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
    if (!s.arrived) {
      ADD_FAILURE() << "nothing delivered";
      continue;
    }
    EXPECT_THAT(header_values(s.msg, "From"), ElementsAre(c.from));
  }
}

struct HeaderCase {
  const char* field;
  std::string in = {};
  std::string out = {};  // after qualification (behaviour 53)
};

const HeaderCase kAddressHeaders[] = {
    {.field = "From", .in = "Logwatch", .out = "Logwatch@example.com"},
    {.field = "Sender", .in = "Fail2Ban <fail2ban>", .out = "Fail2Ban <fail2ban@example.com>"},
    {.field = "Reply-To",
     .in = "\"Doe, J\" <jdoe>, helpdesk",
     .out = "\"Doe, J\" <jdoe@example.com>, helpdesk@example.com"},
    {.field = "To", .in = "root", .out = "root@example.com"},
    {.field = "Cc",
     .in = "root (Cron Daemon), Bob <bob@example.org>, carol@example.org",
     .out = "root@example.com (Cron Daemon), Bob <bob@example.org>, carol@example.org"},
    {.field = "Subject", .in = "root", .out = "root"},
    {.field = "X-Original-To", .in = "root", .out = "root"},
};

std::string address_header_input() {
  std::string in;
  for (const auto& h : kAddressHeaders) {
    in += std::string(h.field) + ": " + h.in + "\n";
  }
  return in + "\nbody\n";
}

// Behaviour 53: bare local parts in address headers get @default-domain; nothing else changes.
TEST_F(Behaviour, B53_BareNamesInAddressHeadersAreQualified) {
  Sent s = send({"bob@example.org"}, address_header_input());
  EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
  ASSERT_TRUE(s.arrived);
  for (const auto& h : kAddressHeaders) {
    SCOPED_TRACE(h.field);
    EXPECT_THAT(header_values(s.msg, h.field), ElementsAre(h.out));
  }
}

// Behaviour 54: with -G nothing is rewritten.
TEST_F(Behaviour, B54_DashGLeavesHeaderAddressesAlone) {
  Sent s = send({"-G", "bob@example.org"}, address_header_input());
  EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
  ASSERT_TRUE(s.arrived);
  for (const auto& h : kAddressHeaders) {
    SCOPED_TRACE(h.field);
    EXPECT_THAT(header_values(s.msg, h.field), ElementsAre(h.in));
  }
}

// Behaviours 55, 56: a Received: line naming the uid comes first; the caller's header block
// follows byte for byte (CRLF apart).
TEST_F(Behaviour, B55_B56_ReceivedFirstThenHeadersVerbatim) {
  const std::string headers =
      "Date: Tue, 4 Mar 2025 10:15:00 +0000\n"
      "From: Alice <alice@example.org>\n"
      "X-Odd:no-space-after-colon\n"
      "Subject:   three leading spaces and trailing ones   \n"
      "To: bob@example.org,\n"
      "\tcarol@example.org\n"
      "X-Dup: 1\n"
      "Message-ID: <order.1@example.org>\n"
      "X-Dup: 2\n"
      "x-lower-case: value\n"
      "Keywords: a,\n"
      "    b,\n"
      "  c\n"
      "MIME-Version: 1.0\n";
  Sent s = send({"bob@example.org"}, headers + "\nbody\n");
  EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
  ASSERT_TRUE(s.arrived);
  std::string block = headers_of(s.msg);
  ASSERT_THAT(block, StartsWith("Received: "));
  // The Received: field, with its continuation lines, then exactly the input.
  size_t end = block.find("\r\n");
  while (end != std::string::npos && end + 2 < block.size() &&
         (block[end + 2] == ' ' || block[end + 2] == '\t')) {
    end = block.find("\r\n", end + 2);
  }
  ASSERT_NE(end, std::string::npos);
  std::string received = block.substr(0, end);
  EXPECT_TRUE(names_uid(received, ::getuid())) << received;
  EXPECT_EQ(block.substr(end + 2), to_crlf(headers));
}

// Behaviour 57: without -f the sender is the real uid's login, whatever USER/LOGNAME say.
TEST_F(Behaviour, B57_SenderIsTheLoginOfTheRealUid) {
  SpawnSpec spec = w_.sendmail_spec({"-i", "bob@example.org"}, "Subject: who\n\nbody\n");
  spec.env.insert(spec.env.end(), {"USER=mallory", "LOGNAME=mallory", "NAME=Mallory"});
  Sent s = send(spec);
  EXPECT_EQ(s.run.exit_code, 0) << s.run.err;
  ASSERT_TRUE(s.arrived);
  EXPECT_EQ(s.env.from, login() + "@example.com");
  EXPECT_THAT(s.msg, Not(HasSubstr("mallory")));
}

// ---- Exit status and robustness ----

// Behaviour 63: at exit 0 the entry is in the queue directory and nothing is left in tmp/.
TEST_F(Behaviour, B63_ExitZeroMeansTheEntryIsCommitted) {
  SpawnResult r = spawn(w_.sendmail_spec({"-i", "bob@example.org"}, "Subject: c\n\nbody\n"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto mails = list_dir(w_.spool() + "/queue", ".mail");
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_TRUE(list_dir(w_.spool() + "/queue", ".env").empty()) << "no state before delivery";
  std::string msg = spooled_message(mails[0]);
  EXPECT_THAT(msg, HasSubstr("\r\nSubject: c\r\n"));
  EXPECT_THAT(msg, testing::EndsWith("\r\n\r\nbody\r\n"));
  EXPECT_THAT(list_dir(w_.spool() + "/tmp", ""), IsEmpty());
}

// Behaviours 64, 65, 66: failures never exit 75, have their sysexits code, and drain stdin
// first; a spool that cannot be created exits 73.
TEST_F(Behaviour, B64_B65_B66_FailuresUseSysexitsAndDrainStdin) {
  std::string blocker = w_.dir() + "/regular-file";
  write_file(blocker, "not a directory\n");
  std::string no_spool = config_with("spool = \"" + w_.spool() + "\";",
                                     "spool = \"" + blocker + "/spool\";", w_.dir() + "/ns.conf");
  std::string big = "To: bob@example.org\nSubject: x\n\n" + kBig + "\n";
  const ExitCase kCases[] = {
      {.name = "65: spool below a regular file (ENOTDIR)",
       .args = {"-C", no_spool, "-i", "bob@example.org"},
       .input = big,
       .exit_code = 73},
      {.name = "65: spool below a regular file, -t",
       .args = {"-C", no_spool, "-t", "-i"},
       .input = big,
       .exit_code = 73},
      {.name = "66: unknown option", .args = {"-Z"}, .input = big, .exit_code = 64},
      {.name = "66: no recipients", .args = {"-i"}, .input = big, .exit_code = 64},
      {.name = "66: unsupported mode -bd", .args = {"-bd"}, .input = big, .exit_code = 64},
      {.name = "66: unparsable argv recipient",
       .args = {"-i", "bob@@example.org"},
       .input = big,
       .exit_code = 64},
      {.name = "66: unparsable sender",
       .args = {"-i", "-f", "a b c@", "bob@example.org"},
       .input = big,
       .exit_code = 64},
      {.name = "66: unparsable To: with -t",
       .args = {"-t"},
       .input = "To: <<bob@@\nSubject: x\n\n" + kBig + "\n",
       .exit_code = 65},
      {.name = "78: missing config",
       .args = {"-C", w_.dir() + "/none.conf", "bob@example.org"},
       .input = big,
       .exit_code = 78},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    SpawnResult r = spawn(w_.sendmail_spec(c.args, c.input));
    EXPECT_NE(r.exit_code, 75);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
    EXPECT_EQ(r.input_written, c.input.size()) << "stdin drained before exit";
    EXPECT_THAT(r.err, StartsWith("sendmail: "));
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_EQ(r.out, "");
  }
  EXPECT_EQ(w_.queued(), 0u);
}

// Behaviour 64: with the smarthost down, foreground delivery still exits 0 (accepted, queued).
TEST_F(Behaviour, B64_ForegroundWithSmarthostDownExitsZero) {
  srv_.stop();
  SpawnResult r = spawn(w_.sendmail_spec({"-odi", "-i", "bob@example.org"}, "Subject: d\n\nb\n"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(w_.queued(), 1u);
  SpawnSpec q = w_.sendmail_spec({"-q"}, "");
  EXPECT_EQ(spawn(q).exit_code, 0);
  EXPECT_EQ(w_.queued(), 1u);
}

// Behaviours 69, 18: sudo's and atd's way of starting us: exact minimal env, cwd /, setsid,
// argv[0] "sendmail", stdout/stderr on /dev/null or closed, stdin a pipe or a file.
TEST_F(Behaviour, B69_MinimalEnvironmentNoTtyNoStdio) {
  std::string file = w_.dir() + "/job-output";
  write_file(file, "Subject: Output from your job        9\nTo: root\n\ndone\n");
  struct Setup {
    const char* name;
    Stdio stdio;
    bool file;
  };
  const Setup kCases[] = {{"/dev/null, pipe", Stdio::dev_null, false},
                          {"/dev/null, file", Stdio::dev_null, true},
                          {"closed, pipe", Stdio::closed, false},
                          {"closed, file", Stdio::closed, true}};
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    SpawnSpec spec = w_.sendmail_spec({"-t", "-i"}, read_file(file));
    spec.argv0 = "sendmail";
    spec.exact_env = std::vector<std::string>{"HOME=/", "PATH=/usr/bin:/bin", "LOGNAME=root",
                                              "USER=root", "RELAYMAIL_CONFIG=" + w_.config_path()};
    spec.cwd = "/";
    spec.new_session = true;
    spec.out = c.stdio;
    spec.err = c.stdio;
    if (c.file) {
      spec.stdin_file = file;
      spec.input.clear();
    }
    Sent s = send(spec);
    EXPECT_EQ(s.run.exit_code, 0);
    ASSERT_TRUE(s.arrived);
    EXPECT_EQ(body_of(s.msg), "done\r\n");
    EXPECT_THAT(s.env.to, ElementsAre("root@example.com"));
  }
}

// Behaviours 70, 17, 51: another uid (www-data when it exists), stdin a pipe or a seekable
// file, its own World and the config named by -C; From: generated from that user's passwd.
TEST(BehaviourOtherUid, B70_AnyUidPipeOrFile) {
  if (::getuid() != 0) {
    GTEST_SKIP() << "needs root to switch uid";
  }
  auto user = other_user(/*want_empty_gecos=*/false);
  ASSERT_TRUE(user.has_value());
  World w;
  Smtpd srv(w.dir(), {});
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "queue");
  ASSERT_TRUE(chown_tree(w.dir(), user->uid, user->gid));
  std::string file = w.dir() + "/stdin-file";
  write_file(file, "To: bob@example.org\nSubject: as another uid\n\nbody\n", 0644);
  std::string me = user->name + "@example.com";
  for (bool use_file : {false, true}) {
    SCOPED_TRACE(use_file ? "file" : "pipe");
    SpawnSpec spec = w.sendmail_spec({"-C", w.config_path(), "-t", "-i"}, read_file(file));
    spec.env = {};  // -C only
    spec.uid = user->uid;
    spec.gid = user->gid;
    spec.cwd = "/";
    if (use_file) {
      spec.stdin_file = file;
      spec.input.clear();
    }
    size_t before = srv.received();
    SpawnResult r = spawn(spec);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    SpawnSpec flush;
    flush.path = w.bin("relaymail");
    flush.args = {"-C", w.config_path(), "flush"};
    flush.uid = user->uid;
    flush.gid = user->gid;
    SpawnResult f = spawn(flush);
    EXPECT_EQ(f.exit_code, 0) << f.err;
    ASSERT_TRUE(srv.wait_for(before + 1, 10s));
    std::string msg = srv.messages().at(before);
    Envelope env = parse_envelope(srv.envelopes().at(before));
    EXPECT_EQ(env.from, me);
    EXPECT_THAT(env.to, ElementsAre("bob@example.org"));
    EXPECT_THAT(header_values(msg, "From"), ElementsAre(user->gecos + " <" + me + ">"));
    EXPECT_TRUE(names_uid(headers_of(msg), user->uid)) << msg;
  }
}

// Behaviour 51: with no -F and an empty GECOS field, From: is the bare address.
TEST(BehaviourOtherUid, B51_NoGecosGivesTheBareAddress) {
  if (::getuid() != 0) {
    GTEST_SKIP() << "needs root to switch uid";
  }
  auto user = other_user(/*want_empty_gecos=*/true);
  if (!user) {
    GTEST_SKIP() << "no account with an empty GECOS field";
  }
  World w;
  Smtpd srv(w.dir(), {});
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "queue");
  ASSERT_TRUE(chown_tree(w.dir(), user->uid, user->gid));
  SpawnSpec spec = w.sendmail_spec({"-i", "bob@example.org"}, "Subject: bare\n\nbody\n");
  spec.uid = user->uid;
  spec.gid = user->gid;
  SpawnResult r = spawn(spec);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  SpawnSpec flush;
  flush.path = w.bin("relaymail");
  flush.args = {"flush"};
  flush.env = w.env();
  flush.uid = user->uid;
  flush.gid = user->gid;
  EXPECT_EQ(spawn(flush).exit_code, 0);
  ASSERT_TRUE(srv.wait_for(1, 10s));
  std::string addr = user->name + "@example.com";
  // "the bare address": accept the addr-spec with or without angle brackets.
  EXPECT_THAT(header_values(srv.messages().at(0), "From"),
              ElementsAre(AnyOf(addr, "<" + addr + ">")));
}

// Behaviour 71: SIGPIPE is ignored (an error written to a pipe nobody reads does not kill
// us) and stdout is never written in submission mode.
TEST_F(Behaviour, B71_SigpipeIgnoredAndStdoutUnused) {
  SpawnSpec bad = w_.sendmail_spec({"-Z"}, "Subject: x\n\nbody\n");
  bad.err = Stdio::broken_pipe;
  SpawnResult r = spawn(bad);
  EXPECT_EQ(r.exit_code, 64) << "128+13 would be death by SIGPIPE";

  SpawnSpec good = w_.sendmail_spec({"-odi", "-v", "-i", "bob@example.org"}, "Subject: y\n\nb\n");
  good.out = Stdio::broken_pipe;
  good.err = Stdio::broken_pipe;
  Sent s = send(good);
  EXPECT_EQ(s.run.exit_code, 0);
  EXPECT_TRUE(s.arrived);

  for (const auto& args : std::vector<std::vector<std::string>>{
           {"-t", "-i"}, {"-odi", "-t"}, {"-v", "-t"}, {"-odq", "-t"}}) {
    SCOPED_TRACE(testing::PrintToString(args));
    SpawnResult q = spawn(w_.sendmail_spec(args, "To: bob@example.org\n\nbody\n"));
    EXPECT_EQ(q.exit_code, 0) << q.err;
    EXPECT_EQ(q.out, "") << "stdout is never written in submission mode";
  }
}

}  // namespace
}  // namespace rm::e2e
