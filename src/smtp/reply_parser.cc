#include "smtp/reply_parser.h"

#include <utility>

namespace rm {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// 1 to 3 digits; advances `pos`.
bool take_digits(std::string_view s, size_t& pos) {
  size_t start = pos;
  while (pos < s.size() && pos - start < 4 && is_digit(s[pos])) {
    ++pos;
  }
  size_t n = pos - start;
  return n >= 1 && n <= 3;
}

}  // namespace

std::string sanitize_reply_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\t') {
      out += ' ';
    } else {
      out += (u >= 0x20 && u < 0x7f) ? c : '?';
    }
  }
  return out;
}

std::string parse_enhanced_status(std::string_view text, int klass) {
  if (text.size() < 5 || text[0] != static_cast<char>('0' + klass) || text[1] != '.') {
    return "";
  }
  size_t pos = 2;
  if (!take_digits(text, pos) || pos >= text.size() || text[pos] != '.') {
    return "";
  }
  ++pos;
  if (!take_digits(text, pos) || (pos < text.size() && text[pos] != ' ')) {
    return "";
  }
  return std::string(text.substr(0, pos));
}

Status ReplyParser::fail(Error e) {
  error_ = e;
  line_.clear();
  ready_.clear();
  return e;
}

Status ReplyParser::feed(std::string_view bytes) {
  if (error_) {
    return *error_;
  }
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    std::string_view chunk = bytes.substr(0, nl == std::string_view::npos ? bytes.size() : nl + 1);
    if (line_.size() + chunk.size() > limits_.max_line) {
      return fail(
          make_error(Errc::protocol, "SMTP reply line longer than %zu octets", limits_.max_line));
    }
    line_.append(chunk);
    bytes.remove_prefix(chunk.size());
    if (nl == std::string_view::npos) {
      break;
    }
    std::string line = std::exchange(line_, std::string());
    if (auto st = take_line(line); !st) {
      return st;
    }
  }
  return {};
}

Status ReplyParser::take_line(std::string_view line) {
  if (line.size() < 2 || line[line.size() - 2] != '\r') {
    return fail(make_error(Errc::protocol, "SMTP reply line not terminated by CRLF"));
  }
  line.remove_suffix(2);
  if (line.size() < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]) ||
      line[0] < '2' || line[0] > '5') {
    return fail(make_error(Errc::protocol, "malformed SMTP reply line \"%s\"",
                           sanitize_reply_text(line.substr(0, 40)).c_str()));
  }
  char sep = line.size() > 3 ? line[3] : ' ';
  if (sep != ' ' && sep != '-') {
    return fail(make_error(Errc::protocol, "malformed SMTP reply line \"%s\"",
                           sanitize_reply_text(line.substr(0, 40)).c_str()));
  }
  int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (in_reply_ && code != cur_.code) {
    return fail(make_error(Errc::protocol, "SMTP reply mixes codes %d and %d", cur_.code, code));
  }
  if (!in_reply_) {
    cur_ = SmtpReply{};
    cur_.code = code;
    cur_octets_ = 0;
    in_reply_ = true;
  }
  cur_octets_ += line.size() + 2;
  if (cur_.lines.size() + 1 > limits_.max_lines || cur_octets_ > limits_.max_reply) {
    return fail(make_error(Errc::protocol, "SMTP reply exceeds %zu lines or %zu octets",
                           limits_.max_lines, limits_.max_reply));
  }
  cur_.lines.push_back(sanitize_reply_text(line.size() > 4 ? line.substr(4) : ""));
  if (sep == ' ') {
    finish_reply();
  }
  return {};
}

void ReplyParser::finish_reply() {
  cur_.enhanced = parse_enhanced_status(cur_.lines.front(), cur_.code / 100);
  ready_.push_back(std::move(cur_));
  cur_ = SmtpReply{};
  in_reply_ = false;
}

std::optional<SmtpReply> ReplyParser::next() {
  if (ready_.empty()) {
    return std::nullopt;
  }
  SmtpReply r = std::move(ready_.front());
  ready_.pop_front();
  return r;
}

}  // namespace rm
