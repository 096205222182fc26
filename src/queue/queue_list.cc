#include "queue/queue_list.h"

#include <cstdarg>
#include <cstdio>
#include <ctime>

#include "core/error.h"

namespace rm {
namespace {

// printf onto the end of `out`; a short line costs no temporary string.
[[gnu::format(printf, 2, 3)]] void append_f(std::string& out, const char* fmt, ...) {
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    return;
  }
  if (static_cast<size_t>(n) < sizeof small) {
    out.append(small, static_cast<size_t>(n));
    return;
  }
  va_start(ap, fmt);
  out += vformat(fmt, ap);
  va_end(ap);
}

void append_arrival(std::string& out, int64_t t) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm {};
  ::localtime_r(&tt, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%a %b %e %H:%M:%S", &tm);
  out.append(n == 0 ? "?" : std::string_view(buf, n));
}

std::string age(int64_t seconds) {
  if (seconds < 0) {
    seconds = 0;
  }
  if (seconds < 120) {
    return std::to_string(seconds) + "s";
  }
  if (seconds < 7200) {
    return std::to_string(seconds / 60) + "m";
  }
  if (seconds < int64_t{2} * 86400) {
    return std::to_string(seconds / 3600) + "h";
  }
  return std::to_string(seconds / 86400) + "d";
}

void append_json(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      append_f(out, "\\u%04x", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

// One entry in the mailq format, onto `out`.
void append_mailq_entry(std::string& out, const QueueEntry& e, int64_t now) {
  std::string arrival;
  append_arrival(arrival, e.created);
  append_f(out, "%-20s %8llu %-20s  ", e.id.c_str(), static_cast<unsigned long long>(e.size),
           arrival.c_str());
  out += e.sender.empty() ? "MAILER-DAEMON" : e.sender;
  append_f(out, "\n(attempts: %u, age: %s", e.attempts, age(now - e.created).c_str());
  if (!e.last_error.empty()) {
    out += ", last error: ";
    out += e.last_error;
  }
  out += ")\n";
  for (const RcptEntry& r : e.rcpts) {
    if (r.state == RcptState::pending || r.state == RcptState::deferred) {
      out.append(52, ' ');
      out += r.addr;
      out += '\n';
    }
  }
  out += '\n';
}

// One entry as a JSON object (no separator), onto `out`.
void append_json_entry(std::string& out, const QueueEntry& e, int64_t now) {
  out += "  {\"id\": ";
  append_json(out, e.id);
  append_f(out, ", \"size\": %llu, \"created\": %lld, \"age\": %lld, \"sender\": ",
           static_cast<unsigned long long>(e.size), static_cast<long long>(e.created),
           static_cast<long long>(now - e.created));
  append_json(out, e.sender);
  append_f(out, ", \"attempts\": %u, \"next_try\": %lld, \"last_error\": ", e.attempts,
           static_cast<long long>(e.next_try));
  append_json(out, e.last_error);
  out += ", \"recipients\": [";
  for (size_t k = 0; k < e.rcpts.size(); ++k) {
    const RcptEntry& r = e.rcpts[k];
    out += k == 0 ? "{\"address\": " : ", {\"address\": ";
    append_json(out, r.addr);
    out += ", \"state\": ";
    append_json(out, rcpt_state_name(r.state));
    out += ", \"last_reply\": ";
    append_json(out, r.last_reply);
    out += '}';
  }
  out += "]}";
}

}  // namespace

Status write_mailq(const std::vector<QueueEntry>& entries, int64_t now, ByteSink& out) {
  if (entries.empty()) {
    return out.write("Mail queue is empty\n");
  }
  std::string text =
      "-Queue ID-           --Size-- ----Arrival Time---- -Sender/Recipient-------\n";
  uint64_t bytes = 0;
  for (const QueueEntry& e : entries) {
    bytes += e.size;
    append_mailq_entry(text, e, now);
    if (auto r = out.write(text); !r) {
      return r;
    }
    text.clear();
  }
  uint64_t kbytes = (bytes + 1023) / 1024;
  append_f(text, "-- %llu Kbytes in %zu Request%s.\n", static_cast<unsigned long long>(kbytes),
           entries.size(), entries.size() == 1 ? "" : "s");
  return out.write(text);
}

Status write_queue_json(const std::vector<QueueEntry>& entries, int64_t now, ByteSink& out) {
  std::string text = "[";
  for (size_t i = 0; i < entries.size(); ++i) {
    text += i == 0 ? "\n" : ",\n";
    append_json_entry(text, entries[i], now);
    if (auto r = out.write(text); !r) {
      return r;
    }
    text.clear();
  }
  text += entries.empty() ? "]\n" : "\n]\n";
  return out.write(text);
}

std::string format_mailq(const std::vector<QueueEntry>& entries, int64_t now) {
  StringSink s;
  (void)write_mailq(entries, now, s);  // a StringSink never fails
  return std::move(s.out);
}

std::string format_queue_json(const std::vector<QueueEntry>& entries, int64_t now) {
  StringSink s;
  (void)write_queue_json(entries, now, s);
  return std::move(s.out);
}

}  // namespace rm
