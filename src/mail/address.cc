// mail/address.cc — a small RFC 5322 address-list parser: a lexer that drops white space and
// comments and keeps byte positions, and a recursive-descent parser over its tokens. Positions
// let qualify_address_header() insert "@domain" without touching anything else.
#include "mail/address.h"

#include <cstddef>
#include <cstdint>

namespace rm {
namespace {

enum class Kind { atom, quoted, literal, special, end };

struct Token {
  Kind kind = Kind::end;
  size_t pos = 0;
  size_t len = 0;
  char ch = 0;  // the character of a special
};

bool is_ctl(unsigned char c) {
  return (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f;
}

bool is_atext(unsigned char c) {
  if (c >= 0x80) {
    return true;  // UTF-8 in local parts and names: passed through, not judged
  }
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  for (const char* p = "!#$%&'*+-/=?^_`{|}~"; *p != '\0'; ++p) {
    if (c == static_cast<unsigned char>(*p)) {
      return true;
    }
  }
  return false;
}

bool is_special(char c) {
  return c == '<' || c == '>' || c == '@' || c == ',' || c == ':' || c == ';' || c == '.';
}

// Each returns the index just after the quoted string / (nested) comment that starts at
// text[i], or npos when it is not terminated. A backslash quotes the next character.
size_t skip_quoted(std::string_view text, size_t i) {
  for (size_t j = i + 1; j < text.size(); ++j) {
    if (text[j] == '\\') {
      ++j;
    } else if (text[j] == '"') {
      return j + 1;
    }
  }
  return std::string_view::npos;
}

size_t skip_comment(std::string_view text, size_t i) {
  int depth = 0;
  for (size_t j = i; j < text.size(); ++j) {
    if (text[j] == '\\') {
      ++j;
    } else if (text[j] == '(') {
      ++depth;
    } else if (text[j] == ')' && --depth == 0) {
      return j + 1;
    }
  }
  return std::string_view::npos;
}

Result<std::vector<Token>> lex(std::string_view text) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
    } else if (c == '(') {
      size_t j = skip_comment(text, i);
      if (j == std::string_view::npos) {
        return make_error(Errc::parse, "unterminated comment");
      }
      i = j;
    } else if (c == '"') {
      size_t j = skip_quoted(text, i);
      if (j == std::string_view::npos) {
        return make_error(Errc::parse, "unterminated quoted string");
      }
      out.push_back({Kind::quoted, i, j - i, 0});
      i = j;
    } else if (c == '[') {
      size_t j = text.find(']', i);
      if (j == std::string_view::npos) {
        return make_error(Errc::parse, "unterminated domain literal");
      }
      out.push_back({Kind::literal, i, j + 1 - i, 0});
      i = j + 1;
    } else if (is_special(static_cast<char>(c))) {
      out.push_back({Kind::special, i, 1, static_cast<char>(c)});
      ++i;
    } else if (is_atext(c)) {
      size_t j = i;
      while (j < text.size() && is_atext(static_cast<unsigned char>(text[j]))) {
        ++j;
      }
      out.push_back({Kind::atom, i, j - i, 0});
      i = j;
    } else if (c == 0 || is_ctl(c)) {
      return make_error(Errc::parse, "control character at offset %zu", i);
    } else {
      return make_error(Errc::parse, "unexpected '%c' at offset %zu", static_cast<char>(c), i);
    }
  }
  out.push_back({Kind::end, text.size(), 0, 0});
  return out;
}

// One address found in a list: the addr-spec as written (white space and comments dropped) and
// where "@domain" would go if it has none.
struct Found {
  std::string spec;
  size_t local_end = 0;
  bool qualified = false;
};

class ListParser {
 public:
  ListParser(std::string_view text, const std::vector<Token>& toks) : text_(text), t_(toks) {}

  // Outside groups a ';' separates like ',' (Outlook-style lists written by scripts).
  Status parse(std::vector<Found>& out) {
    while (!at_end()) {
      if (is(',') || is(';')) {
        ++i_;
        continue;
      }
      if (auto r = element(out, /*in_group=*/false); !r) {
        return r;
      }
      if (!at_end() && !is(',') && !is(';')) {
        return unexpected();
      }
    }
    return {};
  }

