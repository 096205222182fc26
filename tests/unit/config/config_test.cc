// Tests for config/config.h: defaults, every key, unknown keys with file:line, gathered
// errors, enums, durations, the loopback rule, password sources, lookup, printing.
#include "config/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "config/config_schema.h"

namespace rm {
namespace {

using std::chrono::seconds;

Config must_parse(const std::string& text) {
  auto r = parse_config(text, "t.conf");
  EXPECT_TRUE(r) << r.error().what;
  return r ? *r : Config{};
}

std::string must_fail(const std::string& text) {
  auto r = parse_config(text, "t.conf");
  EXPECT_FALSE(r) << text;
  if (r) {
    return "";
  }
  EXPECT_EQ(r.error().code, Errc::config);
  return r.error().what;
}

// A temporary directory removed (with the files the test made) at the end.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
    tmpl += "/rm-config-XXXXXX";
    path_ = mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    for (const auto& f : files_) {
      std::remove(f.c_str());
    }
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
      rmdir(it->c_str());
    }
    rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }
  std::string mkdir(const std::string& rel) {
    std::string p = path_ + "/" + rel;
    ::mkdir(p.c_str(), 0700);
    dirs_.push_back(p);
    return p;
  }
  std::string write(const std::string& rel, const std::string& text) {
    std::string p = path_ + "/" + rel;
    std::ofstream(p) << text;
    files_.push_back(p);
    return p;
  }

 private:
  std::string path_;
  std::vector<std::string> files_;
  std::vector<std::string> dirs_;
};

TEST(Config, EmptyTextGivesTheStructDefaults) {
  Config want;
  want.path = "t.conf";
  EXPECT_EQ(must_parse(""), want);
}

TEST(Config, MinimalAccountGetsDefaults) {
  Config c = must_parse("accounts = ( { host = \"smtp.example.com\"; } );\n");
  ASSERT_EQ(c.accounts.size(), 1u);
  Account want;
  want.name = "smtp.example.com";
  want.host = "smtp.example.com";
  EXPECT_EQ(c.accounts[0], want);
  EXPECT_EQ(c.delivery, DeliveryMode::background);
  EXPECT_EQ(c.retry.first, seconds(60));
  EXPECT_EQ(c.retry.max, seconds(3600));
  EXPECT_EQ(c.retry.lifetime, seconds(5 * 86400));
  EXPECT_EQ(c.retry.warn, seconds(4 * 3600));
  EXPECT_TRUE(c.log.syslog);
  EXPECT_EQ(c.log.level, LogLevel::info);
}

// The table's default texts must all be valid and agree with config.h's initializers.
TEST(Config, SchemaDefaultsAreValid) {
  using namespace config_schema;
  for (const auto& k : keys()) {
    SCOPED_TRACE(std::string(scope_prefix(k.scope)) + k.name);
    EXPECT_NE(std::string(k.doc), "");
    if (k.scope == Scope::limit) {
      EXPECT_STREQ(k.def, "");  // a row sets only what it names
      continue;
    }
    if (k.kind == Kind::duration) {
      EXPECT_TRUE(parse_duration(k.def));
    }
    if (k.kind == Kind::size) {
      EXPECT_TRUE(parse_size(k.def));
    }
    if (k.kind == Kind::boolean) {
      EXPECT_TRUE(std::string(k.def) == "true" || std::string(k.def) == "false");
    }
  }
  EXPECT_EQ(parse_duration(key(Scope::account, "timeout").def).value(), Account{}.timeout);
  EXPECT_EQ(find_choice(tls_modes(), key(Scope::account, "tls").def), Account{}.tls);
  EXPECT_EQ(find_choice(auth_methods(), key(Scope::account, "auth").def), Account{}.auth);
  EXPECT_EQ(default_port(Account{}.tls), Account{}.port);
  EXPECT_EQ(std::stoul(key(Scope::account, "messages_per_connection").def),
            Account{}.messages_per_connection);
  EXPECT_EQ(std::stoul(key(Scope::account, "connections").def), Account{}.connections);
  EXPECT_GE(Account{}.connections, 1u);
  EXPECT_LE(Account{}.connections, kMaxConnections);
  const Config def;
  EXPECT_EQ(find_choice(recipients_with_t_modes(), key(Scope::top, "recipients_with_t").def),
            def.recipients_with_t);
  EXPECT_EQ(find_choice(unknown_local_modes(), key(Scope::top, "unknown_local").def),
            def.unknown_local);
  EXPECT_EQ(std::string(key(Scope::top, "add_to_header").def) == "true", def.add_to_header);
  EXPECT_EQ(parse_size(key(Scope::top, "max_message_size").def).value(), def.max_message_size);
  EXPECT_TRUE(def.daemon.limits.empty());
  EXPECT_FALSE(LimitRule{}.max_message_size || LimitRule{}.messages_per_hour ||
               LimitRule{}.recipients_per_message || LimitRule{}.connections ||
               LimitRule{}.senders);
  for (const char* k : {"for", "max_message_size", "messages_per_hour", "recipients_per_message",
                        "connections", "senders"}) {
    EXPECT_NE(find_key(Scope::limit, k), nullptr) << k;
  }
}

// The submission keys' defaults: union (28), qualify (61), no To: added (52), no size limit
// (46).
TEST(Config, SubmissionKeyDefaults) {
  Config c = must_parse("");
  EXPECT_EQ(c.recipients_with_t, RecipientsWithT::add);
  EXPECT_EQ(c.unknown_local, UnknownLocal::qualify);
  EXPECT_FALSE(c.add_to_header);
  EXPECT_EQ(c.max_message_size, 0u);
}

