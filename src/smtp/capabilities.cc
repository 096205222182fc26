#include "smtp/capabilities.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace rm {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
bool is_keyword(std::string_view k) {
  if (k.empty() || !std::isalnum(static_cast<unsigned char>(k[0]))) {
    return false;
  }
  return std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
  });
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    size_t start = s.find_first_not_of(' ');
    if (start == std::string_view::npos) {
      break;
    }
    s.remove_prefix(start);
    size_t end = std::min(s.find(' '), s.size());
    out.push_back(s.substr(0, end));
    s.remove_prefix(end);
  }
  return out;
}

void add_unique(std::vector<std::string>& v, std::string s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) {
    v.push_back(std::move(s));
  }
}

void apply_size(Capabilities& caps, const std::vector<std::string_view>& params) {
  caps.size = true;
  if (params.empty()) {
    return;
  }
  uint64_t v = 0;
  std::string_view p = params.front();
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (ec == std::errc() && end == p.data() + p.size()) {
    caps.size_limit = v;
  }
}

void apply_line(Capabilities& caps, std::string_view line) {
  std::vector<std::string_view> w = words(line);
  if (w.empty()) {
    return;
  }
  std::string_view kw = w.front();
  std::vector<std::string_view> params(w.begin() + 1, w.end());
  if (kw.size() > 5 && upper(kw.substr(0, 5)) == "AUTH=") {  // pre-RFC 2554 servers
    params.insert(params.begin(), kw.substr(5));
    kw = kw.substr(0, 4);
  }
  if (!is_keyword(kw)) {
    return;
  }
  std::string key = upper(kw);
  add_unique(caps.keywords, key);
  if (key == "AUTH") {
    for (std::string_view m : params) {
      if (is_keyword(m)) {
        add_unique(caps.auth, upper(m));
      }
    }
  } else if (key == "SIZE") {
    apply_size(caps, params);
  } else if (key == "PIPELINING") {
    caps.pipelining = true;
  } else if (key == "STARTTLS") {
    caps.starttls = true;
  } else if (key == "8BITMIME") {
    caps.eightbitmime = true;
  } else if (key == "ENHANCEDSTATUSCODES") {
    caps.enhanced_status_codes = true;
  } else if (key == "SMTPUTF8") {
    caps.smtputf8 = true;
  } else if (key == "DSN") {
    caps.dsn = true;
  } else if (key == "CHUNKING") {
    caps.chunking = true;
  }
}

}  // namespace

bool Capabilities::has(std::string_view keyword) const {
  return std::find(keywords.begin(), keywords.end(), keyword) != keywords.end();
}

Capabilities Capabilities::parse(const SmtpReply& ehlo_reply) {
  Capabilities caps;
  for (size_t i = 1; i < ehlo_reply.lines.size(); ++i) {
    apply_line(caps, ehlo_reply.lines[i]);
  }
  return caps;
}

}  // namespace rm
