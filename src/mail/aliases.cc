// mail/aliases.cc — the aliases(5) reader and the expander. The file format is documented at the
// top of mail/aliases.h. Parsing goes physical lines → logical lines (continuations joined,
// comments and blank lines dropped) → entries; every problem is gathered with its line number.
#include "mail/aliases.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <unordered_set>
#include <utility>

#include "core/strings.h"
#include "mail/address.h"
#include "sys/fs.h"
#include "sys/unique_fd.h"

namespace rm {
namespace {

constexpr size_t npos = std::string_view::npos;

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

char lower_ascii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower_ascii);
  return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && lower(s.substr(0, prefix.size())) == prefix;
}

// For messages: the text with control characters shown as '?'.
std::string printable(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      c = '?';
    }
  }
  return out;
}

// The index just past the quote that closes the quoted string opening at s[open], or npos.
size_t quoted_end(std::string_view s, size_t open) {
  for (size_t i = open + 1; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return npos;
}

bool fully_quoted(std::string_view s) {
  return s.size() >= 2 && s.front() == '"' && quoted_end(s, 0) == s.size();
}

// "\"a\\\"b\"" → a"b. The argument must be fully_quoted().
std::string unquote(std::string_view s) {
  std::string out;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\\' && i + 2 < s.size()) {
      ++i;
    }
    out += s[i];
  }
  return out;
}

// The lookup key of a local name: unquoted when it is one quoted string, in lower case.
std::string canonical(std::string_view name) {
  return lower(fully_quoted(name) ? unquote(name) : std::string(name));
}

// True when `addr` has an '@' outside a quoted local part.
bool has_domain(std::string_view addr) {
  bool quoted = false;
  for (size_t i = 0; i < addr.size(); ++i) {
    if (quoted && addr[i] == '\\') {
      ++i;
    } else if (addr[i] == '"') {
      quoted = !quoted;
    } else if (addr[i] == '@' && !quoted) {
      return true;
    }
  }
  return false;
}

// Splits an alias value at the commas that are outside quoted strings, comments and angle
// brackets. Pieces are trimmed; empty ones ("a, , b", a trailing comma) are dropped.
std::vector<std::string_view> split_targets(std::string_view v) {
  std::vector<std::string_view> out;
  auto add = [&out](std::string_view piece) {
    piece = trim(piece, kBlanksCr);
    if (!piece.empty()) {
      out.push_back(piece);
    }
  };
  bool quoted = false;
  int parens = 0;
  int angles = 0;
  size_t start = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if ((quoted || parens > 0) && c == '\\') {
      ++i;  // a quoted pair
    } else if (c == '"' && parens == 0) {
      quoted = !quoted;
    } else if (quoted) {
      // nothing else is special inside a quoted string
    } else if (c == '(') {
      ++parens;
    } else if (c == ')' && parens > 0) {
      --parens;
    } else if (parens == 0 && c == '<') {
      ++angles;
    } else if (parens == 0 && c == '>' && angles > 0) {
      --angles;
    } else if (parens == 0 && c == ',' && angles == 0) {
      add(v.substr(start, i - start));
      start = i + 1;
    }
  }
  add(v.substr(std::min(start, v.size())));
  return out;
}

bool is_catch_all(const std::string& key) {
  return key == "*" || key == "default";
}

struct LogicalLine {
  unsigned line = 0;
  std::string text;
};

class Parser {
 public:
  explicit Parser(std::string_view name) : name_(name) {}

  void run(std::string_view text);

  std::unordered_map<std::string, Aliases::Entry> entries;
  std::optional<Aliases::Entry> catch_all;
  std::vector<std::string> warnings;
  // "file:line: reason", sorted by line; empty when the text is well formed.
  std::vector<std::string> problems() const;

 private:
  struct Problem {
    unsigned line;
    std::string text;
  };

  [[gnu::format(printf, 3, 4)]] void problem(unsigned line, const char* fmt, ...);
  [[gnu::format(printf, 3, 4)]] void warning(unsigned line, const char* fmt, ...);
  void entry(const LogicalLine& l);
  // Parses the name before the ':' into `name`; returns the index of the ':' or npos.
  size_t entry_name(const LogicalLine& l, std::string& name);
  // Adds the addresses of one comma-separated piece; false when it was skipped.
  bool add_target(Aliases::Entry& e, std::string_view piece);
  void keep(Aliases::Entry e);

  std::string name_;
  std::vector<Problem> problems_;
};

void Parser::problem(unsigned line, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::string msg = vformat(fmt, ap);
  va_end(ap);
  problems_.push_back({line, format("%s:%u: %s", name_.c_str(), line, msg.c_str())});
}

void Parser::warning(unsigned line, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::string msg = vformat(fmt, ap);
  va_end(ap);
  warnings.push_back(format("%s:%u: %s", name_.c_str(), line, msg.c_str()));
}

