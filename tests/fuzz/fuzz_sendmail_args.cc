// Fuzz target: the sendmail command line (cli/sendmail_args.h), as every personality reads it.
// The input is split at NULs into arguments, as execve hands them over.
#include <cstdint>
#include <string>
#include <vector>

#include "cli/sendmail_args.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = rm::fuzz::as_text(data, size);
  std::vector<std::string> args;
  while (!in.empty() && args.size() < 64) {
    auto [arg, rest] = rm::fuzz::split_at_nul(in);
    args.emplace_back(arg);
    in = rest;
  }
  for (const char* argv0 : {"sendmail", "mailq", "newaliases", "relaymail"}) {
    (void)rm::cli::parse_sendmail_args(args, rm::cli::personality_from_argv0(argv0));
  }
  return 0;
}
