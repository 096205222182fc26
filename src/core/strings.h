// core/strings.h — small text helpers shared by the parsers of several modules.
// Contract: pure functions on string_view; the result views the argument's bytes. No errors.
// Threads: thread-safe. Not here: RFC 5322 folding or unfolding (mail/), case mapping.
#pragma once

#include <string_view>

namespace rm {

// The character sets trim() is used with.
inline constexpr std::string_view kSpace = " ";
inline constexpr std::string_view kBlanks = " \t";      // RFC 5234 WSP
inline constexpr std::string_view kBlanksCr = " \t\r";  // WSP, and a CR left by a CRLF line end

// `s` without the characters of `chars` at either end, or at its end only.
std::string_view trim(std::string_view s, std::string_view chars = kBlanks);
std::string_view trim_right(std::string_view s, std::string_view chars = kBlanks);

}  // namespace rm
