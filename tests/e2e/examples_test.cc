// End-to-end: every configuration in etc/examples/ passes `relaymail check` as shipped (the
// account, its TLS and auth settings, the password and OAuth2 sources all valid), and the ones
// the README points to are there.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "e2e/harness.h"

namespace rm::e2e {
namespace {

using ::testing::HasSubstr;

namespace fs = std::filesystem;

std::string examples_dir() {
  const std::string here = __FILE__;
  return here.substr(0, here.rfind("/tests/")) + "/etc/examples";
}

TEST(Examples, EveryOnePassesRelaymailCheck) {
  World w;
  std::set<std::string> checked;
  for (const auto& entry : fs::directory_iterator(examples_dir())) {
    if (entry.path().extension() != ".conf") {
      continue;
    }
    SCOPED_TRACE(entry.path().string());
    RunResult r = run(w.bin("relaymail"), {"-C", entry.path(), "check"}, "",
                      {"XDG_STATE_HOME=" + w.dir() + "/state"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr(": OK (")) << r.err;
    EXPECT_EQ(r.err, "");
    checked.insert(entry.path().filename());
  }
  for (const char* name : {"gmail-app-password.conf", "gmail-oauth2.conf",
                           "microsoft365-oauth2.conf", "amazon-ses.conf", "mailgun.conf",
                           "company-relay.conf", "docker-php-fpm.conf", "laptop-keyring.conf"}) {
    EXPECT_EQ(checked.count(name), 1u) << name;
  }
}

}  // namespace
}  // namespace rm::e2e
