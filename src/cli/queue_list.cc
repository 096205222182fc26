#include "cli/queue_list.h"

#include <ctime>

#include "core/error.h"

namespace rm::cli {
namespace {

std::string arrival(int64_t t) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm {};
  ::localtime_r(&tt, &tm);
  char buf[64];
  if (std::strftime(buf, sizeof buf, "%a %b %e %H:%M:%S", &tm) == 0) {
    return "?";
  }
  return buf;
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

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += format("\\u%04x", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

std::string format_mailq(const std::vector<QueueEntry>& entries, int64_t now) {
  if (entries.empty()) {
    return "Mail queue is empty\n";
  }
  std::string out = "-Queue ID-           --Size-- ----Arrival Time---- -Sender/Recipient-------\n";
  uint64_t bytes = 0;
  for (const QueueEntry& e : entries) {
    bytes += e.size;
    out +=
        format("%-20s %8llu %-20s  %s\n", e.id.c_str(), static_cast<unsigned long long>(e.size),
               arrival(e.created).c_str(), e.sender.empty() ? "MAILER-DAEMON" : e.sender.c_str());
    std::string note = format("attempts: %u, age: %s", e.attempts, age(now - e.created).c_str());
    if (!e.last_error.empty()) {
      note += ", last error: " + e.last_error;
    }
    out += "(" + note + ")\n";
    for (const RcptEntry& r : e.rcpts) {
      if (r.state == RcptState::pending || r.state == RcptState::deferred) {
        out += format("%52s%s\n", "", r.addr.c_str());
      }
    }
    out += "\n";
  }
  uint64_t kbytes = (bytes + 1023) / 1024;
  out += format("-- %llu Kbytes in %zu Request%s.\n", static_cast<unsigned long long>(kbytes),
                entries.size(), entries.size() == 1 ? "" : "s");
  return out;
}

std::string format_queue_json(const std::vector<QueueEntry>& entries, int64_t now) {
  std::string out = "[";
  for (size_t i = 0; i < entries.size(); ++i) {
    const QueueEntry& e = entries[i];
    out += i == 0 ? "\n" : ",\n";
    out += format("  {\"id\": %s, \"size\": %llu, \"created\": %lld, \"age\": %lld, ",
                  json_string(e.id).c_str(), static_cast<unsigned long long>(e.size),
                  static_cast<long long>(e.created), static_cast<long long>(now - e.created));
    out += "\"sender\": " + json_string(e.sender) + ", ";
    out += format("\"attempts\": %u, \"next_try\": %lld, ", e.attempts,
                  static_cast<long long>(e.next_try));
    out += "\"last_error\": " + json_string(e.last_error) + ", \"recipients\": [";
    for (size_t k = 0; k < e.rcpts.size(); ++k) {
      const RcptEntry& r = e.rcpts[k];
      out += (k == 0 ? "" : ", ");
      out += "{\"address\": " + json_string(r.addr) +
             ", \"state\": " + json_string(rcpt_state_name(r.state)) +
             ", \"last_reply\": " + json_string(r.last_reply) + "}";
    }
    out += "]}";
  }
  out += entries.empty() ? "]\n" : "\n]\n";
  return out;
}

}  // namespace rm::cli
