// smtp/transaction.h — one mail transaction as the SMTP client sees it: what goes out
// (OutgoingMessage) and what came back (TransactionResult). Plain data shared by ClientSession
// (smtp/client_session.h) and SmtpClient (smtp/smtp_client.h); callers include smtp_client.h.
// Thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_io.h"
#include "core/error.h"

namespace rm {

struct OutgoingMessage {
  std::string sender;              // "" = null sender
  std::vector<std::string> rcpts;  // addr-specs
  ByteSource* content = nullptr;   // CRLF message bytes, not dot-stuffed
  uint64_t size = 0;
  bool eightbit = false;
  // RFC 3461 parameters exactly as the spool keeps them (queue/queue_entry.h); "" = not given.
  // Sent only when the server offers DSN (smtp/dsn_params.h has the rules; a malformed value
  // fails the transaction with Errc::parse before anything is sent).
  std::string dsn_notify;  // "NEVER" or a comma list of SUCCESS, FAILURE, DELAY; any case
  std::string dsn_ret;     // "FULL" | "HDRS"; any case
  std::string dsn_envid;   // raw text; xtext-encoded on the wire
};

struct TransactionResult {
  // Set when the transaction as a whole failed (MAIL refused, DATA or a BDAT chunk refused,
  // final reply not 2xx, connection lost, timeout, SIZE exceeded, a non-ASCII sender without
  // SMTPUTF8, malformed DSN parameters). Recipients accepted before it are not delivered;
  // a recipient whose rcpt_errors entry is nullopt shares this error.
  // Unset with no final_reply when every recipient was refused: see rcpt_errors.
  std::optional<Error> error;
  // One entry per message.rcpts, in order: nullopt = accepted by RCPT (or never tried because
  // the transaction failed first, see `error`); else the refusal (Errc::smtp_temp for 4xx,
  // Errc::smtp_perm for 5xx, with the reply; Errc::parse for an address unfit for the wire;
  // Errc::smtp_perm with a synthesized "553 5.6.7" reply for a non-ASCII address when the
  // server lacks SMTPUTF8 — never sent).
  std::vector<std::optional<Error>> rcpt_errors;
  // The reply to the final dot, or to BDAT ... LAST, when it came.
  std::optional<SmtpReply> final_reply;
  bool delivered() const { return !error.has_value() && final_reply.has_value(); }
};

}  // namespace rm
