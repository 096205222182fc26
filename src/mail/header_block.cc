#include "mail/header_block.h"

#include <algorithm>

namespace rm {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

size_t header_name_len(std::string_view line) {
  return line.find(':');
}

bool is_header_start(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) {
    return false;
  }
  return std::all_of(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
  });
}

bool has_field(const HeaderBlock& block, std::string_view name) {
  return std::any_of(block.begin(), block.end(),
                     [&](const HeaderField& f) { return iequals(f.name(), name); });
}

void remove_fields(HeaderBlock& block, const std::vector<std::string_view>& names) {
  std::erase_if(block, [&](const HeaderField& f) {
    return std::any_of(names.begin(), names.end(),
                       [&](std::string_view n) { return iequals(f.name(), n); });
  });
}

}  // namespace rm
