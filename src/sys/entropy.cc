#include "sys/entropy.h"

#include <sys/random.h>

#include <cerrno>

namespace rm {

Status random_fill(std::span<unsigned char> out) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return sys_error(Errc::io, errno, "getrandom %zu bytes", out.size());
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

Result<uint64_t> random_u64() {
  unsigned char b[8];
  if (auto r = random_fill(b); !r) {
    return std::move(r).error();
  }
  uint64_t v = 0;
  for (unsigned char c : b) {
    v = (v << 8) | c;
  }
  return v;
}

}  // namespace rm
