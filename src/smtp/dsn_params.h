// smtp/dsn_params.h — the RFC 3461 (DSN) parameters of one transaction as they go on the wire:
// the spool's values (queue/queue_entry.h: dsn_notify, dsn_ret, dsn_envid; "" = not given)
// checked, upper-cased and rendered as " RET=.. ENVID=.." for MAIL and " NOTIFY=.. ORCPT=.." for
// each RCPT, with ENVID and ORCPT in xtext (RFC 3461 §4). Whether they are sent at all (only
// when the server offers DSN) is ClientSession's decision, not this module's.
// Errors: Errc::parse for a NOTIFY that is not NEVER alone or a comma list of SUCCESS, FAILURE
// and DELAY, a RET other than FULL or HDRS (both case-insensitive), or an ENVID longer than 100
// characters once encoded (§4.4): a malformed parameter is never rendered.
// Pure, no I/O. Thread-compatible.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "mail/xtext.h"

namespace rm {

struct DsnParams {
  std::string notify;  // "NEVER" or e.g. "SUCCESS,FAILURE"; "" = not given
  std::string ret;     // "FULL" | "HDRS" | ""
  std::string envid;   // xtext-encoded; "" = not given

  static Result<DsnParams> parse(std::string_view notify, std::string_view ret,
                                 std::string_view envid);
  // " RET=FULL ENVID=q+2B1", or "" when neither is given.
  std::string mail_params() const;
  // " NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.org": ORCPT always, NOTIFY when given.
  std::string rcpt_params(std::string_view addr) const;
};

}  // namespace rm