const char* kFull = R"(
domain = "example.com";
hostname = "web1.example.com";
delivery = "daemon";
spool = "/var/spool/rm";
admin = "ops@example.com";
aliases = "/etc/aliases";
from_rewrite = "always";
recipients_with_t = "exclude";
unknown_local = "reject";
add_to_header = true;
max_message_size = "25M";
retry = { first = "30s"; max = "2h"; lifetime = 86400; };
log = { syslog = false; file = "/var/log/relaymail.log"; level = "debug"; };
daemon = { socket = "/run/rm/s.sock"; user = "mailer"; admin_group = "adm"; stop_timeout = "30s";
  limits = (
    { for = "user:www-data"; messages_per_hour = 100; recipients_per_message = 20;
      max_message_size = "5M"; connections = 4; senders = [ "*@example.com", "<>" ]; },
    { for = "group:webapps"; messages_per_hour = 500; senders = [ ]; },
    { for = "*"; messages_per_hour = 1000; }
  );
};
accounts = (
  { name = "gmail";
    host = "smtp.gmail.com, smtp2.gmail.com smtp3.gmail.com"; port = 2525;
    tls = "tls";
    tls_ca_file = "/etc/ssl/ca.pem";
    tls_cert_file = "/etc/relaymail/client.pem";
    tls_key_file = "/etc/relaymail/client.key";
    tls_fingerprint = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
    auth = "scram-sha-256";
    user = "me@gmail.com";
    password = { command = "pass show \"gmail\""; };
    from = "me@gmail.com";
    senders = [ "me@gmail.com", "*@example.com" ];
    timeout = "2m";
    messages_per_connection = 0;
    connections = 16;
  },
  { name = "local"; host = "127.0.0.1"; tls = "none"; auth = "none"; password = { env = "PW"; }; },
  { name = "keyring"; host = "smtp.example.org"; tls = "smtps"; password = { keyring = true; }; },
  { name = "file"; host = "smtp.example.net"; password = { file = "/etc/relaymail/p"; }; },
  { name = "cred"; host = "smtp.example.com"; password = { credential = "smtp-pass"; }; }
);
)";

TEST(Config, EveryKeyParsed) {
  Config c = must_parse(kFull);
  EXPECT_EQ(c.domain, "example.com");
  EXPECT_EQ(c.hostname, "web1.example.com");
  EXPECT_EQ(c.delivery, DeliveryMode::daemon);
  EXPECT_EQ(c.spool, "/var/spool/rm");
  EXPECT_EQ(c.admin, "ops@example.com");
  EXPECT_EQ(c.aliases, "/etc/aliases");
  EXPECT_EQ(c.from_rewrite, FromRewrite::always);
  EXPECT_EQ(c.recipients_with_t, RecipientsWithT::exclude);
  EXPECT_EQ(c.unknown_local, UnknownLocal::reject);
  EXPECT_TRUE(c.add_to_header);
  EXPECT_EQ(c.max_message_size, 25u << 20);
  EXPECT_EQ(c.retry.first, seconds(30));
  EXPECT_EQ(c.retry.max, seconds(7200));
  EXPECT_EQ(c.retry.lifetime, seconds(86400));
  EXPECT_FALSE(c.log.syslog);
  EXPECT_EQ(c.log.file, "/var/log/relaymail.log");
  EXPECT_EQ(c.log.level, LogLevel::debug);
  EXPECT_EQ(c.daemon.socket, "/run/rm/s.sock");
  EXPECT_EQ(c.daemon.user, "mailer");
  EXPECT_EQ(c.daemon.admin_group, "adm");
  EXPECT_EQ(c.daemon.stop_timeout, seconds(30));
  const std::vector<LimitRule> limits = {
      {.target = "user:www-data",
       .max_message_size = 5u << 20,
       .messages_per_hour = 100,
       .recipients_per_message = 20,
       .connections = 4,
       .senders = std::vector<std::string>{"*@example.com", "<>"}},
      {.target = "group:webapps", .messages_per_hour = 500, .senders = std::vector<std::string>{}},
      {.target = "*", .messages_per_hour = 1000},
  };
  EXPECT_EQ(c.daemon.limits, limits);
  ASSERT_EQ(c.accounts.size(), 5u);
  const Account& a = c.accounts[0];
  EXPECT_EQ(a.name, "gmail");
  EXPECT_EQ(a.host, "smtp.gmail.com");
  EXPECT_EQ(a.fallback_hosts, (std::vector<std::string>{"smtp2.gmail.com", "smtp3.gmail.com"}));
  EXPECT_EQ(a.hosts().size(), 3u);
  EXPECT_EQ(a.port, 2525);
  EXPECT_EQ(a.tls_cert_file, "/etc/relaymail/client.pem");
  EXPECT_EQ(a.tls_key_file, "/etc/relaymail/client.key");
  EXPECT_EQ(a.messages_per_connection, 0u);
  EXPECT_EQ(c.accounts[1].messages_per_connection, 100u);
  EXPECT_EQ(a.connections, 16u);
  EXPECT_EQ(c.accounts[1].connections, Account{}.connections);
  EXPECT_TRUE(c.accounts[1].fallback_hosts.empty());
  EXPECT_EQ(a.tls, TlsMode::tls);
  EXPECT_EQ(a.tls_ca_file, "/etc/ssl/ca.pem");
  EXPECT_EQ(a.tls_fingerprint.size(), 95u);
  EXPECT_EQ(a.auth, AuthMethod::scram_sha_256);
  EXPECT_EQ(a.user, "me@gmail.com");
  EXPECT_EQ(a.password.kind, PasswordSource::Kind::command);
  EXPECT_EQ(a.password.value, "pass show \"gmail\"");
  EXPECT_EQ(a.from, "me@gmail.com");
  EXPECT_EQ(a.senders, (std::vector<std::string>{"me@gmail.com", "*@example.com"}));
  EXPECT_EQ(a.timeout, seconds(120));
  EXPECT_EQ(c.accounts[1].port, 25);
  EXPECT_EQ(c.accounts[1].tls, TlsMode::none);
  EXPECT_EQ(c.accounts[1].auth, AuthMethod::none);
  EXPECT_EQ(c.accounts[1].password.kind, PasswordSource::Kind::env);
  EXPECT_EQ(c.accounts[1].password.value, "PW");
  EXPECT_EQ(c.accounts[2].tls, TlsMode::tls);
  EXPECT_EQ(c.accounts[2].port, 465);
  EXPECT_EQ(c.accounts[2].password.kind, PasswordSource::Kind::keyring);
  EXPECT_EQ(c.accounts[3].port, 587);
  EXPECT_EQ(c.accounts[3].password.kind, PasswordSource::Kind::file);
  EXPECT_EQ(c.accounts[3].password.value, "/etc/relaymail/p");
  EXPECT_EQ(c.accounts[4].password.kind, PasswordSource::Kind::credential);
  EXPECT_EQ(c.accounts[4].password.value, "smtp-pass");
}

