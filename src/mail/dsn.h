// mail/dsn.h — composes RFC 3464 delivery status notifications: "bounces" for recipients that
// failed permanently after acceptance (RELIABILITY.md §2), and delay warnings (Action: delayed)
// for recipients still being retried: multipart/report; report-type=delivery-status with a
// text/plain explanation, a message/delivery-status part and the original as message/rfc822
// (RET=FULL) or text/rfc822-headers (RET=HDRS). Also the rules for when a bounce or a warning
// must not be sent at all (null sender, NOTIFY without FAILURE or DELAY).
// Not here: choosing the recipients or the bounce address, spooling or sending the bounce (the
// queue runner does that, with MAIL FROM:<>), and anything about queue/ (mail does not depend
// on queue; the caller copies what it needs into DsnInput).
// Every value that reaches a header or a status field is sanitised (CR, LF and other controls
// cannot inject fields). The original is streamed line by line through a LineReader, so memory
// stays bounded whatever its size.
// Errors: the source's or the sink's, as is (Errc::io); nothing else can fail. Never logs.
// Not thread-safe (the source and sink are not); otherwise pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_io.h"
#include "core/result.h"

namespace rm {

struct DsnRecipient {
  std::string addr;          // bare addr-spec
  std::string status;        // RFC 3463 "5.1.1"; not x.y.z: "5.0.0" (delayed: not 4.y.z: "4.0.0")
  std::string diagnostic;    // "550 5.1.1 no such user" (an SMTP reply) or local text
  std::string remote_mta;    // "" or the host that gave the reply
  int64_t last_attempt = 0;  // wall seconds; 0 = DsnInput::now
};

// What a DSN reports of its recipients (RFC 3464 §2.3.3).
enum class DsnAction {
  failed,   // a bounce: Status 5.x.x (or 4.4.7), the message is not delivered
  delayed,  // a warning: Status 4.x.x, still being retried, nothing to do yet
};

struct DsnInput {
  // failed: a bounce; delayed: a delay warning, which also says until when retries go on
  // (Will-Retry-Until, wall seconds; 0 = not said).
  DsnAction action = DsnAction::failed;
  int64_t will_retry_until = 0;

  std::string reporting_mta;   // our hostname
  std::string original_envid;  // ENVID (RFC 3461) as given; may be empty
  std::string queue_id;        // of the original message
  int64_t arrival = 0;         // wall seconds: when the original was accepted
  int64_t now = 0;             // wall seconds: Date:, default Last-Attempt-Date
  // Zone of the dates, seconds east of UTC; unset = the local zone (TZ). Tests set it.
  std::optional<int32_t> utc_offset;
  std::string to;               // where the bounce goes: the original sender or the admin
  std::string original_sender;  // envelope sender of the original, for the text part
  bool headers_only = false;    // RET=HDRS: return only the header block
  bool eightbit = false;        // the original has bytes >= 0x80 (QueueEntry::eightbit)
  // The recipients reported: failed ones, or for a warning the delayed ones.
  std::vector<DsnRecipient> failed;
  std::string unique;  // Message-ID left-hand side (e.g. the bounce's own queue id)
};

// The MIME boundary write_dsn() uses for `in`: deterministic (a hash of the queue id, unique,
// now and reporting MTA), starting "=_" so it cannot occur in base64 or quoted-printable text.
// It is NOT guaranteed absent from the original (one pass, no look-ahead): write_dsn() therefore
// prefixes a space to any original line that starts with "--" + boundary, so that no line of the
// original can ever act as a delimiter. Exposed for tests.
std::string dsn_boundary(const DsnInput& in);

// Writes the complete DSN (CRLF line ends) to `out`, reading the original (CRLF, as spooled)
// from `original` — to its end, or with headers_only up to the first empty line. in.action
// picks the Subject, the explanation and each recipient's Action; a delayed one also gives
// Will-Retry-Until when in.will_retry_until is set.
Status write_dsn(const DsnInput& in, ByteSource& original, ByteSink& out);

// True when no failure DSN may be sent for a message: its envelope sender is null ("" or "<>",
// i.e. it is itself a bounce — never bounce a bounce), or its NOTIFY list (RFC 3461, comma-
// separated, case-insensitive; "" = not given) is NEVER or lacks FAILURE.
bool must_not_bounce(std::string_view envelope_sender, std::string_view dsn_notify);

// True when no delay warning may be sent for a message: its envelope sender is null, or its
// NOTIFY list is NEVER or lacks DELAY. Not given, NOTIFY allows one (RFC 3461 §4.1).
bool must_not_warn(std::string_view envelope_sender, std::string_view dsn_notify);

}  // namespace rm
