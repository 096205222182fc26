#include "core/strings.h"

namespace rm {

std::string_view trim(std::string_view s, std::string_view chars) {
  const size_t first = s.find_first_not_of(chars);
  if (first == std::string_view::npos) {
    return s.substr(s.size());  // empty, still inside s
  }
  return trim_right(s.substr(first), chars);
}

std::string_view trim_right(std::string_view s, std::string_view chars) {
  const size_t last = s.find_last_not_of(chars);
  return s.substr(0, last == std::string_view::npos ? 0 : last + 1);
}

}  // namespace rm