TEST(Config, PrintedConfigLoadsBackEqual) {
  for (const char* text : {kFull, "", "accounts = ( { host = \"h.example\"; } );"}) {
    SCOPED_TRACE(text);
    Config c = must_parse(text);
    std::string printed = print_config(c);
    auto back = parse_config(printed, "t.conf");
    ASSERT_TRUE(back) << back.error().what << "\n" << printed;
    EXPECT_EQ(*back, c) << printed;
  }
  std::string printed = print_config(must_parse(kFull));
  EXPECT_NE(printed.find("password = { command = \"pass show \\\"gmail\\\"\"; };"),
            std::string::npos)
      << printed;
  EXPECT_NE(printed.find("password = { keyring = true; };"), std::string::npos);
  EXPECT_NE(printed.find("password = { credential = \"smtp-pass\"; };"), std::string::npos);
  EXPECT_NE(printed.find("lifetime = \"1d\""), std::string::npos);
  EXPECT_NE(printed.find("recipients_with_t = \"exclude\";\n"), std::string::npos) << printed;
  EXPECT_NE(printed.find("unknown_local = \"reject\";\n"), std::string::npos);
  EXPECT_NE(printed.find("add_to_header = true;\n"), std::string::npos);
  EXPECT_NE(printed.find("max_message_size = \"25M\";\n"), std::string::npos);
  std::string defaults = print_config(must_parse(""));
  EXPECT_NE(defaults.find("recipients_with_t = \"union\";\n"), std::string::npos) << defaults;
  EXPECT_NE(defaults.find("unknown_local = \"qualify\";\n"), std::string::npos);
  EXPECT_NE(defaults.find("add_to_header = false;\n"), std::string::npos);
  EXPECT_NE(defaults.find("max_message_size = \"0\";\n"), std::string::npos);
}

struct ErrCase {
  const char* name;
  std::string text;
  std::vector<std::string> want;  // each a substring of a line, in order, one line each
};

void check_errors(const std::vector<ErrCase>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string what = must_fail(c.text);
    std::vector<std::string> lines;
    for (size_t start = 0; start <= what.size();) {
      size_t nl = what.find('\n', start);
      if (nl == std::string::npos) {
        nl = what.size();
      }
      lines.push_back(what.substr(start, nl - start));
      start = nl + 1;
    }
    ASSERT_EQ(lines.size(), c.want.size()) << what;
    for (size_t i = 0; i < lines.size(); ++i) {
      EXPECT_NE(lines[i].find(c.want[i]), std::string::npos) << lines[i];
    }
  }
}

TEST(Config, UnknownKeysNameFileAndLine) {
  check_errors({
      {.name = "top",
       .text = "domain = \"x.org\";\ndomian = \"x\";\n",
       .want = {"t.conf:2: unknown setting 'domian'"}},
      {.name = "retry",
       .text = "retry = {\n  first = \"1m\";\n  maximum = \"1h\";\n};\n",
       .want = {"t.conf:3: unknown setting 'retry.maximum'"}},
      {.name = "log",
       .text = "log = { lvl = \"info\"; };\n",
       .want = {"t.conf:1: unknown setting 'log.lvl'"}},
      {.name = "daemon",
       .text = "daemon = {\n  sockett = \"/x\";\n};\n",
       .want = {"t.conf:2: unknown setting 'daemon.sockett'"}},
      {.name = "account",
       .text = "accounts = (\n { host = \"h\";\n   hots = \"x\"; }\n);\n",
       .want = {"t.conf:3: unknown setting 'accounts[0].hots'"}},
      {.name = "password",
       .text =
           "accounts = ( { host = \"h\";\n password = { file = \"/p\";\n path = \"/q\"; }; } );\n",
       .want = {"t.conf:3: unknown setting 'accounts[0].password.path'"}},
      {.name = "credential",
       .text = "accounts = ( { host = \"h\";\n password = {\n credentials = \"x\"; }; } );\n",
       .want = {"t.conf:2: accounts[0].password: no source",
                "t.conf:3: unknown setting 'accounts[0].password.credentials'"}},
  });
}

