// Fuzz target: the head of a one-file spool entry (queue/mail_file.h); every .mail may be
// hostile. Invariants: a head that parses fits its file (line, envelope, then the body's offset
// within the size), its line is the one mail_head() writes for that envelope and offset, and the
// envelope goes on to the .env parser.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_input.h"
#include "queue/env_format.h"
#include "queue/mail_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view file = rm::fuzz::as_text(data, size);
  auto head = rm::parse_mail_line(file, file.size());
  if (!head) {
    return 0;
  }
  rm::fuzz::require(
      head->line_len + head->env_len <= head->body_offset && head->body_offset <= file.size(),
      "a head that does not fit its file was accepted");
  const std::string_view env = file.substr(head->line_len, head->env_len);
  const std::string again = rm::mail_head(env, head->body_offset);
  rm::fuzz::require(file.starts_with(again), "the head does not read back as written");
  (void)rm::parse_env(env);
  return 0;
}
