// log/redact.h — redact_smtp_line(): what an SMTP client line may look like in a debug trace.
// "AUTH <mech> <initial-response>" keeps the command and the mechanism and replaces the
// response: "AUTH PLAIN <redacted>". A line that answers a 334 challenge (the caller knows; pass
// challenge_response = true) is all secret — base64 user names, passwords, tokens — and becomes
// "<redacted>", except the "*" that cancels an exchange. Every other line comes back unchanged.
// A trailing CRLF or LF is kept. Server lines need no redaction and are not this function's job.
// Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace rm {

inline constexpr std::string_view kRedacted = "<redacted>";

std::string redact_smtp_line(std::string_view line, bool challenge_response);

}  // namespace rm