TEST(Config, AllProblemsReportedTogetherInLineOrder) {
  check_errors(
      {{.name = "four",
        .text = "delivery = \"later\";\n"
                "log = { level = \"loud\"; };\n"
                "bogus = 1;\n"
                "accounts = ( { host = \"smtp.x.org\"; port = 70000; } );\n",
        .want = {"t.conf:1: delivery: unknown value \"later\" (daemon | background | "
                 "foreground | queue)",
                 "t.conf:2: log.level: unknown value \"loud\"", "t.conf:3: unknown setting 'bogus'",
                 "t.conf:4: accounts[0].port: 70000 is out of range (1-65535)"}}});
}

TEST(Config, BadValuesAndTypes) {
  check_errors({
      {.name = "from_rewrite",
       .text = "from_rewrite = \"sometimes\";",
       .want = {"from_rewrite: unknown value"}},
      {.name = "tls",
       .text = "accounts = ({ host = \"h\"; tls = \"ssl\"; });",
       .want = {"accounts[0].tls: unknown value \"ssl\" (starttls | tls | smtps | none)"}},
      {.name = "auth",
       .text = "accounts = ({ host = \"h\"; auth = \"md5\"; });",
       .want = {"accounts[0].auth: unknown value \"md5\""}},
      {.name = "port type",
       .text = "accounts = ({ host = \"h\"; port = \"587\"; });",
       .want = {"accounts[0].port: expected an integer"}},
      {.name = "port zero",
       .text = "accounts = ({ host = \"h\"; port = 0; });",
       .want = {"accounts[0].port: 0 is out of range"}},
      {.name = "string type",
       .text = "domain = 5;",
       .want = {"t.conf:1: domain: expected a string"}},
      {.name = "bool type",
       .text = "log = { syslog = \"yes\"; };",
       .want = {"log.syslog: expected true or false"}},
      {.name = "group type", .text = "retry = 5;", .want = {"retry: expected a group"}},
      {.name = "fallback host not loopback with tls none",
       .text = "accounts = ({ host = \"127.0.0.1, smtp.example.com\"; tls = \"none\"; });",
       .want = {"accounts[0].tls: \"none\" is allowed only for a loopback host"}},
      {.name = "hosts only separators",
       .text = "accounts = ({ host = \" , \"; });",
       .want = {"accounts[0]: host is missing or empty"}},
      {.name = "client cert without key",
       .text = "accounts = ({ host = \"h\"; tls_cert_file = \"/c.pem\"; });",
       .want = {"tls_cert_file and tls_key_file go together"}},
      {.name = "client key relative",
       .text = "accounts = ({ host = \"h\"; tls_cert_file = \"/c\"; tls_key_file = \"k\"; });",
       .want = {"tls_key_file"}},
      {.name = "messages_per_connection negative",
       .text = "accounts = ({ host = \"h\"; messages_per_connection = -1; });",
       .want = {"messages_per_connection: expected an integer from 0"}},
      {.name = "messages_per_connection string",
       .text = "accounts = ({ host = \"h\"; messages_per_connection = \"5\"; });",
       .want = {"messages_per_connection: expected an integer from 0"}},
      {.name = "connections zero",
       .text = "accounts = ({ host = \"h\"; connections = 0; });",
       .want = {"accounts[0].connections: expected an integer from 1 to 16"}},
      {.name = "connections above 16",
       .text = "accounts = ({ host = \"h\"; connections = 17; });",
       .want = {"accounts[0].connections: expected an integer from 1 to 16"}},
      {.name = "connections negative",
       .text = "accounts = ({ host = \"h\"; connections = -2; });",
       .want = {"accounts[0].connections: expected an integer from 1 to 16"}},
      {.name = "connections string",
       .text = "accounts = ({ host = \"h\"; connections = \"4\"; });",
       .want = {"t.conf:1: accounts[0].connections: expected an integer from 1 to 16"}},
      {.name = "accounts type",
       .text = "accounts = { host = \"h\"; };",
       .want = {"accounts: expected a list of groups"}},
      {.name = "account not group",
       .text = "accounts = ( \"h\" );",
       .want = {"accounts[0]: expected a group"}},
      {.name = "empty host",
       .text = "accounts = ({ host = \"\"; });",
       .want = {"accounts[0]: host is missing or empty"}},
      {.name = "no host",
       .text = "accounts = ({ name = \"x\"; });",
       .want = {"accounts[0]: host is missing or empty"}},
      {.name = "duplicate names",
       .text =
           "accounts = (\n{ name = \"a\"; host = \"h1\"; },\n{ name = \"a\"; host = \"h2\"; });",
       .want = {"t.conf:3: accounts[1]: account name \"a\" is already used by accounts[0]"}},
      {.name = "bad duration",
       .text = "retry = { first = \"5 minutes\"; };",
       .want = {"retry.first: bad duration \"5 minutes\""}},
      {.name = "negative duration",
       .text = "retry = { first = -5; };",
       .want = {"retry.first: must not be negative"}},
      {.name = "duration type",
       .text = "accounts = ({ host = \"h\"; timeout = true; });",
       .want = {"accounts[0].timeout: expected a duration"}},
      {.name = "max below first",
       .text = "retry = { first = \"2h\"; max = \"1h\"; };",
       .want = {"retry.max: must not be shorter than retry.first"}},
      {.name = "relative path",
       .text = "spool = \"spool\";",
       .want = {"spool: must be an absolute path"}},
      {.name = "senders",
       .text = "accounts = ({ host = \"h\"; senders = \"a@b\"; });",
       .want = {"accounts[0].senders: expected a list of strings"}},
      {.name = "fingerprint",
       .text = "accounts = ({ host = \"h\"; tls_fingerprint = \"abc\"; });",
       .want = {"accounts[0].tls_fingerprint: expected 64 hex digits"}},
      {.name = "mechanism needs user",
       .text = "accounts = ({ host = \"h\"; auth = \"plain\"; });",
       .want = {"accounts[0].auth: \"plain\" needs a user"}},
      {.name = "domain with @", .text = "domain = \"a@b\";", .want = {"domain: not a domain name"}},
  });
}

