#include "log/kv.h"

namespace rm {

namespace {

bool plain_char(unsigned char c) {
  return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=';
}

void append_escaped(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      break;
  }
  if (c >= 0x20 && c < 0x7f) {
    out += static_cast<char>(c);
    return;
  }
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0xf];
}

}  // namespace

std::string kv_quote(std::string_view value) {
  bool plain = !value.empty();
  for (char ch : value) {
    plain = plain && plain_char(static_cast<unsigned char>(ch));
  }
  if (plain) {
    return std::string(value);
  }
  std::string out;
  out.reserve(value.size() + 2);
  out += '"';
  for (char ch : value) {
    append_escaped(out, static_cast<unsigned char>(ch));
  }
  out += '"';
  return out;
}

}  // namespace rm
