// mail/address.h — RFC 5322 address lists as callers write them (To: headers, argv words) and
// the strict checks an envelope address must pass before it reaches the spool or the wire.
// Pure functions, no I/O, never log. Thread-safe.
// Not here: aliases and local-name mapping (the caller's), SMTP path syntax on the wire (smtp/).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rm {

// Parses an address list: addr-spec, name-addr ("Name <a@b>"), quoted display names and local
// parts, comments ("root (Cron Daemon)"), groups ("undisclosed-recipients:;" contributes
// nothing), empty elements ("a@x,"), obsolete routes ("<@relay:a@b>") and CFWS around dots.
// Returns the addr-specs in order; bare local names ("root") are returned as written
// (unqualified). CR and LF count as white space, so a folded header value may be passed as is.
// Errc::parse with a reason on malformed input.
Result<std::vector<std::string>> parse_address_list(std::string_view text);

// Envelope hygiene (RELIABILITY.md §3.8): rejects CR, LF, NUL, other control characters,
// unquoted spaces, a leading '-', and more than 254 octets; also the empty string (the null
// sender is the caller's business) and unquoted < > ( ) , ; \ or an unbalanced quote, which have
// no business in an envelope path. Errc::usage with the reason.
Status check_envelope_address(std::string_view addr);

// "root" + "example.com" → "root@example.com"; an address with '@' (outside a quoted local
// part) is returned unchanged, and so is everything when `addr` or `domain` is empty.
std::string qualify(std::string_view addr, std::string_view domain);

// Rewrites an address-list header VALUE (the text after "Name:", folds included) so that every
// bare local part gets "@domain" (SENDMAIL.md behaviour 53): "Logwatch" → "Logwatch@d",
// "Fail2Ban <fail2ban>" → "Fail2Ban <fail2ban@d>", "root (Cron Daemon)" →
// "root@d (Cron Daemon)". Everything else — display names, comments, white space, folds,
// qualified addresses, groups — is kept byte for byte. A value that does not parse, or an empty
// domain, leaves the value unchanged: a header is never made worse.
std::string qualify_address_header(std::string_view value, std::string_view domain);

}  // namespace rm
