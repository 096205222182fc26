// Fuzz target: the spool's .env parser (queue/env_format.h); every .env may be hostile.
// Invariant: an entry that parses serialises, and what it serialises to parses back to the
// same entry (free text is sanitised once, so the second round is exact).
#include <cstdint>

#include "fuzz/fuzz_input.h"
#include "queue/env_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto entry = rm::parse_env(rm::fuzz::as_text(data, size));
  if (!entry) {
    return 0;
  }
  auto text = rm::serialise_env(*entry);
  if (!text) {
    return 0;  // parse_env is the trust boundary; an entry it accepts may still be unstorable
  }
  auto again = rm::parse_env(*text);
  rm::fuzz::require(again.has_value(), "a serialised entry does not parse");
  auto text2 = rm::serialise_env(*again);
  rm::fuzz::require(text2.has_value() && *text2 == *text, "serialisation is not stable");
  return 0;
}
