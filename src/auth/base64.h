// auth/base64.h — RFC 4648 §4 base64 (the standard alphabet, '=' padding) as SASL and SMTP AUTH
// use it. Encoding cannot fail. Decoding is strict: the length must be a multiple of four,
// padding may appear only at the end (at most two '='), the unused bits of the last symbol must
// be zero, and nothing outside the alphabet (no white space, no line breaks) is accepted; any
// violation is Errc::auth with a reason that never quotes the input (it may be a secret).
// Not here: MIME line wrapping. Pure functions, no I/O. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace rm {

// The output always lives on the heap (never in the small-string buffer), so moving it into a
// SecretString leaves no copy of the encoded secret behind.
std::string base64_encode(std::string_view raw);
Result<std::string> base64_decode(std::string_view text);

}  // namespace rm
