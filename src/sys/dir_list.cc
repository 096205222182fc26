#include "sys/dir_list.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace rm {

namespace {

struct CloseDir {
  void operator()(DIR* d) const { ::closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, CloseDir>;

// Reads `dir` to the end, calling each() on every name but "." and "..".
Status read_names(DIR* dir, const std::string& path,
                  const std::function<void(std::string_view name)>& each) {
  for (;;) {
    errno = 0;
    const dirent* ent = ::readdir(dir);
    if (ent == nullptr) {
      if (errno != 0) {
        return sys_error(Errc::io, errno, "read directory %s", path.c_str());
      }
      return {};
    }
    if (std::strcmp(ent->d_name, ".") != 0 && std::strcmp(ent->d_name, "..") != 0) {
      each(ent->d_name);
    }
  }
}

}  // namespace

Result<std::vector<std::string>> list_dir(const std::string& path) {
  DirPtr dir(::opendir(path.c_str()));
  if (!dir) {
    return sys_error(Errc::io, errno, "open directory %s", path.c_str());
  }
  std::vector<std::string> names;
  if (auto r = read_names(dir.get(), path, [&](std::string_view n) { names.emplace_back(n); });
      !r) {
    return std::move(r).error();
  }
  return names;
}

Status for_each_name(int dir_fd, const std::string& path,
                     const std::function<void(std::string_view name)>& each) {
  // A fresh open of "." rather than a dup: fdopendir's reads must not move dir_fd's offset.
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return sys_error(Errc::io, errno, "open directory %s", path.c_str());
  }
  DirPtr dir(::fdopendir(fd));
  if (!dir) {
    int err = errno;
    ::close(fd);
    return sys_error(Errc::io, err, "open directory %s", path.c_str());
  }
  return read_names(dir.get(), path, each);
}

}  // namespace rm
