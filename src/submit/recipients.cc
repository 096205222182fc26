#include "submit/recipients.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "mail/address.h"
#include "sys/sysexits.h"

namespace rm {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool is_local_domain(const std::string& dom, const RecipientPolicy& p) {
  std::string d = lower(dom);
  return d.empty() || d == "localhost" || d == lower(p.hostname) ||
         (!p.mailname.empty() && d == lower(p.mailname));
}

// A name out of the aliases (or a local name without aliases): root and postmaster go to the
// admin when one is set; every other bare or local name gets the default domain.
std::string finish_local(const std::string& addr, const RecipientPolicy& p) {
  auto at = addr.rfind('@');
  if (at != std::string::npos && !is_local_domain(addr.substr(at + 1), p)) {
    return addr;
  }
  std::string local = at == std::string::npos ? addr : addr.substr(0, at);
  std::string l = lower(local);
  if (!p.admin.empty() && (l == "root" || l == "postmaster")) {
    return p.admin;
  }
  return qualify(local, p.domain);
}

Result<std::vector<std::string>> map_recipient(const std::string& addr, const RecipientPolicy& p) {
  auto at = addr.rfind('@');
  if (at != std::string::npos && !is_local_domain(addr.substr(at + 1), p)) {
    return std::vector<std::string>{addr};
  }
  std::string local = at == std::string::npos ? addr : addr.substr(0, at);
  std::string l = lower(local);
  bool known =
      (p.aliases != nullptr && p.aliases->resolves(local)) || l == "root" || l == "postmaster";
  if (p.unknown_local == UnknownLocal::reject && !known) {
    Error e = make_error(Errc::smtp_perm, "%s: user unknown", addr.c_str());
    e.reply = SmtpReply{550, "5.1.1", {addr + ": user unknown"}};
    return e;
  }
  std::vector<std::string> names{local};
  if (p.aliases != nullptr) {
    auto expanded = p.aliases->expand(local);
    if (!expanded) {
      return std::move(expanded).error();
    }
    names = std::move(*expanded);
  }
  for (auto& n : names) {
    n = finish_local(n, p);
  }
  return names;
}

// Checks an address as the spool can store it.
Status check_address(const std::string& r) {
  Status ok = check_envelope_address(r);
  if (ok) {
    ok = check_storable(r);
  }
  if (!ok) {
    return make_error(Errc::usage, "bad recipient address '%s': %s", r.c_str(),
                      ok.error().what.c_str());
  }
  return {};
}

// Checks, maps and de-duplicates; `seen` carries over between calls.
Status map_all(const std::vector<std::string>& raw, const RecipientPolicy& p,
               std::set<std::string>& seen, std::vector<std::string>& out) {
  for (const std::string& r : raw) {
    if (auto ok = check_address(r); !ok) {
      return ok;
    }
    auto mapped = map_recipient(r, p);
    if (!mapped) {
      return std::move(mapped).error();
    }
    for (const std::string& m : *mapped) {
      if (seen.insert(lower(m)).second) {
        out.push_back(m);
      }
    }
    if (out.size() > kMaxRecipients) {
      return make_error(Errc::usage, "too many recipients (at most %zu)", kMaxRecipients);
    }
  }
  return {};
}

}  // namespace

Result<std::vector<std::string>> split_recipient_words(const std::vector<std::string>& words) {
  std::vector<std::string> out;
  for (const std::string& w : words) {
    auto list = parse_address_list(w);
    if (!list) {
      return make_error(Errc::usage, "bad recipient address '%s': %s", w.c_str(),
                        list.error().what.c_str());
    }
    for (std::string& a : *list) {
      if (auto ok = check_address(a); !ok) {
        return std::move(ok).error();
      }
      out.push_back(std::move(a));
    }
  }
  return out;
}

Status check_storable(const std::string& addr) {
  for (unsigned char c : addr) {
    if (c <= 0x20 || c >= 0x7f) {
      return make_error(Errc::usage, "spaces and non-ASCII characters are not supported");
    }
  }
  return {};
}

Result<std::vector<std::string>> collect_recipients(const RecipientInput& in,
                                                    const RecipientPolicy& policy) {
  auto from_argv = split_recipient_words(in.argv_words);
  if (!from_argv) {
    return std::move(from_argv).error();
  }
  std::vector<std::string> argv_mapped;
  std::set<std::string> argv_seen;
  if (auto r = map_all(*from_argv, policy, argv_seen, argv_mapped); !r) {
    return std::move(r).error();
  }
  std::vector<std::string> out;
  std::set<std::string> seen;
  if (!in.extract || in.with_t == RecipientsWithT::add) {
    out = argv_mapped;
    seen = argv_seen;
  }
  if (in.extract) {
    std::vector<std::string> headers;
    std::set<std::string> header_seen = seen;
    if (auto r = map_all(in.header_rcpts, policy, header_seen, headers); !r) {
      return std::move(r).error();
    }
    for (auto& h : headers) {  // Sendmail's "exclude": argv names are not delivered to
      if (in.with_t == RecipientsWithT::add || argv_seen.count(lower(h)) == 0) {
        out.push_back(std::move(h));
      }
    }
  }
  if (out.size() > kMaxRecipients) {
    return make_error(Errc::usage, "too many recipients (at most %zu)", kMaxRecipients);
  }
  if (out.empty()) {
    return make_error(Errc::usage, "%s",
                      in.extract ? "No recipient addresses found in message header"
                                 : "Recipient addresses must be specified on the command line "
                                   "or via the -t option");
  }
  return out;
}

int recipient_exit_code(const Error& e) {
  switch (e.code) {
    case Errc::smtp_perm:
      return kExNoUser;
    case Errc::config:
      return kExConfig;
    default:
      return kExUsage;
  }
}

}  // namespace rm