// retry.warn: a duration like its neighbours, 0 turning delay warnings off; printed and loaded
// back unchanged.
TEST(Config, RetryWarnValues) {
  const struct {
    const char* text;
    seconds want;
  } kCases[] = {
      {.text = "", .want = seconds(4 * 3600)},  // the default
      {.text = "retry = { warn = \"30m\"; };", .want = seconds(1800)},
      {.text = "retry = { warn = \"1d\"; };", .want = seconds(86400)},
      {.text = "retry = { warn = 90; };", .want = seconds(90)},
      {.text = "retry = { warn = \"0\"; };", .want = seconds(0)},  // off
      {.text = "retry = { warn = 0; };", .want = seconds(0)},
      {.text = "retry = { warn = \"6d\"; };", .want = seconds(6 * 86400)},  // past lifetime
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.text);
    Config cfg = must_parse(c.text);
    EXPECT_EQ(cfg.retry.warn, c.want);
    const std::string printed = print_config(cfg);
    EXPECT_NE(printed.find("warn = \"" + format_duration(c.want) + "\""), std::string::npos)
        << printed;
    auto back = parse_config(printed, "t.conf");
    ASSERT_TRUE(back) << back.error().what;
    EXPECT_EQ(back->retry.warn, c.want);
  }
}

TEST(Config, RetryWarnBadValuesSayWhatIsWrongInOneLine) {
  check_errors({
      {.name = "words",
       .text = "retry = { warn = \"4 hours\"; };",
       .want =
           {"t.conf:1: retry.warn: bad duration \"4 hours\": expected a number with an optional "
            "unit s, m, h or d"}},
      {.name = "unit",
       .text = "retry = { warn = \"4w\"; };",
       .want = {"retry.warn: bad duration \"4w\""}},
      {.name = "negative",
       .text = "retry = {\n  warn = -1;\n};",
       .want = {"t.conf:2: retry.warn: must not be negative"}},
      {.name = "type",
       .text = "retry = { warn = true; };",
       .want = {"retry.warn: expected a duration such as \"30s\", \"5m\", \"1h\" or \"2d\""}},
  });
}

struct SubmissionCase {
  const char* text;
  RecipientsWithT rcpts = RecipientsWithT::add;
  UnknownLocal unknown = UnknownLocal::qualify;
  bool add_to = false;
  uint64_t max_size = 0;
};

// Every accepted value of the submission keys, and their round trip through print_config.
TEST(Config, SubmissionKeysValidValues) {
  const SubmissionCase kCases[] = {
      {.text = "recipients_with_t = \"union\";"},
      {.text = "recipients_with_t = \"exclude\";", .rcpts = RecipientsWithT::exclude},
      {.text = "unknown_local = \"qualify\";"},
      {.text = "unknown_local = \"reject\";", .unknown = UnknownLocal::reject},
      {.text = "add_to_header = false;"},
      {.text = "add_to_header = true;", .add_to = true},
      {.text = "max_message_size = \"0\";"},
      {.text = "max_message_size = 0;"},
      {.text = "max_message_size = 10485760;", .max_size = 10485760},
      {.text = "max_message_size = 10000000000L;", .max_size = 10000000000ULL},
      {.text = "max_message_size = \"1000\";", .max_size = 1000},
      {.text = "max_message_size = \"512k\";", .max_size = 512ULL * 1024},
      {.text = "max_message_size = \"25M\";", .max_size = 25ULL * 1024 * 1024},
      {.text = "max_message_size = \"2G\";", .max_size = 2ULL << 30},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.text);
    Config cfg = must_parse(c.text);
    EXPECT_EQ(cfg.recipients_with_t, c.rcpts);
    EXPECT_EQ(cfg.unknown_local, c.unknown);
    EXPECT_EQ(cfg.add_to_header, c.add_to);
    EXPECT_EQ(cfg.max_message_size, c.max_size);
    auto back = parse_config(print_config(cfg), "t.conf");
    ASSERT_TRUE(back) << back.error().what;
    EXPECT_EQ(*back, cfg);
  }
}