std::vector<std::string> Parser::problems() const {
  std::vector<Problem> sorted = problems_;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Problem& a, const Problem& b) { return a.line < b.line; });
  std::vector<std::string> out;
  out.reserve(sorted.size());
  for (auto& p : sorted) {
    out.push_back(std::move(p.text));
  }
  return out;
}

void Parser::run(std::string_view text) {
  std::optional<LogicalLine> cur;
  unsigned lineno = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == npos ? text.size() : nl;
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++lineno;
    if (line.find('\0') != npos) {
      problem(lineno, "contains a NUL byte");
      continue;
    }
    std::string_view t = trim(line, kBlanksCr);
    if (t.empty() || t.front() == '#') {
      continue;  // as in Postfix, these do not end an entry: continuation lines may follow
    }
    if (is_blank(line.front())) {
      if (!cur) {
        problem(lineno, "continuation line (starting with a blank) without an alias before it");
        continue;
      }
      cur->text += ' ';
      cur->text += t;
      continue;
    }
    if (cur) {
      entry(*cur);
    }
    cur = LogicalLine{lineno, std::string(t)};
  }
  if (cur) {
    entry(*cur);
  }
}

size_t Parser::entry_name(const LogicalLine& l, std::string& name) {
  std::string_view s = l.text;
  if (s.front() == '"') {
    size_t q = quoted_end(s, 0);
    if (q == npos) {
      problem(l.line, "unbalanced quote in the alias name");
      return npos;
    }
    name = unquote(s.substr(0, q));
    size_t colon = q;
    while (colon < s.size() && is_blank(s[colon])) {
      ++colon;
    }
    if (colon == s.size() || s[colon] != ':') {
      problem(l.line, "expected ':' after the alias name \"%s\"", printable(name).c_str());
      return npos;
    }
    if (name.empty()) {
      problem(l.line, "empty alias name");
      return npos;
    }
    return colon;
  }
  size_t colon = s.find(':');
  if (colon == npos) {
    problem(l.line, "expected \"name: address, ...\" but found no ':' in \"%s\"",
            printable(s.substr(0, 60)).c_str());
    return npos;
  }
  std::string_view n = trim(s.substr(0, colon), kBlanksCr);
  if (n.empty()) {
    problem(l.line, "empty alias name");
    return npos;
  }
  if (n.find_first_of(" \t\"<>,@") != npos) {
    problem(l.line,
            "bad alias name \"%s\": a local name, without blanks, '@', quotes, '<', '>' or ','",
            printable(n).c_str());
    return npos;
  }
  name = n;
  return colon;
}

void Parser::entry(const LogicalLine& l) {
  std::string name;
  size_t colon = entry_name(l, name);
  if (colon == npos) {
    return;
  }
  Aliases::Entry e{name, {}, l.line};
  size_t pieces = 0;
  size_t problems_before = problems_.size();
  for (std::string_view piece : split_targets(std::string_view(l.text).substr(colon + 1))) {
    ++pieces;
    (void)add_target(e, piece);  // a skipped target warns; an empty entry is caught below
  }
  if (problems_.size() != problems_before) {
    return;
  }
  if (pieces == 0) {
    problem(l.line, "alias \"%s\" has no addresses", printable(name).c_str());
    return;
  }
  if (e.targets.empty()) {
    warning(l.line,
            "alias \"%s\" is ignored: every target was skipped, so its mail goes where it would "
            "without the alias",
            printable(name).c_str());
    return;
  }
  keep(std::move(e));
}

bool Parser::add_target(Aliases::Entry& e, std::string_view piece) {
  std::string inner = fully_quoted(piece) ? unquote(piece) : std::string(piece);
  const char* why = nullptr;
  if (starts_with_ci(inner, "|")) {
    why = "a command (relaymail never runs commands)";
  } else if (starts_with_ci(inner, "/")) {
    why = "a file (relaymail never writes to files)";
  } else if (starts_with_ci(inner, ":include:")) {
    why = "an :include: (relaymail never reads included files)";
  }
  if (why != nullptr) {
    warning(e.line, "alias \"%s\": skipped \"%s\", %s", printable(e.name).c_str(),
            printable(piece).c_str(), why);
    return false;
  }
  bool final = piece.front() == '\\';
  auto list = parse_address_list(final ? piece.substr(1) : piece);
  if (!list) {
    problem(e.line, "alias \"%s\": bad address \"%s\": %s", printable(e.name).c_str(),
            printable(piece).c_str(), list.error().what.c_str());
    return true;
  }
  if (list->empty()) {
    problem(e.line, "alias \"%s\": no address in \"%s\"", printable(e.name).c_str(),
            printable(piece).c_str());
    return true;
  }
  for (std::string& addr : *list) {
    if (Status ok = check_envelope_address(addr); !ok) {
      problem(e.line, "alias \"%s\": bad address \"%s\": %s", printable(e.name).c_str(),
              printable(addr).c_str(), ok.error().what.c_str());
      continue;
    }
    e.targets.push_back(Aliases::Target{std::move(addr), final});
  }
  return true;
}

