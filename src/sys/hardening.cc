#include "sys/hardening.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>

namespace rm {

Status keep_secrets_out_of_dumps() {
  const rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0) {
    return sys_error(Errc::io, errno, "setrlimit(RLIMIT_CORE, 0)");
  }
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return sys_error(Errc::io, errno, "prctl(PR_SET_DUMPABLE, 0)");
  }
  return {};
}

}  // namespace rm
