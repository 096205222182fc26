// support/temp_dir.h — a private temporary directory (mkdtemp under $TMPDIR or /tmp, mode 0700)
// removed with everything in it when the owner dies. For tests and fake_smtpd only.
// Errors: create() fails with Errc::io naming the template. Not thread-safe.
#pragma once

#include <string>

#include "core/result.h"

namespace rm::test {

class TempDir {
 public:
  static Result<TempDir> create(const std::string& prefix = "relaymail-test");
  // create(), or the test binary stops with the reason on stderr: for fixtures that cannot
  // go on without their directory.
  static TempDir create_or_die(const std::string& prefix);
  TempDir(TempDir&& o) noexcept;
  TempDir& operator=(TempDir&& o) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace rm::test
