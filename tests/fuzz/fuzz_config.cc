// Fuzz target: the configuration loader (config/config.h parse_config: libconfig syntax, then
// every key and value checked), and the printer for what loads (--print-config).
// Invariant: what the printer writes loads again.
#include <cstdint>
#include <string>

#include "config/config.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto cfg = rm::parse_config(std::string(rm::fuzz::as_text(data, size)), "fuzz.conf");
  if (cfg) {
    auto again = rm::parse_config(rm::print_config(*cfg), "printed.conf");
    rm::fuzz::require(again.has_value(), "the printed config does not load");
  }
  return 0;
}
