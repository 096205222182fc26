#include "queue/env_format.h"

#include <charconv>
#include <limits>
#include <optional>

#include "core/ids.h"

namespace rm {

namespace {

constexpr std::string_view kEndKey = "end: ";
constexpr size_t kSumDigits = 16;

// What the error message may quote of hostile input.
std::string quoted(std::string_view s) {
  return "\"" + sanitise_text(s, 40) + "\"";
}

Error corrupt(size_t line, const std::string& what) {
  return make_error(Errc::spool_corrupt, "parse env: line %zu: %s", line, what.c_str());
}

std::string magic_line(int version = kEnvVersion) {
  return std::string(kEnvMagic) + " " + std::to_string(version);
}

// 16 lower-case hex digits, most significant first.
void hex16_into(uint64_t v, char (&out)[kSumDigits]) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = kSumDigits; i-- > 0; v >>= 4) {
    out[i] = kHex[v & 0xf];
  }
}

std::string hex16(uint64_t v) {
  char buf[kSumDigits];
  hex16_into(v, buf);
  return std::string(buf, kSumDigits);
}

bool printable(std::string_view s) {
  for (char ch : s) {
    auto u = static_cast<unsigned char>(ch);
    if (u < 0x20 || u > 0x7e) {
      return false;
    }
  }
  return true;
}

bool addr_char(unsigned char u) {
  return u >= 0x80 || (u > 0x20 && u < 0x7f && u != '<' && u != '>');
}

bool valid_addr(std::string_view a, bool allow_empty) {
  if (a.empty()) {
    return allow_empty;
  }
  if (a.size() > kMaxEnvAddrLen) {
    return false;
  }
  for (char ch : a) {
    if (!addr_char(static_cast<unsigned char>(ch))) {
      return false;
    }
  }
  return true;
}

std::optional<uint64_t> parse_number(std::string_view s, uint64_t max) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) {
    return std::nullopt;
  }
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v > max) {
    return std::nullopt;
  }
  return v;
}

}  // namespace

