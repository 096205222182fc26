// Fuzz target: the message builder (mail/message_builder.h) — header block, -t recipient
// extraction, line endings, NUL, long lines and folding, dot handling — read in small chunks.
// Invariants: the result's size is what was written; no NUL reaches the output; the output is
// a header block, a blank line and a body, with CRLF line ends only.
#include <cstdint>
#include <string>

#include "core/byte_io.h"
#include "fuzz/fuzz_input.h"
#include "mail/message_builder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = rm::fuzz::as_text(data, size);
  const uint8_t flags = in.empty() ? 0 : static_cast<uint8_t>(in[0]);
  rm::SubmitOptions opts;
  opts.extract_recipients = (flags & 1) != 0;
  opts.ignore_dots = (flags & 2) != 0;
  opts.rewrite_headers = (flags & 4) == 0;
  opts.add_to_header = (flags & 8) != 0;
  opts.force_from = (flags & 16) != 0 ? "relay@example.com" : "";
  opts.max_size = (flags & 32) != 0 ? 512 : 0;
  opts.envelope_sender = "alice@example.com";
  opts.full_name = "Alice";
  opts.domain = "example.com";
  opts.hostname = "host.example.com";
  opts.now = 1700000000;
  opts.unique = "FUZZ";
  opts.utc_offset = 0;
  rm::StringSource source(std::string(in.substr(in.empty() ? 0 : 1)), 7);
  rm::StringSink sink;
  auto r = rm::build_message(source, sink, opts);
  if (r) {
    rm::fuzz::require(r->size == sink.out.size(), "size differs from what was written");
    rm::fuzz::require(sink.out.find('\0') == std::string::npos, "NUL in the output");
    for (size_t i = 0; i < sink.out.size(); ++i) {
      if (sink.out[i] == '\n') {
        rm::fuzz::require(i > 0 && sink.out[i - 1] == '\r', "bare LF in the output");
      }
    }
  }
  return 0;
}
