// smtp/capabilities.h — what a server announced in its reply to EHLO (RFC 5321 §4.1.1.1): the
// keywords, upper-cased, and the parameters relaymail acts on (AUTH mechanisms, SIZE limit,
// PIPELINING, STARTTLS, 8BITMIME, ENHANCEDSTATUSCODES, SMTPUTF8, DSN, CHUNKING). Parsing never
// fails: lines that are not ehlo-lines are ignored, and an unusable SIZE value counts as "SIZE
// offered, no limit stated". Values are rebuilt from scratch after STARTTLS (RFC 3207 §4.2): never
// merge. Pure data, no I/O. Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace rm {

struct Capabilities {
  std::vector<std::string> keywords;  // upper-case, in the server's order, no duplicates
  std::vector<std::string> auth;      // upper-case mechanism names (AUTH and the old AUTH=)
  bool size = false;                  // SIZE offered: send SIZE=n with MAIL
  uint64_t size_limit = 0;            // 0: none stated
  bool pipelining = false;
  bool starttls = false;
  bool eightbitmime = false;
  bool enhanced_status_codes = false;
  bool smtputf8 = false;
  bool dsn = false;
  bool chunking = false;  // CHUNKING: BDAT (RFC 3030)

  // `keyword` in upper case.
  bool has(std::string_view keyword) const;
  // From a 2xx reply to EHLO: the first line is the server's greeting, the rest ehlo-lines.
  static Capabilities parse(const SmtpReply& ehlo_reply);
};

}  // namespace rm
