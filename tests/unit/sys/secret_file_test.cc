// Tests for sys/secret_file.h: the rules a secret file must pass, as a table (type, owner, mode,
// and a credential's type-only checks), and the reasons the messages carry.
#include "sys/secret_file.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

namespace rm {
namespace {

constexpr uid_t kMe = 1000;
constexpr uid_t kOther = 1001;

struct FaultCase {
  const char* name;
  mode_t mode;
  uid_t owner;
  std::optional<uid_t> reader;  // nullopt: a credential
  SecretFileFault want;
  const char* says = "";
};

const FaultCase kCases[] = {
    {.name = "0600 mine",
     .mode = S_IFREG | 0600,
     .owner = kMe,
     .reader = kMe,
     .want = SecretFileFault::none},
    {.name = "0400 mine",
     .mode = S_IFREG | 0400,
     .owner = kMe,
     .reader = kMe,
     .want = SecretFileFault::none},
    {.name = "0644 mine",
     .mode = S_IFREG | 0644,
     .owner = kMe,
     .reader = kMe,
     .want = SecretFileFault::mode,
     .says = "mode 0644 is readable by others (chmod 600 it)"},
    {.name = "0640 mine",
     .mode = S_IFREG | 0640,
     .owner = kMe,
     .reader = kMe,
     .want = SecretFileFault::mode,
     .says = "mode 0640"},
    {.name = "0601 mine",
     .mode = S_IFREG | 0601,
     .owner = kMe,
     .reader = kMe,
     .want = SecretFileFault::mode,
     .says = "mode 0601"},
    {.name = "0600 another's",
     .mode = S_IFREG | 0600,
     .owner = kOther,
     .reader = kMe,
     .want = SecretFileFault::owner,
     .says = "owned by uid 1001, not by uid 1000"},
    {.name = "0600 root's, read by root",
     .mode = S_IFREG | 0600,
     .owner = 0,
     .reader = 0,
     .want = SecretFileFault::none},
    {.name = "0600 root's, read by another",
     .mode = S_IFREG | 0600,
     .owner = 0,
     .reader = kMe,
     .want = SecretFileFault::owner,
     .says = "owned by uid 0, not by uid 1000"},
    {.name = "symlink",
     .mode = S_IFLNK | 0777,
     .owner = kMe,
     .reader = kMe,
     .want = SecretFileFault::symlink,
     .says = "symbolic link"},
    {.name = "directory",
     .mode = S_IFDIR | 0700,
     .owner = kMe,
     .reader = kMe,
     .want = SecretFileFault::not_regular,
     .says = "not a regular file"},
    {.name = "fifo",
     .mode = S_IFIFO | 0600,
     .owner = kMe,
     .reader = kMe,
     .want = SecretFileFault::not_regular,
     .says = "not a regular file"},
    {.name = "credential 0644 another's",
     .mode = S_IFREG | 0644,
     .owner = kOther,
     .reader = std::nullopt,
     .want = SecretFileFault::none},
    {.name = "credential symlink",
     .mode = S_IFLNK | 0777,
     .owner = kMe,
     .reader = std::nullopt,
     .want = SecretFileFault::symlink,
     .says = "symbolic link"},
    {.name = "credential directory",
     .mode = S_IFDIR | 0500,
     .owner = 0,
     .reader = std::nullopt,
     .want = SecretFileFault::not_regular,
     .says = "not a regular file"},
};

TEST(SecretFile, Table) {
  for (const FaultCase& c : kCases) {
    SCOPED_TRACE(c.name);
    const PathFacts facts{c.mode, c.owner};
    const SecretFileFault got = secret_file_fault(facts, c.reader);
    EXPECT_EQ(got, c.want);
    const std::string reason = secret_file_reason(got, facts, c.reader);
    EXPECT_EQ(reason.empty(), c.want == SecretFileFault::none) << reason;
    EXPECT_NE(reason.find(c.says), std::string::npos) << reason;
  }
}

}  // namespace
}  // namespace rm