uint64_t fnv1a64(std::string_view data) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char ch : data) {
    h ^= static_cast<unsigned char>(ch);
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string sanitise_text(std::string_view text, size_t max_len) {
  std::string out;
  out.reserve(std::min(text.size(), max_len));
  for (char ch : text.substr(0, max_len)) {
    auto u = static_cast<unsigned char>(ch);
    if (ch == '\r' || ch == '\n' || ch == '\t') {
      out += ' ';
    } else {
      out += (u >= 0x20 && u <= 0x7e) ? ch : '?';
    }
  }
  return out;
}

// ---- serialise ----

namespace {

void put(std::string& out, std::string_view key, std::string_view value) {
  out += key;
  out += ':';
  if (!value.empty()) {
    out += ' ';
    out += value;
  }
  out += '\n';
}

Status check_storable(const QueueEntry& e) {
  auto bad = [&](const char* what) {
    return make_error(Errc::parse, "serialise entry %s: %s", sanitise_text(e.id, 40).c_str(), what);
  };
  if (!is_valid_queue_id(e.id)) {
    return bad("invalid queue id");
  }
  if (!valid_addr(e.sender, true)) {
    return bad("sender address cannot be stored");
  }
  for (const RcptEntry& r : e.rcpts) {
    if (!valid_addr(r.addr, false)) {
      return bad("recipient address cannot be stored");
    }
  }
  for (const std::string* s : {&e.account, &e.dsn_notify, &e.dsn_ret, &e.dsn_envid, &e.body_type}) {
    if (!printable(*s) || s->size() > kMaxReplyText) {
      return bad("a parameter has a control or non-ASCII character");
    }
  }
  if (e.created < 0 || e.next_try < 0 || e.next_try_boot < 0 || e.warned < 0) {
    return bad("negative time");
  }
  if (!e.boot_id.empty() && !is_valid_boot_id(e.boot_id)) {
    return bad("invalid boot id");
  }
  return {};
}

}  // namespace

Result<std::string> serialise_env(const QueueEntry& e) {
  if (auto ok = check_storable(e); !ok) {
    return std::move(ok).error();
  }
  std::string out = magic_line() + "\n";
  put(out, "id", e.id);
  put(out, "uid", std::to_string(e.uid));
  put(out, "created", std::to_string(e.created));
  put(out, "sender", "<" + e.sender + ">");
  put(out, "account", e.account);
  put(out, "attempts", std::to_string(e.attempts));
  put(out, "next-try", std::to_string(e.next_try));
  put(out, "last-error", sanitise_text(e.last_error));
  put(out, "size", std::to_string(e.size));
  put(out, "eightbit", e.eightbit ? "1" : "0");
  put(out, "dsn-notify", e.dsn_notify);
  put(out, "dsn-ret", e.dsn_ret);
  put(out, "dsn-envid", e.dsn_envid);
  put(out, "body-type", e.body_type);
  put(out, "boot-id", e.boot_id);
  put(out, "created-boot", std::to_string(e.created_boot));
  put(out, "next-try-boot", std::to_string(e.next_try_boot));
  if (e.warned != 0) {
    put(out, "warned", std::to_string(e.warned));
  }
  for (const RcptEntry& r : e.rcpts) {
    std::string v = std::string(rcpt_state_name(r.state)) + " <" + r.addr + ">";
    std::string reply = sanitise_text(r.last_reply);
    if (!reply.empty()) {
      v += " " + reply;
    }
    put(out, "rcpt", v);
  }
  const uint64_t sum = fnv1a64(out);
  out += kEndKey;
  out += hex16(sum);
  out += '\n';
  return out;
}

// ---- parse ----

namespace {

using FieldParser = bool (*)(std::string_view value, QueueEntry& e);

template <class T>
bool number_into(std::string_view v, T& out) {
  auto n = parse_number(v, static_cast<uint64_t>(std::numeric_limits<T>::max()));
  if (n) {
    out = static_cast<T>(*n);
  }
  return n.has_value();
}

// A plain number, or '-' and a non-zero plain number; all of int64_t.
bool signed_into(std::string_view v, int64_t& out) {
  constexpr uint64_t kMinMagnitude = uint64_t{1} << 63;
  if (!v.starts_with('-')) {
    return number_into(v, out);
  }
  auto n = parse_number(v.substr(1), kMinMagnitude);
  if (!n || *n == 0) {
    return false;
  }
  out = *n == kMinMagnitude ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(*n);
  return true;
}

bool text_into(std::string_view v, std::string& out) {
  if (!printable(v) || v.size() > kMaxReplyText) {
    return false;
  }
  out = v;
  return true;
}

bool sender_into(std::string_view v, QueueEntry& e) {
  if (v.size() < 2 || v.front() != '<' || v.back() != '>') {
    return false;
  }
  v = v.substr(1, v.size() - 2);
  if (!valid_addr(v, true)) {
    return false;
  }
  e.sender = v;
  return true;
}

struct Field {
  std::string_view key;
  FieldParser parse;
  int since = 1;          // the first format version with this key
  bool optional = false;  // may be absent (its member keeps its default)
};

// Every key but rcpt, each at most once in the versions that have it, and required unless
// optional.
constexpr Field kFields[] = {
    {"id",
     [](std::string_view v, QueueEntry& e) { return is_valid_queue_id(v) && (e.id = v, true); }},
    {"uid", [](std::string_view v, QueueEntry& e) { return number_into(v, e.uid); }},
    {"created", [](std::string_view v, QueueEntry& e) { return number_into(v, e.created); }},
    {"sender", sender_into},
    {"account", [](std::string_view v, QueueEntry& e) { return text_into(v, e.account); }},
    {"attempts", [](std::string_view v, QueueEntry& e) { return number_into(v, e.attempts); }},
    {"next-try", [](std::string_view v, QueueEntry& e) { return number_into(v, e.next_try); }},
    {"last-error", [](std::string_view v, QueueEntry& e) { return text_into(v, e.last_error); }},
    {"size", [](std::string_view v, QueueEntry& e) { return number_into(v, e.size); }},
    {"eightbit",
     [](std::string_view v, QueueEntry& e) {
       return (v == "0" || v == "1") && (e.eightbit = v == "1", true);
     }},
    {"dsn-notify", [](std::string_view v, QueueEntry& e) { return text_into(v, e.dsn_notify); }},
    {"dsn-ret", [](std::string_view v, QueueEntry& e) { return text_into(v, e.dsn_ret); }},
    {"dsn-envid", [](std::string_view v, QueueEntry& e) { return text_into(v, e.dsn_envid); }},
    {"body-type", [](std::string_view v, QueueEntry& e) { return text_into(v, e.body_type); }},
    {"boot-id",
     [](std::string_view v, QueueEntry& e) {
       return (v.empty() || is_valid_boot_id(v)) && (e.boot_id = v, true);
     },
     2},
    {"created-boot",
     [](std::string_view v, QueueEntry& e) { return signed_into(v, e.created_boot); }, 2},
    {"next-try-boot",
     [](std::string_view v, QueueEntry& e) { return number_into(v, e.next_try_boot); }, 2},
    {"warned", [](std::string_view v, QueueEntry& e) { return number_into(v, e.warned); }, 2, true},
};
constexpr size_t kFieldCount = sizeof kFields / sizeof kFields[0];

// "state <addr>[ reply]"
bool rcpt_into(std::string_view v, QueueEntry& e) {
  size_t sp = v.find(' ');
  if (sp == std::string_view::npos) {
    return false;
  }
  auto state = rcpt_state_from_name(v.substr(0, sp));
  v.remove_prefix(sp + 1);
  size_t close = v.find('>');
  if (!state || v.empty() || v.front() != '<' || close == std::string_view::npos) {
    return false;
  }
  RcptEntry r;
  r.state = *state;
  r.addr = v.substr(1, close - 1);
  v.remove_prefix(close + 1);
  if (!valid_addr(r.addr, false) || (!v.empty() && v.front() != ' ')) {
    return false;
  }
  if (!v.empty() && !text_into(v.substr(1), r.last_reply)) {
    return false;
  }
  e.rcpts.push_back(std::move(r));
  return true;
}

struct Frame {
  int version = 0;
  std::string_view body{};  // the field lines
};

// The version a magic line names, if it is one parse_env() reads.
int known_version(std::string_view first) {
  for (int v = kEnvOldestVersion; v <= kEnvVersion; ++v) {
    if (first == magic_line(v)) {
      return v;
    }
  }
  return 0;
}

// Checks magic, version, end line and checksum; returns the version and the field lines
// between them.
Result<Frame> check_frame(std::string_view text) {
  size_t first_nl = text.find('\n');
  std::string_view first = text.substr(0, first_nl);
  const int version = known_version(first);
  if (version == 0) {
    if (first.starts_with(kEnvMagic) && first.substr(kEnvMagic.size()).starts_with(' ')) {
      return corrupt(1, "unsupported version " + quoted(first.substr(kEnvMagic.size() + 1)));
    }
    return corrupt(1, "bad magic");
  }
  if (first_nl == std::string_view::npos || text.back() != '\n') {
    return corrupt(1, "truncated: no final newline");
  }
  size_t last_start = text.rfind('\n', text.size() - 2) + 1;
  std::string_view last = text.substr(last_start, text.size() - 1 - last_start);
  if (last_start <= first_nl || !last.starts_with(kEndKey) ||
      last.size() != kEndKey.size() + kSumDigits) {
    return corrupt(1, "truncated: no end line");
  }
  char want[kSumDigits];
  hex16_into(fnv1a64(text.substr(0, last_start)), want);
  if (last.substr(kEndKey.size()) != std::string_view(want, kSumDigits)) {
    return corrupt(1, "checksum mismatch");
  }
  return Frame{version, text.substr(first_nl + 1, last_start - first_nl - 1)};
}

// One "key: value" line; `seen` marks the fields already given.
// Keys newer than `version` are unknown.
Status parse_line(std::string_view line, size_t lineno, int version, QueueEntry& e,
                  bool (&seen)[kFieldCount]) {
  for (char ch : line) {
    auto u = static_cast<unsigned char>(ch);
    if (u < 0x20 || u == 0x7f) {
      return corrupt(lineno, "control character");
    }
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    return corrupt(lineno, "not a key: value line");
  }
  std::string_view key = line.substr(0, colon);
  std::string_view rest = line.substr(colon + 1);
  if (!rest.empty() && rest.front() != ' ') {
    return corrupt(lineno, "no space after " + quoted(key));
  }
  std::string_view value = rest.empty() ? rest : rest.substr(1);
  if (key == "rcpt") {
    return rcpt_into(value, e) ? Status() : corrupt(lineno, "bad rcpt line");
  }
  for (size_t i = 0; i < kFieldCount; ++i) {
    if (kFields[i].key != key || kFields[i].since > version) {
      continue;
    }
    if (seen[i]) {
      return corrupt(lineno, "duplicate key " + quoted(key));
    }
    seen[i] = true;
    return kFields[i].parse(value, e) ? Status() : corrupt(lineno, "bad value for " + quoted(key));
  }
  return corrupt(lineno, "unknown key " + quoted(key));
}

}  // namespace

Result<QueueEntry> parse_env(std::string_view text) {
  if (text.size() > kMaxEnvBytes) {
    return make_error(Errc::spool_corrupt, "parse env: larger than %zu bytes", kMaxEnvBytes);
  }
  if (text.empty()) {
    return make_error(Errc::spool_corrupt, "parse env: empty file");
  }
  auto frame = check_frame(text);
  if (!frame) {
    return std::move(frame).error();
  }
  QueueEntry e;
  bool seen[kFieldCount] = {};
  size_t lineno = 1;
  for (std::string_view rest = frame->body; !rest.empty();) {
    size_t nl = rest.find('\n');  // the frame guarantees every line ends in '\n'
    if (auto r = parse_line(rest.substr(0, nl), ++lineno, frame->version, e, seen); !r) {
      return std::move(r).error();
    }
    rest.remove_prefix(nl + 1);
  }
  for (size_t i = 0; i < kFieldCount; ++i) {
    if (!seen[i] && !kFields[i].optional && kFields[i].since <= frame->version) {
      return corrupt(lineno + 1, "missing key " + quoted(kFields[i].key));
    }
  }
  return e;
}

}  // namespace rm