TEST(Config, SubmissionKeysBadValues) {
  check_errors({
      {.name = "recipients_with_t (28)",
       .text = "domain = \"x.org\";\nrecipients_with_t = \"both\";",
       .want = {"t.conf:2: recipients_with_t: unknown value \"both\" (union | exclude)"}},
      {.name = "recipients_with_t type",
       .text = "recipients_with_t = true;",
       .want = {"t.conf:1: recipients_with_t: expected a string"}},
      {.name = "unknown_local (61)",
       .text = "\n\nunknown_local = \"bounce\";",
       .want = {"t.conf:3: unknown_local: unknown value \"bounce\" (qualify | reject)"}},
      {.name = "add_to_header (52)",
       .text = "add_to_header = \"yes\";",
       .want = {"t.conf:1: add_to_header: expected true or false"}},
      {.name = "size suffix (46)",
       .text = "max_message_size = \"25MB\";",
       .want = {"t.conf:1: max_message_size: bad size \"25MB\": expected a number of bytes with "
                "an optional suffix k, M or G"}},
      {.name = "negative size",
       .text = "max_message_size = -1;",
       .want = {"t.conf:1: max_message_size: must not be negative"}},
      {.name = "fractional size",
       .text = "max_message_size = 1.5;",
       .want = {"t.conf:1: max_message_size: expected a size such as \"25M\""}},
      {.name = "boolean size",
       .text = "max_message_size = true;",
       .want = {"max_message_size: expected a size"}},
      {.name = "all four together, in line order",
       .text = "max_message_size = \"big\";\nadd_to_header = 1;\nunknown_local = \"x\";\n"
               "recipients_with_t = \"y\";\n",
       .want = {"t.conf:1: max_message_size: bad size", "t.conf:2: add_to_header",
                "t.conf:3: unknown_local", "t.conf:4: recipients_with_t"}},
  });
}

TEST(Config, SyntaxErrorNamesFileAndLine) {
  std::string what = must_fail("domain = \"x\";\nhostname = ;\n");
  EXPECT_EQ(what, "t.conf:2: syntax error");
  what = must_fail("a = 1;\n");  // parses, then is unknown
  EXPECT_EQ(what, "t.conf:1: unknown setting 'a'");
  what = must_fail("domain = \"x\";\ndomain = \"y\";\n");
  EXPECT_EQ(what, "t.conf:2: duplicate setting name");
  // Found by fuzzing: a lone string is a syntax error (libconfig leaks its buffer there; the
  // sanitizer runs suppress that leak, tests/lsan.supp).
  what = must_fail("\"\"");
  EXPECT_EQ(what, "t.conf:1: syntax error");
}

struct TlsHostCase {
  const char* host;
  bool ok;
};

TEST(Config, TlsNoneOnlyForLoopback) {
  const TlsHostCase kCases[] = {
      {.host = "127.0.0.1", .ok = true},
      {.host = "127.1.2.3", .ok = true},
      {.host = "::1", .ok = true},
      {.host = "[::1]", .ok = true},
      {.host = "localhost", .ok = true},
      {.host = "LocalHost", .ok = true},
      {.host = "::ffff:127.0.0.1", .ok = true},
      {.host = "10.0.0.1", .ok = false},
      {.host = "128.0.0.1", .ok = false},
      {.host = "::2", .ok = false},
      {.host = "smtp.example.com", .ok = false},
      {.host = "localhost.example.com", .ok = false},
      {.host = "127.0.0.1.evil.com", .ok = false},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.host);
    EXPECT_EQ(is_loopback_host(c.host), c.ok);
    std::string text = std::string("accounts = ({ host = \"") + c.host + "\"; tls = \"none\"; });";
    auto r = parse_config(text, "t.conf");
    EXPECT_EQ(r.has_value(), c.ok);
    if (!r) {
      EXPECT_NE(r.error().what.find("only for a loopback host"), std::string::npos)
          << r.error().what;
    }
  }
  check_errors({{.name = "auth over plaintext",
                 .text = "accounts = ({ host = \"127.0.0.1\"; tls = \"none\"; auth = \"plain\"; "
                         "user = \"u\"; });",
                 .want = {"no authentication over a plaintext connection"}}});
}

TEST(Config, PasswordSources) {
  check_errors({
      {.name = "two sources",
       .text = "accounts = ({ host = \"h\"; password = { keyring = true; env = \"P\"; }; });",
       .want = {"accounts[0].password: more than one source (keyring, env)"}},
      {.name = "three sources",
       .text = "accounts = ({ host = \"h\"; password = { file = \"/p\"; command = \"c\"; env = "
               "\"P\"; }; });",
       .want = {"more than one source (file, command, env)"}},
      {.name = "no source",
       .text = "accounts = ({ host = \"h\"; password = { }; });",
       .want = {"accounts[0].password: no source"}},
      {.name = "keyring false",
       .text = "accounts = ({ host = \"h\"; password = { keyring = false; }; });",
       .want = {"no source"}},
      {.name = "literal",
       .text = "accounts = ({ host = \"h\"; password = \"hunter2\"; });",
       .want = {"passwords are never written in the config"}},
      {.name = "empty file",
       .text = "accounts = ({ host = \"h\"; password = { file = \"\"; }; });",
       .want = {"accounts[0].password.file: must not be empty"}},
      {.name = "relative file",
       .text = "accounts = ({ host = \"h\"; password = { file = \"p\"; }; });",
       .want = {"accounts[0].password.file: must be an absolute path"}},
      {.name = "credential and keyring",
       .text =
           "accounts = ({ host = \"h\"; password = { keyring = true; credential = \"c\"; }; });",
       .want = {"more than one source (keyring, credential)"}},
      {.name = "empty credential",
       .text = "accounts = ({ host = \"h\"; password = { credential = \"\"; }; });",
       .want = {"accounts[0].password.credential: must not be empty"}},
      {.name = "credential with a slash",
       .text = "accounts = ({ host = \"h\";\n password = { credential = \"../p\"; }; });",
       .want = {"t.conf:2: accounts[0].password.credential: \"../p\" must be a plain file name"}},
      {.name = "credential dot-dot",
       .text = "accounts = ({ host = \"h\"; password = { credential = \"..\"; }; });",
       .want = {"must be a plain file name"}},
      {.name = "credential not a string",
       .text = "accounts = ({ host = \"h\"; password = { credential = 3; }; });",
       .want = {"accounts[0].password.credential: expected a string",
                "accounts[0].password.credential: must not be empty"}},
  });
  Config c = must_parse("accounts = ({ host = \"h\"; });");
  EXPECT_EQ(c.accounts[0].password.kind, PasswordSource::Kind::none);
}

