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
};

struct TransactionResult {
  // Set when the transaction as a whole failed (MAIL refused, DATA refused, final reply not 2xx,
  // connection lost, timeout, SIZE exceeded). Recipients accepted before it are not delivered;
  // a recipient whose rcpt_errors entry is nullopt shares this error.
  // Unset with no final_reply when every recipient was refused: see rcpt_errors.
  std::optional<Error> error;
  // One entry per message.rcpts, in order: nullopt = accepted by RCPT (or never tried because
  // the transaction failed first, see `error`); else the refusal (Errc::smtp_temp for 4xx,
  // Errc::smtp_perm for 5xx, with the reply; Errc::parse for an address unfit for the wire).
  std::vector<std::optional<Error>> rcpt_errors;
  std::optional<SmtpReply> final_reply;  // the reply to the final dot, when it came
  bool delivered() const { return !error.has_value() && final_reply.has_value(); }
};

}  // namespace rm
