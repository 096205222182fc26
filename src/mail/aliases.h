// mail/aliases.h — an aliases table in the /etc/aliases format and the recursive expansion of
// local names through it (SENDMAIL.md §4, behaviours 21, 59–61; DESIGN.md §5, §9).
//
// Format (aliases(5), as Sendmail and Postfix read it):
//   # a comment: a line whose first non-blank character is '#'
//   root:       ops@example.com, alice        entries are "name: address, address, ..."
//   alice:      alice@example.org,
//               alice@example.net             a line starting with a blank continues the entry
//   "web master": root                        a name may be quoted; names are case-insensitive
//   nobody:     /dev/null                     "|command", "/file" and ":include:/path" targets
//   bin:        "|/usr/bin/true", root        are skipped with a warning: never run or opened
//   bob:        \bob, bob@example.org         "\name" is final: not looked up again
//   *:          ops@example.com               "*" or "default": the catch-all for local names
// Blank lines and comment lines may sit between an entry and its continuation lines. A target
// is an RFC 5322 address ("Name <a@b>" and comments allowed) that passes
// check_envelope_address(). An entry whose every target was skipped is dropped with a warning,
// as if it were not there: mail to it is never silently thrown away. A second entry for a name
// (or a second catch-all) is ignored with a warning; the first wins, as in Postfix.
//
// Errors: parse() gathers every malformed line (no colon, empty or unquoted name with blanks or
// '@', no addresses, a bad address, a continuation line with no entry before it, a NUL byte) and
// returns Errc::config with one "file:line: reason" per line of Error::what, in line order.
// load() returns Errc::io with sys_errno set (ENOENT for a missing file, which callers may treat
// as "no aliases") when the file cannot be read, and parse()'s errors otherwise. expand() returns
// Errc::config when an expansion nests deeper than kMaxDepth or yields more than kMaxResults
// addresses. Never logs: warnings() are for the caller to log. Never executes or opens anything a
// target names.
// Not here: qualifying bare names, the admin address, deciding which domains are local (cli/).
// Thread-safety: immutable once built; const members may be called from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace rm {

class Aliases {
 public:
  static constexpr size_t kMaxDepth = 20;           // nested aliases in one expansion
  static constexpr size_t kMaxResults = 1000;       // addresses from one expansion
  static constexpr size_t kMaxFileBytes = 4 << 20;  // load() refuses larger files (EFBIG)

  // An empty table: every name expands to itself.
  Aliases() = default;

  // `name` (a path, or a label in tests) prefixes every error and warning: "name:line: ...".
  static Result<Aliases> parse(std::string_view text, std::string_view name);
  // Reads `path` (symlinks followed; it must be a regular file) and parses it.
  static Result<Aliases> load(const std::string& path);

  // Expands one local name (a bare local part, e.g. "root"; quoted local parts such as
  // "\"web master\"" are looked up unquoted). The result, de-duplicated case-insensitively, in
  // first-seen order, holds two kinds of string:
  //  - qualified addresses (with '@'): final; never looked up in this table again;
  //  - bare local names: names with no entry and no catch-all, "\name" targets, names cut short
  //    by a loop (a name already being expanded on the current path is kept as it stands:
  //    "root: root, ops@x" gives {"root", "ops@x"}; "a: b" + "b: a" gives {"a"}), and
  //    `local_name` itself when no entry applies. The caller maps these (root/postmaster to the
  //    admin address, the rest qualified with the default domain).
  // A name reached twice without a loop (a diamond) is expanded once. An argument that already
  // has a domain is returned unchanged. Errc::config when a bound is exceeded.
  Result<std::vector<std::string>> expand(std::string_view local_name) const;

  // True when expand() would use an entry for `local_name` itself: its own or the catch-all.
  // False means it would come back unchanged (for unknown_local = "reject", behaviour 61).
  bool resolves(std::string_view local_name) const;

  bool has_catch_all() const { return catch_all_.has_value(); }
  // Entries kept, the catch-all included.
  size_t size() const { return entries_.size() + (catch_all_ ? 1 : 0); }
  // "file:line: ..." for each skipped target, dropped entry and ignored duplicate.
  const std::vector<std::string>& warnings() const { return warnings_; }
  const std::string& name() const { return name_; }

  // One parsed entry, as parse() builds it (public so the parser needs no friendship).
  struct Target {
    std::string addr;    // an addr-spec as parse_address_list() gives it: "alice", "ops@x.org"
    bool final = false;  // written "\name": not looked up again
  };
  struct Entry {
    std::string name;  // as written, unquoted
    std::vector<Target> targets;
    unsigned line = 0;
  };

 private:
  struct ExpandState;

  // The entry that applies to a canonical (unquoted, lower-case) name, or nullptr.
  const Entry* find(const std::string& key) const;
  Status visit(ExpandState& st, std::string_view name, size_t depth) const;

  std::string name_;
  std::unordered_map<std::string, Entry> entries_;  // by canonical name
  std::optional<Entry> catch_all_;
  std::vector<std::string> warnings_;
};

}  // namespace rm
