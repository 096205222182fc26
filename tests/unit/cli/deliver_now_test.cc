// cli/deliver_now.h: where relaymail looks for the delivery program (beside its own executable,
// else ../sbin; never a file it cannot run).
#include "cli/deliver_now.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace rm::cli {
namespace {

using Argv = std::vector<std::string>;

class DeliveryProgram : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = test::TempDir::create("relaymail-deliver-now");
    ASSERT_TRUE(t);
    tmp_.emplace(std::move(*t));
    ASSERT_EQ(::mkdir(tmp_->file("bin").c_str(), 0700), 0);
    ASSERT_EQ(::mkdir(tmp_->file("sbin").c_str(), 0700), 0);
  }
  void make_file(const std::string& rel, mode_t mode) {
    int fd = ::open(tmp_->file(rel).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, mode);
    ASSERT_GE(fd, 0);
    ::close(fd);
    ASSERT_EQ(::chmod(tmp_->file(rel).c_str(), mode), 0);
  }
  std::string self() const { return tmp_->file("bin/relaymail"); }
  std::optional<test::TempDir> tmp_;
};

TEST_F(DeliveryProgram, BesideOurOwnExecutableFirst) {
  make_file("bin/relaymaild", 0700);
  make_file("sbin/relaymaild", 0700);
  EXPECT_EQ(delivery_program(self()), tmp_->file("bin/relaymaild"));
}

TEST_F(DeliveryProgram, ElseInTheInstalledSbin) {
  make_file("sbin/relaymaild", 0700);
  EXPECT_EQ(delivery_program(self()), tmp_->file("bin/../sbin/relaymaild"));
}

TEST_F(DeliveryProgram, NeverAFileThatCannotRunOrADirectory) {
  make_file("bin/relaymaild", 0600);
  ASSERT_EQ(::mkdir(tmp_->file("sbin/relaymaild").c_str(), 0700), 0);
  EXPECT_EQ(delivery_program(self()), "");
}

TEST_F(DeliveryProgram, NoneWithoutAPath) {
  EXPECT_EQ(delivery_program(""), "");
  EXPECT_EQ(delivery_program("relaymail"), "");
}

}  // namespace
}  // namespace rm::cli
