#include "sys/secret_file.h"

#include <sys/stat.h>

#include "core/error.h"

namespace rm {

SecretFileFault secret_file_fault(const PathFacts& facts, std::optional<uid_t> owner) {
  if (S_ISLNK(facts.mode)) {
    return SecretFileFault::symlink;
  }
  if (!S_ISREG(facts.mode)) {
    return SecretFileFault::not_regular;
  }
  if (!owner) {
    return SecretFileFault::none;
  }
  if (facts.owner != *owner) {
    return SecretFileFault::owner;
  }
  return (facts.mode & 077) != 0 ? SecretFileFault::mode : SecretFileFault::none;
}

std::string secret_file_reason(SecretFileFault fault, const PathFacts& facts,
                               std::optional<uid_t> owner) {
  switch (fault) {
    case SecretFileFault::none:
      return {};
    case SecretFileFault::symlink:
      return "a symbolic link, which is not followed (name the file itself)";
    case SecretFileFault::not_regular:
      return "not a regular file";
    case SecretFileFault::owner:
      return format("owned by uid %u, not by uid %u", static_cast<unsigned>(facts.owner),
                    static_cast<unsigned>(owner.value_or(0)));
    case SecretFileFault::mode:
      return format("mode %04o is readable by others (chmod 600 it)",
                    static_cast<unsigned>(facts.mode & 07777));
  }
  return {};
}

}  // namespace rm
