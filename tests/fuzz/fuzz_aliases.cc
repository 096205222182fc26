// Fuzz target: the aliases file (mail/aliases.h), then expansion of a few names through it
// (loops, diamonds, the catch-all, include/command/file entries that must be skipped).
#include <cstdint>
#include <string>

#include "fuzz/fuzz_input.h"
#include "mail/aliases.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [table, name] = rm::fuzz::split_at_nul(rm::fuzz::as_text(data, size));
  auto aliases = rm::Aliases::parse(table, "fuzz");
  if (!aliases) {
    return 0;
  }
  for (std::string_view who : {std::string_view("root"), std::string_view("postmaster"), name}) {
    if (auto out = aliases->expand(who)) {
      rm::fuzz::require(out->size() <= 100000, "expansion without a bound");
    }
    (void)aliases->resolves(who);
  }
  return 0;
}
