// Fuzz target: SMTP replies from a server (smtp/reply_parser.h) fed in two pieces at an
// input-chosen split, then the EHLO capabilities (smtp/capabilities.h) of every reply parsed.
// Invariants: a reply's code is 200–599 and every stored line is printable ASCII within the
// line limit.
#include <cstdint>

#include "fuzz/fuzz_input.h"
#include "smtp/capabilities.h"
#include "smtp/reply_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = rm::fuzz::as_text(data, size);
  const size_t split = in.empty() ? 0 : static_cast<uint8_t>(in[0]) % (in.size() + 1);
  rm::ReplyParser parser;
  (void)parser.feed(in.substr(0, split));
  (void)parser.feed(in.substr(split));
  while (auto reply = parser.next()) {
    rm::fuzz::require(reply->code >= 200 && reply->code <= 599, "reply code out of range");
    for (const std::string& line : reply->lines) {
      rm::fuzz::require(line.size() <= 512, "reply line over the limit");
      for (char c : line) {
        rm::fuzz::require(c >= 0x20 && c < 0x7f, "reply text not printable ASCII");
      }
    }
    (void)rm::Capabilities::parse(*reply);
  }
  return 0;
}
