// mail/header_block.h — the header block of a message held in memory at submission: fields as
// written (name, colon, value, continuation lines), plus the small predicates submission needs
// (is this line a field, does a field have this name). Field text is stored with "\r\n"
// between its physical lines and no final line end. Pure functions. Thread-compatible.
// Not here: reading lines (mail/line_reader.h), writing them (mail/message_writer.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rm {

struct HeaderField {
  std::string text;     // "Name: value\r\n continuation"
  size_t name_len = 0;  // octets before the ':'

  std::string_view name() const { return std::string_view(text).substr(0, name_len); }
  // Everything after the ':' (continuations included).
  std::string_view value() const { return std::string_view(text).substr(name_len + 1); }
};

using HeaderBlock = std::vector<HeaderField>;

// ASCII case-insensitive comparison, as header names are compared.
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);

// A field's first line: one or more printable non-space ASCII characters other than ':',
// then ':' (RFC 5322 §3.6.8 ftext). "Subject : x" (obs-optional) is not accepted.
bool is_header_start(std::string_view line);

// Length of the field name of a line for which is_header_start() is true.
size_t header_name_len(std::string_view line);

bool has_field(const HeaderBlock& block, std::string_view name);

// Removes every field whose name is in `names` (any case), continuation lines included.
void remove_fields(HeaderBlock& block, const std::vector<std::string_view>& names);

}  // namespace rm
