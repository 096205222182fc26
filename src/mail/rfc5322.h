// mail/rfc5322.h — the small RFC 5322 renderers submission needs for generated headers: a
// date-time with a numeric zone, and a mailbox "Display Name <addr>" with the display name
// quoted or RFC 2047-encoded as needed. Pure functions (local_utc_offset reads the process's
// time zone). Never fail, never log. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rm {

// "Tue, 01 Jul 2025 12:34:56 +0200" for `when` (seconds since the epoch) seen from a zone
// `utc_offset` seconds east of UTC.
std::string format_rfc5322_date(int64_t when, int32_t utc_offset);

// The offset of the local time zone (TZ) at `when`, in seconds east of UTC.
int32_t local_utc_offset(int64_t when);

// A display name made safe for a header: control characters become spaces, surrounding blanks
// go; then an atom phrase stays as is, anything with specials is quoted ("Doe, J"), and
// non-ASCII text becomes RFC 2047 encoded-words (=?UTF-8?B?...?=). Empty in, empty out.
std::string render_display_name(std::string_view name);

// "Name <addr>" or, with no usable name, "<addr>".
std::string render_mailbox(std::string_view name, std::string_view addr);

}  // namespace rm
