// sys/dir_list.h — list_dir(): the names in one directory, from a single opendir/readdir pass,
// without "." and "..", in no particular order. No stat per entry: callers that need types or
// times ask for the few names they care about. Errors: Errc::io with errno (ENOENT when the
// directory does not exist). Thread-safe (no shared state).
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace rm {

Result<std::vector<std::string>> list_dir(const std::string& path);

}  // namespace rm
