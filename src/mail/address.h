// mail/address.h — RFC 5322 address lists as callers write them (To: headers, argv words) and
// the strict checks an envelope address must pass before it reaches the spool or the wire.
// Pure functions, no I/O, never log. Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rm {

// Parses an address list: addr-spec, name-addr ("Name <a@b>"), quoted display names and local
// parts, comments ("root (Cron Daemon)"), groups ("undisclosed-recipients:;" contributes
// nothing), empty elements ("a@x,"). Returns the addr-specs in order; bare local names ("root")
// are returned as written (unqualified). Errc::parse with a reason on malformed input.
Result<std::vector<std::string>> parse_address_list(std::string_view text);

// Envelope hygiene (RELIABILITY.md §3.8): rejects CR, LF, NUL, other control characters,
// unquoted spaces, a leading '-', and more than 254 octets. Errc::usage with the reason.
Status check_envelope_address(std::string_view addr);

// "root" + "example.com" → "root@example.com"; an address with '@' is returned unchanged.
std::string qualify(std::string_view addr, std::string_view domain);

}  // namespace rm