struct DurationCase {
  const char* in;
  long long want;  // -1: error
};

TEST(ParseDuration, Table) {
  const DurationCase kCases[] = {
      {.in = "0", .want = 0},
      {.in = "30", .want = 30},
      {.in = "30s", .want = 30},
      {.in = "5m", .want = 300},
      {.in = "1h", .want = 3600},
      {.in = "2d", .want = 172800},
      {.in = "007s", .want = 7},
      {.in = "", .want = -1},
      {.in = "s", .want = -1},
      {.in = "-5m", .want = -1},
      {.in = "+5m", .want = -1},
      {.in = "5 m", .want = -1},
      {.in = " 5m", .want = -1},
      {.in = "5mm", .want = -1},
      {.in = "5w", .want = -1},
      {.in = "1.5h", .want = -1},
      {.in = "5M", .want = -1},
      {.in = "9223372036854775807", .want = 9223372036854775807LL},
      {.in = "9223372036854775808", .want = -1},
      {.in = "106751991167301d", .want = -1},
      {.in = "99999999999999999999999h", .want = -1},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.in);
    auto r = parse_duration(c.in);
    EXPECT_EQ(r.has_value(), c.want >= 0);
    if (r && c.want >= 0) {
      EXPECT_EQ(r->count(), c.want);
    }
    if (!r) {
      EXPECT_EQ(r.error().code, Errc::config);
    }
  }
}

struct SizeCase {
  const char* in;
  bool ok;
  uint64_t want = 0;
};

// max_message_size (behaviour 46): bytes with an optional binary k/M/G suffix.
TEST(ParseSize, Table) {
  const SizeCase kCases[] = {
      {.in = "0", .ok = true, .want = 0},
      {.in = "1", .ok = true, .want = 1},
      {.in = "1000", .ok = true, .want = 1000},
      {.in = "1k", .ok = true, .want = 1024},
      {.in = "1K", .ok = true, .want = 1024},
      {.in = "25M", .ok = true, .want = 26214400},
      {.in = "25m", .ok = true, .want = 26214400},
      {.in = "2G", .ok = true, .want = 2147483648ULL},
      {.in = "2g", .ok = true, .want = 2147483648ULL},
      {.in = "0M", .ok = true, .want = 0},
      {.in = "007k", .ok = true, .want = 7168},
      {.in = "18446744073709551615", .ok = true, .want = 18446744073709551615ULL},
      {.in = "17179869183G", .ok = true, .want = 17179869183ULL << 30},
      {.in = "", .ok = false},
      {.in = "M", .ok = false},
      {.in = "-1", .ok = false},
      {.in = "+1", .ok = false},
      {.in = "1.5M", .ok = false},
      {.in = "25 M", .ok = false},
      {.in = " 25M", .ok = false},
      {.in = "25M ", .ok = false},
      {.in = "25MB", .ok = false},
      {.in = "25T", .ok = false},
      {.in = "25b", .ok = false},
      {.in = "0x10", .ok = false},
      {.in = "18446744073709551616", .ok = false},
      {.in = "17179869184G", .ok = false},
      {.in = "99999999999999999999999k", .ok = false},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.in);
    auto r = parse_size(c.in);
    EXPECT_EQ(r.has_value(), c.ok);
    if (r && c.ok) {
      EXPECT_EQ(*r, c.want);
    }
    if (!r) {
      EXPECT_EQ(r.error().code, Errc::config);
      EXPECT_NE(r.error().what.find(std::string("bad size \"") + c.in + "\""), std::string::npos);
    }
  }
}

struct FormatSizeCase {
  uint64_t in;
  const char* want;
};

TEST(FormatSize, TableAndRoundTrip) {
  const FormatSizeCase kCases[] = {
      {.in = 0, .want = "0"},
      {.in = 1, .want = "1"},
      {.in = 1000, .want = "1000"},
      {.in = 1024, .want = "1k"},
      {.in = 1536, .want = "1536"},
      {.in = 3072, .want = "3k"},
      {.in = 26214400, .want = "25M"},
      {.in = (1ULL << 20) + 1024, .want = "1025k"},
      {.in = 2ULL << 30, .want = "2G"},
      {.in = 18446744073709551615ULL, .want = "18446744073709551615"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.want);
    EXPECT_EQ(format_size(c.in), c.want);
    EXPECT_EQ(parse_size(format_size(c.in)).value(), c.in);
  }
}

TEST(FormatDuration, Table) {
  EXPECT_EQ(format_duration(seconds(0)), "0s");
  EXPECT_EQ(format_duration(seconds(90)), "90s");
  EXPECT_EQ(format_duration(seconds(60)), "1m");
  EXPECT_EQ(format_duration(seconds(7200)), "2h");
  EXPECT_EQ(format_duration(seconds(5 * 86400)), "5d");
  EXPECT_EQ(format_duration(seconds(86400 + 60)), "1441m");
}

