// Fuzz target: RFC 5322 address lists as they appear in To:/Cc:/Bcc: (mail/address.h), the
// envelope address check, and qualification of a header value with a domain.
// The list parser returns quoted local parts as written, control characters included (the
// envelope check refuses those downstream), so there is no invariant on its output beyond
// running clean under the sanitizers.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_input.h"
#include "mail/address.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = rm::fuzz::as_text(data, size);
  if (auto list = rm::parse_address_list(in)) {
    for (const std::string& addr : *list) {
      (void)rm::check_envelope_address(addr);
      (void)rm::qualify(addr, "example.com");
    }
  }
  (void)rm::check_envelope_address(in);
  (void)rm::qualify_address_header(in, "example.com");
  return 0;
}