 private:
  bool at_end() const { return t_[i_].kind == Kind::end; }
  bool is(char c) const { return t_[i_].kind == Kind::special && t_[i_].ch == c; }
  bool is_word() const { return t_[i_].kind == Kind::atom || t_[i_].kind == Kind::quoted; }
  std::string_view tok_text(size_t k) const { return text_.substr(t_[k].pos, t_[k].len); }

  Error unexpected() const {
    if (at_end()) {
      return make_error(Errc::parse, "unexpected end of address list");
    }
    return make_error(Errc::parse, "unexpected '%.*s' at offset %zu",
                      static_cast<int>(tok_text(i_).size()), tok_text(i_).data(), t_[i_].pos);
  }

  // A group (outside groups only) or a mailbox.
  Status element(std::vector<Found>& out, bool in_group) {
    size_t start = i_;
    while (is_word() || is('.')) {
      ++i_;
    }
    if (is('<')) {
      return angle_addr(out);
    }
    if (is(':') && !in_group && i_ > start) {
      ++i_;
      return group_rest(out);
    }
    if (is('@')) {
      std::vector<Found> spec;
      if (auto r = addr_spec_from(start, spec); !r) {
        return r;
      }
      if (is('<')) {  // "a@x.org <a@x.org>": an unquoted address used as the display name
        return angle_addr(out);
      }
      out.push_back(std::move(spec.front()));
      return {};
    }
    if (i_ == start) {
      return unexpected();
    }
    Found f;
    if (auto r = local_part(start, i_, f); !r) {
      return r;
    }
    out.push_back(std::move(f));
    return {};
  }

  // After "name:": mailboxes separated by commas, up to ';' (tolerated missing at the end).
  Status group_rest(std::vector<Found>& out) {
    while (!at_end() && !is(';')) {
      if (is(',')) {
        ++i_;
        continue;
      }
      if (auto r = element(out, /*in_group=*/true); !r) {
        return r;
      }
      if (!at_end() && !is(',') && !is(';')) {
        return unexpected();
      }
    }
    if (is(';')) {
      ++i_;
    }
    return {};
  }

  // Tokens [a, b) as a local part: words and dots, never two words side by side (that would be
  // a display name without an address: "John Doe").
  Status local_part(size_t a, size_t b, Found& f) const {
    bool any_word = false;
    bool prev_word = false;
    for (size_t k = a; k < b; ++k) {
      bool word = t_[k].kind != Kind::special;
      if (word && prev_word) {
        std::string_view all = text_.substr(t_[a].pos, t_[b - 1].pos + t_[b - 1].len - t_[a].pos);
        return make_error(Errc::parse, "expected an address, found '%.*s'",
                          static_cast<int>(all.size()), all.data());
      }
      any_word = any_word || word;
      prev_word = word;
      f.spec += tok_text(k);
    }
    if (!any_word) {
      return make_error(Errc::parse, "empty local part at offset %zu", t_[a].pos);
    }
    f.local_end = t_[b - 1].pos + t_[b - 1].len;
    return {};
  }

  // local "@" domain, with i_ on the '@'.
  Status addr_spec_from(size_t start, std::vector<Found>& out) {
    if (start == i_) {
      return make_error(Errc::parse, "missing local part before '@' at offset %zu", t_[i_].pos);
    }
    Found f;
    if (auto r = local_part(start, i_, f); !r) {
      return r;
    }
    ++i_;  // '@'
    f.spec += '@';
    f.qualified = true;
    bool want_label = true;
    while (true) {
      Kind k = t_[i_].kind;
      if (want_label && (k == Kind::atom || k == Kind::literal)) {
        f.spec += tok_text(i_++);
        want_label = false;
      } else if (!want_label && is('.')) {
        f.spec += '.';
        ++i_;
        want_label = true;
      } else {
        break;
      }
    }
    if (want_label) {
      return at_end() ? make_error(Errc::parse, "missing domain after '@'") : unexpected();
    }
    out.push_back(std::move(f));
    return {};
  }

