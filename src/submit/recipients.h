// submit/recipients.h — the envelope recipients of a submission: argv words and (with -t) header
// addresses, parsed, checked for hygiene (RELIABILITY.md §3.8), mapped through the aliases file
// when local (bare, @localhost, @hostname, @mailname — not the default domain, DESIGN.md §9),
// root/postmaster to the admin address, the rest qualified with the default domain; duplicates
// removed; count capped. Errors: Errc::usage (bad address, none, too many: exit 64),
// Errc::smtp_perm with a 550 5.1.1 reply (unknown local name with unknown_local = "reject":
// exit 67), Errc::config (alias expansion too deep or too wide: exit 78). Pure apart from the
// aliases it is given; thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "mail/aliases.h"

namespace rm {

constexpr size_t kMaxRecipients = 1000;

struct RecipientPolicy {
  std::string domain;
  std::string hostname;
  std::string mailname;  // /etc/mailname, "" when absent
  std::string admin;
  const Aliases* aliases = nullptr;  // null: no aliases file
  UnknownLocal unknown_local = UnknownLocal::qualify;
};

struct RecipientInput {
  const std::vector<std::string>& argv_words;
  const std::vector<std::string>& header_rcpts;
  bool extract = false;  // -t
  RecipientsWithT with_t = RecipientsWithT::add;
};

Result<std::vector<std::string>> collect_recipients(const RecipientInput& in,
                                                    const RecipientPolicy& policy);
// The argv words as addresses, each checked as the spool can store it, neither mapped nor
// de-duplicated (what `sendmail` in daemon mode sends as RCPT). Errors: Errc::usage.
Result<std::vector<std::string>> split_recipient_words(const std::vector<std::string>& words);
// The sysexits code for an error of collect_recipients.
int recipient_exit_code(const Error& e);
// The sender and recipient addresses the spool can store: printable ASCII without spaces.
Status check_storable(const std::string& addr);

}  // namespace rm
