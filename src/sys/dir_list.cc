#include "sys/dir_list.h"

#include <dirent.h>
#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace rm {

namespace {

struct CloseDir {
  void operator()(DIR* d) const { ::closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, CloseDir>;

}  // namespace

Result<std::vector<std::string>> list_dir(const std::string& path) {
  DirPtr dir(::opendir(path.c_str()));
  if (!dir) {
    return sys_error(Errc::io, errno, "open directory %s", path.c_str());
  }
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const dirent* ent = ::readdir(dir.get());
    if (ent == nullptr) {
      if (errno != 0) {
        return sys_error(Errc::io, errno, "read directory %s", path.c_str());
      }
      return names;
    }
    if (std::strcmp(ent->d_name, ".") != 0 && std::strcmp(ent->d_name, "..") != 0) {
      names.emplace_back(ent->d_name);
    }
  }
}

}  // namespace rm
