#include "mail/rfc5322.h"

#include <algorithm>
#include <ctime>

#include "core/error.h"
#include "core/strings.h"

namespace rm {
namespace {

bool is_phrase_char(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ') {
    return true;
  }
  for (const char* p = "!#$%&'*+-/=?^_`{|}~"; *p != '\0'; ++p) {
    if (c == static_cast<unsigned char>(*p)) {
      return true;
    }
  }
  return false;
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (i + 1 < in.size()) {
      v |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    }
    if (i + 2 < in.size()) {
      v |= static_cast<unsigned char>(in[i + 2]);
    }
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[v & 63] : '=';
  }
  return out;
}

// RFC 2047 §5(3) phrase encoding; each encoded-word holds whole UTF-8 characters and stays
// within 75 octets (45 input octets → 60 base64 characters + 12 of framing).
std::string encode_words(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    size_t n = std::min<size_t>(45, text.size());
    while (n < text.size() && n > 1 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) {
      --n;
    }
    if (!out.empty()) {
      out += ' ';
    }
    out += "=?UTF-8?B?" + base64(text.substr(0, n)) + "?=";
    text.remove_prefix(n);
  }
  return out;
}

}  // namespace

std::string format_rfc5322_date(int64_t when, int32_t utc_offset) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto shifted = static_cast<time_t>(when + utc_offset);
  struct tm tm {};
  gmtime_r(&shifted, &tm);
  int32_t off = utc_offset < 0 ? -utc_offset : utc_offset;
  return format("%s, %02d %s %04d %02d:%02d:%02d %c%02d%02d", kDays[tm.tm_wday % 7], tm.tm_mday,
                kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
                utc_offset < 0 ? '-' : '+', off / 3600, (off / 60) % 60);
}

int32_t local_utc_offset(int64_t when) {
  auto t = static_cast<time_t>(when);
  struct tm tm {};
  if (localtime_r(&t, &tm) == nullptr) {
    return 0;
  }
  return static_cast<int32_t>(tm.tm_gmtoff);
}

std::string render_display_name(std::string_view name) {
  std::string clean;
  bool ascii = true;
  bool atoms = true;
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      ch = ' ';
      c = ' ';
    }
    ascii = ascii && c < 0x80;
    atoms = atoms && is_phrase_char(c);
    clean += ch;
  }
  clean = std::string(trim(clean, kSpace));
  if (clean.empty()) {
    return "";
  }
  if (!ascii) {
    return encode_words(clean);
  }
  if (atoms) {
    return clean;
  }
  std::string out = "\"";
  for (char c : clean) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '"';
  return out;
}

std::string render_mailbox(std::string_view name, std::string_view addr) {
  std::string display = render_display_name(name);
  std::string out;
  if (!display.empty()) {
    out = display + " ";
  }
  out += "<";
  out += addr;
  out += ">";
  return out;
}

}  // namespace rm
