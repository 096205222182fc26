// Fuzz target: the two codecs of the wire (auth/base64.h, mail/xtext.h for DSN ENVID and
// ORCPT). Invariants: decode(encode(x)) == x for any bytes; whatever decodes re-encodes to text
// that decodes to the same bytes; xtext output is printable ASCII without '+' or '=' unescaped.
#include <cstdint>
#include <string>

#include "auth/base64.h"
#include "fuzz/fuzz_input.h"
#include "mail/xtext.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = rm::fuzz::as_text(data, size);
  auto b = rm::base64_decode(rm::base64_encode(in));
  rm::fuzz::require(b.has_value() && *b == in, "base64 does not round-trip");
  if (auto decoded = rm::base64_decode(in)) {
    auto again = rm::base64_decode(rm::base64_encode(*decoded));
    rm::fuzz::require(again.has_value() && *again == *decoded, "base64 re-encoding differs");
  }
  const std::string x = rm::xtext_encode(in);
  for (char c : x) {
    rm::fuzz::require(c > 0x20 && c < 0x7f && c != '=', "xtext output not printable");
  }
  auto back = rm::xtext_decode(x);
  rm::fuzz::require(back.has_value() && *back == in, "xtext does not round-trip");
  if (auto decoded = rm::xtext_decode(in)) {
    rm::fuzz::require(rm::xtext_decode(rm::xtext_encode(*decoded)) == decoded,
                      "xtext re-encoding differs");
  }
  return 0;
}
