// relay/outgoing.h — what a queue entry looks like on the wire for a given account: the
// envelope sender actually sent (DESIGN.md §5: a local sender, or every sender with
// from_rewrite = "always", goes out as the account's `from`) and the OutgoingMessage for the
// recipients still to do. Pure; no I/O; thread-safe.
// Not here: choosing the account (config/config.h pick_account), the session (smtp/).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "queue/queue_entry.h"
#include "smtp/transaction.h"

namespace rm {

// A sender that can receive mail over the Internet: name@domain.tld, not localhost or a bare
// host name (RELIABILITY.md §2: their bounces go to the admin).
bool has_real_domain(std::string_view addr);

// The MAIL FROM address for `entry` through `account`. The null sender stays null.
std::string wire_sender(const QueueEntry& entry, const Account& account, const Config& config);

// The transaction for the recipients of `entry` at `indices` (pending or deferred ones), with
// the content read from `content`.
OutgoingMessage make_outgoing(const QueueEntry& entry, const Account& account, const Config& config,
                              const std::vector<size_t>& indices, ByteSource* content);

}  // namespace rm
