// keyring/libsecret_store.h against a real Secret Service: gnome-keyring on a private D-Bus
// session that each test starts (support/secret_service.h). The store runs in keyring_tool, a
// process per call, since GLib's session bus connection is per process. Skipped only when
// gnome-keyring is not installed (`make test` installs it).
#include "keyring/libsecret_store.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "support/secret_service.h"
#include "support/temp_dir.h"
#include "sys/unique_fd.h"

namespace rm {
namespace {

using test::SecretServiceSession;
using test::TempDir;
using test::ToolResult;

constexpr const char* kHost = "smtp.example.org";
constexpr const char* kUser = "me@example.org";

// keyring_tool VERB kHost kUser TIMEOUT with exactly `env`: "ok..." or "error: ...".
ToolResult keyring(const std::string& verb, const std::vector<std::string>& env,
                   const std::string& input = "", int timeout_ms = 5000) {
  return test::run_tool({RM_KEYRING_TOOL_BIN, verb, kHost, kUser, std::to_string(timeout_ms)}, env,
                        input);
}

// secret-tool as a user would run it: the entry relaymail must find.
void store_with_secret_tool(const SecretServiceSession& s, const std::string& host,
                            const std::string& user, const std::string& password) {
  auto r =
      s.run({"secret-tool", "store", "--label=x", "host", host, "service", "smtp", "user", user},
            password);
  ASSERT_EQ(r.exit_code, 0) << r.out;
}

class LibsecretStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!SecretServiceSession::available()) {
      GTEST_SKIP() << "gnome-keyring-daemon, dbus-daemon, gdbus or secret-tool is not installed "
                      "(make test installs them)";
    }
  }
  // A fresh session with gnome-keyring, or with the bus alone.
  SecretServiceSession& session(bool with_keyring = true) {
    session_.reset();
    session_.emplace(dir_.path());
    std::string why;
    EXPECT_TRUE(session_->start(with_keyring, &why)) << why;
    return *session_;
  }

  TempDir dir_ = TempDir::create_or_die("relaymail-keyring");
  std::optional<SecretServiceSession> session_;
};

TEST_F(LibsecretStoreTest, FindsWhatSecretToolStored) {
  auto& s = session();
  store_with_secret_tool(s, kHost, kUser, "from-secret-tool");
  store_with_secret_tool(s, kHost, "other@example.org", "not-mine");
  store_with_secret_tool(s, "smtp.example.net", kUser, "not-mine-either");
  auto r = keyring("lookup", s.env());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "ok: from-secret-tool\n");
}

TEST_F(LibsecretStoreTest, StoreIsReadBySecretToolAndClearRemovesIt) {
  auto& s = session();
  for (const char* pw : {"first-pw", "replaced pw with spaces"}) {
    SCOPED_TRACE(pw);
    auto stored = keyring("store", s.env(), pw);
    ASSERT_EQ(stored.exit_code, 0) << stored.out;
    auto r = s.run({"secret-tool", "lookup", "host", kHost, "service", "smtp", "user", kUser});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out, pw);
    EXPECT_EQ(keyring("lookup", s.env()).out, std::string("ok: ") + pw + "\n");
  }
  auto cleared = keyring("clear", s.env());
  EXPECT_EQ(cleared.out, "ok: removed\n");
  auto r = s.run({"secret-tool", "lookup", "host", kHost, "service", "smtp", "user", kUser});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_EQ(keyring("clear", s.env()).out, "ok: none\n");
}

// Each way the keyring can be unavailable: its own line, naming the backend, always
// secret_unavailable (the message stays queued), never the password, never a prompt.
TEST_F(LibsecretStoreTest, EachFailureHasItsOwnLine) {
  enum class Setup { no_entry, locked, no_service, no_bus, unset };
  const struct {
    const char* name;
    Setup setup;
    const char* says;
  } kCases[] = {
      {"no such entry", Setup::no_entry,
       "keyring (libsecret): no entry for host=smtp.example.org service=smtp "
       "user=me@example.org"},
      {"locked collection", Setup::locked,
       "keyring (libsecret): the collection holding host=smtp.example.org service=smtp "
       "user=me@example.org is locked"},
      {"no Secret Service", Setup::no_service,
       "keyring (libsecret): no Secret Service on the session bus"},
      {"no bus at all", Setup::no_bus, "keyring (libsecret): cannot reach the session bus at "},
      {"no bus address", Setup::unset, "keyring (libsecret): no session bus"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> env = {"PATH=/usr/bin:/bin", "HOME=" + dir_.path()};
    switch (c.setup) {
      case Setup::no_entry:
        env = session().env();
        store_with_secret_tool(*session_, kHost, "someone-else", "x");
        break;
      case Setup::locked: {
        env = session().env();
        store_with_secret_tool(*session_, kHost, kUser, "locked-away");
        std::string why;
        ASSERT_TRUE(session_->lock_login(&why)) << why;
        break;
      }
      case Setup::no_service:
        env = session(false).env();
        break;
      case Setup::no_bus:
        env.push_back("DBUS_SESSION_BUS_ADDRESS=unix:path=" + dir_.file("no-bus-here"));
        break;
      case Setup::unset:
        break;
    }
    const std::string want = std::string("error: secret_unavailable: ") + c.says;
    auto start = std::chrono::steady_clock::now();
    auto r = keyring("lookup", env);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out.find(want), 0u) << r.out;
    EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "one line: " << r.out;
    EXPECT_EQ(r.out.find("locked-away"), std::string::npos);
    if (c.setup == Setup::locked) {  // nor do writing and clearing unlock it
      for (const char* verb : {"store", "clear"}) {
        auto w = keyring(verb, env, "new-pw");
        EXPECT_EQ(w.exit_code, 1) << verb;
        EXPECT_NE(w.out.find("is locked"), std::string::npos) << verb << ": " << w.out;
      }
    }
    session_.reset();
  }
}

// A bus that accepts the connection and never answers: the call ends at the timeout.
TEST_F(LibsecretStoreTest, SilentBusEndsAtTheTimeout) {
  const std::string path = dir_.file("silent.sock");
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(listener.valid());
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof addr.sun_path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener.get(), 8), 0);  // never accepted: the client waits for its AUTH

  auto start = std::chrono::steady_clock::now();
  auto r = keyring("lookup", {"PATH=/usr/bin:/bin", "DBUS_SESSION_BUS_ADDRESS=unix:path=" + path},
                   "", 300);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("error: secret_unavailable: keyring (libsecret): "), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("no answer within 300ms"), std::string::npos) << r.out;
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(SessionBusAddress, EnvironmentThenRuntimeDirSocket) {
  TempDir dir = TempDir::create_or_die("relaymail-bus");
  const std::string sock = dir.file("bus");
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, sock.c_str(), sock.size() + 1);
  ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  TempDir empty = TempDir::create_or_die("relaymail-bus");
  const struct {
    const char* env;
    std::string runtime;
    std::string want;
  } kCases[] = {
      {.env = "unix:path=/x", .runtime = dir.path(), .want = "unix:path=/x"},
      {.env = nullptr, .runtime = dir.path(), .want = "unix:path=" + sock},
      {.env = "", .runtime = dir.path(), .want = "unix:path=" + sock},
      {.env = nullptr, .runtime = empty.path(), .want = ""},
      {.env = nullptr, .runtime = "", .want = ""},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.want);
    EXPECT_EQ(session_bus_address(c.env, c.runtime.empty() ? nullptr : c.runtime.c_str()), c.want);
  }
}

}  // namespace
}  // namespace rm
