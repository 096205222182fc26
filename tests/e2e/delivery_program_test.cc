// relaymail hands delivery to relaymaild (cli/deliver_now.h): submitting loads no TLS, keyring,
// GLib or libcurl library at all (issue 6: nothing heavy on the submission path), relaymaild
// loads libcurl only for an OAuth2 token (oauth2/https_client.h), and a relaymail
// without its delivery program beside it still queues every message, says so in one line and
// exits with a sysexits code for the commands that need delivery.
#include <elf.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "e2e/harness.h"

namespace rm::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kMessage = "To: bob@example.org\nSubject: light\n\nbody\n";

// Whether the ELF executable at `path` asks for a program interpreter (the dynamic loader).
// A static PIE has none: nothing is mapped beyond the binary itself.
bool has_interpreter(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string elf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Elf64_Ehdr eh{};
  if (elf.size() < sizeof eh) {
    ADD_FAILURE() << path << ": too short for ELF";
    return true;
  }
  std::memcpy(&eh, elf.data(), sizeof eh);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64) {
    ADD_FAILURE() << path << ": not a 64-bit ELF file";
    return true;
  }
  for (size_t i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    size_t at = eh.e_phoff + i * eh.e_phentsize;
    if (at + sizeof ph > elf.size()) {
      ADD_FAILURE() << path << ": program header " << i << " out of range";
      return true;
    }
    std::memcpy(&ph, elf.data() + at, sizeof ph);
    if (ph.p_type == PT_INTERP) {
      return true;
    }
  }
  return false;
}

TEST(DeliveryProgram, SubmissionLoadsNoTlsKeyringGlibOrCurl) {
  World w;
  Smtpd smtpd(w.dir(), {});
  ASSERT_TRUE(smtpd.start());
  w.write_config(smtpd, "queue");
  for (const std::vector<std::string>& args : {std::vector<std::string>{"-t", "-i"}}) {
    SpawnSpec spec = w.sendmail_spec(args, kMessage);
    spec.env.push_back("LD_DEBUG=libs");  // the loader names every library it maps, on stderr
    SpawnResult r = spawn(spec);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* heavy :
         {"libssl", "libcrypto", "libsecret", "libglib", "libgio", "libnss_", "libcurl"}) {
      EXPECT_THAT(r.err, Not(HasSubstr(heavy))) << heavy;
    }
    if (has_interpreter(RM_RELAYMAIL_BIN)) {     // sanitizer builds link dynamically
      EXPECT_THAT(r.err, HasSubstr("libc.so"));  // LD_DEBUG did speak: the check can fail
    } else {
      // The release build is a static PIE: no loader, so no library can be mapped at start.
      EXPECT_THAT(r.err, Not(HasSubstr(".so"))) << "a static relaymail loaded something";
    }
  }
  EXPECT_EQ(w.queued(), 1u);
}

// libcurl and the two dozen libraries it needs are loaded by the first OAuth2 token request
// (tests/e2e/oauth2_test.cc), never by a delivery that needs none.
TEST(DeliveryProgram, DeliveryWithoutOAuth2LoadsNoLibcurl) {
  World w;
  Smtpd smtpd(w.dir(), {});
  ASSERT_TRUE(smtpd.start());
  w.write_config(smtpd, "queue");
  ASSERT_EQ(w.sendmail({"-t", "-i"}, kMessage).exit_code, 0);
  SpawnSpec spec;
  spec.path = w.bin("relaymail");
  spec.args = {"flush"};
  spec.env = w.env();
  spec.env.push_back("LD_DEBUG=libs");  // relaymaild, dynamically linked, names what it maps
  SpawnResult r = spawn(spec);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(smtpd.wait_for(1, std::chrono::seconds(10)));
  EXPECT_THAT(r.err, HasSubstr("libssl")) << "LD_DEBUG did speak: the check can fail";
  EXPECT_THAT(r.err, Not(HasSubstr("libcurl")));
}

TEST(DeliveryProgram, WithoutRelaymaildMessagesStayQueuedAndFlushSaysWhy) {
  World w;
  Smtpd smtpd(w.dir(), {});
  ASSERT_TRUE(smtpd.start());
  w.write_config(smtpd, "background");
  // A relaymail copied alone into a directory: no relaymaild beside it, no ../sbin.
  const std::string lone_dir = w.dir() + "/lone";
  std::filesystem::create_directory(lone_dir);
  std::filesystem::copy_file(RM_RELAYMAIL_BIN, lone_dir + "/relaymail");
  std::filesystem::create_symlink(lone_dir + "/relaymail", lone_dir + "/sendmail");

  RunResult sent = run(lone_dir + "/sendmail", {"-t", "-i"}, kMessage, w.env());
  EXPECT_EQ(sent.exit_code, 0) << sent.err;  // accepted: safe on disk
  EXPECT_THAT(sent.err, HasSubstr("cannot find the delivery program relaymaild"));
  EXPECT_EQ(w.queued(), 1u);

  RunResult flushed = run(lone_dir + "/relaymail", {"flush"}, "", w.env());
  EXPECT_EQ(flushed.exit_code, 69);
  EXPECT_EQ(std::count(flushed.err.begin(), flushed.err.end(), '\n'), 1) << flushed.err;
  EXPECT_EQ(w.queued(), 1u);
  EXPECT_EQ(smtpd.received(), 0u);

  // The real one delivers it.
  RunResult real = w.relaymail({"flush"});
  EXPECT_EQ(real.exit_code, 0) << real.err;
  EXPECT_TRUE(smtpd.wait_for(1, std::chrono::seconds(10)));
}

TEST(DeliveryProgram, RelaymaildRefusesABadCommandLineInOneLine) {
  const std::string relaymaild =
      std::filesystem::path(RM_RELAYMAIL_BIN).parent_path().string() + "/relaymaild";
  struct Case {
    std::vector<std::string> args;
    const char* says;
  };
  const Case kCases[] = {
      {{}, "no command"},
      {{"fly"}, "unknown command 'fly'"},
      {{"flush", "--fast"}, "unknown option '--fast'"},
      {{"check-connect", "ABC"}, "check-connect takes no ids"},
  };
  for (const Case& c : kCases) {
    RunResult r = run(relaymaild, c.args);
    EXPECT_EQ(r.exit_code, 64) << c.says;
    EXPECT_THAT(r.err, HasSubstr(c.says));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_EQ(run(relaymaild, {"--help"}).exit_code, 0);
}

}  // namespace
}  // namespace rm::e2e