void Parser::keep(Aliases::Entry e) {
  std::string key = canonical(e.name);
  if (is_catch_all(key)) {
    if (catch_all) {
      warning(e.line, "second catch-all \"%s\" ignored (the first is \"%s\" at line %u)",
              printable(e.name).c_str(), printable(catch_all->name).c_str(), catch_all->line);
      return;
    }
    catch_all = std::move(e);
    return;
  }
  auto it = entries.find(key);
  if (it != entries.end()) {
    warning(e.line, "duplicate alias \"%s\" ignored (the first is at line %u)",
            printable(e.name).c_str(), it->second.line);
    return;
  }
  entries.emplace(std::move(key), std::move(e));
}

}  // namespace

struct Aliases::ExpandState {
  std::string_view top;
  const std::string& file;
  std::vector<std::string> out;
  std::unordered_set<std::string> out_keys;
  std::unordered_set<std::string> path;  // names being expanded: seeing one again is a loop
  std::unordered_set<std::string> done;  // names fully expanded: their addresses are in `out`

  Status emit(std::string_view addr) {
    if (!out_keys.insert(lower(addr)).second) {
      return {};
    }
    if (out.size() == kMaxResults) {
      return make_error(Errc::config, "expand alias \"%s\" (%s): more than %zu addresses",
                        printable(top).c_str(), file.c_str(), kMaxResults);
    }
    out.emplace_back(addr);
    return {};
  }
};

Result<Aliases> Aliases::parse(std::string_view text, std::string_view name) {
  Parser p(name);
  p.run(text);
  std::vector<std::string> problems = p.problems();
  if (!problems.empty()) {
    std::string what;
    for (const auto& line : problems) {
      what += what.empty() ? "" : "\n";
      what += line;
    }
    return Error{Errc::config, std::move(what), 0, std::nullopt};
  }
  Aliases a;
  a.name_ = name;
  a.entries_ = std::move(p.entries);
  a.catch_all_ = std::move(p.catch_all);
  a.warnings_ = std::move(p.warnings);
  return a;
}

Result<Aliases> Aliases::load(const std::string& path) {
  // Not sys/fs.h's safe_open_read: /etc/aliases is often a symlink (to /etc/mail/aliases), and
  // this file is the administrator's, not a hostile one. O_NONBLOCK: a FIFO cannot hang us.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd.valid()) {
    return sys_error(Errc::io, errno, "read %s", path.c_str());
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return sys_error(Errc::io, errno, "stat %s", path.c_str());
  }
  if (!S_ISREG(st.st_mode)) {
    Error e = make_error(Errc::io, "read %s: not a regular file", path.c_str());
    e.sys_errno = EINVAL;
    return e;
  }
  auto text = read_fd(fd.get(), kMaxFileBytes, path);
  if (!text) {
    return std::move(text).error();
  }
  return parse(*text, path);
}

const Aliases::Entry* Aliases::find(const std::string& key) const {
  if (auto it = entries_.find(key); it != entries_.end()) {
    return &it->second;
  }
  return catch_all_ ? &*catch_all_ : nullptr;
}

bool Aliases::resolves(std::string_view local_name) const {
  return !has_domain(local_name) && find(canonical(local_name)) != nullptr;
}

Result<std::vector<std::string>> Aliases::expand(std::string_view local_name) const {
  ExpandState st{local_name, name_, {}, {}, {}, {}};
  if (Status s = visit(st, local_name, 0); !s) {
    return std::move(s).error();
  }
  return std::move(st.out);
}

Status Aliases::visit(ExpandState& st, std::string_view name, size_t depth) const {
  if (has_domain(name)) {
    return st.emit(name);
  }
  std::string key = canonical(name);
  if (st.path.count(key) != 0) {
    return st.emit(name);  // a loop: the name is kept as it stands, never dropped
  }
  if (st.done.count(key) != 0) {
    return {};
  }
  const Entry* e = find(key);
  if (e == nullptr) {
    return st.emit(name);
  }
  if (depth >= kMaxDepth) {
    return make_error(Errc::config,
                      "expand alias \"%s\" (%s): nested deeper than %zu levels at \"%s\"",
                      printable(st.top).c_str(), name_.c_str(), kMaxDepth, printable(name).c_str());
  }
  st.path.insert(key);
  for (const Target& t : e->targets) {
    Status s = t.final ? st.emit(t.addr) : visit(st, t.addr, depth + 1);
    if (!s) {
      return s;
    }
  }
  st.path.erase(key);
  st.done.insert(std::move(key));
  return {};
}

}  // namespace rm
