#include "support/temp_dir.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

namespace rm::test {

Result<TempDir> TempDir::create(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/" + prefix + ".XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    return sys_error(Errc::io, errno, "mkdtemp %s", tmpl.c_str());
  }
  return TempDir(std::string(buf.data()));
}

TempDir TempDir::create_or_die(const std::string& prefix) {
  auto d = create(prefix);
  if (!d) {
    std::fprintf(stderr, "test: %s\n", d.error().what.c_str());
    std::abort();
  }
  return std::move(*d);
}

TempDir::TempDir(TempDir&& o) noexcept : path_(std::exchange(o.path_, std::string())) {}

TempDir& TempDir::operator=(TempDir&& o) noexcept {
  if (this != &o) {
    TempDir old(std::move(*this));
    path_ = std::exchange(o.path_, std::string());
  }
  return *this;
}

TempDir::~TempDir() {
  if (!path_.empty()) {
    std::error_code ec;  // the non-throwing overload: cleanup failures are not test failures
    std::filesystem::remove_all(path_, ec);
  }
}

}  // namespace rm::test
