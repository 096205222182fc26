#include "log/redact.h"

namespace rm {

namespace {

bool starts_with_auth(std::string_view s) {
  if (s.size() < 5 || s[4] != ' ') {
    return false;
  }
  static constexpr std::string_view kAuth = "AUTH";
  for (size_t i = 0; i < kAuth.size(); ++i) {
    char c = s[i];
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
    if (c != kAuth[i]) {
      return false;
    }
  }
  return true;
}

std::string_view line_ending(std::string_view line) {
  if (line.ends_with("\r\n")) {
    return line.substr(line.size() - 2);
  }
  if (line.ends_with('\n')) {
    return line.substr(line.size() - 1);
  }
  return {};
}

}  // namespace

std::string redact_smtp_line(std::string_view line, bool challenge_response) {
  std::string_view eol = line_ending(line);
  std::string_view body = line.substr(0, line.size() - eol.size());
  if (challenge_response) {
    if (body == "*") {
      return std::string(line);
    }
    return std::string(kRedacted) + std::string(eol);
  }
  if (!starts_with_auth(body)) {
    return std::string(line);
  }
  size_t mech_start = body.find_first_not_of(' ', 5);
  if (mech_start == std::string_view::npos) {
    return std::string(line);
  }
  size_t mech_end = body.find(' ', mech_start);
  if (mech_end == std::string_view::npos ||
      body.find_first_not_of(' ', mech_end) == std::string_view::npos) {
    return std::string(line);  // no initial response: nothing secret on this line
  }
  std::string out(body.substr(0, mech_end));
  out += ' ';
  out += kRedacted;
  out += eol;
  return out;
}

}  // namespace rm