  // "<" [obs-route ":"] (addr-spec | local) ">", with i_ on the '<'.
  Status angle_addr(std::vector<Found>& out) {
    ++i_;
    if (is('>')) {
      return make_error(Errc::parse, "empty address '<>' at offset %zu", t_[i_].pos);
    }
    if (is('@')) {  // obs-route: "@a,@b:" — dropped
      while (!at_end() && !is(':') && !is('>')) {
        ++i_;
      }
      if (!is(':')) {
        return unexpected();
      }
      ++i_;
    }
    size_t start = i_;
    while (is_word() || is('.')) {
      ++i_;
    }
    if (is('@')) {
      if (auto r = addr_spec_from(start, out); !r) {
        return r;
      }
    } else {
      if (i_ == start) {
        return unexpected();
      }
      Found f;
      if (auto r = local_part(start, i_, f); !r) {
        return r;
      }
      out.push_back(std::move(f));
    }
    if (!is('>')) {
      return at_end() ? make_error(Errc::parse, "missing '>'") : unexpected();
    }
    ++i_;
    return {};
  }

  std::string_view text_;
  const std::vector<Token>& t_;
  size_t i_ = 0;
};

Result<std::vector<Found>> parse_found(std::string_view text) {
  auto toks = lex(text);
  if (!toks) {
    return std::move(toks).error();
  }
  std::vector<Found> out;
  ListParser p(text, *toks);
  if (auto r = p.parse(out); !r) {
    return std::move(r).error();
  }
  return out;
}

const char* control_name(unsigned char c) {
  switch (c) {
    case '\0':
      return "NUL";
    case '\r':
      return "CR";
    case '\n':
      return "LF";
    case '\t':
      return "a tab";
    default:
      return "a control character";
  }
}

}  // namespace

Result<std::vector<std::string>> parse_address_list(std::string_view text) {
  auto found = parse_found(text);
  if (!found) {
    return std::move(found).error();
  }
  std::vector<std::string> out;
  out.reserve(found->size());
  for (auto& f : *found) {
    out.push_back(std::move(f.spec));
  }
  return out;
}

Status check_envelope_address(std::string_view addr) {
  if (addr.empty()) {
    return make_error(Errc::usage, "empty address");
  }
  if (addr.size() > 254) {
    return make_error(Errc::usage, "address longer than 254 octets");
  }
  if (addr.front() == '-') {
    return make_error(Errc::usage, "address starts with '-'");
  }
  bool quoted = false;
  for (size_t i = 0; i < addr.size(); ++i) {
    auto c = static_cast<unsigned char>(addr[i]);
    if (c < 0x20 || c == 0x7f) {
      return make_error(Errc::usage, "address contains %s", control_name(c));
    }
    if (quoted && c == '\\' && i + 1 < addr.size()) {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && c == ' ') {
      return make_error(Errc::usage, "address contains a space");
    } else if (!quoted &&
               std::string_view("<>(),;\\").find(static_cast<char>(c)) != std::string_view::npos) {
      return make_error(Errc::usage, "address contains '%c'", static_cast<char>(c));
    }
  }
  if (quoted) {
    return make_error(Errc::usage, "address has an unbalanced quote");
  }
  return {};
}

std::string qualify(std::string_view addr, std::string_view domain) {
  std::string out(addr);
  if (addr.empty() || domain.empty()) {
    return out;
  }
  bool quoted = false;
  for (size_t i = 0; i < addr.size(); ++i) {
    char c = addr[i];
    if (quoted && c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && c == '@') {
      return out;
    }
  }
  out += '@';
  out += domain;
  return out;
}

std::string qualify_address_header(std::string_view value, std::string_view domain) {
  auto found = parse_found(value);
  if (!found || domain.empty()) {
    return std::string(value);
  }
  std::string out;
  out.reserve(value.size() + 16);
  size_t copied = 0;
  for (const auto& f : *found) {
    if (f.qualified) {
      continue;
    }
    out.append(value.substr(copied, f.local_end - copied));
    out += '@';
    out.append(domain);
    copied = f.local_end;
  }
  out.append(value.substr(copied));
  return out;
}

}  // namespace rm
