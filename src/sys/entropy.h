// sys/entropy.h — kernel randomness (getrandom(2)) for file names and queue ids. Not for keys:
// nothing here is meant to be secret, only unpredictable and collision-free. Blocks only in the
// rare case the kernel pool is not yet initialised; EINTR is retried. Errors: Errc::io with errno.
// Thread-safe. (Named entropy.h, not random.h: src/ is on the include path and a sys/random.h
// here would shadow the libc header.)
#pragma once

#include <cstdint>
#include <span>

#include "core/result.h"

namespace rm {

Status random_fill(std::span<unsigned char> out);
Result<uint64_t> random_u64();

}  // namespace rm