TEST(ChoiceNames, Table) {
  EXPECT_STREQ(delivery_mode_name(DeliveryMode::daemon), "daemon");
  EXPECT_STREQ(delivery_mode_name(DeliveryMode::queue), "queue");
  EXPECT_STREQ(from_rewrite_name(FromRewrite::always), "always");
  EXPECT_STREQ(recipients_with_t_name(RecipientsWithT::add), "union");
  EXPECT_STREQ(recipients_with_t_name(RecipientsWithT::exclude), "exclude");
  EXPECT_STREQ(unknown_local_name(UnknownLocal::qualify), "qualify");
  EXPECT_STREQ(unknown_local_name(UnknownLocal::reject), "reject");
  EXPECT_STREQ(log_level_name(LogLevel::warn), "warn");
}

TEST(FindConfigPath, Table) {
  TempDir with;
  with.mkdir(".config");
  with.mkdir(".config/relaymail");
  std::string user = with.write(".config/relaymail/relaymail.conf", "");
  TempDir without;
  struct Case {
    const char* name;
    std::string explicit_path;
    const char* env;
    std::string home;
    std::string want;
  };
  const Case kCases[] = {
      {.name = "explicit wins",
       .explicit_path = "/x.conf",
       .env = "/env.conf",
       .home = with.path(),
       .want = "/x.conf"},
      {.name = "env next",
       .explicit_path = "",
       .env = "/env.conf",
       .home = with.path(),
       .want = "/env.conf"},
      {.name = "empty env ignored",
       .explicit_path = "",
       .env = "",
       .home = with.path(),
       .want = user},
      {.name = "per-user file",
       .explicit_path = "",
       .env = nullptr,
       .home = with.path(),
       .want = user},
      {.name = "home with slash",
       .explicit_path = "",
       .env = nullptr,
       .home = with.path() + "/",
       .want = user},
      {.name = "no per-user file",
       .explicit_path = "",
       .env = nullptr,
       .home = without.path(),
       .want = "/etc/relaymail.conf"},
      {.name = "no home",
       .explicit_path = "",
       .env = nullptr,
       .home = "",
       .want = "/etc/relaymail.conf"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(find_config_path(c.explicit_path, c.env, c.home), c.want);
  }
}

TEST(LoadConfig, FromFiles) {
  TempDir dir;
  std::string good = dir.write("good.conf", "delivery = \"queue\";\n");
  auto r = load_config(good);
  ASSERT_TRUE(r) << r.error().what;
  EXPECT_EQ(r->delivery, DeliveryMode::queue);
  EXPECT_EQ(r->path, good);

  std::string bad = dir.write("bad.conf", "delivery = \"queue\";\nspool = ;\n");
  auto b = load_config(bad);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().what, bad + ":2: syntax error");

  std::string unknown = dir.write("unknown.conf", "\n\nfoo = 1;\n");
  auto u = load_config(unknown);
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().what, unknown + ":3: unknown setting 'foo'");

  auto m = load_config(dir.path() + "/missing.conf");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::config);
  EXPECT_EQ(m.error().what, "read " + dir.path() + "/missing.conf: No such file or directory");

  auto d = load_config(dir.path());
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().what.find("Is a directory"), std::string::npos) << d.error().what;

  dir.write("inc.conf", "accounts = ({ host = \"h\"; port = 0; });\n");
  std::string main = dir.write("main.conf", "delivery = \"queue\";\n@include \"inc.conf\"\n");
  auto i = load_config(main);
  ASSERT_FALSE(i);
  EXPECT_NE(i.error().what.find("inc.conf:1: accounts[0].port"), std::string::npos)
      << i.error().what;
}

TEST(LoadConfig, ShippedExampleIsValid) {
  std::string here = __FILE__;
  std::string example = here.substr(0, here.rfind("/tests/")) + "/etc/relaymail.conf";
  auto r = load_config(example);
  ASSERT_TRUE(r) << r.error().what;
  // As installed: daemon mode and no account yet (mail waits in the queue for one).
  EXPECT_EQ(r->delivery, DeliveryMode::daemon);
  EXPECT_TRUE(r->accounts.empty());
  EXPECT_EQ(r->admin, "");
  // Its commented-out submission keys are the defaults.
  EXPECT_EQ(r->recipients_with_t, RecipientsWithT::add);
  EXPECT_EQ(r->unknown_local, UnknownLocal::qualify);
  EXPECT_FALSE(r->add_to_header);
  EXPECT_EQ(r->max_message_size, 0u);
}

TEST(Config, PickAccountBySenderPattern) {
  Config c = must_parse(R"(accounts = (
    { name = "default"; host = "a.example"; },
    { name = "work"; host = "b.example"; senders = [ "*@Example.COM", "boss@corp.example" ]; },
    { name = "other"; host = "c.example"; senders = [ "*@example.com" ]; }
  );)");
  struct Case {
    const char* sender;
    const char* preferred;
    const char* want;
  };
  const Case cases[] = {
      {"me@example.com", "", "work"},  // the first match wins, case-insensitively
      {"BOSS@corp.example", "", "work"},
      {"me@elsewhere.example", "", "default"},
      {"", "", "default"},  // a bounce goes through the default account
      {"me@example.com", "other", "other"},
      {"me@example.com", "gone", "work"},  // a vanished account: pick again
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(std::string(k.sender) + " / " + k.preferred);
    const Account* a = pick_account(c, k.sender, k.preferred);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->name, k.want);
  }
  EXPECT_EQ(pick_account(Config{}, "me@example.com"), nullptr);
}

}  // namespace
}  // namespace rm
