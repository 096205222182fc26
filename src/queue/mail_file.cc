#include "queue/mail_file.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <optional>

#include "queue/env_format.h"

namespace rm {

namespace {

Error corrupt(const std::string& what) {
  return make_error(Errc::spool_corrupt, "parse mail head: %s", what.c_str());
}

// A plain decimal (no sign, no leading zero) at the front of s, which it consumes.
std::optional<uint64_t> take_number(std::string_view& s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  const auto used = static_cast<size_t>(end - s.data());
  if (ec != std::errc() || used == 0 || (used > 1 && s[0] == '0')) {
    return std::nullopt;
  }
  s.remove_prefix(used);
  return v;
}

bool take(std::string_view& s, std::string_view prefix) {
  if (!s.starts_with(prefix)) {
    return false;
  }
  s.remove_prefix(prefix.size());
  return true;
}

}  // namespace

std::string mail_head(std::string_view env_text, uint64_t body_offset) {
  std::string head = std::string(kMailMagic) + " " + std::to_string(kMailVersion) + " " +
                     std::to_string(env_text.size()) + " " + std::to_string(body_offset) + "\n";
  head += env_text;
  return head;
}

uint64_t mail_body_offset(size_t env_len) {
  const uint64_t need = kMaxMailLine + env_len;
  return (need + kMailBodyOffset - 1) / kMailBodyOffset * kMailBodyOffset;
}

Result<MailHead> parse_mail_line(std::string_view bytes, uint64_t file_size) {
  const size_t lf = bytes.substr(0, kMaxMailLine).find('\n');
  if (lf == std::string_view::npos) {
    return corrupt("no first line within " + std::to_string(kMaxMailLine) + " bytes");
  }
  std::string_view line = bytes.substr(0, lf);
  MailHead head;
  head.line_len = lf + 1;
  const std::string version = " " + std::to_string(kMailVersion) + " ";
  if (!take(line, kMailMagic) || !take(line, version)) {
    return corrupt("not a relaymail-mail " + std::to_string(kMailVersion) + " file");
  }
  auto env_len = take_number(line);
  if (!env_len || !take(line, " ")) {
    return corrupt("bad envelope length");
  }
  auto body = take_number(line);
  if (!body || !line.empty()) {
    return corrupt("bad body offset");
  }
  if (*env_len == 0 || *env_len > kMaxEnvBytes || head.line_len + *env_len > *body ||
      *body > file_size) {
    return corrupt("envelope length " + std::to_string(*env_len) + " and body offset " +
                   std::to_string(*body) + " do not fit a file of " + std::to_string(file_size) +
                   " bytes");
  }
  head.env_len = *env_len;
  head.body_offset = *body;
  return head;
}

Result<MailHead> read_mail_head(int fd, uint64_t file_size, const std::string& name,
                                std::string& env_text) {
  // One read covers the line and an envelope that fits the usual gap.
  std::string& buf = env_text;
  buf.resize(static_cast<size_t>(std::min<uint64_t>(file_size, kMailBodyOffset)));
  size_t got = 0;
  auto fill = [&](size_t want, uint64_t at) -> Status {
    while (got < want) {
      ssize_t n = ::pread(fd, buf.data() + got, want - got, static_cast<off_t>(at + got));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        return sys_error(Errc::io, errno, "read %s", name.c_str());
      }
      if (n == 0) {
        return make_error(Errc::spool_corrupt, "read %s: shorter than its head", name.c_str());
      }
      got += static_cast<size_t>(n);
    }
    return {};
  };
  if (auto r = fill(buf.size(), 0); !r) {
    return std::move(r).error();
  }
  auto head = parse_mail_line(buf, file_size);
  if (!head) {
    Error e = std::move(head).error();
    e.what = name + ": " + e.what;
    return e;
  }
  const size_t end = head->line_len + static_cast<size_t>(head->env_len);
  if (end > buf.size()) {  // a big envelope: the rest of it
    buf.resize(end);
    if (auto r = fill(end, 0); !r) {
      return std::move(r).error();
    }
  }
  buf.erase(end);
  buf.erase(0, head->line_len);
  return head;
}

}  // namespace rm
