// mail/xtext.h — RFC 3461 §4 xtext, the encoding of free text in ESMTP parameters (DSN ENVID and
// ORCPT, the daemon socket's XRM-NAME): octets outside "!".."~", and "+" and "=", as "+HH".
// Errors: decoding fails (nullopt) on "+" not followed by two upper-case hex digits, and on an
// octet that xtext never carries raw. Pure, no I/O. Thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rm {

std::string xtext_encode(std::string_view raw);
std::optional<std::string> xtext_decode(std::string_view text);

}  // namespace rm
