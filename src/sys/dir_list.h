// sys/dir_list.h — list_dir(): the names in one directory, from a single opendir/readdir pass,
// without "." and "..", in no particular order. for_each_name() is the same pass without the
// vector of strings, on a directory fd, for callers that keep only a few names of many. No stat per
// entry: callers that need types or times ask for the few names they care about. Errors: Errc::io
// with errno (ENOENT when the directory does not exist). Thread-safe (no shared state).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rm {

Result<std::vector<std::string>> list_dir(const std::string& path);

// Calls `each` with every name in the directory open at dir_fd (its own open file description:
// dir_fd's offset is untouched). The view lives only for the call. `path` is for messages.
Status for_each_name(int dir_fd, const std::string& path,
                     const std::function<void(std::string_view name)>& each);

}  // namespace rm
